import type { MemberDoc, MergeDoc, RecordDoc } from '../identity/graph.store';
import type { Getter } from '../identity/lookup';
import { allDocs } from '../store/all-docs';
import type { DocStore } from '../store/port';
import type { AttributionDoc } from './attribution';

export const ATTRIBUTIONS = 'attributions';

/** Most members found absorbed into one (merges of merges): a member of more is a shared value's doing anyway. */
const ABSORBED_CAP = 100;

/**
 * The member and those merged into it, and into those, by merges in force: where earlier versions
 * kept first touches (`attributions/<memberId>`, the member a record joined as). A query, so it
 * runs before a transaction; the member itself is listed, since a merge committing between the
 * query and the transaction may take it away from the member the transaction finds.
 */
export async function membersAbsorbedBy(store: DocStore, memberId: string): Promise<string[]> {
  const found: string[] = [memberId];
  for (let next = 1, at: string | undefined = memberId; at !== undefined && found.length < ABSORBED_CAP; at = found[next++]) {
    // every merge into it: undone merges and splits are kept, so those in force may come after any number of them
    for await (const merge of allDocs<MergeDoc>(store, 'merges', { where: { survivor: at } })) {
      if (merge.kind === 'merge' && !merge.undoneAt && !found.includes(merge.absorbed)) found.push(merge.absorbed);
    }
  }
  return found.slice(0, ABSORBED_CAP);
}

/**
 * The first touches of a member: one under each of its WeChat records that joined (a merge or an
 * unmerge moves the record, and its first touch with it), and those earlier versions kept under the
 * id of a member: the one a record first joined as (`homeMemberId`), this one, or one merged into it
 * (`absorbed`, from membersAbsorbedBy), when they name one of its records. Oldest first: the first
 * is the member's first touch. Reads by id only, so it runs inside a transaction.
 */
export async function firstTouchesOf(get: Getter, member: MemberDoc, absorbed: string[] = []): Promise<AttributionDoc[]> {
  const ids = new Set<string>();
  // one read after another: a CloudBase transaction is one session, not for requests side by side
  for (const id of member.records.filter((record) => record.startsWith('wechat:'))) {
    ids.add(id);
    const home = (await get<RecordDoc>('records', id))?.homeMemberId;
    if (home) ids.add(home);
  }
  ids.add(member._id);
  for (const id of absorbed) ids.add(id);
  const touches: AttributionDoc[] = [];
  for (const id of ids) {
    const touch = await get<AttributionDoc>(ATTRIBUTIONS, id);
    if (touch && member.records.includes(touch.recordId)) touches.push(touch);
  }
  return touches.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a._id < b._id ? -1 : 1));
}

/** A first touch's last package card: documents written before `lastCampaignId` was kept have only their first one. */
const cardOf = (touch: AttributionDoc): string | null => (touch.lastCampaignId === undefined ? touch.campaignId : touch.lastCampaignId);

/** The package card the member scanned last (bindOrder's default campaign), if any. */
export function lastCardOf(touches: AttributionDoc[]): string | null {
  const when = (touch: AttributionDoc) => touch.lastCampaignAt ?? touch.at;
  const latest = touches.filter(cardOf).sort((a, b) => (when(a) < when(b) ? -1 : when(a) > when(b) ? 1 : 0)).at(-1);
  return latest ? cardOf(latest) : null;
}
