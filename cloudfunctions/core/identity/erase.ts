import { AppError } from '../runtime/errors';
import type { Caller, Services } from '../runtime/services';
import { syncMemberAccounts } from '../points/accounts.store';
import { postOpeningBalances, type OpeningInput } from '../points/ledger';
import { COLLECTION } from '../points/types';
import { allDocs } from '../store/all-docs';
import { MAX_PAGE, type Doc, type DocStore } from '../store/port';
import { TxCache } from '../store/tx-cache';
import { BUYER_PREFIX, nextBuyerEra } from './buyers';
import { applyRecordChanges, conflictDoc, refusalsOf, type ConflictDoc, type MemberDoc, type RecordDoc, type ValueDoc } from './graph.store';
import { findWechatRecord, liveMember, type Getter, type WechatRecordDoc } from './lookup';
import { consumerTriesId, DAY_MS, type AttemptsDoc } from './offline-link';

/** Runs of the erasure that may find the consumer's trail moved on under them before it gives up. */
const MAX_RUNS = 5;

/** What erasure must find by query, outside its transaction (queries cannot run inside one). */
interface Trail {
  /** Each WeChat record of the member, with its `trail` count when the queries ran. */
  counts: Map<string, number>;
  /**
   * Phone-code receipts carry the masked phone; store-card requests would ask staff about a
   * consumer who is gone; first touches name the WeChat record that joined (earlier versions kept
   * them under the member's id, those of members merged into this one under their own ids).
   */
  docs: { collection: 'phoneCodes' | 'linkRequests' | 'attributions'; id: string }[];
}

const wechatIdsOf = (member: MemberDoc | null, wechat: RecordDoc) => (member?.records ?? [wechat._id]).filter((id) => id.startsWith('wechat:'));

async function countsOf(get: Getter, ids: string[]): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const id of ids) counts.set(id, (await get<WechatRecordDoc>('records', id))?.trail ?? 0);
  return counts;
}

async function trailOf(store: DocStore, wechat: WechatRecordDoc): Promise<Trail> {
  const get: Getter = store.get.bind(store);
  const counts = await countsOf(get, wechatIdsOf(await liveMember(get, wechat.memberId), wechat));
  const docs: Trail['docs'] = [];
  // every page: a consumer who asked for a thousand phone codes leaves no receipt behind
  const found = (collection: Trail['docs'][number]['collection'], where: Record<string, string>) => allDocs<Doc>(store, collection, { where, pageSize: MAX_PAGE });
  for (const id of counts.keys()) {
    for await (const doc of found('phoneCodes', { recordId: id })) docs.push({ collection: 'phoneCodes', id: doc._id });
    for await (const doc of found('linkRequests', { wechatRecordId: id })) docs.push({ collection: 'linkRequests', id: doc._id });
    for await (const doc of found('attributions', { recordId: id })) docs.push({ collection: 'attributions', id: doc._id });
  }
  return { counts, docs };
}

const sameCounts = (a: Map<string, number>, b: Map<string, number>) => a.size === b.size && [...a].every(([id, count]) => b.get(id) === count);

/**
 * The consumer's right to erasure: every record of the member (the WeChat
 * user and the channel memberships it was linked to), every identifier they
 * carried, the refused joins recorded under those identifiers, their phone-code receipts,
 * store-card link requests, wrong store-card tries and how they joined are removed;
 * the member stays as an anonymous tombstone so the ledger's totals still
 * balance. A later login starts a new member.
 *
 * Receipts and requests are found by query before the transaction; each
 * transaction writing one also counts it on its WeChat record (`trail`), so the
 * erasure sees in its transaction whether one came meanwhile, and looks again.
 * Throws CONFLICT when the consumer's trail kept moving through every run (the page says to try again later).
 */
export async function deleteMember(services: Services, caller: Caller & { openid: string }): Promise<{ deleted: true }> {
  const store = services.store;
  for (let run = 1; run <= MAX_RUNS; run++) {
    const wechat = await findWechatRecord(store.get.bind(store), caller.openid);
    if (!wechat) return { deleted: true };
    const trail = await trailOf(store, wechat);

    const erased = await store.transaction(async (tx) => {
      const cache = new TxCache(tx);
      const current = await cache.get<WechatRecordDoc>('records', wechat._id);
      if (!current) return true; // erased meanwhile, by a retry of this request
      const member = await liveMember(cache.get.bind(cache), current.memberId);
      if (!sameCounts(await countsOf(cache.get.bind(cache), wechatIdsOf(member, wechat)), trail.counts)) return false;
      const recordIds = member?.records ?? [current._id];
      const records = [...(await cache.getMany<RecordDoc>('records', recordIds)).values()];
      // joins a limit refused are kept under the shared value (`email:li@…`): the erased one's go too
      // (only the refusals naming an erased record: two others refused on the same email stay for review)
      const erased = new Set(records.map((r) => r._id));
      // (and those a WeChat record asked for and was refused, under a value it does not carry: refused-joins.ts)
      const listedUnder = (r: RecordDoc & { refusedJoins?: string[] }) => [...r.identifiers.map((i) => `${i.type}:${i.value}`), ...(r.refusedJoins ?? [])];
      for (const id of new Set(records.flatMap(listedUnder))) {
        const doc = await cache.get<ConflictDoc>('conflicts', id);
        if (!doc) continue;
        const left = refusalsOf(doc).filter((refusal) => !refusal.between.some((recordId) => erased.has(recordId)));
        if (left.length === 0) {
          cache.remove('conflicts', id);
          // and its value, which another record may still carry (a phone the erased one asked for), refuses nothing now
          const value = await cache.get<ValueDoc>('identifiers', id);
          if (value?.refused) {
            const { refused: _gone, ...rest } = value;
            cache.put('identifiers', rest);
          }
        } else cache.put('conflicts', conflictDoc(doc._id, doc.type, doc.value, left));
      }
      // the consumer's wrong store-card tries: those of the last day stay, times alone under a keyed
      // hash, or erasing and binding again would clear them (offline-link.ts); older ones go, as do
      // those earlier versions kept under each WeChat record's id
      const now = services.clock.now();
      for (const record of records.filter((r) => r._id.startsWith('wechat:'))) {
        if (await cache.get('linkAttempts', record._id)) cache.remove('linkAttempts', record._id);
        for (const openid of record.identifiers.filter((i) => i.type === 'openid').map((i) => i.value)) {
          const tries = await cache.get<AttemptsDoc>('linkAttempts', consumerTriesId(services, openid));
          if (!tries) continue;
          const failures = tries.failures.filter((t) => now - Date.parse(t) < DAY_MS);
          if (failures.length) cache.put('linkAttempts', { _id: tries._id, failures } satisfies AttemptsDoc);
          else cache.remove('linkAttempts', tries._id);
        }
      }
      // how they joined (scenes/join.ts), kept under each WeChat record that joined (and under the
      // member's id by earlier versions): a recruit who left is none (a guide erasing and binding one
      // phone again would count it each time). Removed even when absent: the removal claims the id,
      // so a join committing beside this one collides with it on CloudBase and runs again, finding
      // no one bound.
      const touches = [...wechatIdsOf(member, current), ...(member ? [member._id] : [])];
      for (const id of touches) cache.remove('attributions', id);
      // A channel card that came without an opening balance gets one of 0 points: a later file
      // bringing the card back carries a balance that counts the orders credited here already, and
      // an opening enters once per card (identity/import.ts), so it must find one entered.
      const at = new Date(services.clock.now()).toISOString();
      const unopened: OpeningInput[] = [];
      for (const record of records) {
        if (record.channel === 'wechat' || record._id.startsWith(BUYER_PREFIX)) continue;
        if (!(await cache.get(COLLECTION.ledger, `migrate:${record._id}`))) unopened.push({ recordId: record._id, points: 0, growth: 0, at });
      }
      await postOpeningBalances(cache, services, unopened);
      // the phone's orders from now on go to a buyer record of a new era, whoever holds the number next
      for (const record of records) if (record._id.startsWith(BUYER_PREFIX)) nextBuyerEra(cache, record);
      await applyRecordChanges(cache, services, records.map((before) => ({ before, after: null })));
      if (member) {
        const tombstone: MemberDoc = { _id: member._id, status: 'deleted', records: [], createdAt: member.createdAt, mergedInto: null };
        await tx.set('members', { ...tombstone, deletedAt: new Date(services.clock.now()).toISOString() });
        // the erased records' accounts keep their totals but belong to no one
        await syncMemberAccounts(tx, services, [{ memberId: member._id, recordIds: [] }, { memberId: null, recordIds }]);
      }
      // the member's own first touches went above (they may have come after the queries)
      for (const doc of trail.docs) if (!(doc.collection === 'attributions' && touches.includes(doc.id))) await tx.remove(doc.collection, doc.id);
      return true;
    });
    if (erased) {
      // a phone-code claim committed between the queries and the transaction (no trail counts a
      // claim: a send that fails leaves the record as it was) whose send never finished. A claim reads
      // the WeChat record (wechat.ts), so none is made after this on SQLite; on CloudBase, whose reads
      // claim nothing, one made at the same moment may be left, holding no phone, its send refused
      for (const id of trail.counts.keys()) {
        for await (const doc of allDocs<Doc>(store, 'phoneCodes', { where: { recordId: id }, pageSize: MAX_PAGE })) {
          // still the erased record's: the code's document is another's once the consumer, logged in
          // again as a new WeChat record, has claimed or bound that code since the query
          await store.transaction(async (tx) => { if ((await tx.get<Doc & { recordId?: string }>('phoneCodes', doc._id))?.recordId === id) await tx.remove('phoneCodes', doc._id); });
        }
      }
      return { deleted: true };
    }
  }
  throw new AppError('CONFLICT', 'the account kept changing during erasure; try again');
}
