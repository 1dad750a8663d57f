/**
 * Small things an operator at the terminal meets: an option given an empty value (`--out "$F"` with
 * F unset), a count of 0 where a count is asked for, counts in summaries read as 1,000,000 (as the
 * progress notes write them), and a mistyped DELTA said as the command's other mistakes are.
 */
import { existsSync, readdirSync } from 'node:fs';
import { plural } from '../../cloudfunctions/core/local/wording';
import { buildCli } from '../../cloudfunctions/core/local/cli';
import { cliOnFreshDatabase, throwingInsteadOfExiting } from '../support/cli';

describe('the operator CLI, small things', () => {
  const fresh = cliOnFreshDatabase();
  const { cli, run } = fresh;
  const withMember = async () => {
    await cli('import', 'members', '--channel', 'tmall', '--file', fresh.temp.write('m.csv', 'channelMemberId,phone\nT1,13912345678\n'));
    return (JSON.parse((await cli('members', 'export')).out.split('\n')[0]!) as { memberId: string }).memberId;
  };

  describe('an option given an empty value', () => {
    // guards against `members export --out ""` writing every member to the terminal (or a cron log)
    // instead of the file the script meant to name
    it('members export --out "" is refused, and prints no member', async () => {
      await withMember();
      for (const args of [['--out', ''], ['--out=']]) {
        const r = await run('members', 'export', ...args);
        expect(r.failed).toBe(true);
        expect(r.out).toBe('');
        expect(r.err).toMatch(/^error: option '--out <file>' argument '' is invalid\. it needs a value, not an empty one/);
      }
    });

    it('codes create --out "" is refused as a usage error, not as a file that is "not a plain file"', async () => {
      const r = await run('codes', 'create', '--sku', 'A1', '--name', 'n', '--points', '1', '--count', '1', '--out', '');
      expect(r.failed).toBe(true);
      expect(r.err).toMatch(/option '--out <file>' argument '' is invalid\. it needs a value, not an empty one/);
      // refused before a database is started for it
      expect(existsSync(fresh.db)).toBe(false);
    });

    // --db "$MC_DB_OF_THE_SHOP" unset would otherwise run on the default database
    it('--db "" is refused, not taken as the default database', async () => {
      // runCli gives --db itself: this one alone
      const err: string[] = [];
      const stderr = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => (err.push(String(chunk)), true));
      try {
        await expect(throwingInsteadOfExiting(buildCli()).parseAsync(['node', 'member-centre', '--db', '', 'stores', 'list'])).rejects.toMatchObject({ exitCode: 1 });
      } finally {
        stderr.mockRestore();
      }
      expect(err.join('')).toMatch(/option '--db <path>' argument '' is invalid\. it needs a value, not an empty one/);
    });

    it('an option with nothing after it at all is a usage error, exit 1, naming the option', async () => {
      await withMember();
      for (const args of [['members', 'export', '--out'], ['codes', 'create', '--sku', 'A1', '--name', 'n', '--points', '1', '--count', '1', '--out']]) {
        const r = await run(...args);
        expect(r.failed).toBe(true);
        expect((r.error as { exitCode?: number }).exitCode).toBe(1);
        expect(r.err).toMatch(/^error: option '--out <file>' argument missing/);
      }
      expect(readdirSync(fresh.temp.dir).filter((name) => !/^(mc\.db|m\.csv|secrets\.json)/.test(name))).toEqual([]);
    });
  });

  // guards against a --top of 0 taken as asked, listing no code and saying nothing of it
  it('codes signals --top 0 is refused as the other counts are', async () => {
    const created = await cli('codes', 'create', '--sku', 'A1', '--name', 'n', '--points', '1', '--count', '2', '--out', fresh.temp.file('codes.txt'));
    const batch = /^batch (\w{4})/.exec(created.out)![1]!;
    const r = await run('codes', 'signals', batch, '--top', '0');
    expect(r.failed).toBe(true);
    expect(r.err).toMatch(/option '--top <n>' argument '0' is invalid\. must be a whole number from 1/);
    expect((await run('codes', 'signals', batch, '--top', '1')).failed).toBe(false);
  });

  describe('counts, as an operator reads them', () => {
    it('plural groups thousands as the progress notes do', () => {
      expect(plural(1_000_000, 'code')).toBe('1,000,000 codes');
      expect(plural(1000, 'row')).toBe('1,000 rows');
      expect(plural(999, 'row')).toBe('999 rows');
      expect(plural(1, 'row')).toBe('1 row');
      expect(plural(-12_345, 'point')).toBe('-12,345 points');
    });

    // guards against `batch X: 1000000 codes` beside `writing codes … 1,000,000 codes`
    it('codes create says 1,000 codes; codes list keeps the plain number in its tab-separated line', async () => {
      const created = await cli('codes', 'create', '--sku', 'A1', '--name', 'n', '--points', '1500', '--count', '1000', '--out', fresh.temp.file('codes.txt'));
      expect(created.out).toMatch(/^batch \w{4}: 1,000 codes for A1 \(n\), 1,500 points each/);
      expect((await cli('codes', 'list')).out).toMatch(/\t1500 pts\t1000 codes\t/);
    });

    it('an import summary groups every count of its rows', async () => {
      const rows = Array.from({ length: 1200 }, (_, i) => `T${i},139${String(i).padStart(8, '0')}`);
      const imported = await cli('import', 'members', '--channel', 'tmall', '--file', fresh.temp.write('m.csv', `channelMemberId,phone\n${rows.join('\n')}\n`));
      expect(imported.out).toMatch(/^read 1,200 rows in [\d.]+ s: 1,200 new, 0 updated, 0 unchanged, 0 repeating a member listed earlier in the file, 0 rejected; 1,200 members created/);
    });
  });

  // guards against the one refusal said as `member-centre: delta …` by the bin (thrown outside the
  // command's run, in-process a bare InvalidArgumentError) where the rest are said bare, exit 1
  it('a mistyped DELTA is said as the command\'s other refusals are', async () => {
    const member = await withMember();
    const r = await run('points', 'adjust', member, '1.5', '--reason', '补发');
    expect(r.failed).toBe(true);
    expect((r.error as { exitCode?: number }).exitCode).toBe(1);
    expect(r.err).toBe('delta 1.5 must be a non-zero whole number of points, at most 9 digits, e.g. 50 or -30\n');
  });
});
