/**
 * An option given a value that shows nothing (`--reason "  "`, `--name "　"`, `--channel " "`,
 * `--out " "`) is refused as an empty one is, before anything opens or is written: no option of
 * the CLI takes such a value, and some took one silently (an export written to a file named " ",
 * a link request refused with its reason dropped, a database started under the name " ").
 */
import fc from 'fast-check';
import { runs, timeoutFor } from '../support/property';
import { existsSync, readdirSync } from 'node:fs';
import type { Command } from 'commander';
import { buildCli } from '../../cloudfunctions/core/local/cli';
import { runCli, runCliAt, runCliWithArgs } from '../support/cli';
import { boundConsumer, importMembers, memberOk } from '../support/members';
import { openTestServices, type TestServices } from '../support/services';
import { tempDir } from '../support/temp';

const REFUSED = /argument '[^']*' is invalid\. it needs a value, not one of spaces alone/;

/** Characters that show nothing: spaces of every width (the Chinese keyboard's full-width one), tabs, zero-width and blank characters. */
const blank = fc.array(fc.constantFrom(' ', '\t', '\u3000', '\u00a0', '\u200b', '\u200d', '\ufeff', '\u2800', '\u3164', '\u2060'), { minLength: 1, maxLength: 4 }).map((chars) => chars.join(''));

/** Every option of every command that takes a value, as `[command path, option]`. */
function valueOptions(): [string[], string][] {
  const found: [string[], string][] = [];
  const walk = (command: Command, path: string[]) => {
    for (const option of command.options) if ((option.required || option.optional) && option.long) found.push([path, option.long]);
    for (const sub of command.commands) walk(sub, [...path, sub.name()]);
  };
  walk(buildCli(), []);
  return found;
}

describe('option values that show nothing are refused as empty ones are', () => {
  // each test in a folder of its own, as its working folder: a file or database a refused run made shows there
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

  it('every option that takes a value, of every command, refuses one of spaces alone, starting no database and writing no file', async () => {
    const options = valueOptions();
    // the options the brief names are among them, and more
    expect(options.map(([, o]) => o)).toEqual(expect.arrayContaining(['--reason', '--name', '--channel', '--out', '--rejects', '--city', '--db', '--file', '--store', '--id', '--sku']));
    const db = temp.file('none.db');
    await fc.assert(fc.asyncProperty(fc.constantFrom(...options), blank, async ([path, option], value) => {
      const run = option === '--db' ? await runCli(value, ...path) : await runCli(db, ...path, option, value);
      expect(run.failed).toBe(true);
      expect(run.err).toMatch(REFUSED);
      expect(run.out).toBe('');
      // nothing started or written: the folder holds no database, no export, no codes file
      expect(existsSync(db)).toBe(false);
      expect(readdirSync(temp.dir)).toEqual([]);
    }), { numRuns: runs(120) });
  }, timeoutFor());

  it('members export --out " " writes no file named " "; --out with a name exports, spaces inside it kept', async () => {
    const services = openTestServices();
    try {
      await importMembers(services, 'tmall', [{ channelMemberId: 'T1' }]);
      const refused = await runCliAt(services.clock, services.dbFile, 'members', 'export', '--out', ' ');
      expect(refused.failed).toBe(true);
      expect(refused.err).toMatch(REFUSED);
      expect(readdirSync(temp.dir)).toEqual([]);
      const good = await runCliAt(services.clock, services.dbFile, 'members', 'export', '--out', 'my export.jsonl');
      expect(good.failed).toBe(false);
      expect(readdirSync(temp.dir)).toEqual(['my export.jsonl']);
    } finally {
      await services.close();
    }
  });

  it('an import with --channel " " or --db " " starts no database; the same import with the channel named runs', async () => {
    const file = temp.write('m.csv', 'channelMemberId\nT1\n');
    for (const args of [['--db', temp.file('mc.db'), 'import', 'members', '--channel', '\u3000', '--file', file], ['--db', ' ', 'import', 'members', '--channel', 'tmall', '--file', file]]) {
      const run = await runCli(args[1]!, ...args.slice(2));
      expect(run.failed).toBe(true);
      expect(run.err).toMatch(REFUSED);
      expect(readdirSync(temp.dir).sort()).toEqual(['m.csv']);
    }
    const good = await runCli(temp.file('mc.db'), 'import', 'members', '--channel', 'tmall', '--file', file);
    expect(good.failed).toBe(false);
    expect(good.out).toMatch(/1 new/);
  });
  it('MC_DB set to a value that shows nothing (an unset variable exported empty) is refused, starting no database; --db still decides', async () => {
    const file = temp.write('m.csv', 'channelMemberId\nT1\n');
    const saved = process.env.MC_DB;
    const run = (...args: string[]) => runCliWithArgs(undefined, ...args);
    try {
      // spaces, and characters that take no room (zero-width, BOM, Hangul filler, Braille blank)
      for (const value of ['', ' ', '\u3000', '\u200b', '\ufeff', '\u3164', ' \u2800 ']) {
        process.env.MC_DB = value;
        for (const args of [['import', 'members', '--channel', 'tmall', '--file', file], ['members', 'export'], ['serve', '--port', '10999']]) {
          const refused = await run(...args);
          expect([args[0], refused.failed]).toEqual([args[0], true]);
          expect(refused.err).toMatch(/MC_DB is set but names no file/);
          expect(readdirSync(temp.dir)).toEqual(['m.csv']);
        }
      }
      const good = await run('--db', temp.file('mc.db'), 'import', 'members', '--channel', 'tmall', '--file', file);
      expect(good.failed).toBe(false);
      expect(readdirSync(temp.dir)).toContain('mc.db');
    } finally {
      if (saved === undefined) delete process.env.MC_DB;
      else process.env.MC_DB = saved;
    }
  });
});

describe('reasons that show nothing', () => {
  let services: TestServices;
  beforeEach(() => { services = openTestServices(); });
  afterEach(() => {
    process.exitCode = undefined;
    return services.close();
  });
  const cli = (...args: string[]) => runCliAt(services.clock, services.dbFile, ...args);

  it('members link-refuse --reason " " is refused, the request still pending; given a reason, it is refused with it', async () => {
    await importMembers(services, 'offline', [{ channelMemberId: 'C200' }]);
    await boundConsumer(services, 'u1', '13912345678');
    await memberOk(services, 'u1', { action: 'linkOffline', cardNo: 'C200' });
    const [request] = await services.dump('linkRequests');
    const id = request!._id;
    for (const reason of [' ', '\u3000\u3000', '\u200b']) {
      const run = await cli('members', 'link-refuse', id, '--reason', reason);
      expect(run.failed).toBe(true);
      expect(run.err).toMatch(REFUSED);
      expect(await services.dump('linkRequests')).toEqual([request]);
    }
    const good = await cli('members', 'link-refuse', id, '--reason', ' 卡号不符 ');
    expect(good.failed).toBe(false);
    expect(await services.dump('linkRequests')).toEqual([expect.objectContaining({ status: 'refused', reason: '卡号不符' })]);
    // again: answered the same, nothing changed
    const after = await services.dump('linkRequests');
    expect((await cli('members', 'link-refuse', id, '--reason', '卡号不符')).failed).toBe(false);
    expect(await services.dump('linkRequests')).toEqual(after);
  });

  it('points adjust --reason of zero-width characters alone is refused (the service too), nothing written; a visible reason adjusts', async () => {
    await importMembers(services, 'tmall', [{ channelMemberId: 'T1', points: 10 }]);
    const [member] = await services.dump('members');
    const ledger = await services.dump('ledger');
    for (const reason of ['\u200b', '\u200b\u200d', ' \u2060 ']) {
      const run = await cli('points', 'adjust', member!._id, '5', '--reason', reason);
      expect(run.failed).toBe(true);
      expect(run.err).toMatch(REFUSED);
      expect(run.err).not.toMatch(/--request-id/);
      expect(await services.dump('ledger')).toEqual(ledger);
    }
    const { postAdjust } = await import('../../cloudfunctions/core/points/ledger');
    await expect(services.store.transaction((tx) => postAdjust(tx, services, {
      key: 'adjust:r1', memberId: member!._id, points: 5, reason: '\u200b', operator: 'op', at: new Date(services.clock.now()).toISOString(),
    }))).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/reason must be 1-200 characters, something visible/) });
    expect(await services.dump('ledger')).toEqual(ledger);
    const good = await cli('points', 'adjust', member!._id, '5', '--reason', '补发 积分', '--request-id', 'r2');
    expect(good.failed).toBe(false);
    expect(good.out).toMatch(/adjusted: \+5 points/);
    expect((await cli('points', 'adjust', member!._id, '5', '--reason', '补发 积分', '--request-id', 'r2')).out).toMatch(/already done/);
  });

  it('a reason of symbols alone (an emoji, a star) is a reason: the request is refused with it', async () => {
    await importMembers(services, 'offline', [{ channelMemberId: 'C200' }]);
    await boundConsumer(services, 'u1', '13912345678');
    await memberOk(services, 'u1', { action: 'linkOffline', cardNo: 'C200' });
    const [request] = await services.dump('linkRequests');
    const run = await cli('members', 'link-refuse', request!._id, '--reason', '❌★');
    expect(run.err).toBe('');
    expect(run.failed).toBe(false);
    expect(await services.dump('linkRequests')).toEqual([expect.objectContaining({ status: 'refused', reason: '❌★' })]);
  });
});
