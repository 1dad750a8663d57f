import fs from 'node:fs';
import { fixedClock } from '../../cloudfunctions/core/runtime/clock';
import { cliOnFreshDatabase } from '../support/cli';

/**
 * Review 39: a command reads the brand config once. It was read (and checked against the whole
 * schema) once to say a mistake in it before the database opens, and again as the services opened.
 * Counted as reads of the file MC_CONFIG names.
 */
describe('the config, read once per command', () => {
  const fresh = cliOnFreshDatabase(fixedClock('2026-11-23T02:00:00Z'));
  let saved: string | undefined;
  beforeEach(() => { saved = process.env.MC_CONFIG; });
  afterEach(() => {
    if (saved === undefined) delete process.env.MC_CONFIG;
    else process.env.MC_CONFIG = saved;
    jest.restoreAllMocks();
  });

  /** Runs `args` with MC_CONFIG naming a file, counting the reads of that file. */
  async function readsOf(config: object, ...args: string[]): Promise<{ reads: number; failed: boolean; err: string }> {
    const file = fresh.temp.write('brand.json', JSON.stringify(config));
    process.env.MC_CONFIG = file;
    const readFileSync = fs.readFileSync;
    let reads = 0;
    jest.spyOn(fs, 'readFileSync').mockImplementation(((path: fs.PathOrFileDescriptor, options?: unknown) => {
      if (path === file) reads++;
      return (readFileSync as (p: fs.PathOrFileDescriptor, o?: unknown) => string | Buffer)(path, options);
    }) as typeof fs.readFileSync);
    try {
      const done = await fresh.run(...args);
      return { reads, failed: done.failed, err: done.err };
    } finally {
      jest.restoreAllMocks();
    }
  }

  it('an import starting a database, a listing and a check each read it once', async () => {
    const members = fresh.temp.write('m.csv', 'channelMemberId,points\nT1,10\n');
    expect(await readsOf({ brandName: '测试' }, 'import', 'members', '--channel', 'tmall', '--file', members)).toEqual({ reads: 1, failed: false, err: '' });
    expect((await readsOf({ brandName: '测试' }, 'orders', 'waiting')).reads).toBe(1);
    expect((await readsOf({ brandName: '测试' }, 'points', 'verify')).reads).toBe(1);
    // the config in force is the one read: a rule of the file applies
    expect((await fresh.cli('config')).out).toMatch(/"brandName": "测试"/);
  });

  it('a mistake in it is still said as such, before the database is opened', async () => {
    await fresh.cli('import', 'members', '--channel', 'tmall', '--file', fresh.temp.write('m.csv', 'channelMemberId\nT1\n'));
    const refused = await readsOf({ level: [] }, 'points', 'verify');
    expect(refused.failed).toBe(true);
    expect(refused.err).toMatch(/invalid member-centre config/);
    expect(refused.err).not.toMatch(/cannot open the database/);
  });
});
