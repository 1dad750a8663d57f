import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { buildCli } from '../../cloudfunctions/core/local/cli';
import { cliOnFreshDatabase, runCli } from '../support/cli';

const ROOT = join(__dirname, '..', '..');

/**
 * The CLI as an operator at a terminal and as a script (cron, CI) runs it: what a stopped command
 * leaves (the terminal, the files), which file an output may replace, and what a failure is called.
 */
describe('the member-centre CLI at a terminal and under a script', () => {
  const fresh = cliOnFreshDatabase();
  afterEach(() => { delete process.env.MC_CONFIG; });

  const cli = fresh.run;
  const file = (name: string, content: string) => (writeFileSync(fresh.temp.file(name), content), fresh.temp.file(name));
  const bigMembersCsv = (rows: number) =>
    file('big.csv', `channelMemberId,points\n${Array.from({ length: rows }, (_, i) => `T${i},${(i % 50) + 1}`).join('\n')}\n`);

  /** Members written so far, read-only (0 before the table exists). */
  const membersIn = () => {
    if (!existsSync(fresh.db)) return 0;
    const store = new Database(fresh.db, { readonly: true, fileMustExist: true });
    try {
      const exists = store.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'doc_members'").get();
      return exists ? Number(store.prepare('SELECT count(*) FROM doc_members').pluck().get()) : 0;
    } finally {
      store.close();
    }
  };

  /** `member-centre --db DB …args` as its own process, sent `signal` once `ready(stderr)` holds. */
  const signalledRun = async (args: string[], ready: (stderr: string) => boolean, signal: NodeJS.Signals) => {
    const child = spawn(process.execPath, ['scripts/member-centre.js', '--db', fresh.db, ...args], { cwd: ROOT });
    let stderr = '';
    let sent = false;
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, sig) => resolve({ code, signal: sig })));
    const check = () => {
      if (!sent && ready(stderr)) {
        sent = true;
        child.kill(signal);
      }
    };
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      check();
    });
    const poll = setInterval(check, 20);
    try {
      return { ...(await exited), stderr };
    } finally {
      clearInterval(poll);
    }
  };

  it('Ctrl-C during an import on a terminal gives the terminal its cursor and line wrapping back', async () => {
    const csv = bigMembersCsv(150_000);
    // a real terminal (a pseudo-terminal through util-linux `script`), and Ctrl-C typed into it
    const command = `${process.execPath} scripts/member-centre.js --db ${fresh.db} import members --channel offline --file ${csv}`;
    // without CI in its environment: the bar is kept off under CI (as CI runs this test)
    const { CI: _ci, ...env } = process.env;
    const child = spawn('script', ['-qfec', command, '/dev/null'], { cwd: ROOT, env });
    let screen = '';
    let typed = false;
    child.stdout.on('data', (chunk: Buffer) => {
      screen += chunk.toString();
      if (!typed && screen.includes('importing members')) {
        typed = true;
        child.stdin.write('\x03');
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(screen).toMatch(/interrupted after [\d,]+ rows?: every batch written so far stays whole/);
    expect(code).toBe(130);
    // the bar hid the cursor and turned line wrapping off: both are turned on again
    const hidden = screen.lastIndexOf('\x1b[?25l');
    expect(hidden).toBeGreaterThanOrEqual(0);
    expect(screen.indexOf('\x1b[?25h', hidden)).toBeGreaterThan(hidden);
    expect(screen.indexOf('\x1b[?7h', screen.lastIndexOf('\x1b[?7l'))).toBeGreaterThan(-1);
    // and the bar is cleared before the message, which is the last thing on the screen
    expect(screen.lastIndexOf('\x1b[?25h')).toBeLessThan(screen.indexOf('interrupted after'));
  }, 60_000);

  it('a stop (SIGTERM: kill, timeout) during an import says what stays and exits 143; the same command then finishes it', async () => {
    const csv = bigMembersCsv(30_000);
    // once the first batches are written: the import is under way
    const stopped = await signalledRun(['import', 'members', '--channel', 'offline', '--file', csv], () => membersIn() >= 2000, 'SIGTERM');
    expect(stopped.signal).toBeNull();
    expect(stopped.code).toBe(143);
    expect(stopped.stderr).toMatch(/interrupted after [\d,]+ rows?: every batch written so far stays whole; run the same command again to finish/);
    const again = await cli('import', 'members', '--channel', 'offline', '--file', csv);
    expect(again.failed).toBe(false);
    const exported = await cli('members', 'export');
    expect(exported.out.trim().split('\n')).toHaveLength(30_000);
    expect((await cli('points', 'verify')).out).toMatch(/no differences/);
  }, 120_000);

  it('an export stopped by the terminal closing (SIGHUP) leaves the earlier export as it was and no part-file', async () => {
    await cli('import', 'members', '--channel', 'tmall', '--file', bigMembersCsv(20_000));
    const out = fresh.temp.file('members.jsonl');
    expect((await cli('members', 'export', '--out', out)).failed).toBe(false);
    const earlier = readFileSync(out);
    const stopped = await signalledRun(['members', 'export', '--out', out], () => readdirSync(fresh.temp.dir).includes('members.jsonl.part'), 'SIGHUP');
    expect(stopped.signal).toBeNull();
    expect(stopped.code).toBe(129);
    expect(stopped.stderr).toMatch(/interrupted: the export was not written; .*members\.jsonl is as it was/);
    expect(readFileSync(out).equals(earlier)).toBe(true);
    expect(readdirSync(fresh.temp.dir).filter((name) => name.startsWith('members.jsonl'))).toEqual(['members.jsonl']);
  }, 120_000);

  it('members export --out does not replace the channel\'s JSON lines file just imported, unless --force', async () => {
    const tmall = file('tmall-members.jsonl', '{"channelMemberId":"T1","points":5}\n{"channelMemberId":"T2","points":7}\n');
    const original = readFileSync(tmall);
    expect((await cli('import', 'members', '--channel', 'tmall', '--file', tmall)).failed).toBe(false);
    const refused = await cli('members', 'export', '--out', tmall);
    expect(refused.failed).toBe(true);
    expect(refused.err).toMatch(/tmall-members\.jsonl exists and is not an earlier export .*add --force/);
    expect(readFileSync(tmall).equals(original)).toBe(true);
    // an orders file, or the rejects of an import, are no export either
    const orders = file('orders.jsonl', '{"orderId":"1","channelMemberId":"T1","amountFen":100,"paidAt":"2026-11-01"}\n');
    expect((await cli('members', 'export', '--out', orders)).failed).toBe(true);
    expect(readFileSync(orders, 'utf8')).toMatch(/^\{"orderId"/);
    // an earlier export is still replaced as a matter of course, and --force replaces anything
    const out = fresh.temp.file('members.jsonl');
    expect((await cli('members', 'export', '--out', out)).failed).toBe(false);
    expect((await cli('members', 'export', '--out', out)).failed).toBe(false);
    expect((await cli('members', 'export', '--out', tmall, '--force')).failed).toBe(false);
    expect(readFileSync(tmall, 'utf8')).toMatch(/^\{"memberId":/);
  });

  it('a CSV given as --db (--db and --file swapped) is no database: said so, not sent looking for its secrets.json', async () => {
    const csv = file('stores.csv', 'channelMemberId,phone\nC1,13912345678\n');
    const original = readFileSync(csv);
    for (const args of [['import', 'members', '--channel', 'offline', '--file', csv], ['members', 'export'], ['serve', '--port', '10998']]) {
      const run = await runCli(csv, ...args);
      expect(run.failed).toBe(true);
      expect(run.err).toMatch(/cannot open the database at .*stores\.csv: file is not a database/);
      expect(run.err).not.toMatch(/secrets\.json/);
    }
    expect(readFileSync(csv).equals(original)).toBe(true);
    expect(readdirSync(fresh.temp.dir)).toEqual(['stores.csv']);
  });

  it('a mistake in the config is said as one, not as a database that cannot be opened', async () => {
    expect((await cli('stores', 'add', '--name', '旗舰店')).failed).toBe(false);
    process.env.MC_CONFIG = file('brand.json', JSON.stringify({ level: {} }));
    for (const args of [['members', 'export'], ['stores', 'add', '--name', '二店'], ['import', 'members', '--channel', 'offline', '--file', file('m.csv', 'channelMemberId\nC1\n')]]) {
      const run = await cli(...args);
      expect(run.failed).toBe(true);
      expect(run.err).toMatch(/invalid member-centre config: .*unknown key "level"/);
      expect(run.err).not.toMatch(/cannot open the database/);
    }
    process.env.MC_CONFIG = fresh.temp.file('missing.json');
    const missing = await cli('members', 'export');
    expect(missing.err).toMatch(/MC_CONFIG=.*missing\.json: .*ENOENT/);
    expect(missing.err).not.toMatch(/cannot open the database/);
  });
});

describe('the member-centre CLI\'s help', () => {
  it('describes every command and subcommand in the operator\'s words, never a code\'s internal name', () => {
    const walk = (command: Command, path: string[]): string[][] =>
      command.commands.flatMap((sub) => [[...path, sub.name(), sub.description(), sub.helpInformation()], ...walk(sub, [...path, sub.name()])]);
    const commands = walk(buildCli(), []);
    expect(commands.length).toBeGreaterThan(30);
    for (const entry of commands) {
      const [description, help] = entry.slice(-2) as [string, string];
      expect({ command: entry.slice(0, -2).join(' '), described: description.length > 0 }).toEqual({ command: entry.slice(0, -2).join(' '), described: true });
      expect(help).not.toMatch(/packageCard/);
    }
  });
});
