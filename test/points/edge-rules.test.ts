import { expireAccount, postAdjust, postEarn, postOpeningBalance, postRedeem, postReverse } from '../../cloudfunctions/core/points/ledger';
import { planSpend } from '../../cloudfunctions/core/points/rules';
import type { LedgerEntry } from '../../cloudfunctions/core/points/types';
import { AppError } from '../../cloudfunctions/core/runtime/errors';
import { openTestServices, type TestServices } from '../support/services';
import { account, balance, entry, pointsState, seedMember, source } from './support';

/** Boundary seconds, empty outcomes and consistency guards of the ledger, each a slip the rest of the suite would let pass (found by hand-made mutation testing). */
describe('points ledger: boundaries and guards', () => {
  let services: TestServices;
  beforeEach(() => { services = openTestServices('2026-11-23T02:00:00Z'); });
  afterEach(() => services.close());

  const earn = (key: string, accountId: string, points: number, at = '2026-03-01T04:00:00.000Z') =>
    services.store.transaction((t) => postEarn(t, services, { key, accountId, points, growth: points, at, source: source(key.split(':').pop()!) }));
  const scan = (key: string, points: number) =>
    services.store.transaction((t) => postEarn(t, services, { key, accountId: 'wechat:o1', points, growth: 0, at: '2026-11-23T02:00:00.000Z', source: { channel: 'code', ref: key } }, { settle: true }));
  const redeem = (key: string, points: number) =>
    services.store.transaction((t) => postRedeem(t, services, { key, memberId: 'm1', points, at: new Date(services.clock.now()).toISOString(), source: { channel: 'reward', ref: 'cup' } }));
  const reverse = (key: string, of: string, points: number) =>
    services.store.transaction((t) => postReverse(t, services, { key, of, points, growth: points, at: '2026-04-01T00:00:00.000Z', source: source(of.split(':').pop()!) }));
  const adjust = (key: string, points: number) =>
    services.store.transaction((t) => postAdjust(t, services, { key, memberId: 'm1', points, reason: '补偿', operator: 'alice', at: '2026-11-23T02:00:00.000Z' }));
  const codeOf = (promise: Promise<unknown>) => promise.then(() => 'ok', (e: unknown) => (e instanceof AppError ? e.code : String(e)));
  /** Tmall order 1 earned, its points spent, then refunded: tmall:T1 owes 100. */
  const owingTmall = async () => {
    await earn('order:tmall:1', 'tmall:T1', 100);
    await redeem('redeem:r1', 100);
    await reverse('refund:tmall:1', 'order:tmall:1', 100);
  };

  // guards against (rules.ts planSpend `expiresAt > asOf` -> `>=`): equivalent through spendIn, which expires
  // what is due first; the rule itself must skip a lot due at that very second, as dueLots counts it due.
  it('planSpend skips a lot expiring at the very second of the spend', () => {
    const asOf = '2026-12-31T15:59:59.000Z';
    const lot = (id: string, expiresAt: string) => ({ id, points: 100, remaining: 100, at: '2025-01-01T00:00:00.000Z', expiresAt });
    const state = { points: 200, growth: 0, reversed: {}, lots: [lot('due', asOf), lot('later', '2027-12-31T15:59:59.000Z')] };
    expect(planSpend([{ accountId: 'tmall:T1', state }], 100, asOf)).toEqual([{ accountId: 'tmall:T1', lotId: 'later', points: 100 }]);
    expect(planSpend([{ accountId: 'tmall:T1', state }], 101, asOf)).toBeNull();
  });

  // guards against (planSpend's net counting an owing account as zero)
  it('a redemption never spends another account\'s points while the member as a whole owes', async () => {
    await seedMember(services, 'm1', ['tmall:T1', 'jd:J1']);
    await owingTmall();
    await earn('order:jd:1', 'jd:J1', 50); // an imported order: repays only its own account
    expect(await balance(services, 'm1')).toMatchObject({ points: -50, owed: 100 });
    const before = await pointsState(services);
    expect(await codeOf(redeem('redeem:r2', 10))).toBe('INSUFFICIENT_POINTS');
    expect(await pointsState(services)).toEqual(before);
  });

  // guards against (creditIn `{ repay: !due }` -> `{ repay: true }`)
  it('an old order imported after its points were due repays nothing owed', async () => {
    await seedMember(services, 'm1', ['tmall:T1']);
    await owingTmall();
    const { entry: late } = await earn('order:tmall:old', 'tmall:T1', 50, '2024-03-01T00:00:00.000Z'); // due at the end of 2025
    expect(late.lot).toMatchObject({ points: 50 });
    expect(await entry(services, 'expire:order:tmall:old')).toMatchObject({ points: -50 });
    expect(await account(services, 'tmall:T1')).toMatchObject({ points: -100, lots: [] });
    expect(await balance(services, 'm1')).toMatchObject({ points: -100, owed: 100 });
  });

  // guards against (creditIn `expiresAt <= session.now` -> `<`)
  it('a credit recorded at the very second its lot expires is expired at once', async () => {
    await seedMember(services, 'm1', ['tmall:T1']);
    services.clock.set('2026-12-31T15:59:59.000Z');
    await earn('order:tmall:1', 'tmall:T1', 100, '2025-06-01T00:00:00.000Z');
    expect(await entry(services, 'expire:order:tmall:1')).toMatchObject({ kind: 'expire', points: -100 });
    expect(await account(services, 'tmall:T1')).toMatchObject({ points: 0, lots: [] });
    expect(await balance(services, 'm1')).toMatchObject({ points: 0, growth: 100 });
  });

  // guards against (adjustIn hashing |points|)
  it('an adjustment key reused with the opposite sign is a mismatch, not a replay', async () => {
    await seedMember(services, 'm1', ['tmall:T1', 'wechat:o1']);
    await adjust('adjust:a1', 30);
    const before = await pointsState(services);
    expect(await codeOf(adjust('adjust:a1', -30))).toBe('IDEMPOTENCY_MISMATCH');
    expect(await pointsState(services)).toEqual(before);
  });

  // guards against (planSettlement pushing repayments of 0)
  it('settling writes no entry for an owing account the points did not reach', async () => {
    await seedMember(services, 'm1', ['jd:J1', 'tmall:T1', 'wechat:o1']);
    await owingTmall();
    await services.store.transaction((t) => postOpeningBalance(t, services, { recordId: 'jd:J1', points: -50, growth: 0, at: '2026-11-23T02:00:00.000Z' }));
    const { entry: head } = await scan('scan:c1', 50);
    const settles = ((await services.dump('ledger')) as LedgerEntry[]).filter((e) => e.kind === 'settle');
    expect(settles.map((e) => [e.accountId, e.points])).toEqual([['jd:J1', 50], ['wechat:o1', -50]]);
    expect(head.parts).toEqual(['scan:c1#s1', 'scan:c1#s2']);
    expect(await balance(services, 'm1')).toMatchObject({ points: -100, owed: 100 });
  });

  // guards against (expireIn's double-expiry guard dropped)
  it('refuses to expire a lot twice when the account was restored from an old copy', async () => {
    await seedMember(services, 'm1', ['tmall:T1']);
    await earn('order:tmall:1', 'tmall:T1', 100, '2025-02-01T00:00:00.000Z');
    const stale = await account(services, 'tmall:T1');
    await services.store.transaction((t) => expireAccount(t, services, 'tmall:T1', '2027-01-01T00:00:00.000Z'));
    await services.store.transaction((t) => t.set('accounts', stale!));
    await expect(services.store.transaction((t) => expireAccount(t, services, 'tmall:T1', '2027-01-01T00:00:00.000Z'))).rejects.toThrow(/ledger inconsistent/);
  });
});
