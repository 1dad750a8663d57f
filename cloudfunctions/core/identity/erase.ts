import type { Caller, Services } from '../runtime/services';
import { syncMemberAccounts } from '../points/accounts.store';
import type { Doc } from '../store/port';
import { TxCache } from '../store/tx-cache';
import { applyRecordChanges, type MemberDoc, type RecordDoc } from './graph.store';
import { findWechatRecord, liveMember } from './lookup';

/**
 * The consumer's right to erasure: every record of the member (the WeChat
 * user and the channel memberships it was linked to), every identifier they
 * carried and their store-card link requests are removed; the member stays as
 * an anonymous tombstone so the ledger's totals still balance. A later login
 * starts a new member.
 */
export async function deleteMember(services: Services, caller: Caller & { openid: string }): Promise<{ deleted: true }> {
  const store = services.store;
  const wechat = await findWechatRecord(store.get.bind(store), caller.openid);
  if (!wechat) return { deleted: true };
  // Receipts of used phone codes carry the masked phone: they go too.
  const receipts = await store.query<Doc>('phoneCodes', { where: { recordId: wechat._id }, limit: 1000 });
  // So do the member's store-card link requests: staff would be asked about a consumer who is gone.
  const wechatIds = ((await liveMember(store.get.bind(store), wechat.memberId))?.records ?? [wechat._id]).filter((id) => id.startsWith('wechat:'));
  const requests: Doc[] = [];
  for (const id of wechatIds) requests.push(...(await store.query<Doc>('linkRequests', { where: { wechatRecordId: id }, limit: 1000 })).items);

  await store.transaction(async (tx) => {
    const cache = new TxCache(tx);
    const member = await liveMember(cache.get.bind(cache), wechat.memberId);
    const recordIds = member?.records ?? [wechat._id];
    const records = [...(await cache.getMany<RecordDoc>('records', recordIds)).values()];
    await applyRecordChanges(cache, services, records.map((before) => ({ before, after: null })));
    if (member) {
      const tombstone: MemberDoc = { _id: member._id, status: 'deleted', records: [], createdAt: member.createdAt, mergedInto: null };
      await tx.set('members', { ...tombstone, deletedAt: new Date(services.clock.now()).toISOString() });
      // the erased records' accounts keep their totals but belong to no one
      await syncMemberAccounts(tx, services, [{ memberId: member._id, recordIds: [] }, { memberId: null, recordIds }]);
    }
    for (const receipt of receipts.items) await tx.remove('phoneCodes', receipt._id);
    for (const request of requests) await tx.remove('linkRequests', request._id);
  });
  return { deleted: true };
}
