import { importFileInBatches, ORDER_COLUMNS, type FileImportOptions, type RowItem, type RowPlan, type RowPlanner } from '../channels/rows';
import { PointsSession, type MemberRef } from '../points/accounts.store';
import { earnRateOf, type EarnRate } from '../points/config';
import { earnHash, earnIn, MAX_POINTS, reverseHash, reverseIn, type EarnInput, type ReverseInput } from '../points/ledger';
import { canonicalJson, orderEarning, refundAtEarnedRate } from '../points/rules';
import { COLLECTION, type LedgerEntry } from '../points/types';
import type { Services } from '../runtime/services';
import { BUYER_PREFIX, buyerRecordId, ensurePhoneBuyers, phoneSetAside, withoutEra } from '../identity/buyers';
import { blockedPhoneKeys, identityRules } from '../identity/identity.rules';
import { CHANNEL, checkImportChannel } from '../identity/records';
import { phoneKeyFromSha256 } from '../identity/normalize';
import { buyerKeyOfRow, parseOrderRow, text, type Order } from './parse';

/**
 * `import orders --channel CH --file F`: each paid order earns once, at its
 * paidAt (`order:CH:ID`); a refund takes back once (`refund:CH:ID`), from that
 * order's points first. A batch of rows is one transaction through one ledger
 * session, so an account that appears many times is read and written once.
 *
 * Orders of buyers whose channel record is not imported yet are kept: the
 * points wait on the record's account (member: none yet) and the member sees
 * them as soon as identity imports the record. A buyer known only by phone
 * gets a buyer record of that phone (identity/buyers.ts), which joins the
 * member holding the phone, now or when one binds it. Re-importing a file changes
 * nothing, also after the brand changed its earn rate; an order whose content
 * changed since (another amount, buyer or paidAt, another refund) is rejected
 * as `order_changed` / `refund_changed`.
 */

export interface OrderImportSummary {
  read: number;
  /** Orders that earned now. */
  credited: number;
  /** Refunds taken back now. */
  refunded: number;
  /**
   * Of `refunded`: rows refunding an order imported before. Every row read counts once in
   * `credited`, `refundedEarlier`, `unchanged` or `rejected`.
   */
  refundedEarlier: number;
  /** Rows already imported with the same content (nothing written). */
  unchanged: number;
  /** Of `credited`: orders whose buyer has no member yet (points wait on the account). */
  pending: number;
  rejected: number;
  points: number;
  /** Of `points`: points of orders whose lot was due before they were imported (expired as they entered). */
  expiredPoints: number;
  reversedPoints: number;
  reasons: Record<string, number>;
}

export interface OrderReject {
  line: number;
  reason: string;
  orderId?: string;
}

export const emptyOrderSummary = (): OrderImportSummary => ({
  read: 0, credited: 0, refunded: 0, refundedEarlier: 0, unchanged: 0, pending: 0, rejected: 0, points: 0, expiredPoints: 0, reversedPoints: 0, reasons: {},
});

type Outcome =
  | { line: number; reject: string; orderId?: string }
  | { line: number; credited: boolean; refunded: boolean; pending: boolean; points: number; expired: number; reversed: number };


/**
 * An order row made ready for its transaction, or rejected. Flat (strings and
 * numbers only), so handing it over from the reading thread is cheap; the
 * ledger inputs are rebuilt from it by `orderEntries`.
 */
export type PlannedOrder =
  | { line: number; reject: string; orderId?: string }
  | (Order & {
    line: number;
    /** The buyer's phone key when the row has no channel member id. */
    phoneKey: string | null;
    /** Content hashes of the earn and of the refund ('' without one). */
    earnHash: string;
    reverseHash: string;
  });

export interface OrderPlanContext {
  channel: string;
  rate: EarnRate;
  /** When the import started (ISO): the refund time of a refund the file does not date, and the "future" check of paidAt. */
  now: string;
  phoneHashKey: Uint8Array;
  /** Keys of the blocked phones (`blockedPhoneKeys`): an order known only by one has no buyer. */
  blockedPhoneKeys: string[];
  /** Rows grouped by buyer at a time (default DEFAULT_WINDOW_ROWS). */
  windowRows?: number;
}

/** The ledger inputs of an order: its earn and, if refunded, the reversal. */
function orderEntries(order: Order, phoneKey: string | null, { channel, rate, now }: Pick<OrderPlanContext, 'channel' | 'rate' | 'now'>): { earn: EarnInput; reverse: ReverseInput | null } {
  const earnKey = `order:${channel}:${order.orderId}`;
  const earn: EarnInput = {
    key: earnKey, accountId: order.channelMemberId ? `${channel}:${order.channelMemberId}` : buyerRecordId(channel, phoneKey!), ...orderEarning(order.amountFen, rate), at: order.paidAt,
    source: { channel, ref: order.orderId, detail: { amountFen: order.amountFen, paidAt: order.paidAt, storeId: order.storeId } },
  };
  const reverse: ReverseInput | null = order.refundFen > 0
    ? {
      key: `refund:${channel}:${order.orderId}`, of: earnKey, ...orderEarning(order.refundFen, rate), at: order.refundedAt ?? now,
      source: { channel, ref: order.orderId, detail: { refundFen: order.refundFen } },
    }
    : null;
  return { earn, reverse };
}

/** What makes an order the same order: its buyer's account (a phone's, in any era), when it was paid, its amount and store (`source.detail`). */
const orderFacts = (earn: Pick<EarnInput, 'accountId' | 'at' | 'source'>) => canonicalJson({ accountId: withoutEra(earn.accountId), at: earn.at, source: earn.source });
/** What makes a refund the same refund: the order and the amount refunded (its time may be the import's). */
const refundFacts = (refund: { of?: string; source: ReverseInput['source'] }) => canonicalJson({ of: refund.of, source: refund.source });

/**
 * Parsing, keys and content hashes of each order row: pure, so it runs in the
 * import's reading thread; rows are grouped by buyer (see `buyerGroups`).
 */
export function planOrderRows(context: OrderPlanContext): RowPlan<PlannedOrder> {
  const hashKey = Buffer.from(context.phoneHashKey);
  const blocked = new Set(context.blockedPhoneKeys);
  return {
    grouping: { keysForWindow: buyerGroups, windowRows: context.windowRows },
    prepare(item) {
      if (!item.row) return { line: item.line, reject: item.error ?? 'malformed_line' };
      const parsed = parseOrderRow(item.row, context.now);
      if (!parsed.order) {
        const orderId = text(item.row.orderId)?.slice(0, 64);
        return { line: item.line, reject: parsed.reject, orderId };
      }
      const order = parsed.order;
      const phoneKey = order.buyerPhoneSha256 ? phoneKeyFromSha256(hashKey, order.buyerPhoneSha256) : null;
      // A placeholder typed for walk-in customers (13800138000) is nobody's: its points could never
      // reach anyone, and every such order would pile onto one account.
      if (phoneKey && blocked.has(phoneKey)) return { line: item.line, reject: 'buyer_phone_blocked', orderId: order.orderId };
      const { earn, reverse } = orderEntries(order, phoneKey, context);
      // the ledger refuses an entry this large, which would abort the whole batch: reject the row alone
      if (earn.points > MAX_POINTS || earn.growth > MAX_POINTS) return { line: item.line, reject: 'amount_invalid', orderId: order.orderId };
      return { ...order, line: item.line, phoneKey, earnHash: earnHash('earn', earn), reverseHash: reverse ? reverseHash(reverse) : '' };
    },
  };
}

/**
 * A refund as the order earned: planned at today's earn rate, it takes back the
 * share of the order's credit the refunded yuan brought when the order was
 * credited under another rate.
 */
async function atEarnedRate(session: PointsSession, earn: EarnInput, reverse: ReverseInput, order: Order, hash: string): Promise<[ReverseInput, string]> {
  const credited = await session.entry(earn.key);
  if (!credited || (credited.points === earn.points && credited.growth === earn.growth)) return [reverse, hash];
  const asEarned = { ...reverse, ...refundAtEarnedRate(credited, order.amountFen, order.refundFen) };
  return [asEarned, reverseHash(asEarned)];
}

/** Imports one batch of planned rows in one transaction and adds what happened to `summary` once it committed. */
export async function importPlannedOrders(services: Services, context: OrderPlanContext, rows: PlannedOrder[], summary: OrderImportSummary, rejects: OrderReject[]): Promise<void> {
  const { channel } = context;
  const early: Outcome[] = [];
  const planned: { line: number; order: Order; phoneKey: string | null; earn: EarnInput; reverse: ReverseInput | null; hashes: { earn: string; reverse: string } }[] = [];
  for (const row of rows) {
    if ('reject' in row) {
      early.push(row);
      continue;
    }
    const { line, phoneKey, earnHash: earn, reverseHash: reverse, ...order } = row;
    planned.push({ line, order, phoneKey, ...orderEntries(order, phoneKey, context), hashes: { earn, reverse } });
  }

  const rules = identityRules(services);
  const outcomes = await services.store.transaction(async (tx) => {
    const session = new PointsSession(tx, services);
    // Read what the batch needs collection by collection in id order: each index is walked once, front to back.
    await session.prefetch(COLLECTION.ledger, planned.flatMap((p) => (p.reverse ? [p.earn.key, p.reverse.key] : [p.earn.key])));

    // Refuse changed orders before anything is written (a rejected row must not even create its
    // phone buyer), comparing with the ledger and with the rows before it in this batch.
    const done: Outcome[] = [...early];
    const accepted: typeof planned = [];
    const hashes = new Map<string, string>();
    /** Rows earning now whose buyer is known only by phone. */
    const phoneBuyers: typeof planned = [];
    // Whether the entry at `key` is this row's: undefined when there is none yet. A stored entry
    // whose hash differs may still be the same order or refund, hashed with the points of the
    // earn rate then: the rate is the brand's to change, the order's own facts are what count.
    const sameAs = async <T>(key: string, hash: string, mine: T, factsOf: (entry: T | LedgerEntry) => string): Promise<boolean | undefined> => {
      const inBatch = hashes.get(key);
      if (inBatch !== undefined) return inBatch === hash;
      const stored = await session.entry(key);
      return stored ? stored.hash === hash || factsOf(stored) === factsOf(mine) : undefined;
    };
    for (const p of planned) {
      const earnSame = await sameAs(p.earn.key, p.hashes.earn, p.earn, orderFacts);
      const refundSame = p.reverse ? await sameAs(p.reverse.key, p.hashes.reverse, p.reverse, refundFacts) : undefined;
      const reject = earnSame === false ? 'order_changed' : refundSame === false ? 'refund_changed' : null;
      if (reject) {
        done.push({ line: p.line, reject, orderId: p.order.orderId });
        continue;
      }
      // buyers of orders that earn now only: an order already in the ledger has its account
      if (earnSame === undefined && p.phoneKey) {
        if (await phoneSetAside(tx, rules, p.phoneKey)) {
          done.push({ line: p.line, reject: 'buyer_phone_shared', orderId: p.order.orderId });
          continue;
        }
        phoneBuyers.push(p);
      }
      hashes.set(p.earn.key, p.hashes.earn);
      if (p.reverse) hashes.set(p.reverse.key, p.hashes.reverse);
      accepted.push(p);
    }

    if (phoneBuyers.length) {
      // a phone whose buyer erasure took away buys under a record of a later era (identity/buyers.ts)
      const buyers = await ensurePhoneBuyers(tx, services, channel, phoneBuyers.map((p) => p.phoneKey!));
      for (const p of phoneBuyers) {
        const buyer = buyers.get(p.phoneKey!)!;
        if (buyer === p.earn.accountId) continue;
        p.earn = { ...p.earn, accountId: buyer };
        p.hashes.earn = earnHash('earn', p.earn);
      }
    }
    const accountIds = accepted.map((p) => p.earn.accountId);
    const accounts = await session.prefetch(COLLECTION.accounts, accountIds);
    const records = await session.prefetch('records', accountIds.filter((id) => !accounts.has(id)));
    const members = new Set<string>();
    /** Members of buyers known by phone alone: whether someone holding the phone is there yet (below). */
    const phoneMembers = new Set<string>();
    for (const doc of [...accounts.values(), ...records.values()]) {
      if (typeof doc.memberId !== 'string') continue;
      members.add(doc.memberId);
      if (doc._id.startsWith(BUYER_PREFIX)) phoneMembers.add(doc.memberId);
    }
    await session.prefetch(COLLECTION.balances, members);
    await session.prefetch('members', phoneMembers);

    for (const { line, order, earn, reverse, hashes: own } of accepted) {
      const earned = (await session.entry(earn.key)) !== null;
      const reversed = reverse ? (await session.entry(reverse.key)) !== null : false;
      let pending = false;
      let expired = 0;
      if (!earned) {
        const { entry } = await earnIn(session, earn, { hash: own.earn });
        // a buyer known by phone alone has a member of its own until someone holding the phone is there
        pending = entry.memberId === null
          || (earn.accountId.startsWith(BUYER_PREFIX) && ((await session.get<MemberRef>('members', entry.memberId))?.records ?? []).every((id) => id.startsWith(BUYER_PREFIX)));
        // a lot due when it opened expired at once (ledger.ts creditIn): no read needed to know
        expired = entry.lot && entry.lot.expiresAt <= session.now ? entry.lot.points : 0;
      }
      const back = reverse && !reversed ? (await reverseIn(session, ...(await atEarnedRate(session, earn, reverse, order, own.reverse)))).entry : null;
      done.push({ line, credited: !earned, refunded: back !== null, pending, points: earned ? 0 : earn.points, expired, reversed: back ? -back.points : 0 });
    }
    await session.flush();
    return done;
  });

  outcomes.sort((a, b) => a.line - b.line);
  for (const outcome of outcomes) {
    summary.read++;
    if ('reject' in outcome) {
      summary.rejected++;
      summary.reasons[outcome.reject] = (summary.reasons[outcome.reject] ?? 0) + 1;
      rejects.push({ line: outcome.line, reason: outcome.reject, ...(outcome.orderId ? { orderId: outcome.orderId } : {}) });
      continue;
    }
    if (outcome.credited) summary.credited++;
    if (outcome.refunded) summary.refunded++;
    if (outcome.refunded && !outcome.credited) summary.refundedEarlier++;
    if (!outcome.credited && !outcome.refunded) summary.unchanged++;
    if (outcome.pending) summary.pending++;
    summary.points += outcome.points;
    summary.expiredPoints += outcome.expired;
    summary.reversedPoints += outcome.reversed;
  }
}

export interface ImportOrdersOptions extends FileImportOptions<OrderImportSummary> {
  channel: string;
  /** Rows sorted by buyer at a time (default DEFAULT_WINDOW_ROWS). */
  windowRows?: number;
}

/**
 * Orders are imported grouped by buyer (the file's order kept within a buyer):
 * a buyer's orders then share one read and one write of the account and the
 * member's balance. Orders of different buyers touch different accounts, and
 * balances are sums, so the order across buyers changes nothing. Every row of
 * one order id joins the group of the first row with that id, so when a file
 * gives one order to two buyers, the earlier line still wins, as in file order.
 */
function buyerGroups(): (item: RowItem) => string {
  const firstBuyer = new Map<string, string>();
  return (item) => {
    if (!item.row) return '';
    const buyer = buyerKeyOfRow(item.row);
    const orderId = text(item.row.orderId);
    if (!orderId) return buyer;
    const first = firstBuyer.get(orderId);
    if (first !== undefined) return first;
    firstBuyer.set(orderId, buyer);
    return buyer;
  };
}

export async function importOrdersFile(services: Services, options: ImportOrdersOptions): Promise<OrderImportSummary & { rejectsFile: string | null }> {
  if (!CHANNEL.test(options.channel) || options.channel === 'wechat') {
    throw new Error(`channel must be 2-16 lowercase letters or digits (not wechat), got ${options.channel}`);
  }
  checkImportChannel(options.channel, services.config.identity.priority);
  const summary = emptyOrderSummary();
  const context: OrderPlanContext = {
    channel: options.channel,
    rate: earnRateOf(services.config.points, options.channel),
    now: new Date(services.clock.now()).toISOString(),
    phoneHashKey: services.secrets.phoneHashKey,
    blockedPhoneKeys: blockedPhoneKeys(services),
    windowRows: options.windowRows,
  };
  const planner: RowPlanner<OrderPlanContext, PlannedOrder> = { module: __filename, name: planOrderRows.name, create: planOrderRows, context };
  const rejectsFile = await importFileInBatches({ ...options, requiredColumns: ['orderId'], readColumns: ORDER_COLUMNS }, summary, planner, (batch, rejects: OrderReject[]) =>
    importPlannedOrders(services, context, batch, summary, rejects));
  return { ...summary, rejectsFile };
}
