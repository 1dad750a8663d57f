import { pointsFunction } from '../../cloudfunctions/core/functions/points';
import type { PointsHistoryResult } from '../../cloudfunctions/core/contracts/points';
import { postEarn, postRedeem, postReverse } from '../../cloudfunctions/core/points/ledger';
import { invoke } from '../../cloudfunctions/core/runtime/handler';
import { callerOf, openTestServices, type TestServices } from '../support/services';
import { seedMember, source } from './support';

/** 积分明细 says when a credit went to what the member owed: a bare +50 获得 reads as 50 more to spend. */
describe('points.history: a credit that repaid owed points says so', () => {
  let services: TestServices;
  beforeEach(async () => {
    services = openTestServices('2026-11-23T02:00:00Z');
    await seedMember(services, 'm1', ['wechat:o-alice', 'tmall:T1'], { openid: 'o-alice', phone: true });
  });
  afterEach(() => services.close());

  const tx = (fn: Parameters<TestServices['store']['transaction']>[0]) => services.store.transaction(fn);
  async function lines(): Promise<PointsHistoryResult['entries']> {
    const answer = await invoke(pointsFunction, { action: 'history' }, callerOf('o-alice'), services);
    if (!answer.ok) throw new Error(answer.error.code);
    return (answer.data as PointsHistoryResult).entries;
  }
  /** The Tmall card owes `owed`: its order's points were spent, then the order refunded. */
  async function tmallOwes(owed: number) {
    await tx((t) => postEarn(t, services, { key: 'order:tmall:A1', accountId: 'tmall:T1', points: owed, growth: owed, at: '2026-11-20T02:00:00.000Z', source: source('A1') }));
    await tx((t) => postRedeem(t, services, { key: 'redeem:r1', memberId: 'm1', points: owed, at: '2026-11-21T02:00:00.000Z', source: { channel: 'reward', ref: 'cup' } }));
    await tx((t) => postReverse(t, services, { key: 'refund:tmall:A1', of: 'order:tmall:A1', points: owed, growth: owed, at: '2026-11-22T02:00:00.000Z', source: source('A1') }));
  }
  const scan = (points: number) => tx((t) => postEarn(t, services, {
    key: 'scan:c1', accountId: 'wechat:o-alice', points, growth: 0, at: '2026-11-23T02:00:00.000Z', source: { channel: 'scan', ref: 'c1' }, note: '玫瑰精华水',
  }, { settle: true }));

  it('a scan whose points all repaid another account\'s debt: 扫码积分 · 玫瑰精华水（已抵扣欠分）', async () => {
    await tmallOwes(80);
    await scan(50);
    expect((await lines())[0]).toMatchObject({ kind: 'earn', points: 50, description: '扫码积分\u00a0· 玫瑰精华水（已抵扣欠分）' });
  });

  it('a scan of which part repaid the debt says how much, in the scan page\'s words', async () => {
    await tmallOwes(1200);
    await scan(2000);
    expect((await lines())[0]).toMatchObject({ kind: 'earn', points: 2000, description: '扫码积分\u00a0· 玫瑰精华水（其中 1,200\u00a0积分已抵扣欠分）' });
  });

  it('an order that repaid what its own account owed says so too; a credit with no debt to repay says nothing more', async () => {
    await tmallOwes(100);
    await tx((t) => postEarn(t, services, { key: 'order:tmall:A2', accountId: 'tmall:T1', points: 30, growth: 30, at: '2026-11-23T01:00:00.000Z', source: source('A2') }));
    await scan(50);
    const [scanned, order] = await lines();
    expect(order).toMatchObject({ points: 30, description: '天猫订单 A2 消费得积分（已抵扣欠分）' });
    // 70 still owed: all 50 of the scan repay it
    expect(scanned).toMatchObject({ points: 50, description: '扫码积分\u00a0· 玫瑰精华水（已抵扣欠分）' });
    await tx((t) => postEarn(t, services, { key: 'scan:c2', accountId: 'wechat:o-alice', points: 40, growth: 0, at: '2026-11-23T03:00:00.000Z', source: { channel: 'scan', ref: 'c2' }, note: '玫瑰精华水' }, { settle: true }));
    // 20 owed are left after the first scan: the second repays 20 of its 40
    expect((await lines())[0]).toMatchObject({ points: 40, description: '扫码积分\u00a0· 玫瑰精华水（其中 20\u00a0积分已抵扣欠分）' });
    await tx((t) => postEarn(t, services, { key: 'scan:c3', accountId: 'wechat:o-alice', points: 10, growth: 0, at: '2026-11-23T04:00:00.000Z', source: { channel: 'scan', ref: 'c3' }, note: '玫瑰精华水' }, { settle: true }));
    expect((await lines())[0]).toMatchObject({ points: 10, description: '扫码积分\u00a0· 玫瑰精华水' });
  });
});
