import { writeFileSync } from 'node:fs';
import { openLocalServices } from '../../cloudfunctions/core/local/services';
import { pointsSummary } from '../../cloudfunctions/core/points/summary.store';
import { fixedClock } from '../../cloudfunctions/core/runtime/clock';
import { silentLogger } from '../../cloudfunctions/core/runtime/log';
import type { MemberRef } from '../../cloudfunctions/core/points/accounts.store';
import { runCli } from '../support/cli';
import { mergeMembers, unmergeMembers } from '../../cloudfunctions/core/identity/operator';
import { expirePoints } from '../../cloudfunctions/core/points/expire.store';
import { postAdjust } from '../../cloudfunctions/core/points/ledger';
import { exportAll, importMembers } from '../support/members';
import { openTestServices, type TestServices } from '../support/services';
import { tempDir } from '../support/temp';

/** What the operator sees of points and levels, through the CLI on a real temp SQLite database. */
describe('points and levels as the operator sees them', () => {
  let temp: ReturnType<typeof tempDir>;
  let db: string;
  const config = process.env.MC_CONFIG;
  beforeEach(() => {
    temp = tempDir();
    db = temp.file('mc.db');
  });
  afterEach(() => {
    process.exitCode = undefined;
    if (config === undefined) delete process.env.MC_CONFIG;
    else process.env.MC_CONFIG = config;
    temp.cleanup();
  });

  const file = (name: string, text: string) => (writeFileSync(temp.file(name), text), temp.file(name));
  const cli = async (...args: string[]) => {
    const run = await runCli(db, ...args);
    if (run.failed) throw new Error(run.err);
    return run.out;
  };
  type Line = { memberId: string; identifiers: { type: string; value: string }[]; points: { available: number }; growth: number; level: string };
  const exported = async (): Promise<Line[]> => (await cli('members', 'export')).trim().split('\n').map((line) => JSON.parse(line) as Line);
  const holding = async (type: string, value: string) => (await exported()).find((m) => m.identifiers.some((i) => i.type === type && i.value === value))!;

  it('members export gives the level the configured thresholds give the member\'s growth, after the brand changes its thresholds', async () => {
    await cli('import', 'members', '--channel', 'tmall', '--file', file('members.csv', 'channelMemberId,points,growth\nT1,100,900\n'));
    expect((await holding('tmall', 'T1')).level).toBe('normal');
    // the brand lowers silver to 800 growth: a member with 900 is silver now (points.summary says so)
    process.env.MC_CONFIG = file('brand.json', JSON.stringify({
      levels: [
        { code: 'normal', name: '普通会员', minGrowth: 0 },
        { code: 'silver', name: '银卡', minGrowth: 800 },
        { code: 'gold', name: '金卡', minGrowth: 5000 },
      ],
    }));
    const line = await holding('tmall', 'T1');
    expect(line.growth).toBe(900);
    expect(line.level).toBe('silver');
    // the stored level waits for relevel: verify names it and the command, then relevel sets it, once
    const stale = await runCli(db, 'points', 'verify');
    expect(process.exitCode).toBe(1);
    process.exitCode = undefined;
    expect(stale.out).toMatch(/level is normal, growth 900 gives silver \(after a change of level thresholds in the config, points relevel sets them\)/);
    expect(await cli('points', 'relevel')).toBe('checked 1 balance: 1 level changed to the configured thresholds\n');
    expect(await cli('points', 'verify')).toMatch(/no differences/);
    expect(await cli('points', 'relevel')).toBe('checked 1 balance: 0 levels changed to the configured thresholds\n');
  });

  it('members export counts as available only the points points.summary counts: none that are due but not swept yet', async () => {
    // opening balance earned in 2024: it expired at 2025-12-31 23:59:59 Beijing; no expiry job has run since
    const clock = fixedClock('2024-06-01T02:00:00Z');
    const local = openLocalServices({ dbFile: db, log: silentLogger, clock });
    let summary: number;
    try {
      await importMembers(local, 'tmall', [{ channelMemberId: 'T1', points: 100, growth: 600 }]);
      clock.set(Date.now());
      const line = await holding('tmall', 'T1');
      const member = (await local.store.get<MemberRef>('members', line.memberId))!;
      summary = (await pointsSummary(local, member)).available;
    } finally {
      await local.store.close();
    }
    expect(summary).toBe(0);
    expect((await holding('tmall', 'T1')).points.available).toBe(summary);
  });

  it('an adjustment given to the surviving member of a merge stays with it when the merge is undone', async () => {
    // T1's member is created first, so it survives the merge; C1's is absorbed
    await cli('import', 'members', '--channel', 'tmall', '--file', file('members.csv', 'channelMemberId\nT1\n'));
    await cli('import', 'members', '--channel', 'offline', '--file', file('cards.csv', 'channelMemberId\nC1\n'));
    const survivor = (await holding('tmall', 'T1')).memberId;
    const absorbed = (await holding('offline', 'C1')).memberId;
    const merged = await cli('members', 'merge', survivor, absorbed);
    expect(merged).toMatch(new RegExp(`merged ${absorbed} into ${survivor}`));
    expect(await cli('points', 'adjust', survivor, '100', '--reason', '补发', '--request-id', 'goodwill-1')).toBe(`adjusted: +100 points for ${survivor} (request goodwill-1)\n`);
    await cli('members', 'unmerge', /merge (mg_\w+)/.exec(merged)![1]!);
    // the operator credited the survivor: the wrong merge being undone must not hand its points to the other person
    expect((await holding('tmall', 'T1'))).toMatchObject({ memberId: survivor, points: { available: 100 } });
    expect((await holding('offline', 'C1'))).toMatchObject({ memberId: absorbed, points: { available: 0 } });
  });

  describe('through the service', () => {
    let services: TestServices;
    beforeEach(() => { services = openTestServices(); });
    afterEach(() => services.close());

    const memberOf = async (type: string, value: string) => (await exportAll(services)).find((l) => l.identifiers.some((i) => i.type === type && i.value === value))!;

    it('an adjustment given to a member merged into another stays with the member named when that merge is undone', async () => {
      // T1's member is older and survives; C1's member is absorbed
      await importMembers(services, 'tmall', [{ channelMemberId: 'T1' }]);
      services.clock.advance(1000);
      await importMembers(services, 'offline', [{ channelMemberId: 'C1' }]);
      const survivor = (await memberOf('tmall', 'T1')).memberId;
      const named = (await memberOf('offline', 'C1')).memberId;
      const merge = await mergeMembers(services, survivor, named);
      expect(merge.absorbed).toBe(named);
      // the operator credits C1's person by the id they know (the CLI passes the id as given: `points adjust <named> 100`)
      await services.store.transaction((tx) => postAdjust(tx, services, {
        key: 'adjust:goodwill-c1', memberId: named, points: 100, reason: '补发', operator: 'ops', at: new Date(services.clock.now()).toISOString(),
      }));
      await unmergeMembers(services, merge._id);
      expect(await memberOf('offline', 'C1')).toMatchObject({ memberId: named, points: { available: 100 } });
      expect(await memberOf('tmall', 'T1')).toMatchObject({ memberId: survivor, points: { available: 0 } });
    });

    it('stops the expiry run, naming points verify, for an account listing an expiry it has no lot for (it would loop for ever)', async () => {
      await importMembers(services, 'tmall', [{ channelMemberId: 'T1', points: 100 }]);
      await services.store.transaction((tx) => tx.update('accounts', 'tmall:T1', { nextExpiry: '2020-01-01T00:00:00.000Z' }));
      await expect(expirePoints(services, new Date(services.clock.now()).toISOString())).rejects.toThrow(/expiry made no progress: .* \(run points verify\)/);
    });
  });
});
