import { normalizePhone, normalizePhoneSha256, phoneSha256 } from '../identity/normalize';
import { text } from '../identity/records';
import { BEIJING_OFFSET_MS, parseBeijingTime } from '../points/time';

/**
 * One order row (ARCHITECTURE §4 columns) as an order, or the reason it is
 * rejected. Pure: money is integer fen, parsed from text without floats.
 */

export interface Order {
  orderId: string;
  /** The buyer's channel member id, or null when the file knows the buyer only by phone. */
  channelMemberId: string | null;
  /** sha256 of the buyer's 11 digits, when there is no channel member id. */
  buyerPhoneSha256: string | null;
  amountFen: number;
  /** 0 when nothing was refunded. */
  refundFen: number;
  /** ISO UTC. */
  paidAt: string;
  /** When the refund happened, if the file says (ISO UTC). */
  refundedAt: string | null;
  storeId: string | null;
}

export type OrderOutcome = { order: Order; reject?: undefined } | { order?: undefined; reject: string };

const ORDER_ID = /^[A-Za-z0-9][A-Za-z0-9_\-.]{0,63}$/;
/** The same shape identity accepts for a channel member id. */
const MEMBER_ID = /^[A-Za-z0-9][A-Za-z0-9_\-.:@]{0,63}$/;
const STORE_ID = /^[A-Za-z0-9][A-Za-z0-9_\-.]{0,31}$/;
const MAX_FEN = 1e13;
/** Orders paid more than this after "now" are a wrong clock or a wrong column. */
const FUTURE_SLACK_MS = 24 * 3600 * 1000;

/** A cell as text, as the member import reads it (one rule for both imports). */
export { text };

/**
 * `12`, `12.5`, `12.50`, `¥12.50`, `1,299.00` (Excel's thousands separators, in groups of three)
 * yuan as fen; null if not an amount.
 */
export function yuanToFen(input: string): number | null {
  const m = /^[¥￥]?\s*(\d{1,3}(?:,\d{3})+|\d{1,13})(?:\.(\d{0,2}))?$/.exec(input);
  if (!m) return null;
  const whole = m[1]!.replace(/,/g, '');
  if (whole.length > 13) return null;
  return Number(whole) * 100 + Number((m[2] ?? '').padEnd(2, '0'));
}

function fenField(value: string | undefined): number | null | undefined {
  if (value === undefined) return undefined;
  return /^\d{1,14}$/.test(value) && Number(value) <= MAX_FEN ? Number(value) : null;
}

export function parseOrderRow(row: Record<string, unknown>, now: string): OrderOutcome {
  const orderId = text(row.orderId);
  if (!orderId) return { reject: 'order_id_missing' };
  if (!ORDER_ID.test(orderId)) return { reject: 'order_id_invalid' };

  const channelMemberId = text(row.channelMemberId) ?? null;
  let buyerPhoneSha256: string | null = null;
  if (!channelMemberId) {
    const phone = text(row.phone);
    const sha = text(row.phoneSha256);
    if (!phone && !sha) return { reject: 'buyer_missing' };
    const normalized = phone ? normalizePhone(phone) : null;
    buyerPhoneSha256 = normalized ? phoneSha256(normalized) : sha ? normalizePhoneSha256(sha) : null;
    if (!buyerPhoneSha256) return { reject: 'buyer_phone_invalid' };
  } else if (!MEMBER_ID.test(channelMemberId)) return { reject: 'channel_member_id_invalid' };

  const fen = fenField(text(row.amountFen));
  const yuan = text(row.amount);
  const fromYuan = yuan === undefined ? undefined : yuanToFen(yuan);
  if (fen === null || fromYuan === null) return { reject: 'amount_invalid' };
  if (fen === undefined && fromYuan === undefined) return { reject: 'amount_missing' };
  if (fen !== undefined && fromYuan !== undefined && fen !== fromYuan) return { reject: 'amount_mismatch' };
  const amountFen = (fen ?? fromYuan)!;
  if (amountFen > MAX_FEN) return { reject: 'amount_invalid' };

  const status = (text(row.status) ?? 'paid').toLowerCase();
  if (status !== 'paid' && status !== 'refunded') return { reject: 'status_not_paid_or_refunded' };
  const refundText = text(row.refundFen);
  let refundFen = fenField(refundText);
  if (refundFen === null) return { reject: 'refund_invalid' };
  if (refundFen === undefined) refundFen = status === 'refunded' ? amountFen : 0;
  if (refundFen > amountFen) return { reject: 'refund_exceeds_amount' };
  if (status === 'refunded' && refundFen === 0) return { reject: 'refund_invalid' };

  const paidText = text(row.paidAt);
  if (!paidText) return { reject: 'paid_at_missing' };
  const paidAt = parseBeijingTime(paidText);
  if (!paidAt) return { reject: 'paid_at_invalid' };
  if (Date.parse(paidAt) > Date.parse(now) + FUTURE_SLACK_MS) return { reject: 'paid_at_in_future' };
  const refundedText = text(row.refundedAt);
  let refundedAt = refundedText ? parseBeijingTime(refundedText) : null;
  if (refundedText && !refundedAt) return { reject: 'refunded_at_invalid' };
  if (refundedAt && refundedAt < paidAt) {
    // An export giving the refund's date alone, or a refund system's clock a little
    // behind the shop's, dates it before its payment on the same day: record it at
    // the payment. A day before is a wrong date, which once imported stands.
    if (beijingDay(refundedAt) < beijingDay(paidAt)) return { reject: 'refunded_before_paid' };
    refundedAt = paidAt;
  }
  // a refund dated ahead would sit at the top of the member's history until then
  if (refundedAt && Date.parse(refundedAt) > Date.parse(now) + FUTURE_SLACK_MS) return { reject: 'refunded_at_in_future' };

  const store = text(row.storeId);
  if (store && !STORE_ID.test(store)) return { reject: 'store_id_invalid' };
  return { order: { orderId, channelMemberId, buyerPhoneSha256, amountFen, refundFen, paidAt, refundedAt, storeId: store ?? null } };
}

const DAY_MS = 86_400_000;
const beijingDay = (iso: string): number => Math.floor((Date.parse(iso) + BEIJING_OFFSET_MS) / DAY_MS);

/**
 * Which buyer a row is for, as written (the membership id, else the phone in
 * canonical form, else the partner's phone hash); '' if none. Used only to
 * import a buyer's rows together, so an odd spelling costs speed, never points.
 */
export function buyerKeyOfRow(row: Record<string, unknown>): string {
  const id = text(row.channelMemberId);
  if (id) return `m:${id}`;
  const phone = text(row.phone);
  const normalized = phone ? normalizePhone(phone) : null;
  if (normalized) return `p:${normalized}`;
  const sha = text(row.phoneSha256);
  return sha ? `h:${sha.toLowerCase()}` : '';
}
