/**
 * The checks made before the CLI opens the store
 * (local/cli.ts: checkConfig, checkIsDatabase): `serve` says a config mistake as one, as the other
 * commands do, and an empty file at --db is no "not a database" (SQLite starts a database in it).
 */
import { writeFileSync } from 'node:fs';
import { runCli } from '../support/cli';
import { tempDir } from '../support/temp';

describe('the CLI\'s checks before it opens the database', () => {
  let temp: ReturnType<typeof tempDir>;
  beforeEach(() => { temp = tempDir('mc-cli-checks-'); });
  afterEach(() => {
    process.exitCode = undefined;
    delete process.env.MC_CONFIG;
    temp.cleanup();
  });

  it('serve with a mistake in the config says the config, not a database that cannot be opened, and starts nothing', async () => {
    process.env.MC_CONFIG = temp.write('brand.json', JSON.stringify({ level: {} }));
    const run = await runCli(temp.file('mc.db'), 'serve', '--port', '10997');
    expect(run.failed).toBe(true);
    expect(run.err).toMatch(/invalid member-centre config: .*unknown key "level"/);
    expect(run.err).not.toMatch(/cannot open the database/);
  });

  it('an empty file at --db (made with touch, or by a copy that wrote nothing) is started as a new database', async () => {
    const db = temp.file('mc.db');
    writeFileSync(db, '');
    const run = await runCli(db, 'stores', 'add', '--name', '旗舰店');
    expect(run).toMatchObject({ failed: false });
    expect((await runCli(db, 'stores', 'list')).out).toMatch(/旗舰店/);
  });
});

describe('an import run in-process (buildCli, as a script embedding the CLI runs it)', () => {
  afterEach(() => { process.exitCode = undefined; });

  it('leaves no Ctrl-C or stop listener behind once it has finished', async () => {
    const temp = tempDir('mc-cli-listeners-');
    try {
      const before = { SIGINT: process.listenerCount('SIGINT'), SIGTERM: process.listenerCount('SIGTERM') };
      const csv = temp.write('m.csv', 'channelMemberId,points\nC1,5\n');
      expect((await runCli(temp.file('mc.db'), 'import', 'members', '--channel', 'offline', '--file', csv)).failed).toBe(false);
      expect((await runCli(temp.file('mc.db'), 'points', 'expire', '--as-of', '2020-01-01')).failed).toBe(false);
      expect({ SIGINT: process.listenerCount('SIGINT'), SIGTERM: process.listenerCount('SIGTERM') }).toEqual(before);
    } finally {
      temp.cleanup();
    }
  });
});
