/**
 * Values that show nothing (cli.ts `checkOptionValues`, `checkDbVariable`; contracts/text.ts
 * `hasVisibleText`), pinned where hand-made mutants went unnoticed: MC_DB of a character that
 * takes no room is as empty as one of spaces, and a value of symbols alone shows something.
 */
import { readdirSync } from 'node:fs';
import { runCliAt, runCliWithArgs } from '../support/cli';
import { boundConsumer, importMembers, memberOk } from '../support/members';
import { openTestServices } from '../support/services';
import { tempDir } from '../support/temp';

describe('values that show nothing, and values that show something', () => {
  let temp: ReturnType<typeof tempDir>;
  const cwd = process.cwd();
  beforeEach(() => {
    temp = tempDir();
    process.chdir(temp.dir);
  });
  afterEach(() => {
    process.chdir(cwd);
    process.exitCode = undefined;
    temp.cleanup();
  });

  it('MC_DB of zero-width or blank characters alone is refused as one of spaces is, starting no database', async () => {
    const saved = process.env.MC_DB;
    const run = (...args: string[]) => runCliWithArgs(undefined, ...args);
    try {
      for (const value of ['\u200b', '\ufeff', '\u3164', ' \u2800 ']) {
        process.env.MC_DB = value;
        const refused = await run('members', 'export');
        expect(refused.failed).toBe(true);
        expect(refused.err).toMatch(/MC_DB is set but names no file/);
        expect(readdirSync(temp.dir)).toEqual([]);
      }
    } finally {
      if (saved === undefined) delete process.env.MC_DB;
      else process.env.MC_DB = saved;
    }
  });

  it('a reason of symbols alone (an emoji, a star) is a reason: the request is refused with it', async () => {
    const services = openTestServices();
    try {
      await importMembers(services, 'offline', [{ channelMemberId: 'C200' }]);
      await boundConsumer(services, 'u1', '13912345678');
      await memberOk(services, 'u1', { action: 'linkOffline', cardNo: 'C200' });
      const [request] = await services.dump('linkRequests');
      const run = await runCliAt(services.clock, services.dbFile, 'members', 'link-refuse', request!._id, '--reason', '❌★');
      expect(run.err).toBe('');
      expect(run.failed).toBe(false);
      expect(await services.dump('linkRequests')).toEqual([expect.objectContaining({ status: 'refused', reason: '❌★' })]);
    } finally {
      await services.close();
    }
  });
});
