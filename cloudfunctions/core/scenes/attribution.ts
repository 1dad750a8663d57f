import { BUYER_PREFIX } from '../identity/buyers';
import type { Doc } from '../store/port';
import type { Resolved } from './resolve';

/**
 * `attributions/{wechatRecordId}`: how a member first came in (first touch), written once, under
 * the WeChat record that joined: the credit of the guide and their store, the store, or the
 * campaign it names (report guides counts them). Kept by record, not by member, since a merge or
 * an unmerge moves records between members and the first touch must go with the consumer who
 * scanned. (Earlier versions kept it under the member's id.) Pure rules: what the document says.
 */
export interface AttributionDoc extends Doc {
  /** The member the record was in when it joined (the report follows `recordId`, which a merge moves). */
  memberId: string;
  /** The `wechat:` record that joined. */
  recordId: string;
  kind: Resolved['kind'];
  channel: 'wechat';
  storeId: string | null;
  guideId: string | null;
  campaignId: string | null;
  sku: string | null;
  at: string;
  /** The package card the member scanned last (bindOrder's default campaign); first touch or not. */
  lastCampaignId: string | null;
  /** When that card was scanned (absent: at the first touch, or before it was kept). */
  lastCampaignAt?: string;
  /**
   * Whether the scene brought the member in (they first bound a phone within JOIN_WINDOW_MS
   * before): the guide's, store's or campaign's credit. false: a member for longer, whose first
   * scene scanned is kept but credits no one. Absent on attributions written before: all were.
   */
  recruit?: boolean;
  /**
   * Already a member of another channel (a Tmall, store or JD card) when joining, as far as was known
   * then; the report also finds a card imported later that says it joined before.
   */
  alreadyMember?: boolean;
  /** The channel cards the member held when joining (absent on attributions written before). */
  cards?: string[];
}

/**
 * How long after first binding a phone a consumer's first join still counts as the scene's
 * recruit: the page joins right after binding, and a join it kept (no signal, a crowd colliding)
 * is sent the next time a page finds the member joined.
 */
export const JOIN_WINDOW_MS = 7 * 24 * 3600_000;

/**
 * Whether a join at `now` is the joining of a member whose WeChat records first bound a phone
 * at these times (undefined: bound before the time was kept, long ago): all within the window,
 * so a member of long standing who binds their phone again from a second WeChat is no recruit.
 */
export const joinedNow = (phoneBoundAts: (string | undefined)[], now: number) =>
  phoneBoundAts.length > 0 && phoneBoundAts.every((at) => at !== undefined && now - Date.parse(at) <= JOIN_WINDOW_MS);

export interface AttributionView {
  kind: Resolved['kind'];
  storeId: string | null;
  guideId: string | null;
  campaignId: string | null;
  at: string;
}

/** A channel membership the brand knew the person by (a Tmall, store or JD card…), not the mini-program's own record nor an order's phone-only buyer. */
export const isChannelCard = (recordId: string) => !recordId.startsWith('wechat:') && !recordId.startsWith(BUYER_PREFIX);

export function attributionFrom(resolved: Resolved, memberId: string, recordId: string, at: string, joining: { recruit: boolean; alreadyMember: boolean; cards: string[] }): AttributionDoc {
  return {
    _id: recordId, memberId, recordId, kind: resolved.kind, channel: 'wechat', ...joining,
    storeId: resolved.kind === 'guide' || resolved.kind === 'store' ? resolved.storeId : null,
    guideId: resolved.kind === 'guide' ? resolved.guideId : null,
    campaignId: resolved.kind === 'packageCard' ? resolved.campaignId : null,
    sku: resolved.kind === 'product' ? resolved.sku : null,
    at,
    // an ended card is no card an order can be bound through
    lastCampaignId: resolved.kind === 'packageCard' && !resolved.ended ? resolved.campaignId : null,
  };
}

export const viewOf = (doc: AttributionDoc): AttributionView => ({ kind: doc.kind, storeId: doc.storeId, guideId: doc.guideId, campaignId: doc.campaignId, at: doc.at });
