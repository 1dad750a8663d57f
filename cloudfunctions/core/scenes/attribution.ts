import type { Doc } from '../store/port';
import type { Resolved } from './resolve';

/**
 * `attributions/{memberId}`: how a member first came in (first touch), written
 * once: the credit of the guide and their store, the store, or the campaign it
 * names (report guides counts them). Pure rules: what the document says.
 */
export interface AttributionDoc extends Doc {
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
  /**
   * Whether the scene brought the member in (they bound their phone within JOIN_WINDOW_MS
   * before): the guide's, store's or campaign's credit. false: a member for longer, whose first
   * scene scanned is kept but credits no one. Absent on attributions written before: all were.
   */
  recruit?: boolean;
  /** Already a member of another channel (a Tmall or store card) when joining: counted apart from new members. */
  alreadyMember?: boolean;
}

/** How long after binding their phone a consumer's first join still counts as the scene's recruit (a join the page keeps for a later try comes the next time the app opens). */
export const JOIN_WINDOW_MS = 24 * 3600_000;

/** Whether a join at `now` is the joining of a consumer who bound their phone at `phoneBoundAt`. */
export const joinedNow = (phoneBoundAt: string | undefined, now: number) => phoneBoundAt !== undefined && now - Date.parse(phoneBoundAt) <= JOIN_WINDOW_MS;

export interface AttributionView {
  kind: Resolved['kind'];
  storeId: string | null;
  guideId: string | null;
  campaignId: string | null;
  at: string;
}

export function attributionFrom(resolved: Resolved, memberId: string, recordId: string, at: string, joining: { recruit: boolean; alreadyMember: boolean }): AttributionDoc {
  return {
    _id: memberId, memberId, recordId, kind: resolved.kind, channel: 'wechat', ...joining,
    storeId: resolved.kind === 'guide' || resolved.kind === 'store' ? resolved.storeId : null,
    guideId: resolved.kind === 'guide' ? resolved.guideId : null,
    campaignId: resolved.kind === 'packageCard' ? resolved.campaignId : null,
    sku: resolved.kind === 'product' ? resolved.sku : null,
    at,
    lastCampaignId: resolved.kind === 'packageCard' ? resolved.campaignId : null,
  };
}

export const viewOf = (doc: AttributionDoc): AttributionView => ({ kind: doc.kind, storeId: doc.storeId, guideId: doc.guideId, campaignId: doc.campaignId, at: doc.at });
