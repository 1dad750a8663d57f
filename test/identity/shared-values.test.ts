import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openLocalServices } from '../../cloudfunctions/core/local/services';
import { silentLogger } from '../../cloudfunctions/core/runtime/log';
import { cliOnFreshDatabase, runCli } from '../support/cli';

/**
 * ARCHITECTURE §5: a shared identifier (blocked, or on more than K=3 records of one channel) "never
 * joins members; it is reported". An import's summary only counts them: `members shared` lists which
 * values were set aside and the records that carry them, a phone never in clear.
 */
describe('members shared: the values set aside, with the records carrying them', () => {
  const fresh = cliOnFreshDatabase();
  const { cli } = fresh;
  const importOffline = (name: string, csv: string) => cli('import', 'members', '--channel', 'offline', '--file', fresh.temp.write(name, csv));
  const lines = (out: string) => out.split('\n').filter(Boolean);
  /** Runs `fn` with the brand's config edited (MC_CONFIG), as after a change to member-centre.json. */
  const withIdentity = async <T>(change: Record<string, unknown>, fn: () => Promise<T>): Promise<T> => {
    const { identity } = JSON.parse(readFileSync(join(__dirname, '../../config/member-centre.json'), 'utf8')) as { identity: Record<string, unknown> };
    const saved = process.env.MC_CONFIG;
    process.env.MC_CONFIG = fresh.temp.write('config.json', JSON.stringify({ identity: { ...identity, ...change } }));
    try {
      return await fn();
    } finally {
      if (saved === undefined) delete process.env.MC_CONFIG;
      else process.env.MC_CONFIG = saved;
    }
  };

  it('lists a store phone typed on 5 cards as shared, with its records, the phone not in clear', async () => {
    // a clerk typing the store's number for every customer; O6 has a number of its own
    const imported = await importOffline('o.csv', 'channelMemberId,phone\nO1,13912345678\nO2,139 1234 5678\nO3,+86 13912345678\nO4,13912345678\nO5,139-1234-5678\nO6,13766660001\n');
    expect(imported.out).toMatch(/1 phone or id newly set aside.*\(members shared lists them\)/);
    const run = await cli('members', 'shared');
    const listed = lines(run.out);
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatch(/^phone \S+…  shared  5 records \(offline 5\): offline:O1, offline:O2, offline:O3, offline:O4, offline:O5$/);
    for (const text of [run.out, run.err]) expect(text).not.toMatch(/1391234|13766660001/);
    // the start of the keyed hash members export prints whole
    const prefix = listed[0]!.split(' ')[1]!.replace('…', '');
    const exported = (await cli('members', 'export')).out;
    expect(exported).toContain(`"value":"${prefix}`);
    expect(run.err).toMatch(/^1 value set aside/);
  });

  it('names the first 5 records and counts the rest, across channels', async () => {
    await importOffline('o.csv', 'channelMemberId,email\n' + Array.from({ length: 7 }, (_, i) => `O${i + 1},family@example.com\n`).join(''));
    await cli('import', 'members', '--channel', 'tmall', '--file', fresh.temp.write('t.csv', 'channelMemberId,email\nT1,family@example.com\n'));
    const listed = lines((await cli('members', 'shared')).out);
    expect(listed).toEqual(['email family@example.com  shared  8 records (offline 7, tmall 1): offline:O1, offline:O2, offline:O3, offline:O4, offline:O5 +3 more']);
  });

  it('lists a blocked test number on one card as blocked, named as the config names it, and no longer once it is taken off the list', async () => {
    await importOffline('o.csv', 'channelMemberId,phone\nO1,13800138000\n');
    const listed = lines((await cli('members', 'shared')).out);
    // the brand's own test number, not a customer's: shown as identity.blockedPhones writes it
    expect(listed).toEqual(['phone 13800138000  blocked  1 record (offline 1): offline:O1']);

    // the rules as configured now: a number the brand took off the list joins again and is not listed
    const run = await withIdentity({ blockedPhones: [] }, () => cli('members', 'shared'));
    expect(run.out).toBe('');
    expect(run.err).toMatch(/^0 values set aside/);
  });

  it('lists a value past a threshold lowered since, before any import walks it again', async () => {
    await importOffline('o.csv', 'channelMemberId,email\nO1,trio@example.com\nO2,trio@example.com\nO3,trio@example.com\n');
    expect((await cli('members', 'shared')).out).toBe('');
    const run = await withIdentity({ quarantineThreshold: 2 }, () => cli('members', 'shared'));
    expect(lines(run.out)).toEqual(['email trio@example.com  shared  3 records (offline 3): offline:O1, offline:O2, offline:O3']);
  });

  it('does not list a value two records share (they are one member)', async () => {
    await importOffline('o.csv', 'channelMemberId,phone,email\nO1,13912345678,pair@example.com\nO2,13912345678,pair@example.com\n');
    const run = await cli('members', 'shared');
    expect(run.out).toBe('');
    expect(run.err).toMatch(/^0 values set aside/);
  });

  it('lists the values on most records first, --limit caps the lines, and the total goes to stderr', async () => {
    const rows = [
      ...Array.from({ length: 4 }, (_, i) => `A${i + 1},b@example.com`),
      ...Array.from({ length: 6 }, (_, i) => `B${i + 1},c@example.com`),
      ...Array.from({ length: 4 }, (_, i) => `C${i + 1},a@example.com`),
    ];
    await importOffline('o.csv', `channelMemberId,email\n${rows.join('\n')}\n`);
    const all = await cli('members', 'shared');
    // most records first, then by value
    expect(lines(all.out).map((line) => line.split('  ')[0])).toEqual(['email c@example.com', 'email a@example.com', 'email b@example.com']);
    expect(all.err).toMatch(/^3 values set aside/);
    expect(all.err).not.toMatch(/more:/);

    const capped = await cli('members', 'shared', '--limit', '2');
    expect(lines(capped.out)).toEqual(lines(all.out).slice(0, 2));
    expect(capped.err).toMatch(/^3 values set aside, joining no one \(2 listed, most records first\); .* \(more: members shared --limit 2 --after '[A-Za-z0-9_-]+'\)\n$/);

    const bad = await runCli(fresh.db, 'members', 'shared', '--limit', '0');
    expect(bad.failed).toBe(true);
    expect(bad.err).toMatch(/--limit must be a whole number/);
  });

  it('lists nothing on an empty database, and succeeds', async () => {
    const services = openLocalServices({ dbFile: fresh.db, log: silentLogger });
    await services.store.close();
    const run = await runCli(fresh.db, 'members', 'shared');
    expect(run.failed).toBe(false);
    expect(process.exitCode ?? 0).toBe(0);
    expect(run.out).toBe('');
    expect(run.err).toMatch(/^0 values set aside/);
  });

  it('gives the same output when run again, also after the same file is imported again', async () => {
    const file = fresh.temp.write('o.csv', 'channelMemberId,phone,email\nO1,13912345678,x@example.com\nO2,13912345678,x@example.com\nO3,13912345678,x@example.com\nO4,13912345678,x@example.com\nO5,13800138000,\n');
    await cli('import', 'members', '--channel', 'offline', '--file', file);
    const first = await cli('members', 'shared');
    expect(lines(first.out)).toHaveLength(3);
    expect(await cli('members', 'shared')).toEqual(first);
    await cli('import', 'members', '--channel', 'offline', '--file', file);
    expect(await cli('members', 'shared')).toEqual(first);
  });
});
