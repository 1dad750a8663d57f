import type { Doc } from '../store/port';

/**
 * The documents of the points capability. Points are kept per record
 * ("account"): `accounts/{recordId}` is the projection of that record's ledger;
 * a member's balance is the sum of its records' accounts, kept in
 * `balances/{memberId}` in the same transaction as every entry.
 */

/**
 * `settle`: points moved between two accounts of one member, so that one does
 * not owe while another holds points; always part of the credit or refund
 * that called for it, and net zero for the member.
 */
export type EntryKind = 'earn' | 'redeem' | 'expire' | 'reverse' | 'adjust' | 'migrate' | 'settle';

/** Where an entry came from: the channel and its own reference (order id, code, request id). */
export interface EntrySource {
  channel: string;
  ref: string;
  /** Facts of the source worth keeping (amountFen, storeId, reward, ...). Plain scalars only. */
  detail?: Record<string, string | number | null>;
}

/** Points taken from one lot by a consumption (always a positive amount). */
export interface Allocation {
  accountId: string;
  lotId: string;
  points: number;
}

/** A lot opened by a credit: the points that can later be spent or expire. */
export interface OpenedLot {
  id: string;
  /** Points the lot opened with: the entry's points minus what repaid an owed balance. */
  points: number;
  expiresAt: string;
}

/**
 * `ledger/{idempotencyKey}`: append-only. Every entry changes exactly one
 * account (`accountId`); a redemption across several accounts writes one entry
 * per account, the first (the head, whose id is the request's key) listing the
 * others in `parts`.
 *
 * Effect on its account: `points` (signed) and `growth` (signed). A credit
 * (`points` ≥ 0) first repays an owed balance and opens `lot` with the rest; a
 * debit takes `allocations` from lots of the same account, and `owed` is the
 * part no lot covered (it leaves the account negative):
 * `points = -(Σ allocations + owed)`.
 */
export interface LedgerEntry extends Doc {
  accountId: string;
  /** The account's member when the entry was written (null: record not imported yet). */
  memberId: string | null;
  kind: EntryKind;
  points: number;
  growth: number;
  /** When it happened in business terms (ISO, UTC): the order's paidAt, the lot's expiry, ... */
  at: string;
  source: EntrySource;
  /** Hash of what the caller asked for; a retry with other content is refused. */
  hash: string;
  lot?: OpenedLot;
  allocations?: Allocation[];
  owed?: number;
  /** A reversal: the credit it reverses. */
  of?: string;
  /**
   * An operation written as several entries (a redemption across accounts, a credit or refund
   * that settled what the member owed): the head's key (on every part) and the other parts (on the head).
   */
  group?: string;
  parts?: string[];
  /** Shown instead of the generated description (a scan's product name, ...). */
  note?: string;
  /** Operator adjustments: why and who. */
  reason?: string;
  operator?: string;
  /** When the entry was written (the clock), for audit. */
  recordedAt: string;
}

export interface Lot {
  /** The key of the entry that opened it. */
  id: string;
  points: number;
  remaining: number;
  at: string;
  expiresAt: string;
}

/**
 * `accounts/{recordId}`: one record's points. Invariant: `points` ≥ 0 and the
 * lots' remaining sum to it, or `points` < 0 (owed) and there are no lots.
 */
export interface AccountDoc extends Doc {
  memberId: string | null;
  points: number;
  growth: number;
  /** Lots with something left, oldest-expiring first. */
  lots: Lot[];
  /** Earliest lot expiry, or NEVER: what the expiry job queries on. */
  nextExpiry: string;
  /** Points already reversed per credit key, so reversals never exceed the credit. */
  reversed: Record<string, { points: number; growth: number }>;
  /** Number of ledger entries on this account. */
  entries: number;
  updatedAt: string;
  /**
   * While the account's points wait for a member (its record is not imported yet, or it is the
   * record of a buyer known by phone alone that no member holding the phone has taken): the channel
   * of its orders, for `orders waiting`. Absent once a member holds it (or erasure detached it).
   */
  waitingChannel?: string;
  /** When it began to wait (the clock as its first order was recorded), while `waitingChannel` is set. */
  waitingSince?: string;
}

/** `balances/{memberId}`: the sum of the member's accounts, with the level its growth earns. */
export interface BalanceDoc extends Doc {
  /** Net points: may be negative when a refund took back points already spent. */
  points: number;
  /** Sum of the negative accounts, as a positive number. */
  owed: number;
  growth: number;
  level: string;
  updatedAt: string;
}

/** A date no lot reaches: `nextExpiry` of an account without lots, expiry of points that never expire. */
export const NEVER = '9999-12-31T15:59:59.000Z';

export const COLLECTION = { ledger: 'ledger', accounts: 'accounts', balances: 'balances' } as const;
