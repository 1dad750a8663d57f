import { boundRecord } from '../codes/redeem';
import { hasPhone, liveMember, type WechatRecordDoc } from '../identity/lookup';
import { AppError } from '../runtime/errors';
import type { Services } from '../runtime/services';
import { TxCache } from '../store/tx-cache';
import { attributionFrom, isChannelCard, joinedNow, viewOf, type AttributionView } from './attribution';
import { ATTRIBUTIONS, firstTouchesOf, lastCardOf, membersAbsorbedBy } from './attributions.store';
import type { GuideDoc } from './places';
import { GUIDES } from './places.store';
import { resolveScene, type Resolved } from './resolve';

export interface JoinResult extends AttributionView {
  /** True when this call recorded the member's first touch as the scene's recruit; false when it was recorded before, or the member joined long before. */
  attributed: boolean;
}

/**
 * `scenes.join`: records how the caller's member first came in (channel,
 * store, guide, campaign, time), once per member, under the caller's WeChat
 * record (attributions.store.ts): the attribution is the
 * guide's, the store's or the campaign's credit when the scene brought them
 * in, that is when they first bound a phone within a week before (`attributed`).
 * A member for longer who scans a guide's code at the till is no one's
 * recruit: the scene is kept as theirs, crediting no one. A later join through any
 * scene answers the first attribution and changes nothing (but a package
 * card's campaign is remembered for bindOrder). Needs a bound
 * phone: a recruit counts when they become a member the brand can reach.
 * Throws INVALID_INPUT, NOT_FOUND, CODE_INVALID, CODE_EXPIRED, NOT_BOUND.
 */
export async function joinScene(services: Services, openid: string, input: { scene?: string; q?: string }): Promise<JoinResult> {
  // a product link is checked under the caller's invalid-scan limit, as codes.redeem checks it
  const resolved = await resolveScene(services, input, openid);
  const record = await boundRecord(services, openid);
  const at = new Date(services.clock.now()).toISOString();
  // where earlier versions kept a first touch of the member: found by query, before the transaction
  const absorbed = await membersAbsorbedBy(services.store, (await liveMember(services.store.get.bind(services.store), record.memberId))?._id ?? record.memberId);

  return services.store.transaction(async (tx) => {
    // The caller's record and member, read in the transaction: a consumer erasing themselves
    // meanwhile (the page sends a join it kept, whichever page is open) leaves no record, and no
    // first touch may name them; one merged meanwhile joins as the member they are now. Erasure
    // removes the attribution's id even when absent, so on CloudBase a join and an erasure
    // committing side by side collide, and the one run again sees the other.
    // reads through a cache: the member's WeChat records are read for its first touches and again for its joining
    const get = new TxCache(tx).get;
    const current = await get<WechatRecordDoc>('records', record._id);
    const member = current && hasPhone(current) ? await liveMember(get, current.memberId) : null;
    if (!current || !member) throw new AppError('NOT_BOUND', 'bind a phone to join');
    // the member's first touch, through whichever of its WeChat records joined (one merged into it
    // since included; one an unmerge took away is no longer the member's)
    const touches = await firstTouchesOf(get, member, absorbed);
    const earlier = touches[0];
    if (earlier) {
      // not a first touch, but the package card in hand is the one an order is bound through next:
      // kept on the caller's own first touch if they have one (an unmerge takes it with them)
      if (resolved.kind === 'packageCard' && !resolved.ended && lastCardOf(touches) !== resolved.campaignId) {
        const own = touches.find((touch) => touch._id === record._id) ?? earlier;
        await tx.update(ATTRIBUTIONS, own._id, { lastCampaignId: resolved.campaignId, lastCampaignAt: at });
      }
      return { attributed: false, ...viewOf(earlier) };
    }
    // Read again where the guide is credited: one who left since the scene was read hands the
    // recruit to the store. (A `guides left` committing beside this transaction on CloudBase is as
    // if the guide left just after the join, which keeps the credit: a valid order of the two.)
    const touch: Resolved = resolved.kind === 'guide' && (await tx.get<GuideDoc>(GUIDES, resolved.guideId))?.status !== 'active'
      ? { kind: 'store', storeId: resolved.storeId, storeName: resolved.storeName }
      : resolved;
    // every WeChat of the member that bound a phone: a second one of a member of long standing is no new member
    // one read after another: a CloudBase transaction is one session, not for requests side by side
    const wechats: WechatRecordDoc[] = [];
    for (const id of member.records.filter((other) => other.startsWith('wechat:') && other !== record._id)) {
      const other = await get<WechatRecordDoc>('records', id);
      if (other !== null && hasPhone(other)) wechats.push(other);
    }
    const recruit = joinedNow([current, ...wechats].map((r) => r.phoneBoundAt), services.clock.now());
    // a channel card (Tmall, store, JD…) joined through the phone: the brand knew them before the guide did
    const cards = member.records.filter(isChannelCard);
    const attribution = attributionFrom(touch, member._id, record._id, at, { recruit, alreadyMember: cards.length > 0, cards });
    // the attribution is the credit (report guides counts them): no store, guide or campaign
    // counter is written here, which every join at an in-store event would collide on
    await tx.create(ATTRIBUTIONS, attribution);
    return { attributed: recruit, ...viewOf(attribution) };
  });
}
