import { levelFor } from '../levels/rules';
import type { Services } from '../runtime/services';
import type { Doc, Tx } from '../store/port';
import { TxCache } from '../store/tx-cache';
import { nextExpiryOf, storedReversed, type AccountState } from './rules';
import { COLLECTION, NEVER, type AccountDoc, type BalanceDoc, type LedgerEntry } from './types';

import type { Getter } from '../identity/lookup';
import { BUYER_PREFIX } from '../identity/buyers';

export type { Getter };
export { liveMember } from '../identity/lookup';

/** The fields of identity's documents this capability reads (identity owns them). */
export interface RecordRef extends Doc {
  memberId: string | null;
}
export interface MemberRef extends Doc {
  status: 'active' | 'merged' | 'deleted';
  records?: string[];
  mergedInto?: string | null;
}

/**
 * Ledger work inside one transaction, over a TxCache: every document is read
 * once and written once, so a batch of a thousand imported orders touching the
 * same account reads and writes it once; new ledger entries are written with
 * `create`. Given a Tx, the session owns its cache and `flush` writes it; given
 * the caller's TxCache (identity's, in the same transaction), the caller
 * flushes. Doc-id operations only (CloudBase allows nothing else inside a
 * transaction).
 */
export class PointsSession {
  readonly cache: TxCache;
  private readonly ownsCache: boolean;
  readonly now: string;

  constructor(target: Tx | TxCache, readonly services: Services) {
    this.ownsCache = !(target instanceof TxCache);
    this.cache = target instanceof TxCache ? target : new TxCache(target);
    this.now = new Date(services.clock.now()).toISOString();
  }

  readonly get: Getter = (collection, id) => this.cache.get(collection, id);

  /** Reads many documents of one collection in id order (cached like `get`); returns those that exist. */
  prefetch<T extends Doc>(collection: string, ids: Iterable<string>): Promise<Map<string, T>> {
    return this.cache.getMany<T>(collection, ids);
  }

  private put(collection: string, doc: Doc, create = false): void {
    if (create) this.cache.create(collection, doc);
    else this.cache.put(collection, doc);
  }

  entry = (key: string) => this.get<LedgerEntry>(COLLECTION.ledger, key);

  /** Adds a new entry (written with `create` at flush). */
  addEntry(entry: LedgerEntry): void {
    this.put(COLLECTION.ledger, entry, true);
  }

  /** The account, or a new empty one whose member is its record's member (null if not imported yet). */
  async account(accountId: string): Promise<AccountDoc> {
    const found = await this.get<AccountDoc>(COLLECTION.accounts, accountId);
    if (found) return found;
    const record = await this.get<RecordRef>('records', accountId);
    // No record yet: the account waits for its member. Removing the absent record claims its id, so
    // on CloudBase an import creating the record meanwhile (which finds no account to attach) conflicts
    // instead of leaving these points with no member; a record put later in this transaction wins.
    if (!record) this.cache.remove('records', accountId);
    // a buyer known by phone alone waits too while its member holds buyers alone (no one holding the phone yet)
    const waits = !record || (!!record.memberId && accountId.startsWith(BUYER_PREFIX)
      && buyersAlone((await this.get<MemberRef>('members', record.memberId))?.records ?? []));
    return {
      _id: accountId, memberId: record?.memberId ?? null, points: 0, growth: 0, lots: [], nextExpiry: NEVER,
      reversed: {}, entries: 0, updatedAt: this.now, ...(waits ? waitingFields(accountId, this.now) : {}),
    };
  }

  /**
   * Stores the account's new state after one entry and moves the member's
   * balance by the difference, in the same transaction.
   */
  async commitAccount(before: AccountDoc, next: AccountState): Promise<AccountDoc> {
    const after: AccountDoc = {
      ...before, ...next, reversed: storedReversed(next.reversed), nextExpiry: nextExpiryOf(next.lots), entries: before.entries + 1, updatedAt: this.now,
    };
    if (before.memberId) {
      const points = after.points - before.points;
      const growth = after.growth - before.growth;
      const owed = Math.max(0, -after.points) - Math.max(0, -before.points);
      if (growth === 0 && !this.cache.isLoaded(COLLECTION.balances, before.memberId)) {
        // The level moves only with growth, and every member's balance exists from its
        // creation (identity writes it): a blind increment, one write and no read. Should
        // one be missing all the same, it is rebuilt from the member's accounts.
        const memberId = before.memberId;
        this.cache.increment(COLLECTION.balances, memberId, { points, owed }, { updatedAt: this.now }, async () => {
          const member = await this.get<MemberRef>('members', memberId);
          return this.sumAccounts(memberId, member?.records ?? []);
        });
      } else {
        const balance = await this.balance(before.memberId);
        this.putBalance({ ...balance, points: balance.points + points, growth: balance.growth + growth, owed: balance.owed + owed });
      }
    }
    this.put(COLLECTION.accounts, after);
    return after;
  }

  /** The member's balance; rebuilt from its accounts if it was never written. */
  async balance(memberId: string): Promise<BalanceDoc> {
    const found = await this.get<BalanceDoc>(COLLECTION.balances, memberId);
    if (found) return found;
    const member = await this.get<MemberRef>('members', memberId);
    return this.sumAccounts(memberId, member?.records ?? []);
  }

  async sumAccounts(memberId: string, recordIds: readonly string[]): Promise<BalanceDoc> {
    let points = 0;
    let growth = 0;
    let owed = 0;
    for (const id of new Set(recordIds)) {
      const account = await this.get<AccountDoc>(COLLECTION.accounts, id);
      if (!account) continue;
      points += account.points;
      growth += account.growth;
      owed += Math.max(0, -account.points);
    }
    return { _id: memberId, points, owed, growth, level: levelFor(growth, this.services.config.levels).code, updatedAt: this.now };
  }

  putBalance(balance: BalanceDoc): void {
    const level = levelFor(balance.growth, this.services.config.levels).code;
    this.put(COLLECTION.balances, { ...balance, level, updatedAt: this.now });
  }

  putAccount(account: AccountDoc): void {
    this.put(COLLECTION.accounts, { ...account, reversed: storedReversed(account.reversed) });
  }

  /** Writes what the session did, when it owns its cache; returns how many documents were written. */
  flush(): Promise<number> {
    return this.ownsCache ? this.cache.flush() : Promise.resolve(0);
  }
}

/** Whether a member's records are buyers known by phone alone: no one holding the phone is there yet. */
export const buyersAlone = (recordIds: readonly string[]) => recordIds.every((id) => id.startsWith(BUYER_PREFIX));

/** The channel an account's orders come from: `tmall:T1` → tmall, `buyer:tmall-<phone key>` → tmall. */
export function channelOfAccount(accountId: string): string {
  return accountId.startsWith(BUYER_PREFIX)
    ? accountId.slice(BUYER_PREFIX.length, accountId.indexOf('-', BUYER_PREFIX.length))
    : accountId.slice(0, accountId.indexOf(':'));
}

/**
 * Whether an account waits for its buyer, from the documents as they stand: the rule `account` above
 * and `syncMemberAccounts` below keep its `waitingChannel` mark by. An account of one of the order
 * channels (`channels`; a WeChat record's account waits for no order) waits when it is of no member,
 * its record never imported (an erased card's record is gone too, and its erasure left an opening,
 * `migrate:<id>`, on it), or when it is a buyer known by phone alone whose member holds buyers alone.
 * Reads nothing for an account of a member that is no buyer, most of them.
 */
export async function waitsForBuyer(get: Getter, channels: ReadonlySet<string>, account: AccountDoc): Promise<boolean> {
  const id = account._id;
  if (!channels.has(channelOfAccount(id))) return false;
  if (id.startsWith(BUYER_PREFIX)) {
    const record = await get<RecordRef>('records', id);
    const member = record?.memberId ? await get<MemberRef>('members', record.memberId) : null;
    return !!member && buyersAlone(member.records ?? []);
  }
  return account.memberId === null && !(await get('records', id)) && !(await get(COLLECTION.ledger, `migrate:${id}`));
}

/** The fields that list an account under `orders waiting`, from `since`. */
const waitingFields = (accountId: string, since: string) => ({ waitingChannel: channelOfAccount(accountId), waitingSince: since });

/** The account as it waits for a member (kept waiting since when it began), or no longer waits. */
function withWaiting(account: AccountDoc, waits: boolean, now: string): AccountDoc {
  const { waitingChannel, waitingSince, ...rest } = account;
  if (!waits) return rest;
  return waitingChannel && waitingSince ? account : { ...rest, ...waitingFields(account._id, now) };
}

/**
 * Called by identity inside its own transaction after it changed which records
 * belong to which members. For each member listed: points each of its records'
 * accounts at it (accounts that do not exist yet are skipped: they will be
 * created with the record's member) and rewrites `balances/{memberId}` as the
 * sum of those accounts (no records: zero). List every member whose record set
 * changed, including those that lost records or were absorbed. An entry
 * with `memberId: null` detaches its records' accounts from any member (erased
 * records: the points stay in the ledger, anonymous, and count for no one).
 * Moves no points: totals are preserved by construction. Doc-id operations only.
 */
export async function syncMemberAccounts(
  tx: Tx | TxCache,
  services: Services,
  memberRecords: { memberId: string | null; recordIds: string[] }[],
): Promise<void> {
  const session = new PointsSession(tx, services);
  for (const { memberId, recordIds } of memberRecords) {
    // its accounts wait while the member is buyers known by phone alone (an unmerge may leave one so
    // again); a member holding anyone else, or none (erased), ends the wait
    const waits = memberId !== null && recordIds.length > 0 && buyersAlone(recordIds);
    for (const id of recordIds) {
      const account = await session.get<AccountDoc>(COLLECTION.accounts, id);
      if (!account) continue;
      const waiting = withWaiting(account, waits, session.now);
      if (account.memberId !== memberId || waiting.waitingChannel !== account.waitingChannel) {
        session.putAccount({ ...waiting, memberId, updatedAt: session.now });
      }
    }
    if (memberId) session.putBalance(await session.sumAccounts(memberId, recordIds));
  }
  await session.flush();
}
