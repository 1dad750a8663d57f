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

  const MEMBERS = 4000;
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

  /** Two folders with the same keys: phone hashes then read the same in both exports. */
  const twoDatabases = () => {
    mkdirSync(temp.file('whole'));
    mkdirSync(temp.file('killed'));
    return { whole: temp.file('whole/mc.db'), killed: temp.file('killed/mc.db') };
  };

  it('import members: killed after some batches, run again, ends as an uninterrupted import, and points verify finds no difference', async () => {
    const file = membersCsv();
    const { whole, killed } = twoDatabases();
    await ok(whole, 'import', 'members', '--channel', 'tmall', '--file', file, '--rejects', temp.file('whole.rejects.jsonl'));
    copyFileSync(temp.file('whole/secrets.json'), temp.file('killed/secrets.json'));

    // a batch is 2000 rows: killed once the first is in, long before the last
    const { exit } = await killedRun(killed, ['import', 'members', '--channel', 'tmall', '--file', file, '--rejects', temp.file('killed.rejects.jsonl')], () => rowsIn(killed, 'doc_members') >= 2000);
    expect(exit.signal).toBe('SIGKILL');
    const left = rowsIn(killed, 'doc_members');
    expect(left).toBeGreaterThan(0);
    expect(left).toBeLessThan(MEMBERS);
    expect(await ok(killed, 'points', 'verify')).toMatch(/no differences/);

    const again = await ok(killed, 'import', 'members', '--channel', 'tmall', '--file', file, '--rejects', temp.file('killed.rejects.jsonl'));
    expect(again).toMatch(/0 rejected/);
    expect(await exported(killed)).toEqual(await exported(whole));
    expect(counts(killed)).toEqual(counts(whole));
    expect(await ok(killed, 'points', 'verify')).toMatch(/no differences/);
    // and once more changes nothing
    expect(await ok(killed, 'import', 'members', '--channel', 'tmall', '--file', file, '--rejects', temp.file('third.rejects.jsonl')))
      .toMatch(new RegExp(`0 new, 0 updated, ${MEMBERS} unchanged, \\d+ repeating a member listed earlier in the file, 0 rejected; 0 members created`));
  });

  it('import orders: killed after some batches, run again, earns and refunds each order once, as an uninterrupted import does', async () => {
    const members = membersCsv();
    const orders = ordersCsv();
    const { whole, killed } = twoDatabases();
    await ok(whole, 'import', 'members', '--channel', 'tmall', '--file', members);
    copyFileSync(temp.file('whole/secrets.json'), temp.file('killed/secrets.json'));
    await ok(killed, 'import', 'members', '--channel', 'tmall', '--file', members);
    await ok(whole, 'import', 'orders', '--channel', 'tmall', '--file', orders, '--batch', '500', '--rejects', temp.file('whole.rejects.jsonl'));

    const before = rowsIn(killed, 'doc_ledger');
    const { exit } = await killedRun(killed, ['import', 'orders', '--channel', 'tmall', '--file', orders, '--batch', '500', '--rejects', temp.file('killed.rejects.jsonl')], () => rowsIn(killed, 'doc_ledger') >= before + 1000);
    expect(exit.signal).toBe('SIGKILL');
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
