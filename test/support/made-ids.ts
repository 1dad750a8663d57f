/** An id `sequentialIds` made: its kind and its six-digit number. */
const MADE_ID = /\b([a-z]+)_(\d{6})\b/g;

/**
 * A value with each id `sequentialIds` made replaced by its rank among those of its kind that the
 * value holds, its objects' keys sorted, and the fields named in `opaque` masked. Two stores given
 * the same requests then compare equal although a transaction run again on one drew new ids (the
 * first run's thrown away with it): their ids differ by gaps while keeping their order. Opaque
 * fields differ for a reason of their own (a content hash covers the member id it was made under;
 * a phone sealed twice has a nonce each time).
 */
export function byRank(value: unknown, opaque: readonly string[] = ['hash']): unknown {
  const seen = new Map<string, Set<number>>();
  const collect = (v: unknown): void => {
    if (typeof v === 'string') for (const [, kind, n] of v.matchAll(MADE_ID)) (seen.get(kind!) ?? seen.set(kind!, new Set()).get(kind!)!).add(Number(n));
    else if (Array.isArray(v)) v.forEach(collect);
    else if (v && typeof v === 'object') for (const [key, inner] of Object.entries(v)) (collect(key), collect(inner));
  };
  collect(value);
  const rank = new Map([...seen].map(([kind, ns]) => [kind, new Map([...ns].sort((a, b) => a - b).map((n, i) => [n, i + 1]))]));
  const rename = (text: string) => text.replace(MADE_ID, (_, kind: string, n: string) => `${kind}#${rank.get(kind)!.get(Number(n))}`);
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return rename(v);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') {
      return Object.fromEntries(Object.entries(v).map(([key, inner]) => [rename(key), opaque.includes(key) ? '<opaque>' : walk(inner)]).sort(([a], [b]) => (a! < b! ? -1 : 1)));
    }
    return v;
  };
  return walk(value);
}
