import { syncMemberAccounts } from '../../cloudfunctions/core/points/accounts.store';
import { expirePoints } from '../../cloudfunctions/core/points/expire.store';
import { MAX_POINTS, postAdjust, postEarn, postOpeningBalance, postRedeem, postReverse } from '../../cloudfunctions/core/points/ledger';
import { pointsSummary } from '../../cloudfunctions/core/points/summary.store';
import type { LedgerEntry } from '../../cloudfunctions/core/points/types';
import { AppError } from '../../cloudfunctions/core/runtime/errors';
import { openTestServices, type TestServices } from '../support/services';
import { account, balance, entry, pointsState, seedMember, source } from './support';

/**
 * Ledger boundaries, idempotency hashes and orderings that a second round of hand-made mutants of
 * points/ (ledger, rules, summary, expiry, accounts) showed the rest of the suite let pass.
 */
describe('points ledger: more boundaries and orderings', () => {
  let services: TestServices;
  beforeEach(() => { services = openTestServices('2026-11-23T02:00:00Z'); });
  afterEach(() => services.close());

  const NOW = '2026-11-23T02:00:00.000Z';
  const codeOf = (promise: Promise<unknown>) => promise.then(() => 'ok', (e: unknown) => (e instanceof AppError ? e.code : String(e)));
  const earn = (key: string, accountId: string, points: number, at = '2026-03-01T04:00:00.000Z', extra: { growth?: number; note?: string; ref?: string } = {}) =>
    services.store.transaction((t) => postEarn(t, services, {
      key, accountId, points, growth: extra.growth ?? points, at, source: source(extra.ref ?? key.split(':').pop()!), ...(extra.note !== undefined ? { note: extra.note } : {}),
    }));
  const scan = (key: string, points: number, at = NOW) =>
    services.store.transaction((t) => postEarn(t, services, { key, accountId: 'wechat:o1', points, growth: 0, at, source: { channel: 'code', ref: key } }, { settle: true }));
  const redeem = (key: string, points: number, note?: string) =>
    services.store.transaction((t) => postRedeem(t, services, { key, memberId: 'm1', points, at: new Date(services.clock.now()).toISOString(), source: { channel: 'reward', ref: 'cup' }, ...(note ? { note } : {}) }));
  const reverse = (key: string, of: string, points: number, at = '2026-04-01T00:00:00.000Z') =>
    services.store.transaction((t) => postReverse(t, services, { key, of, points, growth: points, at, source: source(of.split(':').pop()!) }));
  const adjust = (key: string, points: number, extra: { operator?: string; at?: string; memberId?: string } = {}) =>
    services.store.transaction((t) => postAdjust(t, services, { key, memberId: extra.memberId ?? 'm1', points, reason: '补偿', operator: extra.operator ?? 'alice', at: extra.at ?? NOW }));
  /** Tmall order 1 earned, its points spent, then refunded: tmall:T1 owes `points`. */
  const owing = async (accountId: string, points: number) => {
    const [channel, id] = accountId.split(':');
    await earn(`order:${channel}:${id}`, accountId, points);
    await redeem(`redeem:${id}`, points);
    await reverse(`refund:${channel}:${id}`, `order:${channel}:${id}`, points);
  };

  describe('input limits', () => {
    beforeEach(() => seedMember(services, 'm1', ['tmall:T1', 'wechat:o1']));

    it('takes an entry of exactly the largest amount, and refuses one point more', async () => {
      expect((await earn('order:tmall:max', 'tmall:T1', MAX_POINTS)).entry.points).toBe(MAX_POINTS);
      const before = await pointsState(services);
      expect(await codeOf(earn('order:tmall:over', 'tmall:T1', MAX_POINTS + 1))).toBe('INVALID_INPUT');
      expect(await pointsState(services)).toEqual(before);
    });

    it('takes a source reference of 200 characters, and refuses 201', async () => {
      expect(await codeOf(earn('order:tmall:a', 'tmall:T1', 1, undefined, { ref: 'r'.repeat(200) }))).toBe('ok');
      expect(await codeOf(earn('order:tmall:b', 'tmall:T1', 1, undefined, { ref: 'r'.repeat(201) }))).toBe('INVALID_INPUT');
    });

    it('refuses a redemption of 0 points', async () => {
      await earn('order:tmall:1', 'tmall:T1', 10);
      const before = await pointsState(services);
      expect(await codeOf(redeem('redeem:zero', 0))).toBe('INVALID_INPUT');
      expect(await pointsState(services)).toEqual(before);
    });

    it('takes an operator name of 64 characters, and refuses 65', async () => {
      expect(await codeOf(adjust('adjust:a1', 5, { operator: 'o'.repeat(64) }))).toBe('ok');
      expect(await codeOf(adjust('adjust:a2', 5, { operator: 'o'.repeat(65) }))).toBe('INVALID_INPUT');
    });
  });

  describe('idempotency hashes see every field the caller sent', () => {
    beforeEach(() => seedMember(services, 'm1', ['tmall:T1', 'wechat:o1']));

    it('an earn key reused with another growth or another note is a mismatch', async () => {
      await earn('scan:c1', 'tmall:T1', 10, undefined, { growth: 10, note: '玫瑰精华水' });
      const before = await pointsState(services);
      expect(await codeOf(earn('scan:c1', 'tmall:T1', 10, undefined, { growth: 11, note: '玫瑰精华水' }))).toBe('IDEMPOTENCY_MISMATCH');
      expect(await codeOf(earn('scan:c1', 'tmall:T1', 10, undefined, { growth: 10, note: '洁面乳' }))).toBe('IDEMPOTENCY_MISMATCH');
      expect((await earn('scan:c1', 'tmall:T1', 10, undefined, { growth: 10, note: '玫瑰精华水' })).replayed).toBe(true);
      expect(await pointsState(services)).toEqual(before);
    });

    it('a refund key reused for another credit is a mismatch, not a replay of the first', async () => {
      await earn('order:tmall:1', 'tmall:T1', 100);
      await earn('order:tmall:2', 'tmall:T1', 100, undefined, { ref: '1' });
      await reverse('refund:tmall:1', 'order:tmall:1', 40);
      const before = await pointsState(services);
      expect(await codeOf(reverse('refund:tmall:1', 'order:tmall:2', 40))).toBe('IDEMPOTENCY_MISMATCH');
      expect(await pointsState(services)).toEqual(before);
    });

    it('an adjustment key reused with another reason is a mismatch', async () => {
      await adjust('adjust:a1', 5);
      const before = await pointsState(services);
      const again = services.store.transaction((t) => postAdjust(t, services, { key: 'adjust:a1', memberId: 'm1', points: 5, reason: '活动补发', operator: 'alice', at: NOW }));
      expect(await codeOf(again)).toBe('IDEMPOTENCY_MISMATCH');
      expect(await pointsState(services)).toEqual(before);
    });

    it('a redemption key reused with another note is a mismatch', async () => {
      await earn('order:tmall:1', 'tmall:T1', 100);
      await redeem('redeem:r1', 10, '保温杯');
      const before = await pointsState(services);
      expect(await codeOf(redeem('redeem:r1', 10, '帆布袋'))).toBe('IDEMPOTENCY_MISMATCH');
      expect(await pointsState(services)).toEqual(before);
    });
  });

  describe('what entries record', () => {
    beforeEach(() => seedMember(services, 'm1', ['tmall:T1', 'jd:J1', 'wechat:o1']));

    it('a refund dated back is recorded at its own date, not when it was imported', async () => {
      await earn('order:tmall:1', 'tmall:T1', 100);
      const { entry: back } = await reverse('refund:tmall:1', 'order:tmall:1', 30, '2026-04-01T00:00:00.000Z');
      expect(back.at).toBe('2026-04-01T00:00:00.000Z');
    });

    it('an adjustment names its request id as its source, and its settle moves share its date', async () => {
      await owing('tmall:T1', 50);
      // dated before the clock (a request made, then committed a little later): the moves keep the adjustment's date
      const at = '2026-11-23T01:59:00.000Z';
      const { entries } = await adjust('adjust:a1', 80, { at });
      expect(entries[0]).toMatchObject({ source: { channel: 'service', ref: 'a1' }, at, group: 'adjust:a1' });
      const parts = await Promise.all(entries[0]!.parts!.map((id) => entry(services, id)));
      expect(parts.map((p) => [p!.accountId, p!.points, p!.at])).toEqual([['tmall:T1', 50, at], ['wechat:o1', -50, at]]);
    });

    it('refuses to reverse a refund that took back no points (its own points had expired): only a credit is reversed', async () => {
      await earn('order:tmall:1', 'tmall:T1', 100, '2024-05-01T00:00:00.000Z'); // expired at the end of 2025
      const { entry: back } = await reverse('refund:tmall:1', 'order:tmall:1', 100);
      expect(back).toMatchObject({ kind: 'reverse', points: 0, growth: -100 });
      const before = await pointsState(services);
      expect(await codeOf(reverse('refund:tmall:again', 'refund:tmall:1', 0))).toBe('INVALID_INPUT');
      expect(await pointsState(services)).toEqual(before);
    });

    it('refuses to reverse an opening balance that came in owed', async () => {
      await services.store.transaction((t) => postOpeningBalance(t, services, { recordId: 'tmall:T1', points: -20, growth: 0, at: NOW }));
      const before = await pointsState(services);
      expect(await codeOf(reverse('refund:tmall:m', 'migrate:tmall:T1', 20))).toBe('INVALID_INPUT');
      expect(await pointsState(services)).toEqual(before);
    });

    it('three partial refunds of one order never take back more than it brought in all', async () => {
      await earn('order:tmall:1', 'tmall:T1', 100);
      const taken = [];
      for (const [key, points] of [['a', 70], ['b', 20], ['c', 70]] as const) taken.push((await reverse(`refund:tmall:1${key}`, 'order:tmall:1', points)).entry.points);
      expect(taken).toEqual([-70, -20, -10]);
      expect(await account(services, 'tmall:T1')).toMatchObject({ points: 0, growth: 0, reversed: { 'order:tmall:1': { points: 100, growth: 100 } } });
    });

    it('an INSUFFICIENT_POINTS answer says 0 available while the member owes on balance, never a negative figure', async () => {
      await owing('tmall:T1', 100);
      await earn('order:jd:1', 'jd:J1', 30);
      await expect(redeem('redeem:r9', 1)).rejects.toMatchObject({ code: 'INSUFFICIENT_POINTS', message: 'not enough points: 1 asked, 0 available', details: { available: 0 } });
    });
  });

  describe('orders of lots and of repayments', () => {
    it('lots expiring the same day are spent earliest-earned first', async () => {
      await seedMember(services, 'm1', ['tmall:T1']);
      // both earned in 2026: both expire at the end of 2027; the later one is posted first
      await earn('order:tmall:late', 'tmall:T1', 100, '2026-09-01T00:00:00.000Z');
      await earn('order:tmall:early', 'tmall:T1', 100, '2026-02-01T00:00:00.000Z');
      const { entries } = await redeem('redeem:r1', 60);
      expect(entries[0]!.allocations).toEqual([{ accountId: 'tmall:T1', lotId: 'order:tmall:early', points: 60 }]);
      expect((await account(services, 'tmall:T1'))!.lots.map((l) => [l.id, l.remaining])).toEqual([['order:tmall:early', 40], ['order:tmall:late', 100]]);
    });

    it('keeps an account\'s lots oldest-expiring first whatever order they were posted in, and a debit without a lot of its own takes the oldest', async () => {
      await seedMember(services, 'm1', ['tmall:T1']);
      await earn('order:tmall:C', 'tmall:T1', 100, '2026-06-01T00:00:00.000Z'); // expires at the end of 2027
      await earn('order:tmall:A', 'tmall:T1', 100, '2026-03-01T00:00:00.000Z'); // the end of 2027 too, earned earlier
      await earn('order:tmall:B', 'tmall:T1', 100, '2025-06-01T00:00:00.000Z'); // an older order imported late: the end of 2026
      expect((await account(services, 'tmall:T1'))!.lots.map((l) => l.id)).toEqual(['order:tmall:B', 'order:tmall:A', 'order:tmall:C']);
      // an opening balance that comes in owed takes from the lots, oldest-expiring first
      const { entry: opening } = await services.store.transaction((t) => postOpeningBalance(t, services, { recordId: 'tmall:T1', points: -130, growth: 0, at: NOW }));
      expect(opening.allocations).toEqual([{ accountId: 'tmall:T1', lotId: 'order:tmall:B', points: 100 }, { accountId: 'tmall:T1', lotId: 'order:tmall:A', points: 30 }]);
    });

    it('a lot partly spent expires what is left of it, not what it opened with', async () => {
      await seedMember(services, 'm1', ['tmall:T1']);
      await earn('order:tmall:1', 'tmall:T1', 100, '2025-06-01T00:00:00.000Z');
      await redeem('redeem:r1', 30);
      services.clock.set('2027-01-02T00:00:00Z');
      await expirePoints(services, '2027-01-01T00:00:00.000Z');
      expect(await entry(services, 'expire:order:tmall:1')).toMatchObject({ points: -70, allocations: [{ accountId: 'tmall:T1', lotId: 'order:tmall:1', points: 70 }] });
      expect(await balance(services, 'm1')).toMatchObject({ points: 0 });
    });

    it('lists as expiring no more than the member has when another account owes part of it', async () => {
      await seedMember(services, 'm1', ['tmall:T1', 'jd:J1']);
      await services.store.transaction((t) => postOpeningBalance(t, services, { recordId: 'tmall:T1', points: -30, growth: 0, at: NOW }));
      await earn('order:jd:1', 'jd:J1', 100);
      const summary = await pointsSummary(services, (await services.store.get('members', 'm1')) as never);
      expect(summary).toMatchObject({ available: 70, owed: 30, expiring: [{ points: 70, at: '2027-12-31T15:59:59.000Z' }] });
    });

    it('a scan too small for every debt repays the owing accounts in id order', async () => {
      await seedMember(services, 'm1', ['tmall:T1', 'jd:J1', 'wechat:o1']);
      for (const recordId of ['tmall:T1', 'jd:J1']) {
        await services.store.transaction((t) => postOpeningBalance(t, services, { recordId, points: -40, growth: 0, at: NOW }));
      }
      await scan('scan:c1', 50);
      expect(await account(services, 'jd:J1')).toMatchObject({ points: 0 });
      expect(await account(services, 'tmall:T1')).toMatchObject({ points: -30 });
      expect(await balance(services, 'm1')).toMatchObject({ points: -30, owed: 30 });
    });

    it('an operator\'s credit to a member merged away goes to that member\'s own records, so an unmerge leaves it there', async () => {
      await seedMember(services, 'm1', ['tmall:T1']);
      await seedMember(services, 'm2', ['wechat:o2']);
      // m2 merged into m1: its record joins m1 but stays at home with m2
      await services.store.transaction(async (t) => {
        await t.update('members', 'm2', { status: 'merged', mergedInto: 'm1', records: [] });
        await t.update('members', 'm1', { records: ['tmall:T1', 'wechat:o2'] });
        await t.update('records', 'wechat:o2', { memberId: 'm1' });
        await syncMemberAccounts(t, services, [{ memberId: 'm1', recordIds: ['tmall:T1', 'wechat:o2'] }, { memberId: 'm2', recordIds: [] }]);
      });
      // crediting m1 (the survivor) goes to m1's own record, not to the WeChat record m2 brought
      const { entries } = await adjust('adjust:a1', 10, { memberId: 'm1' });
      expect(entries[0]!.accountId).toBe('tmall:T1');
      const named = await adjust('adjust:a2', 10, { memberId: 'm2' });
      expect(named.entries[0]!.accountId).toBe('wechat:o2');
    });
  });

  describe('a balance rebuilt, a summary, the expiry job', () => {
    it('a missing balance document is rebuilt with what the member owes', async () => {
      await seedMember(services, 'm1', ['tmall:T1', 'wechat:o1']);
      await owing('tmall:T1', 100);
      await services.store.transaction((t) => t.remove('balances', 'm1'));
      await earn('order:tmall:2', 'wechat:o1', 10, undefined, { growth: 0 });
      expect(await balance(services, 'm1')).toMatchObject({ points: -90, owed: 100 });
    });

    it('the summary lists the three nearest expiry dates, not a fourth', async () => {
      const s = openTestServices('2026-11-23T02:00:00Z', { points: { ...services.config.points, expiry: { yearsAfterEarning: 3 } } });
      try {
        await seedMember(s, 'm1', ['tmall:T1']);
        for (const year of [2023, 2024, 2025, 2026]) {
          await s.store.transaction((t) => postEarn(t, s, { key: `order:tmall:${year}`, accountId: 'tmall:T1', points: 10, growth: 10, at: `${year}-06-01T00:00:00.000Z`, source: source(String(year)) }));
        }
        const member = (await s.store.get('members', 'm1')) as never;
        const summary = await pointsSummary(s, member);
        expect(summary.available).toBe(40);
        expect(summary.expiring.map((e) => e.at)).toEqual(['2026-12-31T15:59:59.000Z', '2027-12-31T15:59:59.000Z', '2028-12-31T15:59:59.000Z']);
      } finally {
        await s.close();
      }
    });

    it('the summary lists no date for points due at this very second', async () => {
      await seedMember(services, 'm1', ['tmall:T1']);
      await earn('order:tmall:1', 'tmall:T1', 10, '2025-06-01T00:00:00.000Z');
      await earn('order:tmall:2', 'tmall:T1', 20, '2026-06-01T00:00:00.000Z');
      services.clock.set('2026-12-31T15:59:59.000Z');
      const summary = await pointsSummary(services, (await services.store.get('members', 'm1')) as never);
      expect(summary).toMatchObject({ available: 20, expiring: [{ points: 20, at: '2027-12-31T15:59:59.000Z' }] });
    });

    it('lists nothing as expiring while points due but not yet swept leave the member owing on balance', async () => {
      await seedMember(services, 'm1', ['tmall:T1', 'jd:J1']);
      await earn('order:tmall:1', 'tmall:T1', 10, '2025-06-01T00:00:00.000Z'); // due at the end of 2026
      await earn('order:tmall:2', 'tmall:T1', 20, '2026-06-01T00:00:00.000Z');
      await services.store.transaction((t) => postOpeningBalance(t, services, { recordId: 'jd:J1', points: -25, growth: 0, at: NOW }));
      services.clock.set('2027-01-02T00:00:00Z');
      const summary = await pointsSummary(services, (await services.store.get('members', 'm1')) as never);
      expect(summary).toMatchObject({ available: -5, owed: 25, expiring: [] });
    });

    it('the expiry job as of the very second a lot expires expires it', async () => {
      await seedMember(services, 'm1', ['tmall:T1']);
      await earn('order:tmall:1', 'tmall:T1', 10, '2025-06-01T00:00:00.000Z');
      services.clock.set('2027-01-01T00:00:00Z');
      expect(await expirePoints(services, '2026-12-31T15:59:59.000Z')).toEqual({ accounts: 1, lots: 1, points: 10 });
      expect(await balance(services, 'm1')).toMatchObject({ points: 0 });
    });
  });

  it('a negative opening balance refused past the largest amount', async () => {
    await seedMember(services, 'm1', ['tmall:T1']);
    expect(await codeOf(services.store.transaction((t) => postOpeningBalance(t, services, { recordId: 'tmall:T1', points: -MAX_POINTS - 1, growth: 0, at: NOW })))).toBe('INVALID_INPUT');
    expect(await codeOf(services.store.transaction((t) => postOpeningBalance(t, services, { recordId: 'tmall:T1', points: -MAX_POINTS, growth: 0, at: NOW })))).toBe('ok');
    expect((await services.dump('ledger') as LedgerEntry[]).map((e) => e.points)).toEqual([-MAX_POINTS]);
  });
});
