import { pointsFunction } from '../../cloudfunctions/core/functions/points';
import { mergeMembers, unmergeMembers } from '../../cloudfunctions/core/identity/operator';
import { postAdjust, postEarn, postRedeem, postReverse } from '../../cloudfunctions/core/points/ledger';
import { expirePoints } from '../../cloudfunctions/core/points/expire.store';
import type { Services } from '../../cloudfunctions/core/runtime/services';
import type { PointsHistoryResult, PointsSummaryResult } from '../../cloudfunctions/core/contracts/points';
import { invoke } from '../../cloudfunctions/core/runtime/handler';
import { verifyPoints } from '../../cloudfunctions/core/points/verify.store';
import { importOrders } from '../codes/support';
import { boundConsumer, exportAll, importMembers, memberOk } from '../support/members';
import { callerOf, openTestServices, withStepBeforeRead, type TestServices } from '../support/services';
import { seedMember, source } from './support';

/** What a consumer sees of their points (points.summary and points.history) after erasures, unmerges and debts. */
describe('points the consumer sees', () => {
  let services: TestServices;
  beforeEach(() => { services = openTestServices('2026-11-23T02:00:00Z'); });
  afterEach(() => services.close());

  async function ok<T>(openid: string, event: Record<string, unknown>): Promise<T> {
    const answer = await invoke(pointsFunction, event, callerOf(openid), services);
    if (!answer.ok) throw new Error(`${String(event.action)}: ${answer.error.code} ${answer.error.message}`);
    return answer.data as T;
  }
  const summary = (openid: string) => ok<PointsSummaryResult>(openid, { action: 'summary' });
  async function history(openid: string) {
    const lines: PointsHistoryResult['entries'] = [];
    let cursor: string | null = null;
    do {
      const page: PointsHistoryResult = await ok<PointsHistoryResult>(openid, { action: 'history', cursor, limit: 50 });
      lines.push(...page.entries);
      cursor = page.nextCursor;
    } while (cursor);
    return lines;
  }

  it('after an unmerge, a scan that repaid the other side\'s debt while merged still shows what the scan earned', async () => {
    const { memberId: consumer } = await boundConsumer(services, 'u1', '13912345678');
    // a Tmall card (no phone) that owes 700: its order's points were spent, then the order refunded
    await importMembers(services, 'tmall', [{ channelMemberId: 'T1' }]);
    await importOrders(services, 'tmall', [{ orderId: 'A1', channelMemberId: 'T1', amountFen: 70000, status: 'paid', paidAt: '2026-11-20 10:00:00' }]);
    const card = (await exportAll(services)).find((l) => l.identifiers.some((i) => i.type === 'tmall'))!.memberId;
    await services.store.transaction((tx) => postAdjust(tx, services, { key: 'adjust:spent', memberId: card, points: -700, reason: '兑换', operator: 'op', at: '2026-11-21T00:00:00Z' }));
    await importOrders(services, 'tmall', [{ orderId: 'A1', channelMemberId: 'T1', amountFen: 70000, status: 'refunded', paidAt: '2026-11-20 10:00:00', refundedAt: '2026-11-22 10:00:00' }]);
    const merge = await mergeMembers(services, consumer, card);

    // the consumer scans a product worth 1,000 while merged: 700 of it repays the card's debt
    const wechat = (await services.dump('records')).find((r) => String(r._id).startsWith('wechat:'))!._id as string;
    await services.store.transaction((tx) => postEarn(tx, services, {
      key: 'scan:c1', accountId: wechat, points: 1000, growth: 0, at: '2026-11-23T02:00:00Z', source: { channel: 'scan', ref: 'c1' }, note: '玻尿酸面膜',
    }, { settle: true }));
    expect((await history('u1'))[0]).toMatchObject({ kind: 'earn', description: '扫码积分\u00a0· 玻尿酸面膜（其中 700\u00a0积分已抵扣欠分）', points: 1000 });

    await unmergeMembers(services, merge._id);
    const lines = await history('u1');
    // the balance is right (300: the repaid points stay spent) ...
    expect((await summary('u1')).available).toBe(300);
    expect(lines.reduce((sum, line) => sum + line.points, 0)).toBe(300);
    // ... but the scan's own line must not change its amount after the fact: it earned 1,000, and
    // the 700 that left for the other member's debt is a line of its own (as a redemption would be)
    expect(lines.find((line) => line.description === '扫码积分\u00a0· 玻尿酸面膜')).toMatchObject({ kind: 'earn', points: 1000 });
    expect(lines.find((line) => line.description === '抵还欠分')).toMatchObject({ kind: 'settle', points: -700 });
  });

  it('erasure: a consumer who binds the same phone again does not get the erased member\'s phone-only orders back', async () => {
    await boundConsumer(services, 'u1', '13912345678');
    // a Tmall order known only by the buyer's phone: its points wait on buyer:tmall-<phone key>
    await importOrders(services, 'tmall', [{ orderId: 'A1', phone: '13912345678', amountFen: 30000, status: 'paid', paidAt: '2026-11-20 10:00:00' }]);
    expect((await summary('u1')).available).toBe(300);
    // the consumer erases themselves: the confirmation said these 300 points are forfeited
    await memberOk(services, 'u1', { action: 'delete', confirm: true });

    // later (or a new holder of the recycled number) binds the phone again and buys again
    await boundConsumer(services, 'u1', '13912345678');
    expect(await history('u1')).toEqual([]);
    await importOrders(services, 'tmall', [{ orderId: 'A2', phone: '13912345678', amountFen: 1000, status: 'paid', paidAt: '2026-11-22 10:00:00' }]);

    const lines = await history('u1');
    // only the new order: the erased member's order and its points stay erased
    expect(lines.map((line) => line.description)).toEqual(['天猫订单 A2 消费得积分']);
    expect((await summary('u1')).available).toBe(10);
  });

  it('after erasure, the erased buyer\'s order files imported again change nothing, their refunds come off the erased account, and the new era\'s orders are theirs', async () => {
    await boundConsumer(services, 'u1', '13912345678');
    const a1 = { orderId: 'A1', phone: '13912345678', amountFen: 30000, status: 'paid', paidAt: '2026-11-20 10:00:00' };
    await importOrders(services, 'tmall', [a1]);
    await memberOk(services, 'u1', { action: 'delete', confirm: true });
    const a2 = { orderId: 'A2', phone: '+86 139-1234-5678', amountFen: 1000, status: 'paid', paidAt: '2026-11-22 10:00:00' };
    expect(await importOrders(services, 'tmall', [a1, a2])).toMatchObject({ credited: 1, unchanged: 1, rejected: 0 });
    // the next holder binds the number; the old file comes again, with A1 refunded
    await boundConsumer(services, 'u2', '13912345678');
    expect(await importOrders(services, 'tmall', [{ ...a1, status: 'refunded', refundedAt: '2026-11-23 09:00:00' }, a2])).toMatchObject({ credited: 0, refunded: 1, unchanged: 1, rejected: 0 });
    expect((await summary('u2')).available).toBe(10);
    expect((await history('u2')).map((line) => line.description)).toEqual(['天猫订单 A2 消费得积分']);
    expect((await verifyPoints(services)).differences).toBe(0);
    // a second erasure: the phone's orders go to a third era
    await memberOk(services, 'u2', { action: 'delete', confirm: true });
    await importOrders(services, 'tmall', [{ ...a2, orderId: 'A3' }]);
    await boundConsumer(services, 'u3', '13912345678');
    expect((await history('u3')).map((line) => line.description)).toEqual(['天猫订单 A3 消费得积分']);
  });

  it('describes an order of a channel the brand added (identity.priority) in Chinese, not by its config code', async () => {
    const base = services.config;
    await services.close();
    services = openTestServices('2026-11-23T02:00:00Z', { identity: { ...base.identity, priority: [...base.identity.priority, 'suning', 'lazada'] } });
    await boundConsumer(services, 'u1', '13912345678');
    await importOrders(services, 'suning', [{ orderId: 'N1', phone: '13912345678', amountFen: 5000, status: 'paid', paidAt: '2026-11-20 10:00:00' }]);
    await importOrders(services, 'lazada', [{ orderId: 'L1', phone: '13912345678', amountFen: 2000, status: 'paid', paidAt: '2026-11-21 10:00:00' }]);
    expect((await history('u1')).map(({ kind, points, description }) => ({ kind, points, description }))).toEqual([
      { kind: 'earn', points: 20, description: '其他渠道订单 L1 消费得积分' },
      { kind: 'earn', points: 50, description: '苏宁订单 N1 消费得积分' },
    ]);
  });

  it('lists no points as expiring beyond what the member has: a debt on one channel nets them away', async () => {
    await seedMember(services, 'm1', ['wechat:o-alice', 'tmall:T1', 'offline:C1'], { openid: 'o-alice', phone: true });
    const earn = (key: string, accountId: string, points: number, at: string) =>
      services.store.transaction((tx) => postEarn(tx, services, { key, accountId, points, growth: points, at, source: source(key.split(':')[2]!, key.split(':')[1]) }));
    await earn('order:tmall:1', 'tmall:T1', 300, '2025-05-01T00:00:00Z');
    await earn('order:offline:2', 'offline:C1', 100, '2026-05-01T00:00:00Z');
    // the Tmall points are spent, then that order is refunded: Tmall owes 300, the store card holds 100
    await services.store.transaction((tx) => postRedeem(tx, services, { key: 'redeem:r1', memberId: 'm1', points: 300, at: '2026-11-01T00:00:00Z', source: { channel: 'reward', ref: 'cup' } }));
    await services.store.transaction((tx) => postReverse(tx, services, { key: 'refund:tmall:1', of: 'order:tmall:1', points: 300, growth: 300, at: '2026-11-20T00:00:00Z', source: source('1') }));

    const s = await summary('o-alice');
    expect(s).toMatchObject({ available: -200, owed: 300 });
    // The page shows 可用 0 and 待抵扣 200, and beside them "100 积分将于 2027年12月31日 过期":
    // points the consumer is never shown to have, and cannot spend (redemption is refused).
    const expiring = s.expiring.reduce((sum, e) => sum + e.points, 0);
    expect(expiring).toBeLessThanOrEqual(Math.max(0, s.available));
  });
});

describe('points.history paging past entries that move nothing (0/0): every page size gives the same lines, the oldest reached', () => {
  let services: TestServices;
  beforeEach(() => { services = openTestServices('2026-11-23T02:00:00Z'); });
  afterEach(() => services.close());
  async function historyOk(openid: string, cursor: string | null, limit: number): Promise<PointsHistoryResult> {
    const answer = await invoke(pointsFunction, { action: 'history', cursor, limit }, callerOf(openid), services);
    if (!answer.ok) throw new Error(`history: ${answer.error.code} ${answer.error.message}`);
    return answer.data as PointsHistoryResult;
  }
  /** Every line, page after page, as the 积分 tab scrolls. */
  async function wholeHistory(openid: string, limit: number) {
    const lines: PointsHistoryResult['entries'] = [];
    let cursor: string | null = null;
    for (let pages = 0; pages < 200; pages++) {
      const page: PointsHistoryResult = await historyOk(openid, cursor, limit);
      lines.push(...page.entries);
      cursor = page.nextCursor;
      if (!cursor) break;
    }
    return lines.map(({ kind, points, description }) => ({ kind, points, description }));
  }


  test('a run of orders under 1 yuan (0 points, 0 growth) does not end the history', async () => {
    await boundConsumer(services, 'u1', '13912345678');
    await importOrders(services, 'tmall', [
      { orderId: 'OLD', phone: '13912345678', amountFen: 30000, status: 'paid', paidAt: '2026-11-01 10:00:00' },
      // 一分钱试用 samples: each earns 0 points and 0 growth
      { orderId: 'Z1', phone: '13912345678', amountFen: 1, status: 'paid', paidAt: '2026-11-02 10:00:00' },
      { orderId: 'Z2', phone: '13912345678', amountFen: 1, status: 'paid', paidAt: '2026-11-03 10:00:00' },
      { orderId: 'NEW', phone: '13912345678', amountFen: 1000, status: 'paid', paidAt: '2026-11-04 10:00:00' },
    ]);
    const all = await wholeHistory('u1', 50);
    // the API lists them (the 积分 tab leaves out lines that move nothing); page by page the same lines come
    expect(all.map((l) => l.description)).toEqual(['天猫订单 NEW 消费得积分', '天猫订单 Z2 消费得积分', '天猫订单 Z1 消费得积分', '天猫订单 OLD 消费得积分']);
    expect(await wholeHistory('u1', 1)).toEqual(all);
  });

  test('the app\'s own page size (20): forty 1-cent orders after a real one hide nothing older', async () => {
    await boundConsumer(services, 'u1', '13912345678');
    const rows: Record<string, unknown>[] = [{ orderId: 'OLD', phone: '13912345678', amountFen: 30000, status: 'paid', paidAt: '2026-10-01 10:00:00' }];
    for (let i = 0; i < 40; i++) rows.push({ orderId: `Z${i}`, phone: '13912345678', amountFen: 1, status: 'paid', paidAt: `2026-11-${String(1 + Math.floor(i / 2)).padStart(2, '0')} 1${i % 2}:00:00` });
    rows.push({ orderId: 'NEW', phone: '13912345678', amountFen: 1000, status: 'paid', paidAt: '2026-11-22 10:00:00' });
    await importOrders(services, 'tmall', rows);
    const all = await wholeHistory('u1', 20);
    expect([all.length, all[0]!.description, all[all.length - 1]!.description]).toEqual([42, '天猫订单 NEW 消费得积分', '天猫订单 OLD 消费得积分']);
  });

  test('0/0 entries filling one account\'s window do not split a scan\'s settle group: its own repayment is no 抵还欠分 line', async () => {
    const { memberId } = await boundConsumer(services, 'u1', '13912345678');
    // the member's own Tmall card (joined through the phone) owes 700: its points spent, then the order refunded
    await importMembers(services, 'tmall', [{ channelMemberId: 'T1', phone: '13912345678' }]);
    expect((await exportAll(services)).filter((l) => l.identifiers.some((i) => i.type === 'tmall'))[0]!.memberId).toBe(memberId);
    await importOrders(services, 'tmall', [{ orderId: 'A1', channelMemberId: 'T1', amountFen: 70000, status: 'paid', paidAt: '2026-11-20 10:00:00' }]);
    await services.store.transaction((tx) => postAdjust(tx, services, { key: 'adjust:spent', memberId, points: -700, reason: '兑换', operator: 'op', at: '2026-11-21T00:00:00Z' }));
    await importOrders(services, 'tmall', [{ orderId: 'A1', channelMemberId: 'T1', amountFen: 70000, status: 'refunded', paidAt: '2026-11-20 10:00:00', refundedAt: '2026-11-22 10:00:00' }]);
    // a scan of 1,000 on the WeChat account repays the card's 700 (one line: the moves net to zero for the member)
    const wechat = (await services.dump('records')).find((r) => String(r._id).startsWith('wechat:'))!._id as string;
    await services.store.transaction((tx) => postEarn(tx, services, {
      key: 'scan:c1', accountId: wechat, points: 1000, growth: 0, at: '2026-11-23T02:00:00Z', source: { channel: 'scan', ref: 'c1' }, note: '玻尿酸面膜',
    }, { settle: true }));
    // then two 1-cent Tmall samples
    services.clock.set('2026-11-24T02:00:00Z');
    await importOrders(services, 'tmall', [
      { orderId: 'Z1', channelMemberId: 'T1', amountFen: 1, status: 'paid', paidAt: '2026-11-23 20:00:00' },
      { orderId: 'Z2', channelMemberId: 'T1', amountFen: 1, status: 'paid', paidAt: '2026-11-23 21:00:00' },
    ]);
    const all = await wholeHistory('u1', 50);
    expect(all.find((l) => l.description === '扫码积分\u00a0· 玻尿酸面膜（其中 700\u00a0积分已抵扣欠分）')).toMatchObject({ points: 1000 });
    expect(all.some((l) => l.description === '抵还欠分')).toBe(false);
    expect(await wholeHistory('u1', 1)).toEqual(all);
  });
});

/** Another request committing between the reads of one summary or history answer. */
describe('points the consumer sees, read while other writes commit', () => {
  let services: TestServices;
  beforeEach(async () => {
    services = openTestServices('2026-11-23T02:00:00Z');
    await seedMember(services, 'm1', ['wechat:o-alice', 'tmall:T1'], { openid: 'o-alice', phone: true });
  });
  afterEach(() => services.close());

  const call = async <T>(on: Services, event: Record<string, unknown>): Promise<T> => {
    const answer = await invoke(pointsFunction, event, callerOf('o-alice'), on);
    if (!answer.ok) throw new Error(`${String(event.action)}: ${answer.error.code} ${answer.error.message}`);
    return answer.data as T;
  };

  it.each([
    ['after the accounts, before the balance', 'balances', null],
    ['between the two accounts', 'accounts', 'tmall:T1'],
  ])('takes points due at the year end off once when the expiry sweep commits while the summary is read (%s)', async (_, collection, id) => {
    // 100 points from 2025 (due 2026-12-31 23:59:59 Beijing) and 50 from 2026
    await services.store.transaction((tx) => postEarn(tx, services, { key: 'order:tmall:1', accountId: 'tmall:T1', points: 100, growth: 100, at: '2025-06-01T00:00:00Z', source: source('1') }));
    await services.store.transaction((tx) => postEarn(tx, services, { key: 'order:tmall:2', accountId: 'tmall:T1', points: 50, growth: 50, at: '2026-06-01T00:00:00Z', source: source('2') }));
    services.clock.set('2027-01-01T00:00:00Z'); // 08:00 on 1 January in Beijing: the 100 are due, not swept yet
    expect(await call<PointsSummaryResult>(services, { action: 'summary' })).toMatchObject({ available: 50, owed: 0, growth: 150 });
    // the nightly sweep (or a refund, which sweeps what is due first) commits as the summary reads
    const sweeping = withStepBeforeRead(services, (kind, name, target) => kind === 'get' && name === collection && (id === null || target === id),
      () => expirePoints(services, '2027-01-01T00:00:00Z'));
    expect(await call<PointsSummaryResult>(sweeping, { action: 'summary' })).toMatchObject({ available: 50, owed: 0, growth: 150 });
  });

  it('members export takes points due at the year end off once when the sweep commits while it reads', async () => {
    await services.store.transaction((tx) => postEarn(tx, services, { key: 'order:tmall:1', accountId: 'tmall:T1', points: 100, growth: 100, at: '2025-06-01T00:00:00Z', source: source('1') }));
    await services.store.transaction((tx) => postEarn(tx, services, { key: 'order:tmall:2', accountId: 'tmall:T1', points: 50, growth: 50, at: '2026-06-01T00:00:00Z', source: source('2') }));
    services.clock.set('2027-01-01T00:00:00Z'); // the 100 are due, not swept yet
    expect((await exportAll(services))[0]!.points.available).toBe(50);
    const sweeping = withStepBeforeRead(services, (kind, collection) => kind === 'get' && collection === 'balances', () => expirePoints(services, '2027-01-01T00:00:00Z'));
    expect((await exportAll(sweeping))[0]!.points.available).toBe(50);
    expect((await exportAll(services))[0]!.points.available).toBe(50);
  });

  it('shows a scan that settled a debt as one line when it commits between two accounts\' queries, and pages on past it', async () => {
    // Tmall owes 700: its order's points were spent, then the order refunded
    await services.store.transaction((tx) => postEarn(tx, services, { key: 'order:tmall:A1', accountId: 'tmall:T1', points: 700, growth: 700, at: '2026-11-20T02:00:00Z', source: source('A1') }));
    await services.store.transaction((tx) => postRedeem(tx, services, { key: 'redeem:r1', memberId: 'm1', points: 700, at: '2026-11-21T02:00:00Z', source: { channel: 'reward', ref: 'cup' } }));
    await services.store.transaction((tx) => postReverse(tx, services, { key: 'refund:tmall:A1', of: 'order:tmall:A1', points: 700, growth: 700, at: '2026-11-22T02:00:00Z', source: source('A1') }));
    const scan = () => services.store.transaction((tx) => postEarn(tx, services, {
      key: 'scan:c1', accountId: 'wechat:o-alice', points: 1000, growth: 0, at: '2026-11-23T02:00:00.000Z', source: { channel: 'scan', ref: 'c1' }, note: '玻尿酸面膜',
    }, { settle: true }));
    // the WeChat account is queried before the scan commits, the Tmall account after it
    const scanning = withStepBeforeRead(services, (kind, collection, options) => kind === 'query' && collection === 'ledger'
      && (options as { where?: { accountId?: string } }).where?.accountId === 'tmall:T1', scan);
    const first = await call<PointsHistoryResult>(scanning, { action: 'history', limit: 1 });
    expect(first.entries).toEqual([expect.objectContaining({ kind: 'earn', points: 1000, description: '扫码积分\u00a0· 玻尿酸面膜（其中 700\u00a0积分已抵扣欠分）' })]);
    // the next pages bring the rest once each, as a read with nothing committing meanwhile does
    const lines = [...first.entries];
    for (let cursor = first.nextCursor; cursor;) {
      const page: PointsHistoryResult = await call<PointsHistoryResult>(services, { action: 'history', cursor, limit: 1 });
      lines.push(...page.entries);
      cursor = page.nextCursor;
    }
    expect(lines).toEqual((await call<PointsHistoryResult>(services, { action: 'history', limit: 50 })).entries);
  });

  it('pages past an operator adjustment whose request id is Chinese: the cursor it gives out is one it takes', async () => {
    await services.store.transaction((tx) => postEarn(tx, services, { key: 'order:tmall:1', accountId: 'tmall:T1', points: 100, growth: 100, at: '2026-11-01T00:00:00Z', source: source('1') }));
    // `points adjust --request-id` takes 1-193 characters without spaces or #: Chinese ones too
    const requestId = '双十一补发积分'.repeat(27).slice(0, 193);
    await services.store.transaction((tx) => postAdjust(tx, services, { key: `adjust:${requestId}`, memberId: 'm1', points: 20, reason: '补发', operator: 'op', at: '2026-11-23T02:00:00Z' }));
    const first = await call<PointsHistoryResult>(services, { action: 'history', limit: 1 });
    expect(first.entries.map((e) => e.description)).toEqual(['客服调整']);
    expect(await call<PointsHistoryResult>(services, { action: 'history', cursor: first.nextCursor, limit: 1 })).toMatchObject({ entries: [{ description: '天猫订单 1 消费得积分' }], nextCursor: null });
  });
});
