import { createHmac, timingSafeEqual } from 'node:crypto';
import { base32, base32Decode } from '../runtime/ids';
import { MAX_MEMBER_CODE_TTL_SECONDS } from '../runtime/config';
import { AppError } from '../runtime/errors';
import type { Caller, Services } from '../runtime/services';
import { TxCache } from '../store/tx-cache';
import { hasPhone } from './lookup';
import { ensureWechatMember } from './wechat';

/**
 * The member code shown at the till: `MC1.<memberId>.<expires, unix s>.<tag>`,
 * a 96-bit HMAC tag under the brand's member-code key. A till holding the key
 * checks it with verifyMemberCode, without a round trip; it is useless after a
 * minute, and a deleted member gets no new ones (and its id earns nothing).
 */
const PREFIX = 'MC1';

const tagOf = (key: Buffer, memberId: string, expires: number) =>
  createHmac('sha256', key).update(`${PREFIX}.${memberId}.${expires}`).digest().subarray(0, 12).toString('base64url');

export function signMemberCode(key: Buffer, memberId: string, expires: number): string {
  return `${PREFIX}.${memberId}.${expires}.${tagOf(key, memberId, expires)}`;
}

/**
 * How far ahead a code's expiry may lie: the longest TTL the config allows (600 s) and a minute of
 * a till clock running slow. A till holds the key that signs, so a code one minted for years ahead
 * would otherwise be taken by every till.
 */
export const MAX_CODE_AHEAD_SECONDS = MAX_MEMBER_CODE_TTL_SECONDS + 60;

/** Whether a code expiring at `expires` (unix s) is valid at `nowMs`. */
const current = (expires: number, nowMs: number) => nowMs < expires * 1000 && expires * 1000 <= nowMs + MAX_CODE_AHEAD_SECONDS * 1000;

/** The member id, or null when the token is forged, malformed, expired at `nowMs` or expiring too far ahead. */
export function verifyMemberCode(key: Buffer, token: string, nowMs: number): string | null {
  const parts = token.split('.');
  // one spelling: no leading zero (a till that remembers tokens seen must not see a new one)
  if (parts.length !== 4 || parts[0] !== PREFIX || !/^[1-9]\d{0,11}$/.test(parts[2]!)) return null;
  const [, memberId, expiresText, tag] = parts as [string, string, string, string];
  const expires = Number(expiresText);
  const expected = Buffer.from(tagOf(key, memberId, expires));
  const given = Buffer.from(tag);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  return current(expires, nowMs) ? memberId : null;
}

/**
 * The same signed facts as 54 digits, for the till's barcode (Code 128 packs
 * digits two to a bar pattern, so this prints at twice the density of the
 * token): the member id's 10 bytes, the expiry (4 bytes) and a 64-bit tag, as
 * one number. Null for member ids not made by the time-ordered id source.
 */
const BARCODE_DIGITS = 54;
const barcodeTag = (key: Buffer, body: Buffer) => createHmac('sha256', key).update('MCB1').update(body).digest().subarray(0, 8);

export function signMemberBarcode(key: Buffer, memberId: string, expires: number): string | null {
  const id = /^m_([2-7a-z]{16})$/.exec(memberId)?.[1];
  const idBytes = id ? base32Decode(id) : null;
  if (!idBytes || idBytes.length !== 10) return null;
  const body = Buffer.alloc(14);
  idBytes.copy(body, 0);
  body.writeUInt32BE(expires, 10);
  const all = Buffer.concat([body, barcodeTag(key, body)]);
  return BigInt(`0x${all.toString('hex')}`).toString().padStart(BARCODE_DIGITS, '0');
}

/** The member id of a till barcode, or null when it is forged, malformed, expired at `nowMs` or expiring too far ahead. */
export function verifyMemberBarcode(key: Buffer, digits: string, nowMs: number): string | null {
  if (digits.length !== BARCODE_DIGITS || !/^\d+$/.test(digits)) return null;
  const hex = BigInt(digits).toString(16);
  if (hex.length > 44) return null;
  const all = Buffer.from(hex.padStart(44, '0'), 'hex');
  const body = all.subarray(0, 14);
  if (!timingSafeEqual(all.subarray(14), barcodeTag(key, body))) return null;
  return current(body.readUInt32BE(10), nowMs) ? `m_${base32(body.subarray(0, 10))}` : null;
}

export async function issueMemberCode(services: Services, caller: Caller & { openid: string }): Promise<{ token: string; barcode: string | null; issuedAt: string; expiresAt: string }> {
  // refused inside the transaction, so that a caller never seen (or erased) is not made a member by asking
  const { memberId } = await services.store.transaction(async (tx) => {
    const found = await ensureWechatMember(new TxCache(tx), services, caller);
    if (!hasPhone(found.record)) throw new AppError('NOT_BOUND', 'bind a phone to get a member code');
    return found;
  });
  const issued = Math.floor(services.clock.now() / 1000);
  const expires = issued + services.config.identity.memberCodeTtlSeconds;
  const key = services.secrets.memberCodeKey;
  return {
    token: signMemberCode(key, memberId, expires),
    barcode: signMemberBarcode(key, memberId, expires),
    issuedAt: new Date(issued * 1000).toISOString(),
    expiresAt: new Date(expires * 1000).toISOString(),
  };
}
