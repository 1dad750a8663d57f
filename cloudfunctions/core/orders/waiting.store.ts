import { BUYER_PREFIX } from '../identity/buyers';
import { brandChannels, CHANNEL } from '../identity/records';
import { channelOfAccount, waitsForBuyer } from '../points/accounts.store';
import { COLLECTION, type AccountDoc, type LedgerEntry } from '../points/types';
import { AppError } from '../runtime/errors';
import type { Services } from '../runtime/services';
import { allDocs } from '../store/all-docs';
import { decodeCursor, encodeCursor } from '../store/cursor';
import { StoreQueryError, type DocStore } from '../store/port';

/**
 * `orders waiting`: the orders whose points wait for their buyer (docs/imports.md, Buyers not imported yet are kept, not rejected; docs/cli.md, orders waiting), read off
 * the accounts' `waitingChannel` + `waitingSince` index, a page of buyers at a time, and each buyer's
 * orders off the ledger's `accountId` + `at` index: nothing is read whole, however many wait.
 */

/** Enough of a phone's keyed hash to find it in `members export`; none of the number (as `members shared`). */
const HASH_SHOWN = 8;

/** A buyer whose orders wait. */
export interface WaitingBuyer {
  accountId: string;
  channel: string;
  /**
   * As an operator may see it: the channel member id, or `phone <start of its keyed hash>…` for a
   * buyer known by phone alone (never the number).
   */
  buyer: string;
  since: string;
  /** Points waiting on the account (its balance). */
  points: number;
  /** For a channel member id: the same id imported in other channels (`offline:T1`), a sign of a wrong --channel. */
  elsewhere: string[];
}

/** One waiting order. */
export interface WaitingOrder {
  orderId: string;
  amountFen: number | null;
  paidAt: string;
  points: number;
  /** What a refund imported since took back, if any. */
  refundFen: number | null;
}

/** Per channel: the buyers waiting and their points; whether any member of that channel was ever imported. */
export interface WaitingTotals {
  channel: string;
  buyers: number;
  /** Of `buyers`: those known by phone alone (they join by phone, whatever the channel's members). */
  byPhone: number;
  points: number;
  /** False: no record of this channel at all, so its buyers by member id can reach no one yet (a wrong --channel?). */
  channelHasMembers: boolean;
}

/** The brand's channels an order file may come from (config identity.priority, identifier types left out). */
const orderChannels = (services: Services): string[] => brandChannels(services.config.identity.priority);

/** The buyer as the listing names it. */
function buyerOf(accountId: string, channel: string): string {
  if (accountId.startsWith(BUYER_PREFIX)) {
    const key = accountId.slice(BUYER_PREFIX.length + channel.length + 1).replace(/~\d+$/, '');
    return `phone ${key.slice(0, HASH_SHOWN)}…`;
  }
  return accountId.slice(channel.length + 1);
}

/** Whether any document of `collection` has an id starting with `prefix`: one seek on the id. */
async function anyIdStartingWith(store: DocStore, collection: string, prefix: string): Promise<boolean> {
  const page = await store.query(collection, { limit: 1, cursor: encodeCursor({ value: prefix, id: prefix }) });
  return page.items.length > 0 && page.items[0]!._id.startsWith(prefix);
}

/** A cursor a page of `orders waiting` gave out: the last buyer's waiting time and account. */
export function isWaitingCursor(cursor: string): boolean {
  try {
    const { value, id } = decodeCursor(cursor);
    return typeof value === 'string' && CHANNEL.test(channelOfAccount(id));
  } catch {
    return false;
  }
}

/**
 * Up to `limit` buyers whose orders wait, channel by channel (in the order of identity.priority, or
 * `channel` alone), each channel oldest first, after `cursor` (one a page before gave), and the cursor
 * of the next page.
 */
export async function listWaitingBuyers(
  services: Services,
  options: { channel?: string; limit: number; cursor?: string | null },
): Promise<{ buyers: WaitingBuyer[]; nextCursor: string | null }> {
  const { store } = services;
  const channels = options.channel ? [options.channel] : orderChannels(services);
  let cursor = options.cursor ?? null;
  let start = 0;
  if (cursor) {
    if (!isWaitingCursor(cursor)) throw new StoreQueryError('malformed cursor');
    const of = channelOfAccount(decodeCursor(cursor).id);
    start = channels.indexOf(of);
    if (start < 0) throw new AppError('INVALID_INPUT', `--after is a cursor of the ${of} orders waiting, not of --channel ${channels.join(', ')}: run the command the page before printed`);
  }
  const buyers: WaitingBuyer[] = [];
  for (let i = start; i < channels.length; i++) {
    const channel = channels[i]!;
    const page = await store.query<AccountDoc>(COLLECTION.accounts, {
      where: { waitingChannel: channel }, orderBy: 'waitingSince', limit: options.limit - buyers.length, cursor: i === start ? cursor : null,
    });
    for (const account of page.items) {
      const buyer = buyerOf(account._id, channel);
      const elsewhere: string[] = [];
      if (!account._id.startsWith(BUYER_PREFIX)) {
        for (const other of orderChannels(services)) {
          if (other !== channel && (await store.get('records', `${other}:${buyer}`))) elsewhere.push(`${other}:${buyer}`);
        }
      }
      buyers.push({ accountId: account._id, channel, buyer, since: account.waitingSince!, points: account.points, elsewhere });
    }
    if (page.nextCursor) return { buyers, nextCursor: page.nextCursor };
    if (buyers.length === options.limit) {
      // the page is full at the end of this channel: a next page only if a later channel has any
      for (const later of channels.slice(i + 1)) {
        const one = await store.query(COLLECTION.accounts, { where: { waitingChannel: later }, orderBy: 'waitingSince', limit: 1 });
        if (one.items.length) {
          const last = buyers[buyers.length - 1]!;
          return { buyers, nextCursor: encodeCursor({ value: last.since, id: last.accountId }) };
        }
      }
      return { buyers, nextCursor: null };
    }
  }
  return { buyers, nextCursor: null };
}

/** A buyer's waiting orders, oldest paid first, read a page of its ledger at a time. */
export async function* waitingOrdersOf(services: Services, accountId: string): AsyncGenerator<WaitingOrder> {
  for await (const entry of allDocs<LedgerEntry>(services.store, COLLECTION.ledger, { where: { accountId }, orderBy: 'at', pageSize: 1000 })) {
    if (entry.kind !== 'earn' || !entry._id.startsWith('order:')) continue;
    const amountFen = entry.source.detail?.amountFen;
    const refund = await services.store.get<LedgerEntry>(COLLECTION.ledger, `refund:${entry.source.channel}:${entry.source.ref}`);
    const refundFen = refund?.source.detail?.refundFen;
    yield {
      orderId: entry.source.ref, amountFen: typeof amountFen === 'number' ? amountFen : null, paidAt: entry.at, points: entry.points,
      refundFen: typeof refundFen === 'number' ? refundFen : null,
    };
  }
}

/** `settings/waitingMarked`: the accounts that waited before they were listed so have been marked (once per database). */
const MARKED = 'waitingMarked';

/** The documents a database this version starts is made with, by collection: it holds no data for them. */
export const STARTED_WITH: Record<string, readonly string[]> = { settings: [MARKED] };

/**
 * Whether every account that waits carries its mark: once the first listing marked those that began
 * to wait before accounts were marked so (until then an account of an earlier version may wait unmarked).
 */
export async function waitingMarked(store: DocStore): Promise<boolean> {
  return !!(await store.get('settings', MARKED));
}

/**
 * Once per database, before its first listing: marks the accounts that began to wait before this
 * version listed them (no `waitingChannel`): those of no one whose card was never imported, and those
 * of buyers known by phone alone whose member holds buyers alone. Reads every account a page at a
 * time; only those of no member, or of a buyer, are looked at further. Their wait is dated by the
 * first of their orders recorded (all their entries read, a page at a time).
 */
export async function markEarlierWaiting(services: Services): Promise<number> {
  const { store } = services;
  if (await waitingMarked(store)) return 0;
  const channels = new Set(orderChannels(services));
  let marked = 0;
  const candidates = async (ids: string[]) => {
    const since = new Map<string, string>();
    for (const id of ids) {
      // every entry, a page at a time: an order paid before the first recorded may be recorded after it
      let recorded: string | undefined;
      for await (const e of allDocs<LedgerEntry>(store, COLLECTION.ledger, { where: { accountId: id }, orderBy: 'at', pageSize: 1000 })) {
        if (e.kind === 'earn' && e._id.startsWith('order:') && e.recordedAt && (recorded === undefined || e.recordedAt < recorded)) recorded = e.recordedAt;
      }
      since.set(id, recorded ?? new Date(services.clock.now()).toISOString());
    }
    marked += await store.transaction(async (tx) => {
      let n = 0;
      for (const id of ids) {
        const account = await tx.get<AccountDoc>(COLLECTION.accounts, id);
        if (!account || account.waitingChannel) continue;
        // a card never imported (erasure leaves an opening on each card it takes away), or a buyer known
        // by phone whose member holds buyers alone (one of no member was erased: its phone buys anew)
        if (!(await waitsForBuyer(tx.get.bind(tx), channels, account))) continue;
        await tx.set(COLLECTION.accounts, { ...account, waitingChannel: channelOfAccount(id), waitingSince: since.get(id)! });
        n++;
      }
      return n;
    });
  };
  // accounts of the channels orders come from alone: a WeChat record's account (codes scanned) of a
  // consumer who erased themselves is of no member, its record gone, and waits for no order
  let page: string[] = [];
  for await (const account of allDocs<AccountDoc>(store, COLLECTION.accounts, { pageSize: 1000 })) {
    if (account.waitingChannel || !(account.memberId === null || account._id.startsWith(BUYER_PREFIX))) continue;
    if (!channels.has(channelOfAccount(account._id))) continue;
    page.push(account._id);
    if (page.length === 500) {
      await candidates(page);
      page = [];
    }
  }
  if (page.length) await candidates(page);
  await recordWaitingMarked(services);
  return marked;
}

/**
 * Records that every account waiting carries its mark, once. Written by the first listing, once it
 * marked the accounts of an earlier version, or as this version starts a database: it has no account
 * of an earlier version, each of its own being marked as it begins to wait, so `points verify`
 * reports a missing mark from the first one on.
 */
export async function recordWaitingMarked(services: Pick<Services, 'store' | 'clock'>): Promise<void> {
  await services.store.transaction(async (tx) => {
    if (!(await tx.get('settings', MARKED))) await tx.create('settings', { _id: MARKED, at: new Date(services.clock.now()).toISOString() });
  });
}

/** Per channel with buyers waiting (or `channel` alone): how many, their points, and whether the channel has any member. */
export async function waitingTotals(services: Services, channel?: string): Promise<WaitingTotals[]> {
  const totals: WaitingTotals[] = [];
  for (const ch of channel ? [channel] : orderChannels(services)) {
    let buyers = 0;
    let byPhone = 0;
    let points = 0;
    for await (const account of allDocs<AccountDoc>(services.store, COLLECTION.accounts, { where: { waitingChannel: ch }, orderBy: 'waitingSince', pageSize: 1000 })) {
      buyers++;
      if (account._id.startsWith(BUYER_PREFIX)) byPhone++;
      points += account.points;
    }
    if (buyers === 0) continue;
    totals.push({ channel: ch, buyers, byPhone, points, channelHasMembers: await anyIdStartingWith(services.store, 'records', `${ch}:`) });
  }
  return totals;
}
