import { AppError } from '../runtime/errors';
import type { Doc } from '../store/port';
import { liveMember, type Getter, type MemberRef } from './accounts.store';

interface OpenidValue extends Doc {
  memberId: string | null;
  records?: string[];
}

interface RecordWithIdentifiers extends Doc {
  memberId: string | null;
  identifiers?: { type: string; value: string }[];
}

/**
 * The caller's live member: `identifiers/openid:${openid}` (kept by identity)
 * to its member, following merges to the survivor. NOT_FOUND when the caller
 * never logged in (or was erased).
 */
export async function callerMember(get: Getter, openid: string): Promise<MemberRef> {
  const value = await get<OpenidValue>('identifiers', `openid:${openid}`);
  let memberId = value?.memberId ?? null;
  if (!memberId) {
    for (const id of value?.records ?? []) {
      if (!id.startsWith('wechat:')) continue;
      memberId = (await get<RecordWithIdentifiers>('records', id))?.memberId ?? null;
      if (memberId) break;
    }
  }
  const member = await liveMember(get, memberId);
  if (!member) throw new AppError('NOT_FOUND', 'no member for this caller: log in first');
  return member;
}

/**
 * For actions that earn (scans, package cards): the member must have bound a
 * phone on one of its WeChat records, else NOT_BOUND and nothing is spent.
 */
export async function assertPhoneBound(get: Getter, member: MemberRef): Promise<void> {
  for (const id of member.records ?? []) {
    if (!id.startsWith('wechat:')) continue;
    const record = await get<RecordWithIdentifiers>('records', id);
    if (record?.identifiers?.some((i) => i.type === 'phone')) return;
  }
  throw new AppError('NOT_BOUND', 'bind a phone number first');
}
