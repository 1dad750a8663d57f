import { boundRecord } from '../codes/redeem';
import { liveMember, type Getter } from '../identity/lookup';
import { PointsSession } from '../points/accounts.store';
import { availableNow } from '../points/summary.store';
import { earnIn } from '../points/ledger';
import { AppError } from '../runtime/errors';
import type { Services } from '../runtime/services';
import { StoreConflictError, type Doc } from '../store/port';
import { limiterFor } from '../codes/rate-limit';
import { firstTouchesOf, lastCardOf, membersAbsorbedBy } from './attributions.store';
import { campaignEnded, ordersFromOf } from './places';
import { CAMPAIGNS, getCampaign } from './places.store';
import { findImportedOrder, fullyRefunded } from './orders.store';

export const CARD_ORDERS = 'cardOrders';

/** `cardOrders/{platform}:{orderId}`: an order bound through a package card, once. */
export interface CardOrderDoc extends Doc {
  platform: string;
  orderId: string;
  campaignId: string;
  recordId: string;
  memberId: string;
  points: number;
  at: string;
  /** The page's attempt that bound it, when it named one. */
  requestId?: string;
}

export interface BindOrderResult {
  platform: string;
  orderId: string;
  campaignId: string;
  points: number;
  available: number;
  /** When the order was bound: a retry answers the first binding's time. */
  boundAt: string;
  /** The member had bound it before, in another attempt than this request's `requestId`: nothing was added now. */
  repeated: boolean;
}

async function replay(services: Services, bound: CardOrderDoc, memberId: string, requestId: string | undefined): Promise<BindOrderResult> {
  const available = await availableNow(services, memberId);
  const repeated = !requestId || bound.requestId !== requestId;
  return { platform: bound.platform, orderId: bound.orderId, campaignId: bound.campaignId, points: bound.points, available, boundAt: bound.at, repeated };
}

/** Order ids a caller may try in an hour that turn out not to be theirs (a buyer mistyping theirs needs a few). */
export const WRONG_ORDERS_PER_HOUR = 10;
const orderLimiterOf = (services: Services) => limiterFor(services.store, 'orders', WRONG_ORDERS_PER_HOUR);

const tooManyOrders = () => new AppError('RATE_LIMITED', 'too many order numbers that are not yours: try again later');

/** Told only to the order's buyer: bound by a member they are no longer one with. */
const boundAlready = () => new AppError('CONFLICT', 'this order was already bound', { reason: 'bound' });

/**
 * `scenes.bindOrder`: the package card's promise. The order must have been
 * imported for that platform and bought by this member (its buyer's channel
 * record is one of the member's records: joined through the phone or the
 * Tmall id). It earns its campaign's bonus once per order; the same member's
 * retry answers the first result (`repeated` unless it carries the `requestId` of the attempt
 * that bound it).
 * The campaign is `campaignId`, else the package card the member last joined
 * through (scenes.join). Throws NOT_BOUND, INVALID_INPUT (no campaign; the
 * platform is not the campaign's), NOT_FOUND (campaign or
 * order), CODE_EXPIRED (campaign ended), FORBIDDEN (another member's order;
 * the caller's own order with details.reason `refunded`, `before_campaign` (paid
 * before the campaign's `ordersFrom`, given in details) or `unpaid` (0 paid)), CONFLICT
 * (the caller's order, bound already by another member, with details.reason
 * `bound`; without it, the binding collided with others too often: retry), RATE_LIMITED
 * (more than WRONG_ORDERS_PER_HOUR order ids that were not the caller's). Whether someone
 * else's order exists, was bound or refunded is not told.
 */
export async function bindOrder(services: Services, openid: string, input: { platform: string; orderId: string; campaignId?: string; requestId?: string }): Promise<BindOrderResult> {
  const get: Getter = services.store.get.bind(services.store);
  const record = await boundRecord(services, openid);
  const member = await liveMember(get, record.memberId);
  if (!member) throw new AppError('NOT_BOUND', 'bind a phone to earn points');
  const id = `${input.platform}:${input.orderId}`;

  /** Bound by this caller: the same WeChat record, or the member that bound it is (or was merged into) the caller's. */
  const boundByCaller = async (bound: CardOrderDoc) =>
    bound.recordId === record._id || (await liveMember(get, bound.memberId))?._id === member._id;

  const earlier = await services.store.get<CardOrderDoc>(CARD_ORDERS, id);
  if (earlier && (await boundByCaller(earlier))) return replay(services, earlier, member._id, input.requestId);

  const campaignId = input.campaignId ?? (lastCardOf(await firstTouchesOf(get, member, await membersAbsorbedBy(services.store, member._id))) ?? undefined);
  if (!campaignId) throw new AppError('INVALID_INPUT', 'campaignId is required: scan the package card first');
  const campaign = await getCampaign(services.store, campaignId);
  if (!campaign) throw new AppError('NOT_FOUND', 'unknown package card campaign');
  if (campaign.platform !== input.platform) throw new AppError('INVALID_INPUT', `this card is for ${campaign.platform} orders`);
  if (campaignEnded(campaign, services.clock.now())) throw new AppError('CODE_EXPIRED', 'this package card campaign has ended');

  // an order id that is no order of the caller's: counted, so that trying ids one after another
  // (which tells those that exist, FORBIDDEN, from those that do not) is slow
  const limiter = orderLimiterOf(services);
  const now = services.clock.now();
  if (limiter.blocked(openid, now)) throw tooManyOrders();
  const order = await findImportedOrder(get, input.platform, input.orderId);
  if (!order) {
    // tries sent side by side all passed the check above: the one past the limit is stopped here
    if (!limiter.admitDistinct(openid, id, now)) throw tooManyOrders();
    throw new AppError('NOT_FOUND', 'no such order (orders appear once imported)');
  }
  const buyer = await get<{ _id: string; memberId: string | null }>('records', order.buyerRecordId);
  const buyerMember = buyer ? await liveMember(get, buyer.memberId) : null;
  if (buyerMember?._id !== member._id) {
    if (!limiter.admitDistinct(openid, id, now)) throw tooManyOrders();
    throw new AppError('FORBIDDEN', 'this order is not linked to your membership');
  }
  // Only its buyer learns that an order was bound (by a member they were once merged with) or refunded.
  if (earlier) throw boundAlready();
  const refunded = () => new AppError('FORBIDDEN', 'this order was refunded', { reason: 'refunded' });
  if (fullyRefunded(order)) throw refunded();
  // A card rides in the parcel of an order paid while its print run shipped: an older order (any
  // in the member's history, under whichever card pays most) could not have carried it.
  const ordersFrom = ordersFromOf(campaign);
  if (order.paidAt < ordersFrom) throw new AppError('FORBIDDEN', 'this order was paid before the package card campaign', { reason: 'before_campaign', ordersFrom });
  if (order.amountFen === 0) throw new AppError('FORBIDDEN', 'nothing was paid for this order', { reason: 'unpaid' });

  const at = new Date(services.clock.now()).toISOString();
  const bound: CardOrderDoc = {
    _id: id, platform: input.platform, orderId: input.orderId, campaignId: campaign._id, recordId: record._id, memberId: member._id, points: campaign.bonus, at,
    ...(input.requestId ? { requestId: input.requestId } : {}),
  };
  try {
    const credited = await services.store.transaction(async (tx) => {
      // The refund is read again where the bonus is earned: one imported since the order was read
      // stops it. (One committing beside this transaction on CloudBase is as if imported just after
      // the binding, which keeps its bonus: the refund import reads nothing the binding writes.)
      const imported = await findImportedOrder(tx.get.bind(tx), input.platform, input.orderId);
      if (imported && fullyRefunded(imported)) throw refunded();
      // the buyer is read again too: an unmerge or a card unlink since the check makes it someone else's
      const txGet: Getter = tx.get.bind(tx);
      const caller = await txGet<Doc & { memberId: string | null }>('records', record._id);
      const callerMember = caller ? await liveMember(txGet, caller.memberId) : null;
      if (!callerMember) throw new AppError('NOT_BOUND', 'bind a phone to earn points');
      const buyerNow = await txGet<Doc & { memberId: string | null }>('records', order.buyerRecordId);
      if (!buyerNow || (await liveMember(txGet, buyerNow.memberId))?._id !== callerMember._id) {
        throw new AppError('FORBIDDEN', 'this order is not linked to your membership');
      }
      // under the member the caller is in now: an unmerge since the check may have taken them back to their own
      await tx.create(CARD_ORDERS, { ...bound, memberId: callerMember._id });
      const session = new PointsSession(tx, services);
      const { entry } = await earnIn(session, {
        key: `card:${id}`, accountId: record._id, points: campaign.bonus, growth: 0, at,
        source: { channel: 'card', ref: id, detail: { campaignId: campaign._id } }, note: campaign.name,
      }, { settle: true });
      // the consumer's record was erased after it was read: the order stays unbound, for no one
      if (!entry.memberId) throw new AppError('NOT_BOUND', 'bind a phone to earn points');
      const balance = (await session.balance(entry.memberId)).points;
      // no campaign counter: every binding through one card run would collide on it
      await session.flush();
      return { memberId: entry.memberId, balance };
    });
    const available = await availableNow(services, credited.memberId, credited.balance);
    return { platform: input.platform, orderId: input.orderId, campaignId: campaign._id, points: campaign.bonus, available, boundAt: at, repeated: false };
  } catch (error) {
    if (!(error instanceof StoreConflictError)) throw error;
    const first = await services.store.get<CardOrderDoc>(CARD_ORDERS, id);
    if (first && (await boundByCaller(first))) return replay(services, first, member._id, input.requestId);
    if (first) throw boundAlready();
    // not bound by anyone: the transaction kept colliding with another writing what it writes, retry
    throw error;
  }
}
