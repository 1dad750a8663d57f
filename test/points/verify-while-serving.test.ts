import { openLocalServices } from '../../cloudfunctions/core/local/services';
import { exportMembers, type ExportLine } from '../../cloudfunctions/core/identity/operator';
import { verifyPoints } from '../../cloudfunctions/core/points/verify.store';
import { fixedClock } from '../../cloudfunctions/core/runtime/clock';
import { sequentialIds, timeOrderedIds } from '../../cloudfunctions/core/runtime/ids';
import { silentLogger } from '../../cloudfunctions/core/runtime/log';
import type { Services } from '../../cloudfunctions/core/runtime/services';
import { boundConsumer, importMembers, memberOk } from '../support/members';
import { withStepBeforeRead } from '../support/services';
import { tempDir } from '../support/temp';
import { makeBatch, redeem } from '../codes/support';

/**
 * `points verify` and `members export` run from the CLI while `serve` answers consumers on the same
 * database (two processes, each with its own connections): what they report is the store at one
 * moment, not a mix of before and after a write that committed while they read.
 */
describe('operator reads while the server writes the same database', () => {
  let temp: ReturnType<typeof tempDir>;
  let server: Services;
  let cli: Services;
  beforeEach(() => {
    temp = tempDir();
    const dbFile = temp.file('mc.db');
    const clock = fixedClock('2026-11-23T02:00:00Z');
    server = openLocalServices({ dbFile, clock, ids: sequentialIds(), log: silentLogger, durability: 'normal' });
    // the CLI's process: its own connections to the file, its own ids
    cli = openLocalServices({ dbFile, clock, ids: timeOrderedIds, log: silentLogger, durability: 'normal' });
  });
  afterEach(async () => {
    await cli.store.close();
    await server.store.close();
    temp.cleanup();
  });

  it('points verify finds no difference when a consumer scans a code while it reads', async () => {
    await boundConsumer(server, 'u1', '13912345678');
    const { codes } = await makeBatch(server, { points: 20 });
    await redeem(server, 'u1', { code: codes[0] });
    // the scan commits once verify has read the ledger, before it reads the accounts and balances
    const scanning = withStepBeforeRead(cli, (kind, collection) => kind === 'query' && collection === 'accounts', async () => {
      const answer = await redeem(server, 'u1', { code: codes[1] });
      if (!answer.ok) throw new Error(answer.error.code);
    });
    const report = await verifyPoints(scanning);
    expect(report.details).toEqual([]);
    expect(report.differences).toBe(0);
    // and the ledger it read is one the stored balances agree with, also after the scan
    expect((await verifyPoints(cli)).differences).toBe(0);
  });

  it('members export lists each member once, as they stood, when a consumer binding a phone joins two members while it reads', async () => {
    await importMembers(server, 'tmall', [{ channelMemberId: 'T1', phone: '13912345678', points: 100 }]);
    const { termsVersion } = await memberOk<{ termsVersion: string }>(server, 'u1', { action: 'login' });
    await memberOk(server, 'u1', { action: 'consent', version: termsVersion });
    const lines = async (services: Services) => {
      const all: ExportLine[] = [];
      for await (const line of exportMembers(services)) all.push(line);
      return all;
    };
    const before = await lines(cli);
    expect(before).toHaveLength(2);
    // u1 binds the Tmall member's phone (their WeChat joins that member) once the export has read the members
    const binding = withStepBeforeRead(cli, (kind, collection) => kind === 'get' && collection === 'records', () =>
      memberOk(server, 'u1', { action: 'bindPhone', code: `dev:13912345678:${server.clock.now()}` }));
    const during = await lines(binding);
    // the store as it was when the export began: not a member merged away since, listed with the openid its survivor now holds
    expect(during).toEqual(before);
    // and the next export sees the join
    expect(await lines(cli)).toEqual([expect.objectContaining({ memberId: before[0]!.memberId, identifiers: expect.arrayContaining([{ type: 'openid', value: 'u1' }]) })]);
  });
});
