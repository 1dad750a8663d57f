import fc from 'fast-check';
import { runs, timeoutFor } from '../support/property';
import { createHash } from 'node:crypto';
import { syncMemberAccounts, type MemberRef } from '../../cloudfunctions/core/points/accounts.store';
import { describeEntry } from '../../cloudfunctions/core/points/describe';
import { expirePoints } from '../../cloudfunctions/core/points/expire.store';
import { postAdjust, postEarn, postOpeningBalance, postRedeem, postReverse } from '../../cloudfunctions/core/points/ledger';
import { pointsHistory } from '../../cloudfunctions/core/points/summary.store';
import type { BalanceDoc, LedgerEntry } from '../../cloudfunctions/core/points/types';
import { AppError } from '../../cloudfunctions/core/runtime/errors';
import { decodeCursor, encodeCursor } from '../../cloudfunctions/core/store/cursor';
import { openTestServices, type TestServices } from '../support/services';
import { seedMember } from './support';

/**
 * `points.history` pages: the member's accounts' ledgers are queried side by side from the cursor
 * and merged into lines (an operation written as several entries is one line). Whatever the page
 * size, walking every page must give the lines of the ledger itself, each once, newest first.
 */

type Line = { id: string; kind: string; points: number; growth: number; at: string; description: string };

const entryId = (key: string) => createHash('sha256').update(key).digest('base64url').slice(0, 16);
const newestFirst = (a: LedgerEntry, b: LedgerEntry) => (a.at !== b.at ? (a.at < b.at ? 1 : -1) : a._id < b._id ? 1 : a._id > b._id ? -1 : 0);
const sum = (entries: LedgerEntry[], f: (e: LedgerEntry) => number) => entries.reduce((total, e) => total + f(e), 0);

/**
 * The member's history computed from the whole ledger, without paging: the entries on its
 * accounts grouped by operation, ordered as their newest entry; a settle that no longer nets to
 * zero on the member (an account it repaid went to another member) is a line of its own.
 */
function oracle(ledger: LedgerEntry[], records: readonly string[]): { lines: Line[]; order: [string, string][] } {
  const own = new Set(records);
  const ops = new Map<string, LedgerEntry[]>();
  for (const entry of ledger.filter((e) => own.has(e.accountId))) {
    const key = entry.group ?? entry._id;
    ops.set(key, [...(ops.get(key) ?? []), entry]);
  }
  const groups = [...ops.values()].map((parts) => parts.sort(newestFirst)).sort((a, b) => newestFirst(a[0]!, b[0]!));
  const lines: Line[] = [];
  const order: [string, string][] = [];
  // a credit says what of it repaid a debt: on its own account (its lot opened with less) and moved into the member's other accounts
  const note = (head: LedgerEntry, parts: LedgerEntry[]) => {
    if (head.points <= 0 || !['earn', 'adjust', 'migrate'].includes(head.kind)) return '';
    const repaid = Math.min(head.points, head.points - (head.lot?.points ?? 0) + sum(parts.filter((p) => p !== head && p.kind === 'settle' && p.points > 0), (p) => p.points));
    return repaid === 0 ? '' : repaid === head.points ? '（已抵扣欠分）' : `（其中 ${repaid.toLocaleString('en-US')}\u00a0积分已抵扣欠分）`;
  };
  const line = (head: LedgerEntry, parts: LedgerEntry[]): Line => ({
    id: entryId(head._id), kind: head.kind, points: sum(parts, (p) => p.points), growth: sum(parts, (p) => p.growth), at: head.at, description: describeEntry(head) + note(head, parts),
  });
  for (const parts of groups) {
    const newest = parts[0]!;
    const head = parts.find((p) => p._id === p.group);
    const moves = parts.filter((p) => p !== head && p.kind === 'settle');
    if (head && (sum(moves, (p) => p.points) !== 0 || sum(moves, (p) => p.growth) !== 0)) {
      lines.push(line(head, parts.filter((p) => !moves.includes(p))), line(moves[0]!, moves));
      order.push([newest.at, newest._id], [newest.at, newest._id]);
    } else {
      lines.push(line(head ?? parts[0]!, parts));
      order.push([newest.at, newest._id]);
    }
  }
  return { lines, order };
}

async function walk(services: TestServices, member: MemberRef, limit: number, cursor: string | null = null): Promise<Line[]> {
  const lines: Line[] = [];
  for (let pages = 0; ; pages++) {
    if (pages > 1000) throw new Error('history never ends');
    const page = await pointsHistory(services, member, { cursor, limit });
    expect(page.entries.length).toBeLessThanOrEqual(limit * 2);
    lines.push(...page.entries);
    if (!page.nextCursor) return lines;
    expect(page.entries.length).toBeGreaterThan(0);
    cursor = page.nextCursor;
  }
}

const memberOf = async (services: TestServices, id: string) => (await services.store.get<MemberRef>('members', id))!;
const ledgerOf = async (services: TestServices) => (await services.dump('ledger')) as LedgerEntry[];

async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  const error = await promise.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(AppError);
  expect((error as AppError).code).toBe(code);
}

describe('points.history paging', () => {
  let services: TestServices;
  afterEach(async () => services?.close());

  it('a settle line with two entries on one account at the top of a page does not hide the next entry of that account', async () => {
    services = openTestServices('2026-03-01T02:00:00Z');
    await seedMember(services, 'm1', ['wechat:W', 'tmall:T']);
    const tx = <R>(fn: Parameters<TestServices['store']['transaction']>[0]) => services.store.transaction(fn) as Promise<R>;
    // the Tmall card earns, the points are spent, the order refunded: the card owes 100
    await tx((t) => postEarn(t, services, { key: 'order:tmall:1', accountId: 'tmall:T', points: 100, growth: 100, at: '2026-02-01T00:00:00.000Z', source: { channel: 'tmall', ref: '1' } }));
    await tx((t) => postRedeem(t, services, { key: 'redeem:r1', memberId: 'm1', points: 100, at: '2026-02-02T00:00:00.000Z', source: { channel: 'reward', ref: 'r' } }));
    await tx((t) => postReverse(t, services, { key: 'refund:tmall:1', of: 'order:tmall:1', points: 100, growth: 100, at: '2026-02-03T00:00:00.000Z', source: { channel: 'tmall', ref: '1' } }));
    // an entry on WeChat that settles nothing, then a scan on WeChat that repays the card:
    // the scan's line holds two WeChat entries (its credit, and the settle taken from its lot)
    await tx((t) => postEarn(t, services, { key: 'order:wechat:2', accountId: 'wechat:W', points: 10, growth: 10, at: '2026-02-04T00:00:00.000Z', source: { channel: 'wechat', ref: '2' } }));
    await tx((t) => postEarn(t, services, { key: 'scan:X', accountId: 'wechat:W', points: 200, growth: 0, at: '2026-02-05T00:00:00.000Z', source: { channel: 'wechat', ref: 'X' } }, { settle: true }));
    const member = await memberOf(services, 'm1');
    const { lines } = oracle(await ledgerOf(services), member.records!);
    expect(lines.map((l) => [l.kind, l.points])).toEqual([['earn', 200], ['earn', 10], ['reverse', -100], ['redeem', -100], ['earn', 100]]);
    for (let limit = 1; limit <= lines.length + 1; limit++) expect(await walk(services, member, limit)).toEqual(lines);
  });

  describe('random ledgers', () => {
    const RECORDS = ['wechat:W1', 'wechat:W2', 'tmall:T', 'offline:S', 'jd:J'];
    const DAY = 86_400_000;
    /** Few distinct times, so many entries share one `at` and the tie-break by key decides. */
    const TIMES = ['2024-03-01T00:00:00.000Z', '2024-11-11T00:00:00.000Z', '2025-06-18T00:00:00.000Z', '2025-11-11T00:00:00.000Z', '2026-02-01T00:00:00.000Z'];

    type Op =
      | { op: 'earn'; record: number; order: number; points: number; time: number; app: boolean }
      | { op: 'redeem'; points: number }
      | { op: 'refund'; order: number; points: number }
      | { op: 'opening'; record: number; points: number }
      | { op: 'adjust'; points: number }
      | { op: 'expire' }
      | { op: 'advance'; days: number }
      /** Which member each record is on (0: m1, 1: m2): merges and unmerges as identity leaves them. */
      | { op: 'assign'; owners: number[] };

    const opArb: fc.Arbitrary<Op> = fc.oneof(
      { weight: 8, arbitrary: fc.record({ op: fc.constant('earn' as const), record: fc.nat(4), order: fc.nat(11), points: fc.nat(300), time: fc.nat(TIMES.length), app: fc.boolean() }) },
      { weight: 5, arbitrary: fc.record({ op: fc.constant('redeem' as const), points: fc.integer({ min: 1, max: 200 }) }) },
      { weight: 5, arbitrary: fc.record({ op: fc.constant('refund' as const), order: fc.nat(11), points: fc.nat(300) }) },
      { weight: 2, arbitrary: fc.record({ op: fc.constant('opening' as const), record: fc.nat(4), points: fc.integer({ min: -150, max: 150 }) }) },
      { weight: 3, arbitrary: fc.record({ op: fc.constant('adjust' as const), points: fc.integer({ min: -120, max: 200 }).filter((p) => p !== 0) }) },
      { weight: 2, arbitrary: fc.constant({ op: 'expire' as const }) },
      { weight: 1, arbitrary: fc.record({ op: fc.constant('advance' as const), days: fc.integer({ min: 0, max: 300 }) }) },
      { weight: 1, arbitrary: fc.record({ op: fc.constant('assign' as const), owners: fc.array(fc.nat(1), { minLength: RECORDS.length, maxLength: RECORDS.length }) }) },
    );

    async function assign(owners: number[]) {
      await services.store.transaction(async (tx) => {
        const memberRecords = ['m1', 'm2'].map((memberId, m) => ({ memberId, recordIds: RECORDS.filter((_, r) => (r === 0 ? m === 0 : owners[r] === m)) }));
        for (const { memberId, recordIds } of memberRecords) {
          const member = (await tx.get('members', memberId))!;
          await tx.set('members', { ...member, records: recordIds });
          for (const id of recordIds) await tx.update('records', id, { memberId });
        }
        await syncMemberAccounts(tx, services, memberRecords);
      });
    }

    const ignore = (codes: string[]) => (e: unknown) => {
      if (!(e instanceof AppError) || !codes.includes(e.code)) throw e;
    };

    async function play(ops: Op[]): Promise<void> {
      services = openTestServices('2026-03-01T02:00:00Z');
      // m1 holds every record (WeChat accounts and the cards merged into it); m2 takes some away and back
      await seedMember(services, 'm1', RECORDS);
      await seedMember(services, 'm2', []);
      const now = () => new Date(services.clock.now()).toISOString();
      let n = 0;
      for (const op of ops) {
        n++;
        switch (op.op) {
          case 'earn': {
            const at = op.time === TIMES.length ? now() : TIMES[op.time]!;
            const account = RECORDS[op.record]!;
            const key = op.app ? `scan:c${op.order}` : `order:x:${op.order}`;
            await services.store.transaction((tx) =>
              postEarn(tx, services, { key, accountId: account, points: op.points, growth: op.points, at, source: { channel: account.split(':')[0]!, ref: String(op.order) } }, { settle: op.app }),
            ).catch(ignore(['IDEMPOTENCY_MISMATCH']));
            break;
          }
          case 'redeem':
            await services.store.transaction((tx) => postRedeem(tx, services, { key: `redeem:q${n}`, memberId: 'm1', points: op.points, at: now(), source: { channel: 'reward', ref: 'r' } }))
              .catch(ignore(['INSUFFICIENT_POINTS']));
            break;
          case 'refund':
            await services.store.transaction((tx) =>
              postReverse(tx, services, { key: `refund:x:${op.order}:${n}`, of: `order:x:${op.order}`, points: op.points, growth: op.points, at: now(), source: { channel: 'tmall', ref: String(op.order) } }),
            ).catch(ignore(['NOT_FOUND']));
            break;
          case 'opening':
            await services.store.transaction((tx) => postOpeningBalance(tx, services, { recordId: RECORDS[op.record]!, points: op.points, growth: Math.max(0, op.points), at: now() }))
              .catch(ignore(['IDEMPOTENCY_MISMATCH']));
            break;
          case 'adjust':
            await services.store.transaction((tx) => postAdjust(tx, services, { key: `adjust:a${n}`, memberId: 'm1', points: op.points, reason: 'fix', operator: 'ops', at: now() }))
              .catch(ignore(['INSUFFICIENT_POINTS']));
            break;
          case 'expire':
            await expirePoints(services, now());
            break;
          case 'advance':
            services.clock.advance(op.days * DAY);
            break;
          case 'assign':
            await assign(op.owners);
            break;
        }
      }
    }

    it('every page size gives the ledger\'s lines, each once, newest first, adding up to the balance; a retried or older cursor still holds', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(opArb, { minLength: 5, maxLength: 45, size: 'max' }), fc.nat(), async (ops, pick) => {
          await play(ops);
          try {
            const member = await memberOf(services, 'm1');
            const ledger = await ledgerOf(services);
            const { lines, order } = oracle(ledger, member.records!);
            // newest first with a strict tie-break: no two lines at one position (but the two of one scan)
            for (let i = 1; i < order.length; i++) {
              const [a, b] = [order[i - 1]!, order[i]!];
              expect(a[0] > b[0] || (a[0] === b[0] && a[1] >= b[1])).toBe(true);
            }
            // the lines add up to the member's balance movement
            const balance = (await services.store.get<BalanceDoc>('balances', 'm1'))!;
            expect(lines.reduce((total, l) => total + l.points, 0)).toBe(balance.points);
            expect(lines.reduce((total, l) => total + l.growth, 0)).toBe(balance.growth);

            for (let limit = 1; limit <= lines.length + 1; limit++) expect(await walk(services, member, limit)).toEqual(lines);
            expect(await walk(services, member, 50)).toEqual(lines);

            // a cursor asked again gives the same page; one kept from before a new scan still brings
            // the lines older than it, none twice
            const limit = 1 + (pick % 4);
            const first = await pointsHistory(services, member, { cursor: null, limit });
            if (first.nextCursor) {
              const again = await pointsHistory(services, member, { cursor: first.nextCursor, limit });
              expect(await pointsHistory(services, member, { cursor: first.nextCursor, limit })).toEqual(again);
              await services.store.transaction((tx) =>
                postEarn(tx, services, { key: 'scan:new', accountId: 'wechat:W1', points: 7, growth: 0, at: new Date(services.clock.now()).toISOString(), source: { channel: 'wechat', ref: 'new' } }, { settle: true }),
              );
              const after = oracle(await ledgerOf(services), member.records!);
              const rest = await walk(services, member, limit, first.nextCursor);
              // the lines older than the cursor's position, in the ledger as it is now
              const { value, id } = decodeCursor(first.nextCursor);
              const older = after.lines.filter((_, i) => { const [at, key] = after.order[i]!; return at < value! || (at === value && key < id); });
              expect(rest).toEqual(older);
              const shown = new Set(first.entries.map((l) => l.id));
              expect(rest.filter((l) => shown.has(l.id))).toEqual([]);
            }
          } finally {
            await services.close();
          }
        }),
        { numRuns: runs(120) },
      );
    }, timeoutFor());
  });

  it('a cursor it never gave out is INVALID_INPUT', async () => {
    services = openTestServices('2026-03-01T02:00:00Z');
    await seedMember(services, 'm1', ['wechat:W']);
    for (const i of [1, 2, 3]) {
      await services.store.transaction((tx) => postEarn(tx, services, { key: `order:wechat:${i}`, accountId: 'wechat:W', points: i, growth: 0, at: `2026-02-0${i}T00:00:00.000Z`, source: { channel: 'wechat', ref: String(i) } }));
    }
    const member = await memberOf(services, 'm1');
    const page = await pointsHistory(services, member, { limit: 1 });
    const cursor = page.nextCursor!;
    const b64 = (text: string) => Buffer.from(text).toString('base64url');
    for (const forged of [
      'not a cursor', cursor.slice(0, -4), `${cursor}xyz`, b64('{}'), b64('[]'), b64('["2026-02-01T00:00:00.000Z"]'), b64('[1,"order:wechat:1"]'), b64('[null,"order:wechat:1"]'),
      b64('[true,"x"]'), b64('["2026-02-01T00:00:00.000Z",5]'), b64('"x"'), b64('["zzz","order:wechat:1"]'), b64('["","x"]'), b64('["2026-02-01","order:wechat:1"]'),
    ]) {
      await expectCode(pointsHistory(services, member, { cursor: forged, limit: 1 }), 'INVALID_INPUT');
    }
    // the one it gave out, as given, still serves
    expect((await pointsHistory(services, member, { cursor: encodeCursor({ value: '2026-02-03T00:00:00.000Z', id: 'order:wechat:3' }), limit: 5 })).entries.map((e) => e.points)).toEqual([2, 1]);
  });
});
