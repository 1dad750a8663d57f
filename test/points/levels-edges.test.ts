import defaults from '../../config/member-centre.json';
import { mergeMembers, unmergeMembers } from '../../cloudfunctions/core/identity/operator';
import { importOrdersFile } from '../../cloudfunctions/core/orders/import.store';
import type { MemberRef } from '../../cloudfunctions/core/points/accounts.store';
import { expirePoints } from '../../cloudfunctions/core/points/expire.store';
import { postRedeem } from '../../cloudfunctions/core/points/ledger';
import { pointsHistory, pointsSummary } from '../../cloudfunctions/core/points/summary.store';
import type { BalanceDoc } from '../../cloudfunctions/core/points/types';
import { verifyPoints } from '../../cloudfunctions/core/points/verify.store';
import { loadConfig } from '../../cloudfunctions/core/runtime/config';
import { exportAll, importMembers, writeRows } from '../support/members';
import { openTestServices, reconfigured, type TestServices } from '../support/services';

/**
 * Levels and expiry as a consumer (points.summary, points.history) and an operator (members
 * export, the stored balance, points verify, points expire) see them, at their edges: growth
 * exactly at a threshold, a refund taking a member back below one, merges and unmerges, the
 * brand's level config, lots earned in the last millisecond of a Beijing year, expiry runs
 * repeated and run for an earlier time.
 */
describe('levels and expiry at their edges', () => {
  let services: TestServices;
  beforeEach(() => { services = openTestServices('2026-11-23T02:00:00Z'); });
  afterEach(() => services.close());

  const orders = (channel: string, rows: Record<string, unknown>[], on: TestServices = services) => {
    const file = writeRows(rows);
    return importOrdersFile(on, { channel, file, rejectsFile: `${file}.rejects.jsonl` });
  };
  const lineOf = async (value: string, on: TestServices = services) => (await exportAll(on)).find((l) => l.identifiers.some((i) => i.value === value))!;
  const memberOf = async (value: string, on: TestServices = services) => (await on.store.get<MemberRef>('members', (await lineOf(value, on)).memberId))!;
  /** What the consumer, the export and the stored balance say of one member's level. */
  const levelSeen = async (value: string, on: TestServices = services) => {
    const line = await lineOf(value, on);
    const summary = await pointsSummary(on, await memberOf(value, on));
    const stored = (await on.store.get<BalanceDoc>('balances', line.memberId))!;
    return { growth: summary.growth, summary: summary.level.code, export: line.level, stored: stored.level, nextLevel: summary.nextLevel };
  };
  const clean = async (on: TestServices = services) => expect((await verifyPoints(on)).details).toEqual([]);

  describe('the brand\'s levels config', () => {
    const refusal = (levels: unknown) => {
      try {
        loadConfig({}, { levels } as never);
      } catch (error) {
        return (error as Error).message;
      }
      return 'accepted';
    };
    const [normal, silver, gold] = defaults.levels as [typeof defaults.levels[0], typeof defaults.levels[0], typeof defaults.levels[0]];

    it('refuses two levels under one code: members export, points verify and relevel could not tell them apart', () => {
      // gold copied from silver, its name and threshold edited, its code forgotten
      expect(refusal([normal, silver, { ...gold, code: 'silver' }])).toBe('invalid member-centre config: levels.2.code: the same as levels.1.code: each level needs its own');
    });

    it('refuses two levels under one name: a silver member would read 再得 4,000 升级银卡', () => {
      expect(refusal([normal, silver, { ...gold, name: ' 银卡 ' }])).toBe('invalid member-centre config: levels.2.name: the same as levels.1.name: each level needs its own');
    });

    // a copy of the first level (the base every member starts at) is refused like a copy of any other
    it('refuses a level under the first level\'s code or name: a gold member would export as normal, or read 普通会员', () => {
      expect(refusal([normal, silver, { ...gold, code: normal.code }])).toBe('invalid member-centre config: levels.2.code: the same as levels.0.code: each level needs its own');
      expect(refusal([normal, silver, { ...gold, name: `${normal.name} ` }])).toBe('invalid member-centre config: levels.2.name: the same as levels.0.name: each level needs its own');
      expect(refusal([normal, { ...silver, code: normal.code, name: normal.name }])).toMatch(/levels\.1\.code: the same as levels\.0\.code/);
    });

    it('refuses a level named with spaces alone, which the card would show as no level', () => {
      expect(refusal([{ ...normal, name: '  ' }, silver])).toBe('invalid member-centre config: levels.0.name: must not be blank');
    });

    it('still refuses levels out of order, a first level above 0 and repeated thresholds, and takes the defaults', () => {
      expect(refusal([normal, gold, silver])).toMatch(/levels must be in ascending minGrowth/);
      expect(refusal([silver, gold])).toMatch(/the first level must start at growth 0/);
      expect(refusal([normal, silver, { ...gold, minGrowth: silver.minGrowth }])).toMatch(/levels must be in ascending minGrowth/);
      expect(refusal(defaults.levels)).toBe('accepted');
    });
  });

  it('a member at a threshold holds that level; a refund taking growth below it lowers the level everywhere; the imported level column counts for nothing', async () => {
    // the channel said diamond: levels follow growth, and 999 is below silver
    await importMembers(services, 'tmall', [{ channelMemberId: 'T1', growth: 999, level: 'diamond' }]);
    expect(await levelSeen('T1')).toMatchObject({ growth: 999, summary: 'normal', export: 'normal', stored: 'normal', nextLevel: { code: 'silver', growthNeeded: 1 } });
    await orders('tmall', [{ orderId: 'o1', channelMemberId: 'T1', amountFen: 199, paidAt: '2026-11-01 10:00' }]);
    expect(await levelSeen('T1')).toMatchObject({ growth: 1000, summary: 'silver', export: 'silver', stored: 'silver', nextLevel: { code: 'gold', minGrowth: 5000, growthNeeded: 4000 } });
    await orders('tmall', [{ orderId: 'o1', channelMemberId: 'T1', amountFen: 199, paidAt: '2026-11-01 10:00', refundFen: 100 }]);
    expect(await levelSeen('T1')).toMatchObject({ growth: 999, summary: 'normal', export: 'normal', stored: 'normal' });
    // the top level has no next one
    await orders('tmall', [{ orderId: 'o2', channelMemberId: 'T1', amountFen: 1_900_100, paidAt: '2026-11-02 10:00' }]);
    expect(await levelSeen('T1')).toEqual({ growth: 20_000, summary: 'diamond', export: 'diamond', stored: 'diamond', nextLevel: null });
    await clean();
  });

  it('a merge gives the joined growth its level and the unmerge gives each side back its own, in every view', async () => {
    await importMembers(services, 'tmall', [{ channelMemberId: 'T1', growth: 600 }]);
    await importMembers(services, 'offline', [{ channelMemberId: 'C1', growth: 400 }]);
    const merge = await mergeMembers(services, (await lineOf('T1')).memberId, (await lineOf('C1')).memberId);
    expect(await levelSeen('T1')).toMatchObject({ growth: 1000, summary: 'silver', export: 'silver', stored: 'silver' });
    await clean();
    await unmergeMembers(services, merge._id);
    expect(await levelSeen('T1')).toMatchObject({ growth: 600, summary: 'normal', export: 'normal', stored: 'normal' });
    expect(await levelSeen('C1')).toMatchObject({ growth: 400, summary: 'normal', export: 'normal', stored: 'normal' });
    await clean();
  });

  it('a level renamed in the config is the name points.summary gives at once', async () => {
    await importMembers(services, 'tmall', [{ channelMemberId: 'T1', growth: 1000 }]);
    const renamed = reconfigured(services, (config) => { config.levels[1]!.name = '银卡会员'; });
    expect((await pointsSummary(renamed, await memberOf('T1'))).level).toEqual({ code: 'silver', name: '银卡会员' });
    expect((await lineOf('T1', renamed)).level).toBe('silver');
    await clean(renamed);
  });

  it('points earned in the last millisecond of a Beijing year expire a year before those of the next millisecond, at 23:59:59 Beijing', async () => {
    await importMembers(services, 'tmall', [{ channelMemberId: 'T1' }]);
    await orders('tmall', [
      { orderId: 'a', channelMemberId: 'T1', amountFen: 10_000, paidAt: '2025-12-31 23:59:59.999' },
      // 2025-12-31T16:00:00Z is already 2026 in Beijing
      { orderId: 'b', channelMemberId: 'T1', amountFen: 20_000, paidAt: '2025-12-31T16:00:00Z' },
    ]);
    expect((await pointsSummary(services, await memberOf('T1'))).expiring).toEqual([
      { points: 100, at: '2026-12-31T15:59:59.000Z' }, { points: 200, at: '2027-12-31T15:59:59.000Z' },
    ]);
    // a partly spent lot lists what is left of it
    await services.store.transaction((tx) => postRedeem(tx, services, { key: 'redeem:r1', memberId: 'm_000001', points: 30, at: '2026-11-23T02:00:00.000Z', source: { channel: 'reward', ref: 'cup' } }));
    expect((await pointsSummary(services, await memberOf('T1'))).expiring).toEqual([
      { points: 70, at: '2026-12-31T15:59:59.000Z' }, { points: 200, at: '2027-12-31T15:59:59.000Z' },
    ]);

    // a second before 23:59:59 nothing is due; at 23:59:59 the lot is gone; again, or for an earlier time, nothing more
    expect(await expirePoints(services, '2026-12-31T15:59:58.999Z')).toEqual({ accounts: 0, lots: 0, points: 0 });
    expect(await expirePoints(services, '2026-12-31T15:59:59.000Z')).toEqual({ accounts: 1, lots: 1, points: 70 });
    expect(await expirePoints(services, '2026-12-31T15:59:59.000Z')).toEqual({ accounts: 0, lots: 0, points: 0 });
    expect(await expirePoints(services, '2026-06-01T00:00:00.000Z')).toEqual({ accounts: 0, lots: 0, points: 0 });
    expect(await expirePoints(services, '2028-01-01T00:00:00.000Z')).toEqual({ accounts: 1, lots: 1, points: 200 });
    services.clock.set('2028-01-02T00:00:00Z');
    const summary = await pointsSummary(services, await memberOf('T1'));
    expect(summary).toMatchObject({ available: 0, expiring: [], growth: 300, level: { code: 'normal' } });
    const history = await pointsHistory(services, await memberOf('T1'), { limit: 10 });
    expect(history.entries.filter((e) => e.kind === 'expire').map((e) => [e.description, e.points, e.growth, e.at])).toEqual([
      ['积分过期', -200, 0, '2027-12-31T15:59:59.000Z'], ['积分过期', -70, 0, '2026-12-31T15:59:59.000Z'],
    ]);
    await clean();
  });

  describe('history lines that move growth alone', () => {
    const descriptions = async (value: string, on: TestServices = services) =>
      (await pointsHistory(on, await memberOf(value, on), { limit: 10 })).entries.map((e) => [e.description, e.points, e.growth]);

    it('a refund of an order whose points expired already says it took back growth, not points', async () => {
      await importMembers(services, 'tmall', [{ channelMemberId: 'T1', growth: 950 }]);
      await orders('tmall', [{ orderId: 'o1', channelMemberId: 'T1', amountFen: 10_000, paidAt: '2025-05-01 10:00' }]);
      await expirePoints(services, '2026-12-31T16:00:00.000Z');
      services.clock.set('2027-02-01T02:00:00Z');
      await orders('tmall', [{ orderId: 'o1', channelMemberId: 'T1', amountFen: 10_000, paidAt: '2025-05-01 10:00', status: 'refunded' }]);
      // the member went from silver back to normal: the line says why
      expect(await levelSeen('T1')).toMatchObject({ growth: 950, summary: 'normal', stored: 'normal' });
      expect((await descriptions('T1'))[0]).toEqual(['天猫订单 o1 退款扣回成长值', 0, -100]);
    });

    it('an order of a channel that earns growth alone, and an opening of growth alone, say growth', async () => {
      const growthOnly = reconfigured(services, (config) => { config.points.earn.channels.offline = { pointsPerYuan: 0, growthPerYuan: 1 }; });
      await importMembers(growthOnly, 'offline', [{ channelMemberId: 'C1', growth: 3000 }]);
      await orders('offline', [{ orderId: 'p1', channelMemberId: 'C1', amountFen: 12_000, paidAt: '2026-11-01 10:00' }], growthOnly);
      expect(await descriptions('C1', growthOnly)).toEqual([['门店会员原有成长值', 0, 3000], ['门店订单 p1 消费得成长值', 0, 120]]);
      // a line moving points keeps saying points
      await orders('tmall', [{ orderId: 'o9', channelMemberId: 'T9', amountFen: 500, paidAt: '2026-11-01 10:00' }], growthOnly);
      await importMembers(growthOnly, 'tmall', [{ channelMemberId: 'T9', points: 5, growth: 5 }]);
      expect(await descriptions('T9', growthOnly)).toEqual([['天猫会员原有积分', 5, 5], ['天猫订单 o9 消费得积分', 5, 5]]);
    });
  });
});
