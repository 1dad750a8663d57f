import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * One-item-one-code: the code printed on each product unit. Pure: keys are
 * passed in, nothing is read or written.
 *
 *   K BBBB SSSSS TTTTTTTTTTTT   (22 characters with the default 60-bit tag)
 *   K      key id: one character; its key signed the batch
 *   BBBB   batch id (32^4 batches)
 *   SSSSS  serial in the batch, 1 .. 32^5 - 1 (33 million per batch)
 *   T…     HMAC-SHA256(key, "MC-CODE1:" + K+B+S + ":" + tag length), first
 *          5 bits per character, 12..20 characters (60..100 bits)
 *
 * The alphabet is upper case and digits without 0, 1, I and O, so a code read
 * aloud or typed from a damaged label has nothing to confuse, and 32 symbols
 * carry exactly 5 bits each. The tag binds the key id, batch, serial and its
 * own length, so no part of a code can be swapped or cut short: a forged or
 * mistyped code fails here, before any store access.
 */
export const CODE_ALPHABET = '23456789ABCDEFGHJKLMNPQRSTUVWXYZ';
export const BATCH_CHARS = 4;
export const SERIAL_CHARS = 5;
export const MIN_TAG_CHARS = 12;
export const MAX_TAG_CHARS = 20;
/** Serials run from 1; the largest fits SERIAL_CHARS characters. */
export const MAX_SERIAL = 32 ** SERIAL_CHARS - 1;
const HEAD = 1 + BATCH_CHARS + SERIAL_CHARS;
export const MIN_CODE_LENGTH = HEAD + MIN_TAG_CHARS;
export const MAX_CODE_LENGTH = HEAD + MAX_TAG_CHARS;

const VALUES = new Int8Array(128).fill(-1);
for (let i = 0; i < CODE_ALPHABET.length; i++) VALUES[CODE_ALPHABET.charCodeAt(i)] = i;

export const isCodeChar = (char: string) => char.length === 1 && (VALUES[char.charCodeAt(0)] ?? -1) >= 0;

/** `n` in base 32, left-padded to `width` characters. */
export function encodeNumber(n: number, width: number): string {
  let out = '';
  for (let i = 0; i < width; i++) {
    out = CODE_ALPHABET[n % 32] + out;
    n = Math.floor(n / 32);
  }
  return out;
}

/** The number a run of code characters spells, or -1 if one is not in the alphabet. */
export function decodeNumber(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const v = code < 128 ? VALUES[code]! : -1;
    if (v < 0) return -1;
    n = n * 32 + v;
  }
  return n;
}

export interface ParsedCode {
  /** The whole code, canonical (upper case). */
  code: string;
  keyId: string;
  batchId: string;
  serial: number;
  /** Key id + batch + serial: what the tag signs, and the document id of the code's claim. */
  body: string;
  tag: string;
}

/**
 * A code's parts if it has the shape of one (length, alphabet), else null.
 * Lower case is accepted (a typed code); nothing else is forgiven.
 */
export function parseCode(input: string): ParsedCode | null {
  if (input.length < MIN_CODE_LENGTH || input.length > MAX_CODE_LENGTH) return null;
  const code = input.toUpperCase();
  if (!allCodeChars(code)) return null;
  const serial = decodeNumber(code.slice(1 + BATCH_CHARS, HEAD));
  if (serial < 1) return null;
  return { code, keyId: code[0]!, batchId: code.slice(1, 1 + BATCH_CHARS), serial, body: code.slice(0, HEAD), tag: code.slice(HEAD) };
}

function allCodeChars(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 128 || VALUES[c]! < 0) return false;
  }
  return true;
}

/** The first `chars` × 5 bits of the digest, in the code alphabet. */
function tagOf(key: Buffer, body: string, chars: number): string {
  const digest = createHmac('sha256', key).update(`MC-CODE1:${body}:${chars}`).digest();
  let out = '';
  let buffer = 0;
  let bits = 0;
  let i = 0;
  while (out.length < chars) {
    buffer = ((buffer << 8) | digest[i++]!) & 0xffff;
    bits += 8;
    while (bits >= 5 && out.length < chars) {
      out += CODE_ALPHABET[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out;
}

export interface CodeKey {
  id: string;
  key: Buffer;
}

/** A key can sign codes when its id is one character of the code alphabet. */
export const canSignCodes = (key: CodeKey) => isCodeChar(key.id);

/** Tag characters for a number of tag bits (a multiple of 5 from 60 to 100). */
export function tagCharsFor(bits: number): number {
  const chars = bits / 5;
  if (!Number.isInteger(chars) || chars < MIN_TAG_CHARS || chars > MAX_TAG_CHARS) {
    throw new Error(`tag bits must be a multiple of 5 from ${MIN_TAG_CHARS * 5} to ${MAX_TAG_CHARS * 5}`);
  }
  return chars;
}

export function isBatchId(text: string): boolean {
  return text.length === BATCH_CHARS && allCodeChars(text);
}

/**
 * Makes the codes of one batch: `sign(serial)` is the code of that unit.
 * Throws on a key that cannot sign codes, a bad batch id or serial.
 */
export function batchSigner(key: CodeKey, batchId: string, tagChars: number): (serial: number) => string {
  if (!canSignCodes(key)) throw new Error(`code key id must be one character of ${CODE_ALPHABET}`);
  if (!isBatchId(batchId)) throw new Error('bad batch id');
  if (tagChars < MIN_TAG_CHARS || tagChars > MAX_TAG_CHARS) throw new Error('bad tag length');
  const prefix = key.id + batchId;
  return (serial) => {
    if (!Number.isInteger(serial) || serial < 1 || serial > MAX_SERIAL) throw new Error('serial out of range');
    const body = prefix + encodeNumber(serial, SERIAL_CHARS);
    return body + tagOf(key.key, body, tagChars);
  };
}

export type VerifyOutcome = 'ok' | 'unknown_key' | 'revoked_key' | 'bad_tag';

/**
 * Checks a parsed code's tag under its key. `keys` are the current keys
 * (newest first; any of them verifies its own codes); `revoked` lists key ids
 * whose codes are refused even if the key is still configured.
 */
export function verifyCode(parsed: ParsedCode, keys: readonly CodeKey[], revoked: ReadonlySet<string> | readonly string[]): VerifyOutcome {
  const isRevoked = Array.isArray(revoked) ? revoked.includes(parsed.keyId) : (revoked as ReadonlySet<string>).has(parsed.keyId);
  if (isRevoked) return 'revoked_key';
  const key = keys.find((k) => k.id === parsed.keyId);
  if (!key) return 'unknown_key';
  const expected = Buffer.from(tagOf(key.key, parsed.body, parsed.tag.length));
  const given = Buffer.from(parsed.tag);
  return expected.length === given.length && timingSafeEqual(expected, given) ? 'ok' : 'bad_tag';
}
