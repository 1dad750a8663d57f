/**
 * The points ledger: the only way points or growth change.
 *
 * Every change is an append-only entry `ledger/{key}` whose id is the caller's
 * idempotency key (`order:tmall:123`, `refund:tmall:123`, `migrate:tmall:T123`,
 * `scan:CODE`, `adjust:<requestId>`, `redeem:<requestId>`, `expire:<lotId>`).
 * Each entry changes one account (`accounts/{recordId}`), and the account and
 * its member's `balances/{memberId}` are rewritten in the same transaction, so
 * they always equal the ledger (`points verify` checks it).
 *
 * Idempotency: each entry stores a hash of what the caller asked for (kind,
 * account or member, amounts, source, note; not `at`, so a retry made later by
 * the clock still matches). The same key with the same content replays: the
 * stored entry comes back with `replayed: true` and nothing is written. The
 * same key with other content throws IDEMPOTENCY_MISMATCH.
 *
 * Call these inside your own `store.transaction` (doc-id operations only, as
 * CloudBase requires); they write nothing until they succeed, and a throw
 * leaves your transaction to roll back.
 *
 * - `postEarn(tx, services, { key, accountId, points, growth, at, source, note? }, { settle? })`
 *   credits an account (created if absent, with its record's member or null
 *   until the record is imported): repays what it owes, then opens a lot that
 *   expires by the configured rule; with `settle` (the mini-program's own
 *   credits) the member's lots then repay what it owes on its other accounts
 *   (`settleOwed`). Throws INVALID_INPUT, IDEMPOTENCY_MISMATCH.
 * - `postOpeningBalance(tx, services, { recordId, points, growth, at })`: a
 *   channel's opening balance as a `migrate` entry, key `migrate:${recordId}`,
 *   once per record (`postOpeningBalances` posts a batch's in one session).
 *   Throws INVALID_INPUT, IDEMPOTENCY_MISMATCH.
 * - `postReverse(tx, services, { key, of, points, growth, at, source })`: takes
 *   back (part of) credit `of`, after expiring the account's lots due by the
 *   time it is recorded: from its own lot first, then the account's other lots
 *   oldest-expiring first, the rest owed (the account goes
 *   negative; later credits repay it). Never more than the credit brought,
 *   minus what already expired from its lot and earlier reversals. Throws
 *   INVALID_INPUT, NOT_FOUND (no such credit), IDEMPOTENCY_MISMATCH.
 * - `postRedeem(tx, services, { key, memberId, points, at, source, note? })`:
 *   spends across all the member's accounts, oldest-expiring lots first, after
 *   expiring what is due at `at`; one entry per account touched (the first has
 *   the key, the others `key#2`, ...). Throws INVALID_INPUT, NOT_FOUND (no live
 *   member), INSUFFICIENT_POINTS (never below zero), IDEMPOTENCY_MISMATCH.
 * - `postAdjust(tx, services, { key, memberId, points, growth?, reason, operator, at })`:
 *   an operator's correction, audited with reason and operator; a positive
 *   one credits the member's home account (its WeChat record, else its first
 *   channel record) and repays what the member owes elsewhere, a negative one
 *   spends like a redemption. `growth` (points may then be 0) is added on the
 *   home account, or taken from the member's accounts' growth, the home
 *   account first, never below zero on any (as a refund never takes back more
 *   growth than its order brought); the level follows in the same
 *   transaction. One entry per account touched. Throws INVALID_INPUT,
 *   NOT_FOUND, INSUFFICIENT_POINTS, IDEMPOTENCY_MISMATCH.
 * - `expireAccount(tx, services, accountId, asOf)`: expires the account's lots
 *   due at `asOf`, one entry `expire:<lotId>` each, dated at the lot's expiry,
 *   so running it again, or later, as of the same date, changes nothing.
 */
import { hasVisibleText } from '../contracts/text';
import { AppError } from '../runtime/errors';
import type { Services } from '../runtime/services';
import type { Doc, Tx } from '../store/port';
import type { TxCache } from '../store/tx-cache';
import { liveMember, PointsSession, type MemberRef } from './accounts.store';
import { contentHash, credit, debit, dueLots, expireLot, planSettlement, planSpend, reversalAmounts, reversedKey, storedReversed, take } from './rules';
import { expiryOf, isoOrNull } from './time';
import { COLLECTION, NEVER, type AccountDoc, type Allocation, type EntryKind, type EntrySource, type LedgerEntry } from './types';

export interface PostResult {
  entry: LedgerEntry;
  /** True when the key was already posted with the same content: nothing was written. */
  replayed: boolean;
}

export interface SpendResult {
  /** One entry per account touched, the head (whose id is the key) first. */
  entries: LedgerEntry[];
  replayed: boolean;
}

export interface EarnInput {
  key: string;
  accountId: string;
  points: number;
  growth: number;
  at: string;
  source: EntrySource;
  note?: string;
}

export interface ReverseInput {
  key: string;
  /** The key of the credit to take back. */
  of: string;
  points: number;
  growth: number;
  at: string;
  source: EntrySource;
}

export interface RedeemInput {
  key: string;
  memberId: string;
  points: number;
  at: string;
  source: EntrySource;
  note?: string;
}

export interface AdjustInput {
  key: string;
  memberId: string;
  /** Negative takes points away; 0 only with `growth`. */
  points: number;
  /** Growth to add (negative: take away, never below zero); absent or 0: points alone. */
  growth?: number;
  reason: string;
  operator: string;
  at: string;
}

const KEY = /^[a-z][a-z0-9_]*:[^\s#]{1,200}$/;
const ACCOUNT = /^[a-z][a-z0-9_]*:\S{1,100}$/;
/** The largest amount one entry may carry. */
export const MAX_POINTS = 1_000_000_000;
const CREDIT_KINDS: readonly EntryKind[] = ['earn', 'migrate', 'adjust'];

const invalid = (message: string) => new AppError('INVALID_INPUT', message);
/** Negation without -0 (which JSON would store as 0 and tests would tell apart). */
const neg = (n: number) => (n === 0 ? 0 : -n);

/** An adjustment's reason, trimmed: 1-200 characters, or INVALID_INPUT. */
export function checkAdjustReason(text: string): string {
  const reason = text.trim();
  // one of zero-width or blank characters alone would read as no reason in the audit trail
  if (reason.length === 0 || reason.length > 200 || !hasVisibleText(reason)) throw invalid('reason must be 1-200 characters, something visible');
  return reason;
}

function checkKey(key: string): void {
  if (!KEY.test(key)) throw invalid('ledger key must be `kind:reference` without spaces or #');
}

function checkAmount(name: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min || value > MAX_POINTS) throw invalid(`${name} must be an integer from ${min} to ${MAX_POINTS}`);
}

/** The last time checked and its canonical form: an import batch posts thousands of entries at one time. */
let lastAt = { input: '', iso: '' };

function checkAt(at: string): string {
  if (at === lastAt.input) return lastAt.iso;
  const iso = isoOrNull(at);
  if (!iso) throw invalid('at must be an ISO time');
  lastAt = { input: at, iso };
  return iso;
}

function checkSource(source: EntrySource): void {
  if (!source || typeof source.channel !== 'string' || !/^[a-z][a-z0-9_]{0,19}$/.test(source.channel)) throw invalid('source.channel must be a channel code');
  if (typeof source.ref !== 'string' || source.ref.length === 0 || source.ref.length > 200) throw invalid('source.ref must be 1-200 characters');
}

/** The stored entry for `key` if it was posted with this content; null if never posted. */
export async function replayOf(session: PointsSession, key: string, hash: string): Promise<LedgerEntry | null> {
  const existing = await session.entry(key);
  if (!existing) return null;
  if (existing.hash !== hash) {
    throw new AppError('IDEMPOTENCY_MISMATCH', `ledger key ${key.split(':')[0]}:… was already used with other content`);
  }
  return existing;
}

export const earnHash = (kind: EntryKind, input: Omit<EarnInput, 'at' | 'key'>) =>
  contentHash({ op: 'credit', kind, accountId: input.accountId, points: input.points, growth: input.growth, source: input.source, note: input.note });

export const reverseHash = (input: Omit<ReverseInput, 'at' | 'key'>) =>
  contentHash({ op: 'reverse', of: input.of, points: input.points, growth: input.growth, source: input.source });

/** Adds the optional audit fields that apply (stored entries carry no undefined fields). */
function withExtras(entry: LedgerEntry, extras: { note?: string; reason?: string; operator?: string }): LedgerEntry {
  if (extras.note !== undefined) entry.note = extras.note;
  if (extras.reason !== undefined) entry.reason = extras.reason;
  if (extras.operator !== undefined) entry.operator = extras.operator;
  return entry;
}

interface CreditSpec extends EarnInput {
  kind: EntryKind;
  hash: string;
  reason?: string;
  operator?: string;
  /** Repays what the member owes on its other accounts (see settleOwed). */
  settle: boolean;
}

/** A credit (or, for a negative opening balance, a debit) on one account. */
async function creditIn(session: PointsSession, spec: CreditSpec): Promise<PostResult> {
  const existing = await replayOf(session, spec.key, spec.hash);
  if (existing) return { entry: existing, replayed: true };
  const before = await session.account(spec.accountId);
  const entry: LedgerEntry = withExtras({
    _id: spec.key, accountId: spec.accountId, memberId: before.memberId, kind: spec.kind, points: spec.points, growth: spec.growth,
    at: spec.at, source: spec.source, hash: spec.hash, recordedAt: session.now,
  }, spec);
  if (spec.points >= 0) {
    const expiresAt = expiryOf(spec.at, session.services.config.points.expiry);
    // Points due before they are recorded (an order paid years ago, imported late) are gone on
    // arrival, as a refund or a spend finds due lots: they repay nothing owed, or what a member
    // owes would depend on whether the old order's file came before the debt or after it.
    const due = expiresAt <= session.now;
    const { state, lot } = credit(before, { lotId: spec.key, points: spec.points, growth: spec.growth, at: spec.at, expiresAt }, { repay: !due });
    if (lot) entry.lot = lot;
    await session.commitAccount(before, state);
    if (due) await expireIn(session, spec.accountId, session.now);
  } else {
    // lots already due are gone, swept or not: a debit never takes them (as a refund does not)
    await expireIn(session, spec.accountId, session.now);
    const current = await session.account(spec.accountId);
    const { state, allocations, owed } = debit(current, spec.accountId, { points: neg(spec.points), growth: neg(spec.growth) });
    entry.allocations = allocations;
    entry.owed = owed;
    await session.commitAccount(current, state);
  }
  if (spec.settle) await settleOwed(session, entry);
  session.addEntry(entry);
  return { entry, replayed: false };
}

/**
 * What a member owes on any of its accounts (a refund of points already spent)
 * is repaid by the points the consumer earns in the mini-program (a scan, a
 * package card) and by an operator's credit, at once: the member's lots, the
 * new one included, oldest-expiring first, after expiring what is due by now,
 * so when the expiry job runs never changes what is repaid. The moves are
 * `settle` entries `<key>#s1`, `#s2`, ... in the operation's group (`head`
 * becomes its head): net zero for the member, one line in its history.
 *
 * Imports never settle: an order repays what its own account owes and a
 * refund leaves owed what its own account cannot cover. Settling there would
 * make the points a member keeps depend on the order an import meets its
 * buyers in (a file's row order, or how it groups them), where each channel
 * account's own ledger does not. Nor does a merge settle: it would move points
 * that an unmerge could not give back to the side that earned them.
 */
async function settleOwed(session: PointsSession, head: LedgerEntry): Promise<void> {
  if (!head.memberId || (await session.balance(head.memberId)).owed === 0) return;
  const member = await liveMember(session.get, head.memberId);
  if (!member) return;
  const accounts: AccountDoc[] = [];
  for (const id of [...new Set(member.records ?? [])].sort()) {
    if (!(await session.get<AccountDoc>(COLLECTION.accounts, id))) continue;
    await expireIn(session, id, session.now);
    accounts.push((await session.get<AccountDoc>(COLLECTION.accounts, id))!);
  }
  const { repaid, taken } = planSettlement(accounts.map((a) => ({ accountId: a._id, state: a })));
  if (repaid.length === 0) return;

  const parts: LedgerEntry[] = [];
  const source = { channel: 'system', ref: head._id };
  const settleEntry = (account: AccountDoc, points: number): LedgerEntry => ({
    _id: `${head._id}#s${parts.length + 1}`, accountId: account._id, memberId: account.memberId, kind: 'settle', points, growth: 0, at: head.at, source,
    hash: contentHash({ op: 'settle', of: head._id, accountId: account._id, points }), group: head._id, recordedAt: session.now,
  });
  for (const { accountId, points } of repaid) {
    const before = (await session.get<AccountDoc>(COLLECTION.accounts, accountId))!;
    // never more than it owes: no lot opens
    await session.commitAccount(before, credit(before, { lotId: head._id, points, growth: 0, at: head.at, expiresAt: NEVER }).state);
    parts.push(settleEntry(before, points));
  }
  const byAccount = new Map<string, Allocation[]>();
  for (const allocation of taken) byAccount.set(allocation.accountId, [...(byAccount.get(allocation.accountId) ?? []), allocation]);
  for (const [accountId, allocations] of byAccount) {
    const before = (await session.get<AccountDoc>(COLLECTION.accounts, accountId))!;
    await session.commitAccount(before, take(before, allocations));
    parts.push({ ...settleEntry(before, neg(allocations.reduce((sum, a) => sum + a.points, 0))), allocations, owed: 0 });
  }
  head.group = head._id;
  head.parts = parts.map((p) => p._id);
  for (const part of parts) session.addEntry(part);
}

/**
 * `hash` may be passed when the caller already computed `earnHash('earn', input)` (the order
 * import does); `settle`: the mini-program's own credits repay what the member owes elsewhere.
 */
export async function earnIn(session: PointsSession, input: EarnInput, { hash, settle = false }: { hash?: string; settle?: boolean } = {}): Promise<PostResult> {
  checkKey(input.key);
  if (!ACCOUNT.test(input.accountId)) throw invalid('accountId must be a record id `channel:id`');
  checkAmount('points', input.points, 0);
  checkAmount('growth', input.growth, 0);
  checkSource(input.source);
  const at = checkAt(input.at);
  return creditIn(session, { ...input, at, kind: 'earn', hash: hash ?? earnHash('earn', input), settle });
}

export interface OpeningInput {
  recordId: string;
  points: number;
  growth: number;
  at: string;
}

/** A record's opening balance as a credit: key `migrate:${recordId}`, on the record's own account. */
function openingSpec(input: Omit<OpeningInput, 'at'>): Omit<EarnInput, 'at'> {
  const split = input.recordId.indexOf(':');
  const source = { channel: input.recordId.slice(0, split), ref: input.recordId.slice(split + 1) };
  return { key: `migrate:${input.recordId}`, accountId: input.recordId, points: input.points, growth: input.growth, source };
}

/** The content hash an opening balance's entry keeps (pure: an import computes it in its reading thread). */
export const openingHash = (input: Omit<OpeningInput, 'at'>) => earnHash('migrate', openingSpec(input));

/** `hash` may be passed when the caller already computed `openingHash(input)` (the member import does). */
export async function openingBalanceIn(session: PointsSession, input: OpeningInput, hash?: string): Promise<PostResult> {
  if (!ACCOUNT.test(input.recordId)) throw invalid('recordId must be `channel:id`');
  checkAmount('points', input.points, -MAX_POINTS);
  checkAmount('growth', input.growth, 0);
  const at = checkAt(input.at);
  const spec = openingSpec(input);
  checkKey(spec.key);
  return creditIn(session, { ...spec, at, kind: 'migrate', hash: hash ?? earnHash('migrate', spec), settle: false });
}

/** `hash` may be passed when the caller already computed `reverseHash(input)`. */
export async function reverseIn(session: PointsSession, input: ReverseInput, precomputed?: string): Promise<PostResult> {
  checkKey(input.key);
  checkKey(input.of);
  checkAmount('points', input.points, 0);
  checkAmount('growth', input.growth, 0);
  checkSource(input.source);
  const at = checkAt(input.at);
  const hash = precomputed ?? reverseHash(input);
  const existing = await replayOf(session, input.key, hash);
  if (existing) return { entry: existing, replayed: true };

  const credited = await session.entry(input.of);
  if (!credited) throw new AppError('NOT_FOUND', 'nothing to reverse: the credit was never posted');
  if (!CREDIT_KINDS.includes(credited.kind) || credited.points < 0) throw invalid('only a credit can be reversed');
  // Lots already due when the refund is recorded are gone, swept or not: a refund must not take
  // them (as a spend does not). Due by now, not by its own date: a refund dated back still finds
  // what the expiry job would have left, so the job's timing never changes the result.
  await expireIn(session, credited.accountId, session.now);
  const before = await session.account(credited.accountId);
  const held = storedReversed(before.reversed);
  const name = reversedKey(input.of);
  const already = held[name] ?? { points: 0, growth: 0 };
  const expiry = credited.lot ? await session.entry(`expire:${credited.lot.id}`) : null;
  const asked = reversalAmounts(credited, input, already, expiry ? -expiry.points : 0);
  // growth an operator took away since (points adjust --growth) is not taken twice: never below zero
  const amounts = { ...asked, growth: Math.min(asked.growth, Math.max(0, before.growth)) };
  const { state, allocations, owed } = debit(before, credited.accountId, { ...amounts, firstLot: credited.lot?.id });
  const reversed = { ...held, [name]: { points: already.points + amounts.points, growth: already.growth + amounts.growth } };
  await session.commitAccount(before, { ...state, reversed });
  const entry: LedgerEntry = {
    _id: input.key, accountId: credited.accountId, memberId: before.memberId, kind: 'reverse', points: neg(amounts.points), growth: neg(amounts.growth),
    at, source: input.source, hash, of: input.of, allocations, owed, recordedAt: session.now,
  };
  session.addEntry(entry);
  return { entry, replayed: false };
}

/** Expires what is due at `asOf` on one account: one `expire:<lotId>` entry per lot. */
export async function expireIn(session: PointsSession, accountId: string, asOf: string): Promise<LedgerEntry[]> {
  const found = await session.get<AccountDoc>(COLLECTION.accounts, accountId);
  if (!found) return [];
  let account = found;
  const entries: LedgerEntry[] = [];
  for (const lot of dueLots(account, asOf)) {
    const key = `expire:${lot.id}`;
    if (await session.entry(key)) throw new Error(`ledger inconsistent: lot of ${accountId} already expired (run points verify)`);
    const { state, points } = expireLot(account, lot.id);
    const entry: LedgerEntry = {
      _id: key, accountId, memberId: account.memberId, kind: 'expire', points: neg(points), growth: 0, at: lot.expiresAt,
      source: { channel: 'system', ref: lot.id }, hash: contentHash({ op: 'expire', accountId, lotId: lot.id, points }),
      allocations: [{ accountId, lotId: lot.id, points }], owed: 0, recordedAt: session.now,
    };
    account = await session.commitAccount(account, state);
    session.addEntry(entry);
    entries.push(entry);
  }
  return entries;
}

async function memberOrThrow(session: PointsSession, memberId: string): Promise<MemberRef> {
  const member = await liveMember(session.get, memberId);
  if (!member) throw new AppError('NOT_FOUND', 'no such member');
  return member;
}

async function replaySpend(session: PointsSession, key: string, hash: string): Promise<SpendResult | null> {
  const head = await replayOf(session, key, hash);
  if (!head) return null;
  const parts = [];
  for (const id of head.parts ?? []) parts.push((await session.entry(id))!);
  return { entries: [head, ...parts], replayed: true };
}

interface SpendSpec {
  key: string;
  kind: EntryKind;
  memberId: string;
  points: number;
  at: string;
  source: EntrySource;
  hash: string;
  note?: string;
  reason?: string;
  operator?: string;
  /** An adjustment's growth per account (signed): each such account gets an entry, with or without points. */
  growthBy?: ReadonlyMap<string, number>;
}

/** Spends across the member's accounts (after expiring what is due), one entry per account. */
async function spendIn(session: PointsSession, spec: SpendSpec): Promise<SpendResult> {
  const replayed = await replaySpend(session, spec.key, spec.hash);
  if (replayed) return replayed;
  const member = await memberOrThrow(session, spec.memberId);
  const accounts: AccountDoc[] = [];
  for (const id of [...new Set(member.records ?? [])].sort()) {
    if (!(await session.get<AccountDoc>(COLLECTION.accounts, id))) continue;
    await expireIn(session, id, spec.at);
    accounts.push((await session.get<AccountDoc>(COLLECTION.accounts, id))!);
  }
  // nothing to spend (an adjustment of growth alone) is no spend: a member who owes is not refused it
  const plan = spec.points === 0 ? [] : planSpend(accounts.map((a) => ({ accountId: a._id, state: a })), spec.points, spec.at);
  if (!plan) {
    // what is due was expired above: the accounts' sum is what can be spent (an owed account takes from it)
    const available = Math.max(0, accounts.reduce((sum, account) => sum + account.points, 0));
    throw new AppError('INSUFFICIENT_POINTS', `not enough points: ${spec.points} asked, ${available} available`, { available });
  }

  const byAccount = new Map<string, Allocation[]>();
  for (const allocation of plan) byAccount.set(allocation.accountId, [...(byAccount.get(allocation.accountId) ?? []), allocation]);
  // the accounts whose growth moves and no points: after those the spend took from
  for (const accountId of spec.growthBy?.keys() ?? []) if (!byAccount.has(accountId)) byAccount.set(accountId, []);
  const ids = [...byAccount.keys()].map((_, i) => (i === 0 ? spec.key : `${spec.key}#${i + 1}`));
  const entries: LedgerEntry[] = [];
  let i = 0;
  for (const [accountId, allocations] of byAccount) {
    const before = accounts.find((a) => a._id === accountId) ?? (await session.account(accountId));
    const growth = spec.growthBy?.get(accountId) ?? 0;
    const taken = take(before, allocations);
    await session.commitAccount(before, { ...taken, growth: taken.growth + growth });
    const points = allocations.reduce((sum, a) => sum + a.points, 0);
    const entry = withExtras({
      _id: ids[i]!, accountId, memberId: before.memberId, kind: spec.kind, points: neg(points), growth, at: spec.at, source: spec.source,
      hash: spec.hash, allocations, owed: 0, group: spec.key, recordedAt: session.now,
    }, spec);
    if (i === 0) entry.parts = ids.slice(1);
    entries.push(entry);
    i++;
  }
  for (const entry of entries) session.addEntry(entry);
  return { entries, replayed: false };
}

export async function redeemIn(session: PointsSession, input: RedeemInput): Promise<SpendResult> {
  checkKey(input.key);
  checkAmount('points', input.points, 1);
  checkSource(input.source);
  const at = checkAt(input.at);
  const hash = contentHash({ op: 'spend', kind: 'redeem', memberId: input.memberId, points: input.points, source: input.source, note: input.note });
  return spendIn(session, { ...input, at, kind: 'redeem', hash });
}

export async function adjustIn(session: PointsSession, input: AdjustInput): Promise<SpendResult> {
  checkKey(input.key);
  const growth = input.growth ?? 0;
  if (input.points === 0 && growth === 0) throw invalid('an adjustment must change something');
  if (input.points !== 0) checkAmount('points', Math.abs(input.points), 1);
  if (growth !== 0) checkAmount('growth', Math.abs(growth), 1);
  const reason = checkAdjustReason(input.reason);
  if (!input.operator || input.operator.length > 64) throw invalid('operator must be named');
  const at = checkAt(input.at);
  // growth is hashed only when it moves: an adjustment of points alone keeps the hash it was posted with
  const hash = contentHash({ op: 'adjust', memberId: input.memberId, points: input.points, reason, growth: growth === 0 ? undefined : growth });
  const source = { channel: 'service', ref: input.key.slice(input.key.indexOf(':') + 1) };
  const replayed = await replaySpend(session, input.key, hash);
  if (replayed) return replayed;
  const member = await memberOrThrow(session, input.memberId);
  // a spend of points alone reads no records, as before growth could be adjusted
  const homes = input.points > 0 || growth !== 0 ? await homesOf(session, member) : new Map<string, string | null>();
  const growthBy = growth === 0 ? new Map<string, number>() : await growthMoves(session, member, homes, input.memberId, growth);
  if (input.points <= 0) {
    return spendIn(session, { key: input.key, kind: 'adjust', memberId: input.memberId, points: -input.points, at, source, hash, reason, operator: input.operator, growthBy });
  }
  const accountId = ownAccountOf(member, homes, input.memberId);
  if (!accountId) throw new AppError('NOT_FOUND', 'the member has no channel record to credit');
  const { entry } = await creditIn(session, {
    key: input.key, accountId, points: input.points, growth: growthBy.get(accountId) ?? 0, at, source, kind: 'adjust', hash, reason, operator: input.operator, settle: true,
  });
  // growth taken beyond the home account's: an entry on each other account it comes from, parts of the credit
  const parts: LedgerEntry[] = [];
  for (const [other, moved] of growthBy) {
    if (other === accountId) continue;
    const before = await session.account(other);
    await session.commitAccount(before, { points: before.points, growth: before.growth + moved, lots: before.lots, reversed: before.reversed });
    parts.push(withExtras({
      _id: `${input.key}#${parts.length + 2}`, accountId: other, memberId: before.memberId, kind: 'adjust', points: 0, growth: moved, at, source,
      hash, allocations: [], owed: 0, group: input.key, recordedAt: session.now,
    }, { reason, operator: input.operator }));
  }
  if (parts.length === 0) return { entries: [entry], replayed: false };
  entry.group = input.key;
  entry.parts = [...(entry.parts ?? []), ...parts.map((p) => p._id)];
  session.addEntry(entry);
  for (const part of parts) session.addEntry(part);
  return { entries: [entry, ...parts], replayed: false };
}

/**
 * Where an adjustment's growth moves, per account: added on the member's own account (as a
 * credit is), or taken from the accounts' growth, that account first, then the others at home
 * with the member as named, then the rest, by id. Never below zero on any account, as a refund
 * never takes back more growth than its order brought: an unmerge gives each side its accounts
 * as they stand, and an account below zero would give one side negative growth.
 */
async function growthMoves(session: PointsSession, member: MemberRef, homes: Homes, named: string, growth: number): Promise<Map<string, number>> {
  const home = ownAccountOf(member, homes, named);
  if (growth > 0) {
    if (!home) throw new AppError('NOT_FOUND', 'the member has no channel record to credit');
    return new Map([[home, growth]]);
  }
  const rank = (id: string) => (id === home ? 0 : homes.get(id) === named ? 1 : homes.get(id) === member._id ? 2 : 3);
  const order = [...new Set(member.records ?? [])].sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
  const moves = new Map<string, number>();
  let held = 0;
  let left = -growth;
  for (const id of order) {
    const account = await session.get<AccountDoc>(COLLECTION.accounts, id);
    if (!account || account.growth <= 0) continue;
    held += account.growth;
    const taken = Math.min(left, account.growth);
    if (taken > 0) moves.set(id, -taken);
    left -= taken;
  }
  if (left > 0) throw new AppError('INVALID_INPUT', `growth cannot go below zero: ${-growth} to take away, the member has ${held}`, { growth: held });
  return moves;
}

/**
 * Where a member's own credits go: its WeChat record, else its first channel record, else the
 * stand-in record of a buyer known only by phone (`buyer:`, which no operator would look for).
 */
export function homeAccountOf(member: MemberRef): string | null {
  const records = [...(member.records ?? [])].sort();
  return records.find((id) => id.startsWith('wechat:')) ?? records.find((id) => !id.startsWith('buyer:')) ?? records[0] ?? null;
}

/** Which member each of a member's records is at home with (an unmerge gives it back to that one). */
type Homes = Map<string, string | null>;

async function homesOf(session: PointsSession, member: MemberRef): Promise<Homes> {
  const homes: Homes = new Map();
  for (const id of member.records ?? []) homes.set(id, (await session.get<{ homeMemberId?: string | null } & Doc>('records', id))?.homeMemberId ?? null);
  return homes;
}

/**
 * Where a credit given to a member goes (an operator's adjustment): as `homeAccountOf`, among the
 * records at home with the member as named first (one merged away since is credited through its
 * survivor, on its own records), then those at home with the survivor, so that undoing a merge
 * leaves the credit with the member the operator named, not with the other side.
 */
function ownAccountOf(member: MemberRef, homes: Homes, named: string): string | null {
  const homeTo = (memberId: string) => homeAccountOf({ ...member, records: [...homes].filter(([, home]) => home === memberId).map(([id]) => id) });
  return homeTo(named) ?? homeTo(member._id) ?? homeAccountOf(member);
}

/** Runs `fn` on a session over `tx` and writes what it did. */
async function inSession<R>(tx: Tx | TxCache, services: Services, fn: (session: PointsSession) => Promise<R>): Promise<R> {
  const session = new PointsSession(tx, services);
  const result = await fn(session);
  await session.flush();
  return result;
}

export const postEarn = (tx: Tx | TxCache, services: Services, input: EarnInput, options: { settle?: boolean } = {}) =>
  inSession(tx, services, (s) => earnIn(s, input, options));
export const postOpeningBalance = (tx: Tx | TxCache, services: Services, input: OpeningInput) =>
  inSession(tx, services, (s) => openingBalanceIn(s, input));
/** Many records' opening balances in one session (an import batch's), each as `postOpeningBalance`; `hash` as `openingHash` gives it. */
export const postOpeningBalances = (tx: Tx | TxCache, services: Services, inputs: (OpeningInput & { hash?: string })[]) =>
  inSession(tx, services, async (s) => {
    for (const { hash, ...input } of inputs) await openingBalanceIn(s, input, hash);
  });
export const postReverse = (tx: Tx | TxCache, services: Services, input: ReverseInput) => inSession(tx, services, (s) => reverseIn(s, input));
export const postRedeem = (tx: Tx | TxCache, services: Services, input: RedeemInput) => inSession(tx, services, (s) => redeemIn(s, input));
export const postAdjust = (tx: Tx | TxCache, services: Services, input: AdjustInput) => inSession(tx, services, (s) => adjustIn(s, input));
export const expireAccount = (tx: Tx, services: Services, accountId: string, asOf: string) =>
  inSession(tx, services, (s) => expireIn(s, accountId, checkAt(asOf)));
