import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../support/cli';
import { tempDir } from '../support/temp';

const ROOT = join(__dirname, '..', '..');

/**
 * An import killed outright (kill -9, the machine losing power, the OOM killer) part-way, then run
 * again as the operator is told to: the database must end as an import that was never stopped
 * leaves it, and the points ledger must agree with every balance.
 */
describe('an import killed part-way and run again', () => {
  let temp: ReturnType<typeof tempDir>;
  beforeEach(() => (temp = tempDir('mc-killed-')));
  afterEach(() => {
    process.exitCode = undefined;
    temp.cleanup();
  });

  /** Rows of a table, read-only (0 before the table exists). */
  const rowsIn = (db: string, table: string) => {
    if (!existsSync(db)) return 0;
    const store = new Database(db, { readonly: true, fileMustExist: true });
    try {
      const exists = store.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(table);
      return exists ? Number(store.prepare(`SELECT count(*) FROM ${table}`).pluck().get()) : 0;
    } finally {
      store.close();
    }
  };

  /** Every table's row count. */
  const counts = (db: string) => {
    const store = new Database(db, { readonly: true, fileMustExist: true });
    try {
      const tables = store.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'doc_%' ORDER BY name").pluck().all() as string[];
      return Object.fromEntries(tables.map((t) => [t, store.prepare(`SELECT count(*) FROM ${t}`).pluck().get()]));
    } finally {
      store.close();
    }
  };

  /** `member-centre --db DB …args` as its own process, killed with SIGKILL once `ready()` holds (checked between its writes). */
  const killedRun = async (db: string, args: string[], ready: () => boolean) => {
    const child = spawn(process.execPath, ['scripts/member-centre.js', '--db', db, ...args], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    let exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
    const exited = new Promise<void>((resolve) => child.on('exit', (code, signal) => resolve(void (exit = { code, signal }))));
    while (!exit && !ready()) await new Promise((resolve) => setTimeout(resolve, 10));
    child.kill('SIGKILL');
    await exited;
    return { exit: exit!, stderr };
  };

  const ok = async (db: string, ...args: string[]) => {
    const run = await runCli(db, ...args);
    if (run.failed) throw new Error(run.err);
    return run.out;
  };

  /** One line per live member, without its id (each database draws its own), in a stable order. */
  const exported = async (db: string) => (await ok(db, 'members', 'export')).trim().split('\n')
    .map((line) => {
      const { memberId: _id, ...rest } = JSON.parse(line) as Record<string, unknown>;
      return JSON.stringify(rest);
    })
    .sort();

  // four batches of 2000: the kill after the first leaves three to land in
  const MEMBERS = 8000;
  const membersCsv = () => {
    const rows = Array.from({ length: MEMBERS }, (_, i) => `T${i},139${String(i).padStart(8, '0')},n${i},${(i % 40) + 1}`);
    // some members listed again further down with a new balance: the later row is the one that counts
    for (let i = 0; i < MEMBERS; i += 97) rows.push(`T${i},139${String(i).padStart(8, '0')},n${i}b,${(i % 40) + 7}`);
    return temp.write('members.csv', `channelMemberId,phone,name,points\n${rows.join('\n')}\n`);
  };
  const ordersCsv = () => {
    // paid ten days ago whatever the day: neither in the future nor expired, for both runs alike
    const paidAt = new Date(Date.now() - 10 * 86_400_000).toISOString();
    const rows = Array.from({ length: MEMBERS }, (_, i) => `O${i},T${i},${1000 + (i % 300) * 10},paid,,${paidAt}`);
    // refunds of orders earlier in the file
    for (let i = 0; i < MEMBERS; i += 13) rows.push(`O${i},T${i},${1000 + (i % 300) * 10},refunded,${500},${paidAt}`);
    return temp.write('orders.csv', `orderId,channelMemberId,amountFen,status,refundFen,paidAt\n${rows.join('\n')}\n`);
  };

  /** The database of an import run whole, in its own folder. */
  const wholeDatabase = () => {
    mkdirSync(temp.file('whole'));
    return temp.file('whole/mc.db');
  };

  /**
   * A database, with the whole one's keys (phone hashes then read the same in both exports), made
   * ready by `prepare` and then given the command killed with SIGKILL once `ready()` holds. A
   * command that finished before the kill landed (a busy machine can starve this process's checks
   * for the rest of the file's batches) is run again on a new database, up to three times.
   */
  const killedPartWay = async (argsFor: (db: string) => string[], prepare: (db: string) => Promise<void>, ready: (db: string) => boolean, written: (db: string) => number, all: number) => {
    for (let attempt = 1; attempt <= 3; attempt++) {
      mkdirSync(temp.file(`killed-${attempt}`));
      const db = temp.file(`killed-${attempt}/mc.db`);
      copyFileSync(temp.file('whole/secrets.json'), temp.file(`killed-${attempt}/secrets.json`));
      await prepare(db);
      const { exit } = await killedRun(db, argsFor(db), () => ready(db));
      if (exit.signal === 'SIGKILL' && written(db) < all) return db;
    }
    throw new Error(`${argsFor('').slice(0, 2).join(' ')} finished before it could be killed, three times running`);
  };

  it('import members: killed after some batches, run again, ends as an uninterrupted import, and points verify finds no difference', async () => {
    const file = membersCsv();
    const whole = wholeDatabase();
    await ok(whole, 'import', 'members', '--channel', 'tmall', '--file', file, '--rejects', temp.file('whole.rejects.jsonl'));

    // a batch is 2000 rows: killed once the first is in, before the last
    const killed = await killedPartWay(
      () => ['import', 'members', '--channel', 'tmall', '--file', file, '--rejects', temp.file('killed.rejects.jsonl')],
      async () => undefined,
      (db) => rowsIn(db, 'doc_members') >= 2000,
      (db) => rowsIn(db, 'doc_members'),
      MEMBERS,
    );
    const left = rowsIn(killed, 'doc_members');
    expect(left).toBeGreaterThan(0);
    expect(left).toBeLessThan(MEMBERS);
    expect(await ok(killed, 'points', 'verify')).toMatch(/no differences/);

    const again = await ok(killed, 'import', 'members', '--channel', 'tmall', '--file', file, '--rejects', temp.file('killed.rejects.jsonl'));
    expect(again).toMatch(/0 rejected/);
    expect(await exported(killed)).toEqual(await exported(whole));
    // settings too: a database whose first run was killed is marked for orders waiting as one run whole is
    expect(counts(killed)).toEqual(counts(whole));
    expect(await ok(killed, 'points', 'verify')).toMatch(/no differences/);
    // and once more changes nothing
    expect(await ok(killed, 'import', 'members', '--channel', 'tmall', '--file', file, '--rejects', temp.file('third.rejects.jsonl')))
      .toMatch(new RegExp(`0 new, 0 updated, ${MEMBERS.toLocaleString('en-US')} unchanged, \\d+ repeating a member listed earlier in the file, 0 rejected; 0 members created`));
  });

  it('import orders: killed after some batches, run again, earns and refunds each order once, as an uninterrupted import does', async () => {
    const members = membersCsv();
    const orders = ordersCsv();
    const whole = wholeDatabase();
    await ok(whole, 'import', 'members', '--channel', 'tmall', '--file', members);
    await ok(whole, 'import', 'orders', '--channel', 'tmall', '--file', orders, '--batch', '500', '--rejects', temp.file('whole.rejects.jsonl'));

    // the members' opening balances are in the ledger before the orders
    let before = 0;
    const killed = await killedPartWay(
      () => ['import', 'orders', '--channel', 'tmall', '--file', orders, '--batch', '500', '--rejects', temp.file('killed.rejects.jsonl')],
      async (db) => {
        await ok(db, 'import', 'members', '--channel', 'tmall', '--file', members);
        before = rowsIn(db, 'doc_ledger');
      },
      (db) => rowsIn(db, 'doc_ledger') >= before + 1000,
      (db) => rowsIn(db, 'doc_ledger'),
      rowsIn(whole, 'doc_ledger'),
    );
    const left = rowsIn(killed, 'doc_ledger');
    expect(left).toBeGreaterThan(before);
    expect(left).toBeLessThan(rowsIn(whole, 'doc_ledger'));
    expect(await ok(killed, 'points', 'verify')).toMatch(/no differences/);

    await ok(killed, 'import', 'orders', '--channel', 'tmall', '--file', orders, '--batch', '500', '--rejects', temp.file('killed.rejects.jsonl'));
    expect(await exported(killed)).toEqual(await exported(whole));
    expect(counts(killed)).toEqual(counts(whole));
    expect(await ok(killed, 'points', 'verify')).toMatch(/no differences/);
  });
});
