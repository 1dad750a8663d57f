import { randomBytes } from 'node:crypto';

/** Source of new document ids, injected so tests can make them predictable. */
export interface IdSource {
  /** A new unique id, `prefix_` followed by 16 lowercase base32 characters (80 bits). */
  next(prefix: string): string;
}

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';

export function base32(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}

export const randomIds: IdSource = { next: (prefix) => `${prefix}_${base32(randomBytes(10))}` };

/** `prefix_000001`, `prefix_000002`, … per prefix. */
export function sequentialIds(): IdSource {
  const counters = new Map<string, number>();
  return {
    next(prefix) {
      const n = (counters.get(prefix) ?? 0) + 1;
      counters.set(prefix, n);
      return `${prefix}_${String(n).padStart(6, '0')}`;
    },
  };
}
