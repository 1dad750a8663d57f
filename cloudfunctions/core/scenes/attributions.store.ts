import type { MemberDoc, RecordDoc } from '../identity/graph.store';
import type { Getter } from '../identity/lookup';
import type { AttributionDoc } from './attribution';

export const ATTRIBUTIONS = 'attributions';

/**
 * The first touches of a member: one under each of its WeChat records that joined (a merge or an
 * unmerge moves the record, and its first touch with it), and those earlier versions kept under the
 * id of the member a record joined as (`homeMemberId`, which a merge may have absorbed since) or
 * under this member's id, when they name one of its records. Oldest first: the first is the
 * member's first touch. Reads by id only, so it runs inside a transaction.
 */
export async function firstTouchesOf(get: Getter, member: MemberDoc): Promise<AttributionDoc[]> {
  const ids = new Set<string>();
  // one read after another: a CloudBase transaction is one session, not for requests side by side
  for (const id of member.records.filter((record) => record.startsWith('wechat:'))) {
    ids.add(id);
    const home = (await get<RecordDoc>('records', id))?.homeMemberId;
    if (home) ids.add(home);
  }
  ids.add(member._id);
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
