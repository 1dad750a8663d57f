import { createHash } from 'node:crypto';
import type { PointsHistoryEntry, PointsHistoryResult, PointsSummaryResult } from '../contracts/points';
import { levelFor, nextLevelFor } from '../levels/rules';
import { AppError } from '../runtime/errors';
import type { Services } from '../runtime/services';
import { decodeCursor, encodeCursor } from '../store/cursor';
import { liveMember, type MemberRef } from './accounts.store';
import { describeEntry } from './describe';
import { dueTotal } from './rules';
import { isoOrNull } from './time';
import { COLLECTION, NEVER, type AccountDoc, type LedgerEntry } from './types';

/** How many expiry dates the summary lists. */
const EXPIRING_DATES = 3;

/** Read side by side: on CloudBase each read is a round trip, and a scan's answer waits for these. */
async function accountsOf(services: Services, member: MemberRef): Promise<AccountDoc[]> {
  const ids = [...new Set(member.records ?? [])];
  const accounts = await Promise.all(ids.map((id) => services.store.get<AccountDoc>(COLLECTION.accounts, id)));
  return accounts.filter((account): account is AccountDoc => account !== null);
}

/**
 * `points.summary`: the member's balance, what expires next and when, and
 * the level. Points already due but not yet swept by the expiry job are not
 * counted as available (the job will expire exactly those).
 */
export async function pointsSummary(services: Services, member: MemberRef): Promise<PointsSummaryResult> {
  const now = new Date(services.clock.now()).toISOString();
  // Every figure from the accounts, each of which holds its points and the lots due on it: the
  // member's balance document, read beside them, could be read after an expiry sweep (or a refund,
  // which sweeps first) that the accounts were read before, and the due points be taken off twice.
  const accounts = await accountsOf(services, member);
  const sum = (f: (a: AccountDoc) => number) => accounts.reduce((total, a) => total + f(a), 0);
  const points = sum((a) => a.points);
  const owed = sum((a) => Math.max(0, -a.points));
  const growth = sum((a) => a.growth);
  const due = sum((a) => dueTotal(a, now));

  const byDate = new Map<string, number>();
  for (const lot of accounts.flatMap((a) => a.lots)) {
    // points that never expire (expiry switched off) have no date to show
    if (lot.expiresAt > now && lot.expiresAt !== NEVER) byDate.set(lot.expiresAt, (byDate.get(lot.expiresAt) ?? 0) + lot.remaining);
  }
  const available = points - due;
  // Never more than the member has: lots on one account while another owes more are points the
  // consumer is not shown to have and cannot spend (available nets them away), so the nearest
  // expiries are listed up to the available points, and none while the member owes on balance.
  let shown = Math.max(0, available);
  const expiring: PointsSummaryResult['expiring'] = [];
  for (const [at, lotPoints] of [...byDate.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (shown === 0 || expiring.length === EXPIRING_DATES) break;
    expiring.push({ points: Math.min(lotPoints, shown), at });
    shown -= Math.min(lotPoints, shown);
  }

  const levels = services.config.levels;
  return { available, owed, expiring, growth, level: levelFor(growth, levels), nextLevel: nextLevelFor(growth, levels) };
}

/**
 * The available points an action that credited the member answers (a scan, a package card):
 * the figure points.summary shows, points due to expire that the expiry job has not swept yet
 * left out, read once the credit committed. Follows merges; 0 for a member erased meanwhile.
 * Should that read fail, `written` (the balance the credit's transaction wrote, which may still
 * count points due but not swept), when given.
 */
export async function availableNow(services: Services, memberId: string, written?: number): Promise<number> {
  try {
    const member = await liveMember(services.store.get.bind(services.store), memberId);
    return member ? (await pointsSummary(services, member)).available : 0;
  } catch (error) {
    // the points are credited: a read that fails now must not answer the credit as a failure
    // (a replay credited nothing now: its failure is answered, and the page retries)
    if (written === undefined) throw error;
    services.log.warn('available_not_read', { error: error instanceof Error ? error.name : 'unknown' });
    return written;
  }
}

const entryId = (key: string) => createHash('sha256').update(key).digest('base64url').slice(0, 16);

export function historyEntry(entry: LedgerEntry): PointsHistoryEntry {
  return { id: entryId(entry._id), kind: entry.kind, points: entry.points, growth: entry.growth, at: entry.at, description: describeEntry(entry) };
}

/** Newest first: later `at`, then larger key; the order every account's query uses. */
const newestFirst = (a: LedgerEntry, b: LedgerEntry) => (a.at !== b.at ? (a.at < b.at ? 1 : -1) : a._id < b._id ? 1 : a._id > b._id ? -1 : 0);

/**
 * `points.history`: newest first across all the member's accounts. Each
 * account's entries are queried by (at, key) descending from the cursor and
 * the pages merged; the cursor is the (at, key) of the last entry shown, which
 * means the same position in every account's order.
 */
export async function pointsHistory(
  services: Services,
  member: MemberRef,
  options: { cursor?: string | null; limit: number },
): Promise<PointsHistoryResult> {
  if (options.cursor) {
    try {
      const position = decodeCursor(options.cursor);
      // an entry's time as stored (canonical ISO) and key: any other string would silently restart
      // the history from the top ('zzz') or end it ('')
      if (typeof position.value !== 'string' || isoOrNull(position.value) !== position.value || !position.id) throw new Error('cursor');
    } catch {
      throw new AppError('INVALID_INPUT', 'cursor is not one this action gave out');
    }
  }
  let more = false;
  const found: LedgerEntry[] = [];
  for (const accountId of new Set(member.records ?? [])) {
    // An operation leaves at most two entries on one account (a credit, and the settle part that
    // took from its lot), so a page of `limit` lines holds at most twice that many of each account's.
    const page = await services.store.query<LedgerEntry>(COLLECTION.ledger, {
      where: { accountId }, orderBy: 'at', direction: 'desc', limit: options.limit * 2, cursor: options.cursor ?? null,
    });
    found.push(...page.items);
    if (page.nextCursor) more = true;
  }
  found.sort(newestFirst);
  // An operation written as several entries (a redemption across accounts, a credit or refund that
  // settled what another account owed) is one line: its parts share `group` and `at`, so they sit
  // together here, and a page never ends between them.
  const lines: LedgerEntry[][] = [];
  let taken = 0;
  for (const entry of found) {
    const line = lines[lines.length - 1];
    if (line && entry.group && line[0]!.group === entry.group) line.push(entry);
    else if (lines.length < options.limit) lines.push([entry]);
    else break;
    taken += 1;
  }
  if (found.length > taken) more = true;
  await completeLines(services, member, lines);
  const lastLine = lines[lines.length - 1];
  const last = lastLine?.[lastLine.length - 1];
  return { entries: lines.flatMap(historyLines), nextCursor: more && last ? encodeCursor({ value: last.at, id: last._id }) : null };
}

/**
 * Adds to each line the parts of its operation on the member's accounts that the queries missed:
 * one committed between two accounts' queries (a scan that settled what the Tmall card owed,
 * queried on WeChat before it and on Tmall after) would otherwise show as its settle part alone,
 * and the cursor, past it already, would never bring the rest. The line's last part stays its
 * oldest key, which the cursor is made from.
 */
async function completeLines(services: Services, member: MemberRef, lines: LedgerEntry[][]): Promise<void> {
  const own = new Set(member.records ?? []);
  for (const line of lines) {
    const group = line[0]!.group;
    if (!group) continue;
    const head = line.find((p) => p._id === group) ?? (await services.store.get<LedgerEntry>(COLLECTION.ledger, group));
    if (!head) continue;
    let added = false;
    for (const id of [group, ...(head.parts ?? [])]) {
      if (line.some((p) => p._id === id)) continue;
      const part = id === group ? head : await services.store.get<LedgerEntry>(COLLECTION.ledger, id);
      if (part && own.has(part.accountId)) {
        line.push(part);
        added = true;
      }
    }
    if (added) line.sort(newestFirst);
  }
}

/**
 * The history line of the parts of one operation (usually one entry), described by its head, or
 * two: when the settle moves among its parts on the member's accounts do not net to zero (some
 * went with an account an unmerge gave back to another member), the head keeps its own amount and
 * the moves are a line of their own (抵还欠分), so a scan's line never changes after the fact.
 */
function historyLines(parts: LedgerEntry[]): PointsHistoryEntry[] {
  const head = parts.find((p) => p._id === p.group) ?? parts[0]!;
  const sum = (entries: LedgerEntry[]) => ({ points: entries.reduce((total, p) => total + p.points, 0), growth: entries.reduce((total, p) => total + p.growth, 0) });
  const moves = parts.filter((p) => p !== head && p.kind === 'settle');
  const moved = sum(moves);
  if (head._id !== head.group || (moved.points === 0 && moved.growth === 0)) {
    return [{ ...historyEntry(head), description: withRepaid(head, repaidBy(head, moves)), ...sum(parts) }];
  }
  // the moves are a line of their own, which says what they repaid: the head says only what its own account owed
  return [{ ...historyEntry(head), description: withRepaid(head, repaidBy(head, [])), ...sum(parts.filter((p) => !moves.includes(p))) }, { ...historyEntry(moves[0]!), ...moved }];
}

/**
 * What of a credit went to what the member owed: on its own account (its lot opened with less)
 * and on the member's other accounts (its settle parts into them, among `moves`). Without a word
 * of it, a scan's +50 reads as 50 more to spend while the balance stayed owed.
 */
function repaidBy(head: LedgerEntry, moves: LedgerEntry[]): number {
  if (head.points <= 0 || !['earn', 'adjust', 'migrate'].includes(head.kind)) return 0;
  const own = head.points - (head.lot?.points ?? 0);
  const into = moves.reduce((total, p) => total + Math.max(0, p.points), 0);
  return Math.min(head.points, own + into);
}

/** 扫码积分 · 玫瑰精华水（已抵扣欠分）, or （其中 30 积分已抵扣欠分） when only part of it did: the scan page's words. */
function withRepaid(head: LedgerEntry, repaid: number): string {
  const description = describeEntry(head);
  if (repaid <= 0) return description;
  return repaid >= head.points ? `${description}（已抵扣欠分）` : `${description}（其中 ${repaid.toLocaleString('en-US')}\u00a0积分已抵扣欠分）`;
}
