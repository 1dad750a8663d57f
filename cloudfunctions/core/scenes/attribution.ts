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
}

export interface AttributionView {
  kind: Resolved['kind'];
  storeId: string | null;
  guideId: string | null;
  campaignId: string | null;
  at: string;
}

export function attributionFrom(resolved: Resolved, memberId: string, recordId: string, at: string): AttributionDoc {
  return {
    _id: memberId, memberId, recordId, kind: resolved.kind, channel: 'wechat',
    storeId: resolved.kind === 'guide' || resolved.kind === 'store' ? resolved.storeId : null,
    guideId: resolved.kind === 'guide' ? resolved.guideId : null,
    campaignId: resolved.kind === 'packageCard' ? resolved.campaignId : null,
    sku: resolved.kind === 'product' ? resolved.sku : null,
    at,
    lastCampaignId: resolved.kind === 'packageCard' ? resolved.campaignId : null,
  };
}

export const viewOf = (doc: AttributionDoc): AttributionView => ({ kind: doc.kind, storeId: doc.storeId, guideId: doc.guideId, campaignId: doc.campaignId, at: doc.at });
