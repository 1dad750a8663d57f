import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { fixedClock } from '../../cloudfunctions/core/runtime/clock';
import { cliOnFreshDatabase, runCliAt } from '../support/cli';

/**
 * Review 39: a database this version starts has no account an earlier version left without its mark
 * for `orders waiting`, so it is marked as started (`settings/waitingMarked`) and `points verify`
 * reports a missing mark from the start, not only after a first `orders waiting`. A database of an
 * earlier version is still marked by its first listing alone, and a refused command that would
 * have started one still leaves none behind.
 */
describe('points verify on a database this version started', () => {
  const fresh = cliOnFreshDatabase(fixedClock('2026-11-23T02:00:00Z'));

  const withDb = <T>(fn: (db: Database.Database) => T): T => {
    const db = new Database(fresh.db);
    try {
      return fn(db);
    } finally {
      db.close();
    }
  };
  const marked = () => withDb((db) => !!db.prepare("SELECT 1 FROM doc_settings WHERE id = 'waitingMarked'").get());
  const unmark = (id: string) => withDb((db) => db.prepare("UPDATE doc_accounts SET body = json_remove(body, '$.waitingChannel', '$.waitingSince'), f_waitingChannel = NULL, f_waitingSince = NULL WHERE id = ?").run(id));
  const orders = () => fresh.temp.write('orders.csv', 'orderId,channelMemberId,amountFen,paidAt\nA1,T1,1000,2026-11-01 10:00:00\n');
  const MISSING = '  waiting tmall:T1: waits for its buyer (of no member, its record never imported), but has no waitingChannel mark: orders waiting does not list it';

  afterEach(() => { process.exitCode = undefined; });

  it('an import that starts the database marks it: a mark taken off is reported before any orders waiting', async () => {
    await fresh.cli('import', 'orders', '--channel', 'tmall', '--file', orders());
    expect(marked()).toBe(true);
    expect((await fresh.cli('points', 'verify')).out).toMatch(/: no differences\n$/);
    unmark('tmall:T1');
    const run = await fresh.cli('points', 'verify');
    expect(run.out.split('\n')).toContain(MISSING);
    expect(process.exitCode).toBe(1);
  });

  it('each command that starts a database marks it (stores add, campaigns add, codes create, import members)', async () => {
    const commands = [
      ['stores', 'add', '--name', '南京西路店'],
      ['campaigns', 'add', '--bonus', '30', '--name', '包裹卡'],
      ['codes', 'create', '--sku', 'S1', '--name', '面霜', '--points', '10', '--count', '2', '--out', fresh.temp.file('codes.txt')],
      ['import', 'members', '--channel', 'tmall', '--file', fresh.temp.write('m.csv', 'channelMemberId\nT9\n')],
    ];
    for (const [i, command] of commands.entries()) {
      const db = fresh.temp.file(`db${i}/mc.db`);
      const run = await runCliAt(fixedClock('2026-11-23T02:00:00Z'), db, ...command);
      expect({ command, failed: run.failed }).toEqual({ command, failed: false });
      const held = new Database(db, { readonly: true });
      expect({ command, marked: !!held.prepare("SELECT 1 FROM doc_settings WHERE id = 'waitingMarked'").get() }).toEqual({ command, marked: true });
      held.close();
    }
  });

  it('a database of an earlier version is marked by its first listing alone, not by another command', async () => {
    await fresh.cli('import', 'orders', '--channel', 'tmall', '--file', orders());
    // as an earlier version left it: no mark on the account, none on the database
    withDb((db) => db.prepare("DELETE FROM doc_settings WHERE id = 'waitingMarked'").run());
    unmark('tmall:T1');
    await fresh.cli('import', 'orders', '--channel', 'tmall', '--file', fresh.temp.write('more.csv', 'orderId,channelMemberId,amountFen,paidAt\nA2,T2,1000,2026-11-01 10:00:00\n'));
    await fresh.cli('stores', 'add', '--name', '南京西路店');
    expect(marked()).toBe(false);
    expect((await fresh.cli('points', 'verify')).out).toMatch(/: no differences\n$/);
    // the first listing marks the account it finds unmarked, and the database
    expect((await fresh.cli('orders', 'waiting')).out).toMatch(/^tmall {2}A1 {2}buyer T1 /m);
    expect(marked()).toBe(true);
    expect((await fresh.cli('points', 'verify')).out).toMatch(/: no differences\n$/);
  });

  it('a refused command that would start a database still leaves none behind', async () => {
    const refused = await fresh.run('import', 'orders', '--channel', 'tmal', '--file', orders());
    expect(refused.failed).toBe(true);
    expect(existsSync(fresh.db)).toBe(false);
    expect(existsSync(join(fresh.temp.dir, 'secrets.json'))).toBe(false);
  });

  it('a first import stopped part-way (Ctrl-C) leaves the database it started marked: a mark taken off is still reported', async () => {
    const rows = Array.from({ length: 40_000 }, (_, i) => `A${i},T${i % 500},1000,2026-11-01 10:00:00`);
    const file = fresh.temp.write('many.csv', `orderId,channelMemberId,amountFen,paidAt\n${rows.join('\n')}\n`);
    const ledgerRows = () => (existsSync(fresh.db) ? withDb((db) => {
      const table = db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'doc_ledger'").get();
      return table ? Number(db.prepare('SELECT count(*) FROM doc_ledger').pluck().get()) : 0;
    }) : 0);
    // Ctrl-C once the first batch is in, before the last: the import says what stays and exits 130
    const child = spawn(process.execPath, ['scripts/member-centre.js', '--db', fresh.db, 'import', 'orders', '--channel', 'tmall', '--file', file], { stdio: 'ignore' });
    let exit: number | null | undefined;
    const exited = new Promise<void>((resolve) => child.on('exit', (code) => resolve(void (exit = code))));
    while (exit === undefined && ledgerRows() === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    child.kill('SIGINT');
    await exited;
    expect(exit).toBe(130);
    expect(ledgerRows()).toBeGreaterThan(0);
    expect(ledgerRows()).toBeLessThan(rows.length);
    expect(marked()).toBe(true);
    // one of the accounts its batches wrote, its mark taken off
    const account = withDb((db) => db.prepare('SELECT id FROM doc_accounts ORDER BY id LIMIT 1').pluck().get() as string);
    unmark(account);
    expect((await fresh.cli('points', 'verify')).out.split('\n')).toContain(MISSING.replace('tmall:T1', account));
  }, 120_000);

  /** Runs `serve` on the database until it says it is running, then stops it. */
  const servedOnce = async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port: free } = probe.address() as { port: number };
        probe.close(() => resolve(free));
      });
    });
    await new Promise<void>((resolve, reject) => {
      const child = execFile(process.execPath, ['scripts/member-centre.js', '--db', fresh.db, 'serve', '--port', String(port)], { timeout: 30_000 }, (error) => {
        if (error && error.signal !== 'SIGTERM') reject(error);
        else resolve();
      });
      child.stdout!.on('data', (chunk: Buffer) => {
        if (String(chunk).includes('running at')) child.kill('SIGTERM');
      });
    });
  };

  it('serve starting a database marks it', async () => {
    await servedOnce();
    expect(marked()).toBe(true);
  }, 30_000);

  it('serve on a database of an earlier version leaves it unmarked, for its first listing to mark: verify reports no difference', async () => {
    await fresh.cli('import', 'orders', '--channel', 'tmall', '--file', orders());
    // as an earlier version left it: no mark on the account, none on the database
    withDb((db) => db.prepare("DELETE FROM doc_settings WHERE id = 'waitingMarked'").run());
    unmark('tmall:T1');
    await servedOnce();
    expect(marked()).toBe(false);
    expect((await fresh.cli('points', 'verify')).out).toMatch(/: no differences\n$/);
  }, 60_000);
});
