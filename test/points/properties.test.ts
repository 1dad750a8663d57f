import fc from 'fast-check';
import { runs, timeoutFor } from '../support/property';
import { syncMemberAccounts, type MemberRef } from '../../cloudfunctions/core/points/accounts.store';
import { pointsHistory } from '../../cloudfunctions/core/points/summary.store';
import { expirePoints } from '../../cloudfunctions/core/points/expire.store';
import { postEarn, postOpeningBalance, postRedeem, postReverse } from '../../cloudfunctions/core/points/ledger';
import type { AccountDoc, BalanceDoc, LedgerEntry } from '../../cloudfunctions/core/points/types';
import { verifyPoints } from '../../cloudfunctions/core/points/verify.store';
import { AppError } from '../../cloudfunctions/core/runtime/errors';
import { openTestServices, type TestServices } from '../support/services';
import { pointsState, seedMember } from './support';

/**
 * Random sequences of earns, redemptions, refunds, expiry runs, merges and
 * splits (identity re-assigning records and calling syncMemberAccounts) and
 * retries of earlier operations, on the real SQLite store. After every step
 * the invariants hold; retries and repeated expiry change nothing.
 */

const RECORDS = ['tmall:A', 'tmall:B', 'offline:C', 'wechat:D'];
const MEMBERS = ['m1', 'm2', 'm3'];

type Op =
  /** `app`: earned in the mini-program (a scan), which repays what the member owes anywhere; else an imported order. */
  | { op: 'earn'; record: number; order: number; points: number; daysAgo: number; app: boolean }
  | { op: 'redeem'; member: number; request: number; points: number }
  | { op: 'refund'; order: number; points: number; growth: number }
  /** A channel's opening balance, which may come in owed. */
  | { op: 'opening'; record: number; points: number }
  | { op: 'expire' }
  | { op: 'assign'; owners: number[] }
  | { op: 'advance'; days: number }
  | { op: 'retry'; which: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ op: fc.constant('earn' as const), record: fc.nat(3), order: fc.nat(7), points: fc.nat(400), daysAgo: fc.nat(400), app: fc.boolean() }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('redeem' as const), member: fc.nat(2), request: fc.nat(5), points: fc.integer({ min: 1, max: 120 }) }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('refund' as const), order: fc.nat(7), points: fc.nat(400), growth: fc.nat(400) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('opening' as const), record: fc.nat(3), points: fc.integer({ min: -60, max: 60 }) }) },
  { weight: 2, arbitrary: fc.constant({ op: 'expire' as const }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('assign' as const), owners: fc.array(fc.nat(2), { minLength: 4, maxLength: 4 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('advance' as const), days: fc.integer({ min: 1, max: 400 }) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('retry' as const), which: fc.nat(40) }) },
);

const DAY = 86_400_000;

async function totals(services: TestServices) {
  const { ledger, accounts, balances } = await pointsState(services);
  const sum = <T>(docs: T[], f: (d: T) => number) => docs.reduce((s, d) => s + f(d), 0);
  const attached = (accounts as AccountDoc[]).filter((a) => a.memberId);
  return {
    ledger: sum(ledger as LedgerEntry[], (e) => e.points),
    ledgerGrowth: sum(ledger as LedgerEntry[], (e) => e.growth),
    accounts: sum(accounts as AccountDoc[], (a) => a.points),
    attached: sum(attached, (a) => a.points),
    balances: sum(balances as BalanceDoc[], (b) => b.points),
    balanceGrowth: sum(balances as BalanceDoc[], (b) => b.growth),
    attachedGrowth: sum(attached, (a) => a.growth),
  };
}

async function assign(services: TestServices, owners: number[]) {
  await services.store.transaction(async (tx) => {
    const memberRecords = MEMBERS.map((memberId, m) => ({ memberId, recordIds: RECORDS.filter((_, r) => owners[r] === m) }));
    for (const { memberId, recordIds } of memberRecords) {
      const member = (await tx.get('members', memberId))!;
      await tx.set('members', { ...member, records: recordIds });
      for (const id of recordIds) await tx.update('records', id, { memberId });
    }
    await syncMemberAccounts(tx, services, memberRecords);
  });
}

/** Accounts and balances without bookkeeping (when written, how many entries): what the member has. */
async function holdings(services: TestServices) {
  const accounts = ((await services.dump('accounts')) as AccountDoc[]).map((a) => ({
    id: a._id, memberId: a.memberId, points: a.points, growth: a.growth, lots: a.lots.map((l) => [l.id, l.remaining, l.expiresAt]),
  }));
  const balances = ((await services.dump('balances')) as BalanceDoc[]).map((b) => ({ id: b._id, points: b.points, owed: b.owed, growth: b.growth, level: b.level }));
  return { accounts, balances };
}

/**
 * Right after a credit in the mini-program, no account of the member owes
 * while another holds points not yet due: the credit settled it.
 */
async function expectNothingOwedBesideLots(services: TestServices, accountId: string): Promise<void> {
  const record = await services.store.get<{ _id: string; memberId: string | null }>('records', accountId);
  const member = record?.memberId ? await services.store.get<{ _id: string; records: string[] }>('members', record.memberId) : null;
  if (!member) return;
  const now = new Date(services.clock.now()).toISOString();
  const accounts = (await Promise.all(member.records.map((id) => services.store.get<AccountDoc>('accounts', id)))).filter((a): a is AccountDoc => !!a);
  const owing = accounts.filter((a) => a.points < 0).map((a) => a._id);
  const holding = accounts.filter((a) => a.lots.some((l) => l.expiresAt > now)).map((a) => a._id);
  expect({ owing, holding: owing.length ? holding : [] }).toEqual({ owing, holding: [] });
}

/**
 * Plays a sequence on a fresh store. `sweeps: false` skips the expiry runs
 * (a late expiry job); `check` asserts the invariants after every step.
 */
async function play(ops: Op[], options: { sweeps: boolean; check: boolean }): Promise<TestServices> {
  const services = openTestServices('2026-01-10T02:00:00Z');
  try {
    for (const [m, memberId] of MEMBERS.entries()) await seedMember(services, memberId, RECORDS.filter((_, r) => r % 3 === m));
    const done: (() => Promise<unknown>)[] = [];
    const now = () => new Date(services.clock.now()).toISOString();

    const run = async (op: Op): Promise<void> => {
      switch (op.op) {
        case 'earn': {
          const input = {
            key: `order:x:${op.order}`, accountId: RECORDS[op.record]!, points: op.points, growth: op.points,
            at: new Date(services.clock.now() - op.daysAgo * DAY).toISOString(), source: { channel: 'tmall', ref: String(op.order) },
          };
          const attempt = () => services.store.transaction((tx) => postEarn(tx, services, input, { settle: op.app }));
          const posted = await attempt().then((r) => (done.push(attempt), r), (e: unknown) => expectCode(e, ['IDEMPOTENCY_MISMATCH']));
          if (posted && !posted.replayed && op.app && options.check) await expectNothingOwedBesideLots(services, posted.entry.accountId);
          return;
        }
        case 'redeem': {
          const input = { key: `redeem:${op.request}`, memberId: MEMBERS[op.member]!, points: op.points, at: now(), source: { channel: 'reward', ref: 'r' } };
          const attempt = () => services.store.transaction((tx) => postRedeem(tx, services, input));
          await attempt().then(() => done.push(attempt), (e: unknown) => expectCode(e, ['INSUFFICIENT_POINTS', 'IDEMPOTENCY_MISMATCH']));
          return;
        }
        case 'refund': {
          const input = { key: `refund:x:${op.order}`, of: `order:x:${op.order}`, points: op.points, growth: op.growth, at: now(), source: { channel: 'tmall', ref: String(op.order) } };
          const attempt = () => services.store.transaction((tx) => postReverse(tx, services, input));
          await attempt().then(() => done.push(attempt), (e: unknown) => expectCode(e, ['NOT_FOUND', 'IDEMPOTENCY_MISMATCH']));
          return;
        }
        case 'opening': {
          const input = { recordId: RECORDS[op.record]!, points: op.points, growth: Math.max(0, op.points), at: now() };
          const attempt = () => services.store.transaction((tx) => postOpeningBalance(tx, services, input));
          await attempt().then(() => done.push(attempt), (e: unknown) => expectCode(e, ['IDEMPOTENCY_MISMATCH']));
          return;
        }
        case 'expire': {
          if (!options.sweeps) return;
          const asOf = now();
          await expirePoints(services, asOf, { batchSize: 2 });
          const after = await pointsState(services);
          await expirePoints(services, asOf);
          if (options.check) expect(await pointsState(services)).toEqual(after);
          return;
        }
        case 'assign': {
          const before = await totals(services);
          await assign(services, op.owners);
          const after = await totals(services);
          if (options.check) {
            expect(after.accounts).toBe(before.accounts);
            expect(after.ledger).toBe(before.ledger);
          }
          return;
        }
        case 'advance':
          services.clock.advance(op.days * DAY);
          return;
        case 'retry': {
          const attempt = done[op.which % Math.max(1, done.length)];
          if (!attempt) return;
          const before = await pointsState(services);
          const result = (await attempt()) as { replayed: boolean };
          expect(result.replayed).toBe(true);
          expect(await pointsState(services)).toEqual(before);
        }
      }
    };

    for (const op of ops) {
      await run(op);
      if (!options.check) continue;
      const t = await totals(services);
      expect(t.accounts).toBe(t.ledger);
      expect(t.balances).toBe(t.attached);
      expect(t.balanceGrowth).toBe(t.attachedGrowth);
    }
    return services;
  } catch (error) {
    await services.close();
    throw error;
  }
}

describe('points ledger properties', () => {
  it('keeps balances equal to the ledger through any sequence, retries change nothing, merges preserve totals, a scan leaves nothing owed beside points', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 5, maxLength: 40, size: 'max' }), async (ops) => {
        const services = await play(ops, { sweeps: true, check: true });
        try {
          const report = await verifyPoints(services);
          expect(report.details).toEqual([]);
          // Lots sum to each positive balance; an owing account has no lots.
          for (const a of (await services.dump('accounts')) as AccountDoc[]) {
            const lots = a.lots.reduce((s, l) => s + l.remaining, 0);
            expect(a.points >= 0 ? lots : a.lots.length).toBe(a.points >= 0 ? a.points : 0);
          }
          // History pages of any size give the same lines, every entry counted once.
          const ledger = (await services.dump('ledger')) as LedgerEntry[];
          for (const memberId of MEMBERS) {
            const member = (await services.store.get<MemberRef>('members', memberId))!;
            const byOne = await wholeHistory(services, member, 1);
            expect(await wholeHistory(services, member, 3)).toEqual(byOne);
            expect(new Set(byOne.map((line) => line.id)).size).toBe(byOne.length);
            const records = new Set(member.records);
            expect(byOne.reduce((sum, line) => sum + line.points, 0)).toBe(ledger.filter((e) => records.has(e.accountId)).reduce((sum, e) => sum + e.points, 0));
          }
        } finally {
          await services.close();
        }
      }),
      { numRuns: runs(250) },
    );
  }, timeoutFor());

  it('gives the same points whenever the expiry job runs: every sweep, or one at the end', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 5, maxLength: 40, size: 'max' }), async (ops) => {
        const swept = await play(ops, { sweeps: true, check: false });
        const late = await play(ops, { sweeps: false, check: false });
        try {
          const asOf = new Date(swept.clock.now()).toISOString();
          await expirePoints(swept, asOf);
          await expirePoints(late, asOf);
          expect(await holdings(late)).toEqual(await holdings(swept));
        } finally {
          await swept.close();
          await late.close();
        }
      }),
      { numRuns: runs(150) },
    );
  }, timeoutFor());
});

async function wholeHistory(services: TestServices, member: MemberRef, limit: number) {
  const lines = [];
  let cursor: string | null = null;
  do {
    const page = await pointsHistory(services, member, { cursor, limit });
    lines.push(...page.entries);
    cursor = page.nextCursor;
  } while (cursor);
  return lines;
}

function expectCode(error: unknown, codes: string[]): void {
  if (!(error instanceof AppError) || !codes.includes(error.code)) throw error;
}
