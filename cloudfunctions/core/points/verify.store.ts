import { BUYER_PREFIX } from '../identity/buyers';
import { brandChannels } from '../identity/records';
import { levelFor } from '../levels/rules';
import { waitingMarked } from '../orders/waiting.store';
import type { Services } from '../runtime/services';
import { allDocs } from '../store/all-docs';
import { readingSnapshot, type Doc, type DocStore } from '../store/port';
import { channelOfAccount, waitsForBuyer, type MemberRef } from './accounts.store';
import { canonicalJson, entryProblems, nextExpiryOf, Projector, stateProblems, storedReversed, type ProjectedAccount } from './rules';
import { COLLECTION, type AccountDoc, type BalanceDoc, type LedgerEntry } from './types';

export interface Difference {
  /**
   * entry: an entry that does not add up; account, balance: a projection that is not what the ledger
   * says; pointer: an account attached to the wrong member; waiting: an account whose mark for
   * `orders waiting` (`waitingChannel`, `waitingSince`) is not what its buyer's documents say.
   */
  kind: 'entry' | 'account' | 'balance' | 'pointer' | 'waiting';
  id: string;
  problem: string;
}

export interface VerifyReport {
  entries: number;
  accounts: number;
  balances: number;
  members: number;
  /** How many differences were found (details keeps the first `maxDetails`). */
  differences: number;
  details: Difference[];
}

/** A whole collection in `orderBy` order, a thousand documents a page. */
const scan = <T extends Doc>(store: DocStore, collection: string, orderBy = '_id') => allDocs<T>(store, collection, { orderBy, pageSize: 1000 });

const lotsOf = (state: { lots: AccountDoc['lots'] }) => canonicalJson(state.lots.map((l) => [l.id, l.points, l.remaining, l.expiresAt]));

/**
 * `maxDetails`: how many differences `details` keeps (default 100); `onDifference`: called with every
 * difference as it is found, so a caller can list them all without holding them.
 */
export interface VerifyOptions {
  maxDetails?: number;
  onDifference?: (difference: Difference) => void;
}

/**
 * `points verify`: recomputes every account and every member balance from the
 * ledger alone and reports where the stored projections differ, plus entries
 * that do not add up, accounts attached to a member that does not list
 * their record, and accounts whose `orders waiting` mark is not what their buyer's documents say. Reads outside transactions, in one snapshot where the store has them (SQLite):
 * an entry committed while it reads (the server answering a scan) would otherwise show as a
 * balance the ledger does not explain.
 */
export async function verifyPoints(services: Services, options: VerifyOptions = {}): Promise<VerifyReport> {
  const reading = readingSnapshot(services.store);
  try {
    return await verifyAll({ ...services, store: reading.store }, options);
  } finally {
    reading.release();
  }
}

async function verifyAll(services: Services, options: VerifyOptions): Promise<VerifyReport> {
  const store = services.store;
  const max = options.maxDetails ?? 100;
  const report: VerifyReport = { entries: 0, accounts: 0, balances: 0, members: 0, differences: 0, details: [] };
  const add = (difference: Difference) => {
    report.differences++;
    options.onDifference?.(difference);
    if (report.details.length < max) report.details.push(difference);
  };

  const empty: ProjectedAccount = { points: 0, growth: 0, lots: [], reversed: {}, entries: 0 };
  const compareAccount = (account: AccountDoc, expected: ProjectedAccount) => {
    const compare = (field: string, stored: unknown, ledger: unknown) => {
      if (stored !== ledger) add({ kind: 'account', id: account._id, problem: `${field} is ${String(stored)}, the ledger says ${String(ledger)}` });
    };
    compare('points', account.points, expected.points);
    compare('growth', account.growth, expected.growth);
    compare('entries', account.entries, expected.entries);
    compare('lots', lotsOf(account), lotsOf(expected));
    compare('reversed', canonicalJson(storedReversed(account.reversed)), canonicalJson(expected.reversed));
    compare('nextExpiry', account.nextExpiry, nextExpiryOf(expected.lots));
  };

  // The ledger one account at a time (in account order): each account's lots are projected,
  // compared and dropped, so memory holds two numbers per account, not every lot of the brand.
  const totals = new Map<string, { points: number; growth: number }>();
  let projector = new Projector();
  let current: string | null = null;
  const settle = async () => {
    if (current === null) return;
    const { accounts: projected, orphanAllocations } = projector.finish();
    for (const orphan of orphanAllocations) add({ kind: 'entry', id: orphan, problem: 'allocation from a lot no entry opened' });
    const expected = projected.get(current) ?? empty;
    totals.set(current, { points: expected.points, growth: expected.growth });
    const stored = await store.get<AccountDoc>(COLLECTION.accounts, current);
    if (stored) compareAccount(stored, expected);
    else add({ kind: 'account', id: current, problem: 'has ledger entries but no account document' });
    projector = new Projector();
  };
  for await (const entry of scan<LedgerEntry>(store, COLLECTION.ledger, 'accountId')) {
    if (entry.accountId !== current) {
      await settle();
      current = entry.accountId;
    }
    report.entries++;
    for (const problem of entryProblems(entry)) add({ kind: 'entry', id: entry._id, problem });
    projector.add(entry);
  }
  await settle();

  // An account's mark for `orders waiting`, against its buyer's documents, as each account is read.
  // Until the first listing marked the accounts that waited before accounts were marked so, one of
  // those may wait unmarked: a database of an earlier version is not broken for it. A mark where no
  // one waits is wrong either way (the listing would show the buyer).
  const marked = await waitingMarked(store);
  const orderChannels = new Set(brandChannels(services.config.identity.priority));
  const get = store.get.bind(store);
  const compareWaiting = async (account: AccountDoc) => {
    const waits = await waitsForBuyer(get, orderChannels, account);
    const { waitingChannel, waitingSince } = account;
    const channel = channelOfAccount(account._id);
    if (waits && waitingChannel == null && waitingSince == null) {
      const why = account._id.startsWith(BUYER_PREFIX) ? 'a buyer known by phone alone, no one holding the phone yet' : 'of no member, its record never imported';
      if (marked) add({ kind: 'waiting', id: account._id, problem: `waits for its buyer (${why}), but has no waitingChannel mark: orders waiting does not list it` });
    } else if (waits && (waitingChannel !== channel || typeof waitingSince !== 'string')) {
      add({ kind: 'waiting', id: account._id, problem: `waits for its buyer, marked waitingChannel ${String(waitingChannel)} and waitingSince ${String(waitingSince)}, where its channel is ${channel} and waitingSince a time` });
    } else if (!waits && (waitingChannel != null || waitingSince != null)) {
      // the listing reads waitingChannel, an order channel's: a waitingSince alone is listed by none
      const listed = waitingChannel != null && orderChannels.has(waitingChannel);
      add({ kind: 'waiting', id: account._id, problem: `marked waitingChannel ${String(waitingChannel)}, but waits for no buyer${listed ? ': orders waiting lists it' : ''}` });
    }
  };

  const attached = new Map<string, string | null>();
  for await (const account of scan<AccountDoc>(store, COLLECTION.accounts)) {
    report.accounts++;
    attached.set(account._id, account.memberId);
    if (!totals.has(account._id)) compareAccount(account, empty);
    for (const problem of stateProblems(account)) add({ kind: 'account', id: account._id, problem });
    await compareWaiting(account);
  }

  // Balances: an active member's is the sum of the accounts of the records it lists; any other member's is zero.
  const owners = new Map<string, string>();
  const active = new Set<string>();
  const expectedBalances = new Map<string, { points: number; growth: number; owed: number }>();
  for await (const member of scan<MemberRef>(store, 'members')) {
    report.members++;
    if (member.status !== 'active') continue;
    active.add(member._id);
    const total = { points: 0, growth: 0, owed: 0 };
    for (const recordId of new Set(member.records ?? [])) {
      owners.set(recordId, member._id);
      const account = totals.get(recordId);
      if (!account) continue;
      total.points += account.points;
      total.growth += account.growth;
      total.owed += Math.max(0, -account.points);
    }
    expectedBalances.set(member._id, total);
  }
  for (const [accountId, memberId] of attached) {
    const owner = owners.get(accountId);
    if (owner !== undefined && memberId !== owner) add({ kind: 'pointer', id: accountId, problem: `attached to ${memberId}, but ${owner} holds its record` });
    if (owner === undefined && memberId && active.has(memberId)) add({ kind: 'pointer', id: accountId, problem: `attached to ${memberId}, which does not hold its record` });
  }

  const levels = services.config.levels;
  const seen = new Set<string>();
  for await (const balance of scan<BalanceDoc>(store, COLLECTION.balances)) {
    report.balances++;
    seen.add(balance._id);
    const expected = expectedBalances.get(balance._id) ?? { points: 0, growth: 0, owed: 0 };
    for (const field of ['points', 'growth', 'owed'] as const) {
      if (balance[field] !== expected[field]) add({ kind: 'balance', id: balance._id, problem: `${field} is ${balance[field]}, the ledger says ${expected[field]}` });
    }
    const level = levelFor(expected.growth, levels).code;
    if (balance.level !== level) add({ kind: 'balance', id: balance._id, problem: `level is ${balance.level}, growth ${expected.growth} gives ${level} (after a change of level thresholds in the config, points relevel sets them)` });
  }
  for (const [memberId, expected] of expectedBalances) {
    // every active member has one from its creation: points move it by blind increments
    if (!seen.has(memberId)) add({ kind: 'balance', id: memberId, problem: `no balance document; the ledger says ${expected.points} points` });
  }
  return report;
}
