/**
 * `points verify` with more differences than it lists: the count of all is always said, the
 * listing says how to get every one, and `--all` lists them all (each as it is found, none held),
 * so a store with thousands of differences can be looked at whole, `> file` for a script.
 */
import Database from 'better-sqlite3';
import { verifyPoints, type Difference } from '../../cloudfunctions/core/points/verify.store';
import { runCliAt } from '../support/cli';
import { importMembers } from '../support/members';
import { openTestServices, type TestServices } from '../support/services';

describe('points verify lists every difference when asked', () => {
  let services: TestServices;
  beforeEach(() => { services = openTestServices(); });
  afterEach(() => {
    process.exitCode = undefined;
    return services.close();
  });
  const cli = (...args: string[]) => runCliAt(services.clock, services.dbFile, ...args);
  const listed = (out: string) => out.split('\n').filter((line) => /^ {2}(account|balance|entry|pointer) /.test(line));

  /** `n` members whose stored balances the ledger does not explain. */
  async function tampered(n: number) {
    await importMembers(services, 'tmall', Array.from({ length: n }, (_, i) => ({ channelMemberId: `T${i}`, points: 10 })));
    const db = new Database(services.dbFile);
    db.prepare("UPDATE doc_balances SET body = json_set(body, '$.points', 999)").run();
    db.close();
  }

  it('says the count of all, lists --max of them and names --all; --all lists every one, each once, then the counts', async () => {
    await tampered(120);
    const capped = await cli('points', 'verify', '--max', '5');
    expect(capped.failed).toBe(false);
    expect(process.exitCode).toBe(1);
    expect(capped.out).toMatch(/^checked 120 ledger entries, 120 accounts, 120 balances, 120 members: 120 differences\n/);
    expect(listed(capped.out)).toHaveLength(5);
    expect(capped.out).toMatch(/ {2}… and 115 more \(points verify --all lists every one\)\n$/);

    process.exitCode = undefined;
    const all = await cli('points', 'verify', '--all');
    expect(process.exitCode).toBe(1);
    expect(listed(all.out)).toHaveLength(120);
    expect(new Set(listed(all.out)).size).toBe(120);
    // the counts come last, once every difference is known
    expect(all.out).toMatch(/\nchecked 120 ledger entries, 120 accounts, 120 balances, 120 members: 120 differences \(listed above\)\n$/);
    expect(all.out).not.toMatch(/more/);
    // the same differences as the largest --max lists, in the same order
    expect(listed(all.out)).toEqual(listed((await cli('points', 'verify', '--max', '20000')).out));
    expect(listed(all.out).slice(0, 5)).toEqual(listed(capped.out));
  });

  it('a store without differences says so under --all, exit 0', async () => {
    await importMembers(services, 'tmall', [{ channelMemberId: 'T1', points: 10 }]);
    const run = await cli('points', 'verify', '--all');
    expect(run.failed).toBe(false);
    expect(run.out).toBe('checked 1 ledger entry, 1 account, 1 balance, 1 member: no differences\n');
    expect(process.exitCode).toBeUndefined();
  });

  it('verifyPoints hands every difference to onDifference while keeping only maxDetails', async () => {
    await tampered(30);
    const seen: Difference[] = [];
    const report = await verifyPoints(services, { maxDetails: 0, onDifference: (d) => seen.push(d) });
    expect(report.differences).toBe(30);
    expect(report.details).toEqual([]);
    expect(seen).toHaveLength(30);
    expect((await verifyPoints(services, { maxDetails: 1000 })).details).toEqual(seen);
  });

  it('refuses --max with --all, and a --max out of range naming --all; the command then runs as asked', async () => {
    await tampered(3);
    for (const [args, message] of [
      [['--max', '5', '--all'], /INVALID_INPUT: give --max N or --all, not both/],
      [['--max', '0'], /--max <n>' argument '0' is invalid\. must be a whole number from 1 to 20000 \(--all lists every difference\)/],
      [['--max', '20001'], /must be a whole number from 1 to 20000/],
      [['--max', 'all'], /must be a whole number from 1 to 20000/],
    ] as const) {
      const run = await cli('points', 'verify', ...args);
      expect(run.failed).toBe(true);
      expect(run.err).toMatch(message);
      expect(run.out).toBe('');
    }
    expect(listed((await cli('points', 'verify', '--all')).out)).toHaveLength(3);
  });
});
