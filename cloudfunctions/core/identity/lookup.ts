import type { Doc } from '../store/port';
import type { MemberDoc, RecordDoc, ValueDoc } from './graph.store';

/** Anything that reads documents by id: a store, a transaction or a TxCache. */
export type Getter = <T extends Doc>(collection: string, id: string) => Promise<T | null>;

/** What a mini-program user's record keeps besides its identifiers. */
export interface WechatRecordDoc extends RecordDoc {
  consent: { version: string; at: string } | null;
  profile: { nickname: string | null; birthday: string | null };
  /** AES-GCM sealed phone, for the few places that need it in clear. */
  phoneSealed: string | null;
  /** When a phone was first bound: the consumer joined (a scene's recruit joins within a week of it, scenes/attribution.ts). Absent on records bound before it was kept. */
  phoneBoundAt?: string;
  /**
   * How many documents naming this record were written that erasure finds by query
   * (phone-code receipts, store-card requests): each transaction writing one counts it
   * here, so an erasure that queried before it can tell (identity/erase.ts).
   */
  trail?: number;
}

/** The mini-program user's record: the one `wechat` record the openid leads to. */
export async function findWechatRecord(get: Getter, openid: string): Promise<WechatRecordDoc | null> {
  const value = await get<ValueDoc>('identifiers', `openid:${openid}`);
  for (const id of value?.records ?? []) {
    if (!id.startsWith('wechat:')) continue;
    const record = await get<WechatRecordDoc>('records', id);
    if (record) return record;
  }
  return null;
}

/** The live member an id leads to, following merges to the survivor. */
export async function liveMember(get: Getter, memberId: string | null): Promise<MemberDoc | null> {
  let member = memberId ? await get<MemberDoc>('members', memberId) : null;
  for (let hops = 0; member?.status === 'merged' && member.mergedInto && hops < 32; hops++) {
    member = await get<MemberDoc>('members', member.mergedInto);
  }
  return member?.status === 'active' ? member : null;
}

export const hasPhone = (record: RecordDoc) => record.identifiers.some((i) => i.type === 'phone');
