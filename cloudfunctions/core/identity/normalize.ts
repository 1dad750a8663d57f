import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes } from 'node:crypto';

/**
 * Identifier normalization: pure functions from what people and partners type
 * to the one value the identity graph compares.
 */

const MAINLAND_MOBILE = /^1[3-9]\d{9}$/;

/**
 * A mainland mobile in any common spelling (`+86 138-0013-8000`, `0086…`,
 * `86…`, full-width digits, spaces, dashes, dots, brackets) as its 11 digits,
 * or null when it is not one.
 */
export function normalizePhone(input: string): string | null {
  if (input.length > 40) return null;
  // every full-width form (a Chinese IME in full-width mode types digits, ＋, －, ． and brackets so)
  const halfWidth = input.replace(/[\uFF01-\uFF5E]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0));
  const compact = halfWidth.replace(/[\s\-.()（）\u00A0]/g, '');
  if (!/^\+?\d+$/.test(compact)) return null;
  // a country code other than China's (+1 415 555 0100 has 11 digits starting 14) is no mainland mobile
  // (+0086 is 0086 typed with a plus)
  if (compact.startsWith('+') && !compact.startsWith('+86') && !compact.startsWith('+0086')) return null;
  let digits = compact.replace(/^\+/, '');
  if (digits.length === 15 && digits.startsWith('0086')) digits = digits.slice(4);
  else if (digits.length === 13 && digits.startsWith('86')) digits = digits.slice(2);
  return MAINLAND_MOBILE.test(digits) ? digits : null;
}

/** Lowercase hex sha256 of the 11 digits: what partners send as `phoneSha256`. */
export function phoneSha256(phone: string): string {
  return createHash('sha256').update(phone).digest('hex');
}

/** A partner's phoneSha256, checked and lower-cased, or null. */
export function normalizePhoneSha256(input: string): string | null {
  const value = input.trim().toLowerCase();
  return /^[0-9a-f]{64}$/.test(value) ? value : null;
}

/**
 * The lookup key of a phone: HMAC-SHA256(key, sha256(phone)), base64url.
 * Keyed, because the 11-digit space is small enough to brute-force a plain hash.
 */
export function phoneKeyFromSha256(hashKey: Buffer, sha256Hex: string): string {
  return createHmac('sha256', hashKey).update(sha256Hex).digest('base64url');
}

export const phoneKey = (hashKey: Buffer, phone: string) => phoneKeyFromSha256(hashKey, phoneSha256(phone));

/** `138****8000` for display. */
export const maskPhone = (phone: string) => `${phone.slice(0, 3)}****${phone.slice(-4)}`;

/** AES-256-GCM, `iv.tag.ciphertext` in base64url, for the few places that need the number back. */
export function encryptPhone(encKey: Buffer, phone: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', encKey, iv);
  const body = Buffer.concat([cipher.update(phone, 'utf8'), cipher.final()]);
  return [iv, cipher.getAuthTag(), body].map((part) => part.toString('base64url')).join('.');
}

export function decryptPhone(encKey: Buffer, sealed: string): string {
  const [iv, tag, body] = sealed.split('.').map((part) => Buffer.from(part, 'base64url'));
  if (!iv || !tag || !body) throw new Error('malformed sealed phone');
  const decipher = createDecipheriv('aes-256-gcm', encKey, iv);
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
}

/** Email trimmed and lower-cased, or null when it does not look like one. */
export function normalizeEmail(input: string): string | null {
  const value = input.trim().toLowerCase();
  return value.length <= 254 && /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value) ? value : null;
}
