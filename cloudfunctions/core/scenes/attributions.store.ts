import type { MemberDoc } from '../identity/graph.store';
import type { Getter } from '../identity/lookup';
import type { AttributionDoc } from './attribution';

export const ATTRIBUTIONS = 'attributions';

/**
 * The first touches of a member: one under each of its WeChat records that joined (a merge or an
 * unmerge moves the record, and its first touch with it), and one an earlier version kept under
 * the member's own id. Oldest first: the first is the member's first touch. Reads by id only, so
 * it runs inside a transaction.
 */
export async function firstTouchesOf(get: Getter, member: MemberDoc): Promise<AttributionDoc[]> {
  const touches: AttributionDoc[] = [];
  // one read after another: a CloudBase transaction is one session, not for requests side by side
  for (const id of [...member.records.filter((record) => record.startsWith('wechat:')), member._id]) {
    const touch = await get<AttributionDoc>(ATTRIBUTIONS, id);
    if (touch) touches.push(touch);
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
