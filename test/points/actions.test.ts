import { pointsFunction } from '../../cloudfunctions/core/functions/points';
import { postEarn, postRedeem, postReverse } from '../../cloudfunctions/core/points/ledger';
import { invoke } from '../../cloudfunctions/core/runtime/handler';
import { callerOf, openTestServices, type TestServices } from '../support/services';
import { pointsState, seedMember, source } from './support';

describe('points cloud function', () => {
  let services: TestServices;
  beforeEach(async () => {
    services = openTestServices('2026-11-23T02:00:00Z');
    await seedMember(services, 'm1', ['wechat:o-alice', 'tmall:T1', 'offline:C1'], { openid: 'o-alice', phone: true });
  });
  afterEach(() => services.close());

  const call = (event: unknown, openid: string | null = 'o-alice') => invoke(pointsFunction, event, callerOf(openid), services);
  const earn = (key: string, accountId: string, points: number, at: string) =>
    services.store.transaction((tx) => postEarn(tx, services, { key, accountId, points, growth: points, at, source: source(key.split(':').pop()!, key.split(':')[1]) }));

  describe('summary', () => {
    it('answers zeros and the first level for a member without points', async () => {
      expect(await call({ action: 'summary' })).toEqual({
        ok: true,
        data: { available: 0, owed: 0, expiring: [], growth: 0, level: { code: 'normal', name: '普通会员' }, nextLevel: { code: 'silver', name: '银卡', minGrowth: 1000, growthNeeded: 1000 } },
      });
    });

    it('adds up every account, lists what expires next and when, and the level', async () => {
      await earn('order:tmall:1', 'tmall:T1', 700, '2025-05-01T00:00:00Z');
      await earn('order:offline:2', 'offline:C1', 500, '2026-05-01T00:00:00Z');
      await earn('order:tmall:3', 'tmall:T1', 100, '2026-06-01T00:00:00Z');
      const answer = await call({ action: 'summary' });
      expect(answer).toEqual({
        ok: true,
        data: {
          available: 1300, owed: 0, growth: 1300,
          expiring: [{ points: 700, at: '2026-12-31T15:59:59.000Z' }, { points: 600, at: '2027-12-31T15:59:59.000Z' }],
          level: { code: 'silver', name: '银卡' }, nextLevel: { code: 'gold', name: '金卡', minGrowth: 5000, growthNeeded: 3700 },
        },
      });
    });

    it('does not count points already due, before the expiry job has run', async () => {
      await earn('order:tmall:1', 'tmall:T1', 700, '2025-05-01T00:00:00Z');
      services.clock.set('2027-01-01T00:00:00Z');
      const answer = await call({ action: 'summary' });
      expect(answer).toMatchObject({ ok: true, data: { available: 0, expiring: [], growth: 700 } });
    });

    it('lists no expiry date for points that never expire', async () => {
      const never = openTestServices('2026-11-23T02:00:00Z', { points: { ...services.config.points, expiry: null } });
      try {
        await seedMember(never, 'm1', ['wechat:o-alice', 'tmall:T1'], { openid: 'o-alice', phone: true });
        await never.store.transaction((tx) => postEarn(tx, never, { key: 'order:tmall:1', accountId: 'tmall:T1', points: 100, growth: 100, at: '2026-05-01T00:00:00Z', source: source('1') }));
        expect(await invoke(pointsFunction, { action: 'summary' }, callerOf('o-alice'), never)).toMatchObject({ ok: true, data: { available: 100, expiring: [] } });
      } finally {
        await never.close();
      }
    });

    it('shows an owed balance after a refund of points already spent', async () => {
      await earn('order:tmall:1', 'tmall:T1', 100, '2026-05-01T00:00:00Z');
      await services.store.transaction((tx) => postRedeem(tx, services, { key: 'redeem:r1', memberId: 'm1', points: 100, at: '2026-11-23T02:00:00Z', source: { channel: 'reward', ref: 'cup' } }));
      await services.store.transaction((tx) => postReverse(tx, services, { key: 'refund:tmall:1', of: 'order:tmall:1', points: 100, growth: 100, at: '2026-11-23T02:00:00Z', source: source('1') }));
      expect(await call({ action: 'summary' })).toMatchObject({ ok: true, data: { available: -100, owed: 100 } });
    });

    it('follows a merge to the surviving member', async () => {
      await seedMember(services, 'm2', ['wechat:o-alice', 'tmall:T1', 'offline:C1']);
      await services.store.transaction((tx) => tx.update('members', 'm1', { status: 'merged', mergedInto: 'm2', records: [] }));
      await earn('order:tmall:1', 'tmall:T1', 100, '2026-05-01T00:00:00Z');
      expect(await call({ action: 'summary' })).toMatchObject({ ok: true, data: { available: 100 } });
    });

    it.each([
      ['a caller who never logged in', 'o-nobody', { action: 'summary' }, 'NOT_FOUND'],
      ['no caller identity', null, { action: 'summary' }, 'UNAUTHENTICATED'],
      ['an unknown action', 'o-alice', { action: 'spend' }, 'UNKNOWN_ACTION'],
    ])('answers %s (caller %s, event %j) with %s and writes nothing', async (_name, openid, event, code) => {
      const before = await pointsState(services);
      expect(await call(event, openid)).toEqual({ ok: false, error: { code, message: expect.any(String) } });
      expect(await pointsState(services)).toEqual(before);
    });

    it('answers a retry the same way', async () => {
      await earn('order:tmall:1', 'tmall:T1', 100, '2026-05-01T00:00:00Z');
      expect(await call({ action: 'summary' })).toEqual(await call({ action: 'summary' }));
    });
  });

  describe('history', () => {
    beforeEach(async () => {
      await earn('order:tmall:1', 'tmall:T1', 700, '2025-05-01T00:00:00Z');
      await earn('order:offline:2', 'offline:C1', 500, '2026-05-01T00:00:00Z');
      await earn('order:tmall:3', 'tmall:T1', 100, '2026-06-01T00:00:00Z');
      await services.store.transaction((tx) => postReverse(tx, services, { key: 'refund:tmall:3', of: 'order:tmall:3', points: 100, growth: 100, at: '2026-07-01T00:00:00Z', source: source('3') }));
      await earn('order:offline:4', 'offline:C1', 50, '2026-08-01T00:00:00Z');
    });

    it('lists every account’s entries newest first, in pages, with Chinese descriptions', async () => {
      const first = await call({ action: 'history', limit: 2 });
      expect(first.ok).toBe(true);
      const page1 = (first as { data: { entries: { description: string; points: number; at: string }[]; nextCursor: string | null } }).data;
      expect(page1.entries.map((e) => [e.description, e.points])).toEqual([['门店订单 4 消费得积分', 50], ['天猫订单 3 退款扣回积分', -100]]);
      const second = await call({ action: 'history', limit: 2, cursor: page1.nextCursor });
      const page2 = (second as { data: typeof page1 }).data;
      expect(page2.entries.map((e) => [e.description, e.points])).toEqual([['天猫订单 3 消费得积分', 100], ['门店订单 2 消费得积分', 500]]);
      const third = (await call({ action: 'history', limit: 2, cursor: page2.nextCursor }) as { data: typeof page1 }).data;
      expect(third.entries.map((e) => e.description)).toEqual(['天猫订单 1 消费得积分']);
      expect(third.nextCursor).toBeNull();
    });

    it('shows a redemption that took from two accounts as one line, which a page never splits', async () => {
      await services.store.transaction((tx) => postRedeem(tx, services, { key: 'redeem:r1', memberId: 'm1', points: 900, at: '2026-09-01T00:00:00Z', source: { channel: 'reward', ref: 'cup' } }));
      const ledger = (await services.dump('ledger')).filter((e) => String(e._id).startsWith('redeem:r1'));
      expect(ledger.map((e) => e.accountId).sort()).toEqual(['offline:C1', 'tmall:T1']);
      type Page = { ok: true; data: { entries: { id: string; kind: string; points: number }[]; nextCursor: string | null } };
      const first = (await call({ action: 'history', limit: 1 })) as Page;
      expect(first.data.entries).toEqual([expect.objectContaining({ kind: 'redeem', points: -900 })]);
      const second = (await call({ action: 'history', limit: 1, cursor: first.data.nextCursor })) as Page;
      expect(second.data.entries).toEqual([expect.objectContaining({ kind: 'earn', points: 50 })]);
      const all = (await call({ action: 'history' })) as Page;
      expect(all.data.entries.map((e) => e.points)).toEqual([-900, 50, -100, 100, 500, 700]);
      expect(all.data.entries[0]!.id).toBe(first.data.entries[0]!.id);
    });

    it('shows a credit that repaid what another account owed as one line, of what it brought', async () => {
      await services.store.transaction((tx) => postRedeem(tx, services, { key: 'redeem:r1', memberId: 'm1', points: 1250, at: '2026-09-01T00:00:00Z', source: { channel: 'reward', ref: 'cup' } }));
      await services.store.transaction((tx) => postReverse(tx, services, { key: 'refund:tmall:1', of: 'order:tmall:1', points: 700, growth: 700, at: '2026-10-01T00:00:00Z', source: source('1') }));
      expect(await call({ action: 'summary' })).toMatchObject({ ok: true, data: { available: -700, owed: 700 } });
      // a scan in the mini-program: it repays the Tmall account's debt
      await services.store.transaction((tx) => postEarn(tx, services, { key: 'scan:c1', accountId: 'wechat:o-alice', points: 1000, growth: 0, at: '2026-11-01T00:00:00Z', source: source('c1', 'code') }, { settle: true }));
      expect(await call({ action: 'summary' })).toMatchObject({ ok: true, data: { available: 300, owed: 0 } });
      type Page = { ok: true; data: { entries: { kind: string; points: number; description: string }[]; nextCursor: string | null } };
      const first = (await call({ action: 'history', limit: 1 })) as Page;
      expect(first.data.entries).toEqual([expect.objectContaining({ kind: 'earn', points: 1000, description: '扫码积分（其中 700\u00a0积分已抵扣欠分）' })]);
      const second = (await call({ action: 'history', limit: 1, cursor: first.data.nextCursor })) as Page;
      expect(second.data.entries).toEqual([expect.objectContaining({ kind: 'reverse', points: -700 })]);
      const all = (await call({ action: 'history' })) as Page;
      expect(all.data.entries.map((e) => [e.kind, e.points])).toEqual([['earn', 1000], ['reverse', -700], ['redeem', -1250], ['earn', 50], ['reverse', -100], ['earn', 100], ['earn', 500], ['earn', 700]]);
    });

    it('defaults to 20 entries and gives each a stable id', async () => {
      const answer = (await call({ action: 'history' })) as { ok: true; data: { entries: { id: string }[]; nextCursor: null } };
      expect(answer.data.entries).toHaveLength(5);
      expect(answer.data.nextCursor).toBeNull();
      expect(new Set(answer.data.entries.map((e) => e.id)).size).toBe(5);
      expect(await call({ action: 'history' })).toEqual(answer);
    });

    it.each([
      ['a limit over 50', { action: 'history', limit: 51 }, 'INVALID_INPUT'],
      ['a limit of 0', { action: 'history', limit: 0 }, 'INVALID_INPUT'],
      ['a fractional limit', { action: 'history', limit: 2.5 }, 'INVALID_INPUT'],
      ['a forged cursor', { action: 'history', cursor: 'not-a-cursor' }, 'INVALID_INPUT'],
      ['a cursor that is not text', { action: 'history', cursor: 5 }, 'INVALID_INPUT'],
    ])('answers %s (%j) with %s and writes nothing', async (_name, event, code) => {
      const before = await pointsState(services);
      expect(await call(event)).toEqual({ ok: false, error: { code, message: expect.any(String) } });
      expect(await pointsState(services)).toEqual(before);
    });
  });
});
