import { randomFillSync } from 'node:crypto';

/** Source of new document ids, injected so tests can make them predictable. */
export interface IdSource {
  /** A new unique id, `prefix_` followed by 16 lowercase base32 characters (80 bits). */
  next(prefix: string): string;
}

/** Digits before letters, as in ASCII, so ids sort as their bytes do. */
const ALPHABET = '234567abcdefghijklmnopqrstuvwxyz';

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

/** The bytes of a base32 string made by `base32` from a whole number of 5-bit groups, or null. */
export function base32Decode(text: string): Buffer | null {
  const out: number[] = [];
  let buffer = 0;
  let bits = 0;
  for (const char of text) {
    const value = ALPHABET.indexOf(char);
    if (value < 0) return null;
    buffer = ((buffer << 5) | value) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      out.push((buffer >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/**
 * Random bytes drawn a page at a time: one call for the system's randomness
 * costs about 2 µs, as much as the rest of an imported member's id work.
 */
const entropy = { pool: Buffer.alloc(4096), used: 4096 };
function randomUint32(): number {
  if (entropy.used + 4 > entropy.pool.length) {
    randomFillSync(entropy.pool);
    entropy.used = 0;
  }
  const value = entropy.pool.readUInt32BE(entropy.used);
  entropy.used += 4;
  return value;
}

/** The millisecond and low bits of the last id made in this process. */
const last = { ms: -1, low: 0 };

/**
 * 48 bits of milliseconds then 32 bits, random for the first id of a millisecond and one more
 * for each id after it in that millisecond: ids made later sort later, so new members land at
 * the end of every index on them instead of on a random page (a million-member import stays
 * fast), and so ties by id follow the order things were made in. Members made in one import
 * transaction are the same age, and the one that sorts first is taken as the older
 * (reconcile.ts): random low bits made the same files give other members and counts on each run.
 */
export const timeOrderedIds: IdSource = {
  next(prefix) {
    // a clock set back stays at the last millisecond, still counting up
    const now = Math.max(Date.now(), last.ms);
    if (now === last.ms && last.low < 0xffffffff) last.low++;
    else if (now === last.ms) {
      last.ms++;
      last.low = randomUint32() >>> 1;
    } else {
      last.ms = now;
      // the top bit left clear: room for the ids made after it in the same millisecond
      last.low = randomUint32() >>> 1;
    }
    const bytes = Buffer.allocUnsafe(10);
    bytes.writeUIntBE(last.ms, 0, 6);
    bytes.writeUInt32BE(last.low, 6);
    return `${prefix}_${base32(bytes)}`;
  },
};

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
