import { createHmac, timingSafeEqual } from 'node:crypto';
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

/** The member id, or null when the token is forged, malformed or expired at `nowMs`. */
export function verifyMemberCode(key: Buffer, token: string, nowMs: number): string | null {
  const parts = token.split('.');
  if (parts.length !== 4 || parts[0] !== PREFIX || !/^\d{1,12}$/.test(parts[2]!)) return null;
  const [, memberId, expiresText, tag] = parts as [string, string, string, string];
  const expires = Number(expiresText);
  const expected = Buffer.from(tagOf(key, memberId, expires));
  const given = Buffer.from(tag);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  return nowMs < expires * 1000 ? memberId : null;
}

export async function issueMemberCode(services: Services, caller: Caller & { openid: string }): Promise<{ token: string; expiresAt: string }> {
  const { record, memberId } = await services.store.transaction((tx) => ensureWechatMember(new TxCache(tx), services, caller));
  if (!hasPhone(record)) throw new AppError('NOT_BOUND', 'bind a phone to get a member code');
  const expires = Math.floor(services.clock.now() / 1000) + services.config.identity.memberCodeTtlSeconds;
  return { token: signMemberCode(services.secrets.memberCodeKey, memberId, expires), expiresAt: new Date(expires * 1000).toISOString() };
}
