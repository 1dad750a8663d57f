import { createHash } from 'node:crypto';
import type { EarnRate } from './config';
import { NEVER, type AccountDoc, type Allocation, type LedgerEntry, type Lot, type OpenedLot } from './types';

/**
 * The pure rules of the points ledger: how a credit, a debit, a spend across
 * accounts and an expiry change one account's state, and how the state is
 * derived back from the entries alone. No I/O, no clock: time is passed in.
 */

/** What an account's projection holds; the rest of AccountDoc is bookkeeping. */
export type AccountState = Pick<AccountDoc, 'points' | 'growth' | 'lots' | 'reversed'>;

export const emptyState = (): AccountState => ({ points: 0, growth: 0, lots: [], reversed: {} });

/**
 * The field name `reversed` keeps a credit under. A credit key's reference comes from a partner
 * (an order id may hold `.`), and a stored field name holding `.` is a path to CloudBase's MongoDB,
 * which refuses it: the key is stored with each `.` as `#`, which no ledger key holds (`KEY` in
 * ledger.ts), so no two credits share a name, and a name stored so is left as it is.
 */
export const reversedKey = (creditKey: string): string => creditKey.replace(/\./g, '#');

/**
 * `reversed` with every name as `reversedKey` makes it: an account written before the names were
 * (a local database) may hold a credit under its own key, and is read, verified and rewritten so.
 */
export function storedReversed(reversed: AccountDoc['reversed']): AccountDoc['reversed'] {
  if (!Object.keys(reversed).some((key) => key.includes('.'))) return reversed;
  const stored: AccountDoc['reversed'] = {};
  for (const [key, { points, growth }] of Object.entries(reversed)) {
    const name = reversedKey(key);
    const held = stored[name] ?? { points: 0, growth: 0 };
    stored[name] = { points: held.points + points, growth: held.growth + growth };
  }
  return stored;
}

/** Oldest-expiring first; ties by when earned, then by id, so the order is total. */
export function lotOrder(a: Pick<Lot, 'expiresAt' | 'at' | 'id'>, b: Pick<Lot, 'expiresAt' | 'at' | 'id'>): number {
  if (a.expiresAt !== b.expiresAt) return a.expiresAt < b.expiresAt ? -1 : 1;
  if (a.at !== b.at) return a.at < b.at ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

export const nextExpiryOf = (lots: readonly Lot[]): string => lots.reduce((min, lot) => (lot.expiresAt < min ? lot.expiresAt : min), NEVER);

/** Points and growth an order earns: whole yuan times the channel's rate. Integer arithmetic only. */
export function orderEarning(amountFen: number, rate: EarnRate): { points: number; growth: number } {
  const yuan = Math.floor(amountFen / 100);
  return { points: yuan * rate.pointsPerYuan, growth: yuan * rate.growthPerYuan };
}

/**
 * A credit of `points` (≥ 0): repays what the account owes first, then opens a
 * lot with the rest. Without `repay`, the lot takes it all: a credit due
 * already, which the caller expires at once.
 */
export function credit(
  state: AccountState,
  input: { lotId: string; points: number; growth: number; at: string; expiresAt: string },
  { repay = true }: { repay?: boolean } = {},
): { state: AccountState; lot: OpenedLot | null } {
  const owed = repay ? Math.max(0, -state.points) : 0;
  const lotPoints = input.points - Math.min(input.points, owed);
  const lots = state.lots.slice();
  let lot: OpenedLot | null = null;
  if (lotPoints > 0) {
    lot = { id: input.lotId, points: lotPoints, expiresAt: input.expiresAt };
    const opened: Lot = { id: input.lotId, points: lotPoints, remaining: lotPoints, at: input.at, expiresAt: input.expiresAt };
    const index = lots.findIndex((other) => lotOrder(opened, other) < 0);
    lots.splice(index < 0 ? lots.length : index, 0, opened);
  }
  return { state: { ...state, points: state.points + input.points, growth: state.growth + input.growth, lots }, lot };
}

/** Takes planned allocations from this account's lots (they must fit). */
export function take(state: AccountState, allocations: readonly Pick<Allocation, 'lotId' | 'points'>[]): AccountState {
  const lots = state.lots.map((lot) => ({ ...lot }));
  let total = 0;
  for (const allocation of allocations) {
    const lot = lots.find((l) => l.id === allocation.lotId);
    if (!lot || allocation.points <= 0 || allocation.points > lot.remaining) throw new Error(`allocation does not fit lot ${allocation.lotId}`);
    lot.remaining -= allocation.points;
    total += allocation.points;
  }
  return { ...state, points: state.points - total, lots: lots.filter((lot) => lot.remaining > 0) };
}

/**
 * A debit of `points` (≥ 0) from one account: from `firstLot` if given, then
 * the other lots oldest-expiring first; what no lot covers is owed (the
 * account goes negative). `growth` (≥ 0) is taken from growth.
 */
export function debit(
  state: AccountState,
  accountId: string,
  input: { points: number; growth: number; firstLot?: string },
): { state: AccountState; allocations: Allocation[]; owed: number } {
  const order = input.firstLot
    ? [...state.lots.filter((l) => l.id === input.firstLot), ...state.lots.filter((l) => l.id !== input.firstLot)]
    : state.lots;
  const allocations: Allocation[] = [];
  let left = input.points;
  for (const lot of order) {
    if (left === 0) break;
    const points = Math.min(left, lot.remaining);
    allocations.push({ accountId, lotId: lot.id, points });
    left -= points;
  }
  const taken = take(state, allocations);
  return { state: { ...taken, points: taken.points - left, growth: taken.growth - input.growth }, allocations, owed: left };
}

/**
 * Which lots a spend of `points` takes across several accounts: oldest-expiring
 * first over all of them, skipping lots already due at `asOf`. Null when the
 * accounts' net balance (owed included) does not cover it: a spend never takes
 * a member below zero.
 */
export function planSpend(accounts: readonly { accountId: string; state: AccountState }[], points: number, asOf: string): Allocation[] | null {
  const net = accounts.reduce((sum, a) => sum + a.state.points - dueTotal(a.state, asOf), 0);
  if (points > net) return null;
  const lots = accounts
    .flatMap((a) => a.state.lots.filter((lot) => lot.expiresAt > asOf).map((lot) => ({ accountId: a.accountId, lot })))
    .sort((x, y) => lotOrder(x.lot, y.lot) || (x.accountId < y.accountId ? -1 : 1));
  const allocations: Allocation[] = [];
  let left = points;
  for (const { accountId, lot } of lots) {
    if (left === 0) break;
    const take = Math.min(left, lot.remaining);
    allocations.push({ accountId, lotId: lot.id, points: take });
    left -= take;
  }
  return left === 0 ? allocations : null;
}

/**
 * How a member's owing accounts are repaid from its other accounts' lots: each
 * owing account, in id order, takes what it owes from the lots oldest-expiring
 * first over all the accounts, as far as they reach. Lots already due must
 * have been expired before. `repaid` is what each owing account gets back,
 * `taken` the allocations from the lots that pay it.
 */
export function planSettlement(accounts: readonly { accountId: string; state: AccountState }[]): { repaid: { accountId: string; points: number }[]; taken: Allocation[] } {
  const lots = accounts
    .flatMap((a) => a.state.lots.map((lot) => ({ accountId: a.accountId, lotId: lot.id, left: lot.remaining, lot })))
    .sort((x, y) => lotOrder(x.lot, y.lot) || (x.accountId < y.accountId ? -1 : 1));
  const repaid: { accountId: string; points: number }[] = [];
  const taken = new Map<string, Allocation>();
  const owing = accounts.filter((a) => a.state.points < 0).sort((x, y) => (x.accountId < y.accountId ? -1 : 1));
  for (const { accountId, state } of owing) {
    let left = -state.points;
    for (const source of lots) {
      if (left === 0) break;
      const points = Math.min(left, source.left);
      if (points === 0) continue;
      source.left -= points;
      left -= points;
      const key = `${source.accountId}\u0000${source.lotId}`;
      const earlier = taken.get(key);
      taken.set(key, { accountId: source.accountId, lotId: source.lotId, points: (earlier?.points ?? 0) + points });
    }
    if (left < -state.points) repaid.push({ accountId, points: -state.points - left });
  }
  return { repaid, taken: [...taken.values()] };
}

/** Lots whose expiry has come at `asOf` (a lot expiring at 23:59:59 is gone at that second). */
export const dueLots = (state: AccountState, asOf: string): Lot[] => state.lots.filter((lot) => lot.expiresAt <= asOf);

export const dueTotal = (state: AccountState, asOf: string): number => dueLots(state, asOf).reduce((sum, lot) => sum + lot.remaining, 0);

/** Removes what is left of a lot: the points of an `expire` entry. */
export function expireLot(state: AccountState, lotId: string): { state: AccountState; points: number } {
  const lot = state.lots.find((l) => l.id === lotId);
  if (!lot) return { state, points: 0 };
  return { state: { ...state, points: state.points - lot.remaining, lots: state.lots.filter((l) => l.id !== lotId) }, points: lot.remaining };
}

/**
 * What a refund of `refundFen` takes back of an order that paid `amountFen` and
 * was credited `credited`: the same share, so at the rate the order earned,
 * whatever the brand's rate is when the refund is imported.
 */
export function refundAtEarnedRate(credited: { points: number; growth: number }, amountFen: number, refundFen: number): { points: number; growth: number } {
  const yuan = Math.floor(amountFen / 100);
  if (yuan === 0) return { points: 0, growth: 0 };
  const refundYuan = BigInt(Math.min(yuan, Math.floor(refundFen / 100)));
  // in BigInt: a billion points times a refund of millions of yuan is past 2^53
  const share = (earned: number) => Number((BigInt(earned) * refundYuan) / BigInt(yuan));
  return { points: share(credited.points), growth: share(credited.growth) };
}

/**
 * How much a reversal takes back: what was asked, but never more than the
 * credit brought minus what already expired from its lot (those points are
 * gone already) and what earlier reversals took; growth likewise, without the
 * expiry part (growth does not expire).
 */
export function reversalAmounts(
  credited: { points: number; growth: number },
  asked: { points: number; growth: number },
  already: { points: number; growth: number },
  expired: number,
): { points: number; growth: number } {
  return {
    points: Math.max(0, Math.min(asked.points, credited.points - expired - already.points)),
    growth: Math.max(0, Math.min(asked.growth, credited.growth - already.growth)),
  };
}

/** Object keys as JSON strings, kept: content hashes see the same few keys millions of times. */
const quotedKeys = new Map<string, string>();
const quoteKey = (key: string): string => {
  let quoted = quotedKeys.get(key);
  if (quoted === undefined) {
    quoted = JSON.stringify(key);
    if (quotedKeys.size < 1024) quotedKeys.set(key, quoted);
  }
  return quoted;
};

/**
 * Sorted-key JSON: the same content always hashes the same. Stored entries
 * keep the hash of this exact text, so its output must never change (the
 * rules tests pin it); it is written for speed because every ledger entry an
 * import posts is hashed.
 */
export function canonicalJson(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  // what JSON.stringify writes for a number, without the call
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'null';
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += (i ? ',' : '') + canonicalJson(value[i]);
    return `${out}]`;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  // insertion sort: a handful of keys; `>` orders by UTF-16 code units, as sort() does
  for (let i = 1; i < keys.length; i++) {
    const key = keys[i]!;
    let j = i - 1;
    for (; j >= 0 && keys[j]! > key; j--) keys[j + 1] = keys[j]!;
    keys[j + 1] = key;
  }
  let out = '{';
  for (const key of keys) {
    const v = record[key];
    if (v === undefined) continue;
    out += (out.length > 1 ? ',' : '') + quoteKey(key) + ':' + canonicalJson(v);
  }
  return `${out}}`;
}

/** The idempotency hash of a request's content. */
export const contentHash = (content: unknown): string => createHash('sha256').update(canonicalJson(content)).digest('base64url').slice(0, 22);

/** An account as the ledger alone says it should be. */
export interface ProjectedAccount extends AccountState {
  entries: number;
}

/**
 * Rebuilds accounts from entries, in any order: a balance is a sum, and a lot's
 * remaining is what it opened with minus the allocations that name it. This is
 * what `points verify` compares the stored projections with; entries can be
 * fed a page at a time.
 */
export class Projector {
  private readonly accounts = new Map<string, ProjectedAccount>();
  private readonly taken = new Map<string, number>();
  private readonly opened = new Map<string, { accountId: string; lot: Lot }>();

  add(entry: LedgerEntry): void {
    let account = this.accounts.get(entry.accountId);
    if (!account) this.accounts.set(entry.accountId, (account = { ...emptyState(), entries: 0 }));
    account.points += entry.points;
    account.growth += entry.growth;
    account.entries += 1;
    if (entry.lot) {
      this.opened.set(`${entry.accountId}\u0000${entry.lot.id}`, { accountId: entry.accountId, lot: { ...entry.lot, remaining: entry.lot.points, at: entry.at } });
    }
    for (const allocation of entry.allocations ?? []) {
      const key = `${allocation.accountId}\u0000${allocation.lotId}`;
      this.taken.set(key, (this.taken.get(key) ?? 0) + allocation.points);
    }
    if (entry.kind === 'reverse' && entry.of) {
      const name = reversedKey(entry.of);
      const before = account.reversed[name] ?? { points: 0, growth: 0 };
      account.reversed[name] = { points: before.points - entry.points, growth: before.growth - entry.growth };
    }
  }

  /** The accounts, and allocations that name a lot no entry opened. */
  finish(): { accounts: Map<string, ProjectedAccount>; orphanAllocations: string[] } {
    for (const [key, { accountId, lot }] of this.opened) {
      lot.remaining -= this.taken.get(key) ?? 0;
      this.taken.delete(key);
      if (lot.remaining !== 0) this.accounts.get(accountId)!.lots.push(lot);
    }
    for (const account of this.accounts.values()) account.lots.sort(lotOrder);
    return { accounts: this.accounts, orphanAllocations: [...this.taken.keys()].map((key) => key.replace('\u0000', ' ')) };
  }
}

export function projectAccounts(entries: Iterable<LedgerEntry>): Map<string, ProjectedAccount> {
  const projector = new Projector();
  for (const entry of entries) projector.add(entry);
  return projector.finish().accounts;
}

/** Problems inside one entry, whatever the accounts say. */
export function entryProblems(entry: LedgerEntry): string[] {
  const problems: string[] = [];
  if (!Number.isInteger(entry.points) || !Number.isInteger(entry.growth)) problems.push('amounts are not integers');
  if (entry.lot && (entry.lot.points < 0 || entry.lot.points > entry.points)) problems.push('lot larger than the credit');
  const allocations = entry.allocations ?? [];
  if (allocations.some((a) => a.accountId !== entry.accountId || !(a.points > 0))) problems.push('allocation outside its account');
  if (entry.points < 0 || allocations.length > 0 || entry.owed) {
    const covered = allocations.reduce((sum, a) => sum + a.points, 0) + (entry.owed ?? 0);
    if (covered !== -entry.points) problems.push('allocations and owed do not add up to the debit');
  }
  return problems;
}

/** Problems of a projected or stored account state on its own. */
export function stateProblems(state: AccountState): string[] {
  const problems: string[] = [];
  const lotSum = state.lots.reduce((sum, lot) => sum + lot.remaining, 0);
  if (state.lots.some((lot) => lot.remaining <= 0)) problems.push('a lot with nothing left (or less) is kept');
  if (state.points >= 0 && lotSum !== state.points) problems.push(`lots sum to ${lotSum}, balance is ${state.points}`);
  if (state.points < 0 && state.lots.length > 0) problems.push('owed balance with lots left');
  // growth is never owed: no entry takes more of it than its account holds
  if (state.growth < 0) problems.push(`growth is ${state.growth}, below zero`);
  return problems;
}
