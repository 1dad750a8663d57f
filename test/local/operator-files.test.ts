import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { closeSync, copyFileSync, existsSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildCli, failureMessage } from '../../cloudfunctions/core/local/cli';
import { openLocalServices } from '../../cloudfunctions/core/local/services';
import { silentLogger } from '../../cloudfunctions/core/runtime/log';
import { SqliteStore } from '../../cloudfunctions/core/store/sqlite';
import { recordWaitingMarked } from '../../cloudfunctions/core/orders/waiting.store';
import { fixedClock } from '../../cloudfunctions/core/runtime/clock';
import { boundConsumer } from '../support/members';
import { runCli, throwingInsteadOfExiting } from '../support/cli';
import { tempDir } from '../support/temp';

/**
 * The files and slips an operator really has: a mistyped channel, Excel's GBK "CSV", a header
 * that is not ours, two exports pasted together, a database copied without its keys, a printer
 * file run twice. Each must be refused or rejected with a reason, never imported wrong.
 */
describe('the operator\'s files and slips', () => {
  let temp: ReturnType<typeof tempDir>;
  let db: string;
  beforeEach(() => {
    temp = tempDir();
    db = temp.file('data/mc.db');
  });
  afterEach(() => {
    process.exitCode = undefined;
    temp.cleanup();
  });

  const cli = (...args: string[]) => runCli(db, ...args);
  const file = (name: string, content: string | Buffer) => (writeFileSync(temp.file(name), content), temp.file(name));
  /** Every table's row count: "nothing was written" means these do not change. */
  const counts = () => {
    if (!existsSync(db)) return null;
    const store = new Database(db, { readonly: true });
    const tables = store.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'doc_%'").pluck().all() as string[];
    const result = Object.fromEntries(tables.map((t) => [t, store.prepare(`SELECT count(*) FROM ${t}`).pluck().get()]));
    store.close();
    return result;
  };
  const documents = () => Object.values(counts() ?? {}).reduce((sum: number, n) => sum + Number(n), 0);
  const exported = async () => (await cli('members', 'export')).out.trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as { identifiers: { type: string; value: string }[]; points: { available: number } });
  const members = 'channelMemberId,phone,name,points\nT1,13812345678,张三,100\n';
  /** Runs the CLI in a child process, sends it Ctrl-C once `ready()` holds, and answers its exit code and stderr. */
  const interruptedRun = async (args: string[], ready: () => boolean, signal: NodeJS.Signals = 'SIGINT') => {
    const child = spawn(process.execPath, ['scripts/member-centre.js', '--db', db, ...args], { cwd: join(__dirname, '../..') });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    for (let tries = 0; !ready() && tries < 1500; tries++) await new Promise((resolve) => setTimeout(resolve, 20));
    child.kill(signal);
    return { code: await exited, stderr };
  };

  it('refuses a channel that is not the brand\'s (a typo would pay opening balances and orders twice)', async () => {
    await cli('import', 'members', '--channel', 'tmall', '--file', file('m.csv', members));
    const before = counts();
    for (const [what, f] of [['members', file('again.csv', members)], ['orders', file('o.csv', 'orderId,channelMemberId,amountFen,status,paidAt\nA1,T1,1000,paid,2026-11-01\n')]]) {
      const run = await cli('import', what!, '--channel', 'tmal', '--file', f!);
      expect(run.failed).toBe(true);
      expect(run.err).toMatch(/unknown channel "tmal": this brand's channels are tmall, offline, jd \(config identity.priority/);
    }
    expect(counts()).toEqual(before);
    expect((await exported())[0]!.points.available).toBe(100);
  });

  it('refuses a GBK file before importing anything, also when its first line that is not UTF-8 comes past the first 64 KB', async () => {
    const gbk = Buffer.from([...Buffer.from('channelMemberId,name\nT1,'), 0xd5, 0xc5, 0xc8, 0xfd, 0x0a]); // 张三 in GBK
    const run = await cli('import', 'members', '--channel', 'offline', '--file', file('gbk.csv', gbk));
    expect(run.failed).toBe(true);
    expect(run.err).toMatch(/is not UTF-8 text .* save it as "CSV UTF-8/);
    expect(documents()).toBe(0);
    // GBK only past the first 64 KB: the file is refused all the same, naming the line (a GBK name
    // may happen to read as UTF-8, and would be stored garbled)
    const ascii = Array.from({ length: 3000 }, (_, i) => `S${i},Customer ${String(i).padStart(20, '0')}`).join('\n');
    const late = Buffer.concat([Buffer.from(`channelMemberId,name\n${ascii}\nLATE,`), Buffer.from([0xd5, 0xc5, 0x0a])]);
    const refused = await cli('import', 'members', '--channel', 'offline', '--file', file('late.csv', late));
    expect(refused.failed).toBe(true);
    expect(refused.err).toMatch(/late\.csv is not UTF-8 text \(line 3002 is the first that is not;/);
    expect(documents()).toBe(0);
  });

  it('refuses a CSV whose header lacks the id column, naming what it found; matches header names in any case', async () => {
    for (const [content, hint] of [
      ['memberId,phone\nT1,13812345678\n', /has no channelMemberId column; its header is: memberId,phone; nothing was imported/],
      ['channelMemberId\tphone\nT1\t13812345678\n', /separated by tabs/],
      ['channelMemberId;phone\nT1;13812345678\n', /separated by semicolons/],
    ] as const) {
      const run = await cli('import', 'members', '--channel', 'tmall', '--file', file('h.csv', content));
      expect(run.failed).toBe(true);
      expect(run.err).toMatch(hint);
    }
    const orders = await cli('import', 'orders', '--channel', 'tmall', '--file', file('o.csv', 'id,amountFen\n1,100\n'));
    expect(orders.err).toMatch(/has no orderId column/);
    // the other way round: an orders export names its buyers by channelMemberId, and would make each a card
    const swapped = await cli('import', 'members', '--channel', 'tmall', '--file', file('orders.csv', 'OrderID,channelMemberId,amountFen,paidAt\n9001,T1,100,2026-11-01 10:00\n'));
    expect(swapped.failed).toBe(true);
    expect(swapped.err).toMatch(/has an orderId column: it looks like a file for `import orders`, not this import; nothing was imported/);
    expect(documents()).toBe(0);
    expect((await cli('import', 'members', '--channel', 'tmall', '--file', file('case.csv', 'ChannelMemberID, Phone \nT1,13812345678\n'))).out).toMatch(/1 member created/);
    expect((await exported())[0]!.identifiers.map((i) => i.type).sort()).toEqual(['phone', 'tmall']);
  });

  it('rejects a header repeated inside the file (two exports pasted together) and reads a JSONL file saved with a BOM', async () => {
    const f = file('two.csv', `${members}channelMemberId,phone,name,points\nT2,13912345678,李四,5\n`);
    expect((await cli('import', 'members', '--channel', 'tmall', '--file', f)).out).toMatch(/1 rejected; 2 members created/);
    expect(readFileSync(`${f}.rejects.jsonl`, 'utf8')).toBe('{"line":3,"reason":"repeated_header","text":"channelMemberId,phone,name,points"}\n');
    const jsonl = file('bom.jsonl', `\uFEFF${JSON.stringify({ channelMemberId: 'J1', points: 7 })}\n`);
    expect((await cli('import', 'members', '--channel', 'jd', '--file', jsonl)).out).toMatch(/0 rejected; 1 member created/);
  });

  it('reads two JSONL exports joined into one file (cat a.jsonl b.jsonl), each saved with a BOM', async () => {
    const one = (id: string) => `\uFEFF${JSON.stringify({ channelMemberId: id, points: 7 })}\n`;
    const joined = file('joined.jsonl', one('J1') + one('J2') + one('J3'));
    expect((await cli('import', 'members', '--channel', 'jd', '--file', joined)).out).toMatch(/read 3 rows .*: 3 new, .* 0 rejected; 3 members created/);
    expect(existsSync(`${joined}.rejects.jsonl`)).toBe(false);
  });

  it('accounts for every row: a changed record is counted as updated, a member twice in one file is a warning', async () => {
    await cli('import', 'members', '--channel', 'tmall', '--file', file('m.csv', members));
    const moved = await cli('import', 'members', '--channel', 'tmall', '--file', file('moved.csv', 'channelMemberId,phone,name,points\nT1,13912345678,张三,100\n'));
    expect(moved.out).toMatch(/read 1 row .*: 0 new, 1 updated, 0 unchanged, 0 repeating a member listed earlier in the file, 0 rejected; 0 members created, 0 records linked to existing members, 0 merged/);
    const twice = file('twice.csv', 'channelMemberId,name\nT7,王五\nT7,王五五\n');
    expect((await cli('import', 'members', '--channel', 'tmall', '--file', twice)).out).toMatch(/read 2 rows .*: 1 new, 0 updated, 0 unchanged, 1 repeating a member listed earlier in the file, 0 rejected; 1 member created, .* 1 warning/);
    expect(readFileSync(`${twice}.rejects.jsonl`, 'utf8')).toBe('{"line":3,"warning":"duplicate_in_file","channelMemberId":"T7"}\n');
  });

  it('counts each row read once in its summary line, so the rows add up to those read', async () => {
    await cli('import', 'members', '--channel', 'tmall', '--file', file('m.csv', 'channelMemberId,phone,name\nT1,13812345678,张三\nT2,13912345678,李四\n'));
    // T1 as it was, T2 with a new name, T3 and T4 new (sharing a phone: one member), T3 again, two rows unusable
    const rows = ['channelMemberId,phone,name', 'T1,13812345678,张三', 'T2,13912345678,李四四', 'T3,13700137000,王五', 'T4,13700137000,赵六', 'T3,13700137000,王五五', ',13600136000,无号', 'T5,13500135000,"未闭合'];
    const run = await cli('import', 'members', '--channel', 'tmall', '--file', file('next.csv', `${rows.join('\n')}\n`));
    const counted = run.out.match(/read (\d+) rows .*: (\d+) new, (\d+) updated, (\d+) unchanged, (\d+) repeating a member listed earlier in the file, (\d+) rejected; (\d+) members? created, (\d+) records? linked/);
    // T3 and T4 are two Tmall members on one phone: two members, and a conflict for review
    expect(counted?.slice(1).map(Number)).toEqual([7, 2, 1, 1, 1, 2, 2, 0]);
    const [read, ...parts] = counted!.slice(1, 7).map(Number);
    expect(parts.reduce((a, b) => a + b, 0)).toBe(read);
  });

  it('lists each rejected row as it stands in the file, for the operator to correct and import again, in a file only they can read', async () => {
    const long = `T3,13700137000,${'x'.repeat(70_000)},`;
    const rows = ['channelMemberId,phone,name,note', ',13812345678,"张三","第一行', '第二行"', 'T2,13912345678,"李四,', long, 'T4,13600136000,王五,'];
    const f = file('m.csv', `${rows.join('\r\n')}\r\n`);
    expect((await cli('import', 'members', '--channel', 'tmall', '--file', f)).out).toMatch(/read 4 rows .* 1 new, .* 3 rejected/);
    const rejects = readFileSync(`${f}.rejects.jsonl`, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(rejects).toEqual([
      // a record whose quoted cell holds a line break is listed whole, its lines joined by a line break
      { line: 2, reason: 'missing_channelMemberId', text: ',13812345678,"张三","第一行\n第二行"' },
      { line: 4, reason: 'malformed_line', text: 'T2,13912345678,"李四,' },
      // a row too long to use is listed as far as a row may go
      { line: 5, reason: 'line_too_long', text: long.slice(0, 65_536), textCut: true },
    ]);
    // the rows, phones and names included, are for the operator's eyes only, as the database is
    expect(statSync(`${f}.rejects.jsonl`).mode & 0o777).toBe(0o600);
  });

  it('answers a retried merge or unmerge as the first time, writing nothing (the first answer may have been lost)', async () => {
    await cli('import', 'members', '--channel', 'tmall', '--file', file('t.csv', 'channelMemberId,email,points\nT1,a@x.cn,100\n'));
    await cli('import', 'members', '--channel', 'offline', '--file', file('c.csv', 'channelMemberId,email,points\nC1,b@x.cn,50\n'));
    const [a, b] = (await cli('members', 'export')).out.trim().split('\n').map((line) => (JSON.parse(line) as { memberId: string }).memberId);
    const merged = await cli('members', 'merge', a!, b!);
    const mergeId = /merge (mg\S+);/.exec(merged.out)![1]!;
    const before = counts();
    const again = await cli('members', 'merge', a!, b!);
    expect(again).toMatchObject({ failed: false });
    expect(again.out).toMatch(new RegExp(`^already one: ${b} was merged into ${a} at .*, nothing changed \\(merge ${mergeId}; undo with: members unmerge ${mergeId}\\)`));
    expect(counts()).toEqual(before);
    expect((await cli('members', 'unmerge', mergeId)).out).toBe(`separated ${b} from ${a}\n`);
    const undoneAgain = await cli('members', 'unmerge', mergeId);
    expect(undoneAgain).toMatchObject({ failed: false });
    expect(undoneAgain.out).toMatch(new RegExp(`^already separated: ${b} from ${a} at .*, nothing changed`));
    expect(await exported()).toHaveLength(2);
  });

  it('clears an earlier run\'s rejects, and refuses a rejects or export path it cannot write before doing anything', async () => {
    const f = file('m.csv', 'channelMemberId,points\n,5\n');
    await cli('import', 'members', '--channel', 'tmall', '--file', f);
    expect(existsSync(`${f}.rejects.jsonl`)).toBe(true);
    writeFileSync(f, members);
    await cli('import', 'members', '--channel', 'tmall', '--file', f);
    expect(existsSync(`${f}.rejects.jsonl`)).toBe(false);

    const before = counts();
    const nowhere = join(temp.dir, 'missing-folder', 'r.jsonl');
    const run = await cli('import', 'members', '--channel', 'tmall', '--file', file('n.csv', 'channelMemberId\nT9\n'), '--rejects', nowhere);
    expect(run.err).toMatch(/cannot write rejected rows to .*missing-folder.*: no such folder, or no permission/);
    expect(counts()).toEqual(before);
    expect((await cli('members', 'export', '--out', nowhere)).err).toMatch(/cannot write the export to/);
    expect((await cli('import', 'members', '--channel', 'tmall', '--file', temp.file('nothere.csv'))).err).toMatch(/no file .*nothere\.csv/);
    expect((await cli('import', 'members', '--channel', 'tmall', '--file', file('empty.csv', ''))).err).toMatch(/empty\.csv has no header row \(is it empty\?\)/);
    const own = file('own.csv', members);
    expect((await cli('import', 'members', '--channel', 'tmall', '--file', own, '--rejects', own)).err).toMatch(/--rejects must not be the file being imported/);
    expect(readFileSync(own, 'utf8')).toBe(members);
  });

  it('replaces only an earlier rejects file with rejects: a printer file, an export or a CSV named by mistake is refused and kept', async () => {
    const printed = temp.file('codes.txt');
    await cli('codes', 'create', '--sku', 'S1', '--name', '面霜', '--points', '10', '--count', '3', '--out', printed);
    const codes = readFileSync(printed, 'utf8');
    const exportFile = temp.file('members.jsonl');
    await cli('import', 'members', '--channel', 'tmall', '--file', file('m.csv', members));
    await cli('members', 'export', '--out', exportFile);
    const exportText = readFileSync(exportFile, 'utf8');
    const orders = file('orders.csv', 'orderId,channelMemberId,amountFen,paidAt\n4001,T1,100,2026-01-01\n');
    for (const [out, kept] of [[printed, codes], [exportFile, exportText], [orders, readFileSync(orders, 'utf8')]] as const) {
      const before = counts();
      // a clean file: nothing to reject, which used to delete the file named
      const clean = await cli('import', 'orders', '--channel', 'tmall', '--file', file('clean.csv', 'orderId,channelMemberId,amountFen,paidAt\n4002,T1,100,2026-01-01\n'), '--rejects', out);
      expect(clean).toMatchObject({ failed: true });
      expect(clean.err).toMatch(/cannot write rejected rows to .*: it holds something else than the rejects of an earlier import/);
      expect(readFileSync(out, 'utf8')).toBe(kept);
      expect(counts()).toEqual(before);
    }
    // an earlier import's rejects are replaced, and removed when there are none
    const rejects = temp.file('r.jsonl');
    await cli('import', 'members', '--channel', 'tmall', '--file', file('bad.csv', 'channelMemberId,phone\n,13912345678\n'), '--rejects', rejects);
    expect(readFileSync(rejects, 'utf8')).toMatch(/^\{"line":2/);
    await cli('import', 'members', '--channel', 'tmall', '--file', file('good.csv', 'channelMemberId\nT7\n'), '--rejects', rejects);
    expect(existsSync(rejects)).toBe(false);
  });

  it('never writes an export, rejects or printer file over the database, its keys or anything but a plain file, and a refused codes create keeps the file it would replace', async () => {
    await cli('import', 'members', '--channel', 'tmall', '--file', file('m.csv', members));
    const keys = temp.file('data/secrets.json');
    const secrets = readFileSync(keys, 'utf8');
    const backup = temp.file('backup.db');
    copyFileSync(db, backup);
    const target = file('target.txt', 'kept');
    const link = temp.file('link.txt');
    symlinkSync(target, link);
    for (const [out, refusal] of [[db, /the database's own files/], [`${db}-wal`, /the database's own files/], [keys, /the database's own files/], [backup, /an SQLite database/], [link, /not a plain file/], [temp.dir, /not a plain file/]] as const) {
      const exportRun = await cli('members', 'export', '--out', out);
      expect(exportRun).toMatchObject({ failed: true });
      expect(exportRun.err).toMatch(refusal);
      const importRun = await cli('import', 'members', '--channel', 'tmall', '--file', file('n.csv', 'channelMemberId\nT9\n'), '--rejects', out);
      expect(importRun.err).toMatch(refusal);
      const codesRun = await cli('codes', 'create', '--sku', 'S1', '--name', '面霜', '--points', '10', '--count', '3', '--out', out, '--force');
      expect(codesRun.err).toMatch(refusal);
      // without --force, refused for what it is: never offered --force over the database or a folder
      const unforced = await cli('codes', 'create', '--sku', 'S1', '--name', '面霜', '--points', '10', '--count', '3', '--out', out);
      expect(unforced.err).toMatch(refusal);
      expect(unforced.err).not.toMatch(/--force/);
    }
    expect(await exported()).toHaveLength(1);
    expect(readFileSync(keys, 'utf8')).toBe(secrets);
    expect(readFileSync(target, 'utf8')).toBe('kept');
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect((await cli('codes', 'list')).out).toBe('');

    const printed = temp.file('codes.txt');
    await cli('codes', 'create', '--sku', 'S1', '--name', '面霜', '--points', '10', '--count', '3', '--out', printed);
    const first = readFileSync(printed, 'utf8');
    const refused = await cli('codes', 'create', '--sku', 'S1', '--name', '面霜', '--points', '0', '--count', '3', '--out', printed, '--force');
    expect(refused.err).toMatch(/INVALID_INPUT: points/);
    expect(readFileSync(printed, 'utf8')).toBe(first);
  });

  it('says in one line when the export cannot be written', async () => {
    await cli('import', 'members', '--channel', 'tmall', '--file', file('m.csv', members));
    const run = await cli('members', 'export', '--out', '/proc/member-centre-export.jsonl');
    expect(run).toMatchObject({ failed: true });
    expect(run.err).toMatch(/cannot write the export to \/proc\/member-centre-export\.jsonl: /);
    expect(run.err.trim().split('\n')).toHaveLength(1);
  });

  it('a command that would start a database but is refused leaves none behind, so the mistyped path still reads as no database', async () => {
    const typo = temp.file('fresh/typo.db');
    for (const args of [['campaigns', 'add', '--bonus', '0', '--name', 'x'], ['codes', 'create', '--sku', 'S', '--name', 'x', '--points', '0', '--count', '1', '--out', temp.file('c.txt')], ['import', 'members', '--channel', 'tmal', '--file', file('m.csv', members)]]) {
      expect(await runCli(typo, ...args)).toMatchObject({ failed: true });
      // neither the database, its keys nor the folder made for it
      expect(existsSync(temp.file('fresh'))).toBe(false);
    }
    expect((await runCli(typo, 'report', 'guides')).err).toMatch(/no database at .*typo\.db/);
    // nor the folders it made under a new path, deeper down
    expect(await runCli(temp.file('new/deeper/typo.db'), 'campaigns', 'add', '--bonus', '0', '--name', 'x')).toMatchObject({ failed: true });
    expect(existsSync(temp.file('new'))).toBe(false);
    // a database that was there stays, refused or not; as does the keys file another database uses
    await cli('import', 'members', '--channel', 'tmall', '--file', temp.file('m.csv'));
    expect(await cli('campaigns', 'add', '--bonus', '0', '--name', 'x')).toMatchObject({ failed: true });
    expect(await exported()).toHaveLength(1);
    expect(await runCli(temp.file('data/other.db'), 'campaigns', 'add', '--bonus', '0', '--name', 'x')).toMatchObject({ failed: true });
    expect(readdirSync(temp.file('data')).filter((name) => !name.startsWith('mc.db'))).toEqual(['secrets.json']);
  });

  it('leaves a database refused for want of its keys byte for byte as it was, its write-ahead log too', async () => {
    // copied while a server had writes in its log not yet checkpointed into the file
    const live = new SqliteStore({ file: temp.file('live/mc.db') });
    await live.transaction(async (tx) => tx.set('stores', { _id: 'S1', name: '店', city: null, createdAt: '2026-11-23T02:00:00.000Z' }));
    mkdirSync(temp.file('copied'));
    for (const name of ['mc.db', 'mc.db-wal']) copyFileSync(temp.file(`live/${name}`), temp.file(`copied/${name}`));
    await live.close();
    const bytes = () => ['mc.db', 'mc.db-wal'].map((name) => readFileSync(temp.file(`copied/${name}`)).toString('base64'));
    const before = bytes();
    expect(before[1]!.length).toBeGreaterThan(0);
    const run = await runCli(temp.file('copied/mc.db'), 'stores', 'list');
    expect(run.err).toMatch(/holds data but there is no .*secrets\.json beside it/);
    expect(bytes()).toEqual(before);
    expect(readdirSync(temp.file('copied')).sort()).toEqual(['mc.db', 'mc.db-wal']);
  });

  it('refuses a database copied without its secrets.json (new keys would orphan its phone hashes)', async () => {
    await cli('import', 'members', '--channel', 'tmall', '--file', file('m.csv', members));
    mkdirSync(temp.file('copy'));
    const copy = temp.file('copy/mc.db');
    copyFileSync(db, copy);
    const run = await runCli(copy, 'import', 'members', '--channel', 'offline', '--file', file('s.csv', 'channelMemberId,phone\nC1,13812345678\n'));
    expect(run.failed).toBe(true);
    expect(run.err).toMatch(/cannot open the database at .*copy\/mc\.db: .* holds data but there is no .*copy\/secrets\.json beside it: copy the secrets\.json/);
    expect(existsSync(temp.file('copy/secrets.json'))).toBe(false);
    // nor journals beside it: the refusal comes before the database is opened
    expect(readdirSync(temp.file('copy'))).toEqual(['mc.db']);
    // with its keys beside it, the copy finds the member by phone
    copyFileSync(temp.file('data/secrets.json'), temp.file('copy/secrets.json'));
    expect((await runCli(copy, 'import', 'members', '--channel', 'offline', '--file', temp.file('s.csv'))).out).toMatch(/0 members created, 1 record linked to existing members/);
    // copied beside another database, whose keys are not its own
    mkdirSync(temp.file('other'));
    expect((await runCli(temp.file('other/new.db'), 'stores', 'add', '--name', '店')).failed).toBe(false);
    const misplaced = temp.file('other/mc.db');
    copyFileSync(db, misplaced);
    const before = counts();
    const wrongKeys = await runCli(misplaced, 'import', 'members', '--channel', 'jd', '--file', file('j.csv', 'channelMemberId,phone\nJ1,13812345678\n'));
    expect(wrongKeys.failed).toBe(true);
    expect(wrongKeys.err).toMatch(/the keys in .*other\/secrets\.json .* are not the ones .*other\/mc\.db was written with: .*the secrets\.json that was beside it/);
    expect(readdirSync(temp.file('other')).sort()).toEqual(['mc.db', 'new.db', 'secrets.json']);
    expect((await runCli(misplaced, 'members', 'export')).failed).toBe(true);
    const copied = new Database(misplaced, { readonly: true });
    expect(copied.prepare('SELECT count(*) FROM doc_records').pluck().get()).toBe(1); // J1 was not added
    copied.close();
    expect(counts()).toEqual(before);
    // a folder given as the database: told so, not that it holds data without its keys
    const folder = await runCli(temp.file('copy'), 'import', 'members', '--channel', 'offline', '--file', temp.file('s.csv'));
    expect(folder.err).toMatch(/cannot open the database at .*copy: .*it is a folder; give the database file's path/);
    expect(folder.err).not.toMatch(/holds data/);
    // a database holding its tables but no document (a first run killed before it wrote its keys) is new
    mkdirSync(temp.file('killed'));
    await new SqliteStore({ file: temp.file('killed/mc.db') }).close();
    expect((await runCli(temp.file('killed/mc.db'), 'import', 'members', '--channel', 'offline', '--file', temp.file('s.csv'))).out).toMatch(/1 member created/);
  });

  it('a database as this version starts it (its tables and the waiting mark alone), without its keys, is taken as new, not as data without them', async () => {
    const store = new SqliteStore({ file: db });
    await recordWaitingMarked({ store, clock: fixedClock('2026-11-23T02:00:00Z') });
    await store.close();
    expect(existsSync(temp.file('data/secrets.json'))).toBe(false);
    expect((await cli('import', 'members', '--channel', 'tmall', '--file', file('m.csv', members))).out).toMatch(/1 member created/);
    expect(existsSync(temp.file('data/secrets.json'))).toBe(true);
  });

  it('refuses a UTF-16 file, with or without its BOM, and JSON lines in a file not named .jsonl, saying what to do, before importing anything', async () => {
    const utf16 = await cli('import', 'members', '--channel', 'tmall', '--file', file('u16.csv', Buffer.from('channelMemberId,name\nT1,张三\n', 'utf16le')));
    expect(utf16.err).toMatch(/u16\.csv is not UTF-8 text \(it holds NUL bytes, as UTF-16 "Unicode text" does\): save it as "CSV UTF-8/);
    for (const [name, text] of [['le.csv', Buffer.from('\ufeffchannelMemberId\nT1\n', 'utf16le')], ['be.csv', Buffer.from('\ufeffchannelMemberId\nT1\n', 'utf16le').swap16()]] as const) {
      const bom = await cli('import', 'members', '--channel', 'tmall', '--file', file(name, text));
      expect(bom.err).toMatch(new RegExp(`${name.replace('.', '\\.')} is not UTF-8 text \\(it is UTF-16, as Excel's "Unicode text" saves\\): save it as "CSV UTF-8`));
    }
    const json = await cli('import', 'members', '--channel', 'tmall', '--file', file('m.json', '{"channelMemberId":"T1"}\n'));
    expect(json.err).toMatch(/m\.json looks like JSON lines, which are read from a file named \.jsonl \(or \.ndjson\): rename it/);
    expect(documents()).toBe(0);
  });

  it('says which columns it does not read before importing (mobile is not phone), and fails an import that rejected every row', async () => {
    const renamed = await cli('import', 'members', '--channel', 'tmall', '--file', file('renamed.csv', 'channelMemberId,mobile,Points,备注\nT1,13812345678,100,VIP\n'));
    expect(renamed.err).toBe('ignored: columns mobile, 备注, which this import does not read (it reads channelMemberId, phone, phoneSha256, unionid, openid, email, name, points, growth, level, joinedAt, storeId, guideId)\n');
    expect(renamed.out).toMatch(/1 member created/);
    const orders = await cli('import', 'orders', '--channel', 'tmall', '--file', file('o.csv', 'orderId,buyer,amountFen,status,paidAt\nA1,T1,1000,paid,2026-11-01\nA2,T1,500,paid,2026-11-02\n'));
    expect(orders.err).toMatch(/^ignored: column buyer, which this import does not read \(it reads orderId, channelMemberId, phone, .*\)\n/);
    // no buyer column: every row rejected, which cron must see as a failure
    expect(orders.failed).toBe(true);
    expect(orders.out).toMatch(/read 2 rows .* 2 rejected/);
    expect(orders.err).toMatch(/every row was rejected, so nothing was imported; the reasons are in .*o\.csv\.rejects\.jsonl/);
    const partly = await cli('import', 'orders', '--channel', 'tmall', '--file', file('p.csv', 'orderId,channelMemberId,amountFen,status,paidAt\nA1,T1,1000,paid,2026-11-01\nA2,,500,paid,2026-11-02\n'));
    expect(partly).toMatchObject({ failed: false, err: '' });
  });

  it('fails, saying so, when the rejects file cannot be written whole (a full disk wrote part of it)', async () => {
    await cli('import', 'members', '--channel', 'tmall', '--file', file('m.csv', members)); // the database, under 1 MB
    const rows = Array.from({ length: 40_000 }, (_, i) => `,name ${i}`).join('\n'); // 2 MB of rejects
    const f = file('bad.csv', `channelMemberId,name\n${rows}\n`);
    // a file size limit (1 MB) stands in for a full disk: the first write is cut short, the next fails
    const child = spawn('bash', ['-c', `ulimit -f 1024 && exec "${process.execPath}" scripts/member-centre.js --db "${db}" import members --channel tmall --file "${f}"`], { cwd: join(__dirname, '../..') });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(1);
    expect(stderr).toMatch(/cannot write the rejected rows to .*bad\.csv\.rejects\.jsonl \(.*\): the rows imported so far stay, but the file lacks some of the rejected ones; make room and run the same import again/);
  });

  it('an export sent to a full disk (> file) says so in a line and fails, without a stack trace', async () => {
    await cli('import', 'members', '--channel', 'tmall', '--file', file('m.csv', 'channelMemberId,points\nT1,5\n'));
    const full = openSync('/dev/full', 'w');
    const child = spawn(process.execPath, ['scripts/member-centre.js', '--db', db, 'members', 'export'], { cwd: join(__dirname, '../..'), stdio: ['ignore', full, 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    closeSync(full);
    expect(code).toBe(1);
    expect(stderr).toBe('member-centre: cannot write the output: no space left on the disk; what was written is incomplete\n');
  });

  it('a folder given as --db, and a database another command is writing, are refused saying what to do', async () => {
    mkdirSync(temp.file('folder'));
    expect((await runCli(temp.file('folder'), 'members', 'export')).err).toMatch(/cannot open the database at .*folder: .*: it is a folder; give the database file's path \(for example .*folder\/member-centre\.db\)/);
    await cli('import', 'members', '--channel', 'tmall', '--file', file('m.csv', 'channelMemberId\nT1\n'));
    const writer = new Database(db);
    writer.exec('BEGIN IMMEDIATE');
    try {
      expect((await cli('stores', 'add', '--name', 'x')).err).toMatch(/cannot open the database at .*: database is locked: another command or the server is writing it; run this again once it has finished/);
    } finally {
      writer.exec('ROLLBACK');
      writer.close();
    }
  });

  it('a command failing on a full disk says what stays and what to do', () => {
    const full = Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
    expect(failureMessage(full)).toBe('database or disk is full: the disk is full. What earlier transactions wrote stays (an import keeps the batches before this one); make room and run the same command again');
    expect(failureMessage(new Error('other'))).toBe('other');
  });

  it('an export stopped part-way (Ctrl-C) leaves the earlier export as it was and no part of the new one', async () => {
    const rows = Array.from({ length: 20_000 }, (_, i) => `T${i},${i % 50}`).join('\n');
    await cli('import', 'members', '--channel', 'tmall', '--file', file('big.csv', `channelMemberId,points\n${rows}\n`));
    const out = temp.file('members.jsonl');
    expect((await cli('members', 'export', '--out', out)).err).toBe(`exported 20,000 members to ${out}\n`);
    const earlier = readFileSync(out);
    const { code, stderr } = await interruptedRun(['members', 'export', '--out', out], () => readdirSync(temp.file('.')).some((name) => name.startsWith('members.jsonl.part')));
    expect(code).toBe(130);
    expect(stderr).toMatch(/interrupted: the export was not written; .*members\.jsonl is as it was/);
    expect(readFileSync(out).equals(earlier)).toBe(true);
    expect(readdirSync(temp.file('.')).filter((name) => name.startsWith('members.jsonl'))).toEqual(['members.jsonl']);
    // an export replaces an earlier export, not the CSV just imported unless told
    const csv = temp.file('big.csv');
    const imported = readFileSync(csv);
    expect((await cli('members', 'export', '--out', csv)).err).toMatch(/big\.csv exists and is not an earlier export \(it does not start with an exported member's line, \{\"memberId\":…\): choose another --out, or add --force/);
    expect(readFileSync(csv).equals(imported)).toBe(true);
    expect((await cli('members', 'export', '--out', csv, '--force')).failed).toBe(false);
    expect(readFileSync(csv, 'utf8').startsWith('{')).toBe(true);
    // a link left where the part file goes is refused, not written through
    const precious = file('precious.txt', 'kept');
    symlinkSync(precious, `${out}.part`);
    expect((await cli('members', 'export', '--out', out)).err).toMatch(/cannot write the export to .*members\.jsonl\.part: it is not a plain file/);
    expect(readFileSync(precious, 'utf8')).toBe('kept');
    expect(readFileSync(out).equals(earlier)).toBe(true);
  });

  it('tells a database made before the key fingerprint from other keys by a consumer\'s bound phone', async () => {
    // written by the runtime alone (an earlier version never recorded the fingerprint)
    const local = openLocalServices({ dbFile: db, log: silentLogger });
    await boundConsumer(local, 'u1', '13812345678');
    await local.store.close();
    mkdirSync(temp.file('other'));
    expect((await runCli(temp.file('other/new.db'), 'stores', 'add', '--name', '店')).failed).toBe(false);
    const misplaced = temp.file('other/old.db');
    copyFileSync(db, misplaced);
    const wrongKeys = await runCli(misplaced, 'members', 'export');
    expect(wrongKeys.err).toMatch(/the keys in .*other\/secrets\.json .* are not the ones .*other\/old\.db was written with/);
    // with its own keys it opens, and records them from then on
    expect((await runCli(db, 'members', 'export')).failed).toBe(false);
    const copied = new Database(db, { readonly: true });
    expect(copied.prepare("SELECT count(*) FROM doc_settings WHERE id = 'keys'").pluck().get()).toBe(1);
    copied.close();
  });

  it('Ctrl-C in an import says what stays and how to finish, and lists the rows it rejected; running it again finishes without doubling', async () => {
    // every 97th row has no channelMemberId: rejected, on line i + 2
    const bad = (i: number) => i % 97 === 0;
    const rows = Array.from({ length: 20_000 }, (_, i) => `${bad(i) ? '' : `T${i}`},${100 + (i % 50)}`).join('\n');
    const f = file('big.csv', `channelMemberId,points\n${rows}\n`);
    const rejectsFile = `${f}.rejects.jsonl`;
    writeFileSync(rejectsFile, '{"line":1,"reason":"from an earlier run"}\n');
    // interrupted once some batches have committed (members written: the database is started with a setting of its own)
    const { code, stderr } = await interruptedRun(['import', 'members', '--channel', 'tmall', '--file', f], () => Number(counts()?.doc_members ?? 0) > 0);
    expect(code).toBe(130);
    expect(stderr).toMatch(/interrupted after [\d,]+ rows: every batch written so far stays whole; run the same command again to finish/);
    expect(stderr).toContain(`rows rejected so far: ${rejectsFile}`);
    // the rejects of every batch that committed are in the file, and nothing of the earlier run's
    const imported = (await exported()).map((m) => Number(m.identifiers.find((i) => i.type === 'tmall')!.value.slice(1)));
    const lastImportedLine = Math.max(...imported) + 2;
    const listed = readFileSync(rejectsFile, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { line: number; reason: string });
    const expectedBefore = Array.from({ length: 20_000 }, (_, i) => i).filter((i) => bad(i) && i + 2 < lastImportedLine).map((i) => i + 2);
    expect(listed.filter((r) => r.line < lastImportedLine).map((r) => [r.line, r.reason])).toEqual(expectedBefore.map((line) => [line, 'missing_channelMemberId']));

    const again = await cli('import', 'members', '--channel', 'tmall', '--file', f);
    const rejectedRows = Array.from({ length: 20_000 }, (_, i) => i).filter(bad).length;
    expect(again.out).toMatch(new RegExp(`read 20,000 rows .* ${rejectedRows.toLocaleString('en-US')} rejected`));
    const everyone = await exported();
    expect(everyone).toHaveLength(20_000 - rejectedRows);
    expect(everyone.reduce((sum, m) => sum + m.points.available, 0)).toBe(Array.from({ length: 20_000 }, (_, i) => (bad(i) ? 0 : 100 + (i % 50))).reduce((a, b) => a + b, 0));
    expect(readFileSync(rejectsFile, 'utf8').trim().split('\n')).toHaveLength(rejectedRows);
  }, 60_000);

  it('Ctrl-C in points expire says what stays and how to finish; running it again expires the rest once', async () => {
    const rows = Array.from({ length: 12_000 }, (_, i) => `T${i},${10 + (i % 5)}`).join('\n');
    await cli('import', 'members', '--channel', 'tmall', '--file', file('m.csv', `channelMemberId,points\n${rows}\n`));
    const opening = Array.from({ length: 12_000 }, (_, i) => 10 + (i % 5)).reduce((a, b) => a + b, 0);
    expect((await exported()).reduce((sum, m) => sum + m.points.available, 0)).toBe(opening);
    const expiredSoFar = () => {
      const store = new Database(db, { readonly: true });
      const count = store.prepare("SELECT count(*) FROM doc_ledger WHERE id LIKE 'expire:%'").pluck().get() as number;
      store.close();
      return count;
    };
    const { code, stderr } = await interruptedRun(['points', 'expire', '--as-of', '2040-01-01', '--allow-future'], () => expiredSoFar() > 0);
    expect(code).toBe(130);
    expect(stderr).toMatch(/interrupted after [\d,]+ accounts: every batch written so far stays whole; run the same command again to finish/);
    const before = expiredSoFar();
    expect(before).toBeGreaterThan(0);
    expect(before).toBeLessThan(12_000);
    const again = await cli('points', 'expire', '--as-of', '2040-01-01', '--allow-future');
    expect(again.out).toMatch(new RegExp(`expired ${(12_000 - before).toLocaleString('en-US')} lots`));
    expect(expiredSoFar()).toBe(12_000);
    expect((await exported()).reduce((sum, m) => sum + m.points.available, 0)).toBe(0);
  }, 60_000);

  it.each([['SIGINT', 130], ['SIGTERM', 143]] as const)('%s (Ctrl-C; kill, timeout, a job stopped) in codes create withdraws the batch and removes its part-file, and nothing ever shows at --out (a printer\'s hot folder) before the batch is active', async (signal, exitCode) => {
    const out = temp.file('codes.txt');
    let seenAtOut = false;
    const { code, stderr } = await interruptedRun(
      ['codes', 'create', '--sku', 'S1', '--name', '面霜', '--points', '10', '--count', '5000000', '--out', out],
      () => {
        seenAtOut ||= existsSync(out);
        return existsSync(`${out}.part`) && lstatSync(`${out}.part`).size > 0;
      },
      signal,
    );
    expect(code).toBe(exitCode);
    expect(stderr).toMatch(/interrupted: batch \w{4} withdrawn and .*codes\.txt\.part removed; none of its codes will scan: run the command again/);
    expect([seenAtOut, existsSync(out), existsSync(`${out}.part`)]).toEqual([false, false, false]);
    expect((await cli('codes', 'list')).out).toMatch(/^\w{4}\trevoked\t/);
  }, 60_000);

  it('codes create over a part-file a killed run left says whose it is, and writes the file whole at --out', async () => {
    const out = temp.file('codes.txt');
    writeFileSync(`${out}.part`, 'https://brand.example/c/half\n');
    const run = await cli('codes', 'create', '--sku', 'S1', '--name', '面霜', '--points', '10', '--count', '3', '--out', out);
    expect(run.err).toMatch(/replacing .*codes\.txt\.part, left by a run stopped outright: its batch stays pending in codes list .*codes revoke-batch/);
    expect(readFileSync(out, 'utf8').trim().split('\n')).toHaveLength(3);
    expect(existsSync(`${out}.part`)).toBe(false);
    expect(statSync(out).mode & 0o777).toBe(0o600);
  });

  it('keeps an earlier printer file unless told, and refuses to revoke a batch or key that does not exist', async () => {
    const out = temp.file('codes.txt');
    await cli('codes', 'create', '--sku', 'S1', '--name', '面霜', '--points', '10', '--count', '3', '--out', out);
    const first = readFileSync(out, 'utf8');
    const again = await cli('codes', 'create', '--sku', 'S1', '--name', '面霜', '--points', '10', '--count', '3', '--out', out);
    expect(again.err).toMatch(/codes\.txt exists .*--force/);
    expect(readFileSync(out, 'utf8')).toBe(first);
    expect((await cli('codes', 'list')).out.trim().split('\n')).toHaveLength(1);
    expect((await cli('codes', 'create', '--sku', 'S1', '--name', '面霜', '--points', '10', '--count', '3', '--out', out, '--force')).failed).toBe(false);
    expect(readFileSync(out, 'utf8')).not.toBe(first);

    const batch = (await cli('codes', 'list')).out.split('\t')[0]!;
    expect((await cli('codes', 'revoke-batch', 'NOPE')).err).toMatch(/no batch NOPE/);
    expect((await cli('codes', 'revoke-batch', batch)).out).toMatch(/revoked/);
    const retry = await cli('codes', 'revoke-batch', batch);
    expect(retry).toMatchObject({ failed: false, out: `batch ${batch} was revoked already\n` });
    expect((await cli('codes', 'revoke-key', 'Z')).err).toMatch(/no key Z: the keys are A/);
    expect((await cli('codes', 'revoke-key', 'A')).out).toMatch(/key A revoked/);
  });
  /**
   * Two commands at once on databases that do not exist yet: `first` starts one, and as it makes its
   * first read (the key check, before anything of its own is written), `second` starts and opens
   * what `first` made, and waits at its own first read until `first` has finished. Hooked on the
   * real store's reads, not timed. Answers whether each failed, and what they printed.
   */
  const overlapping = async (first: string[], second: string[]) => {
    const printed: string[] = [];
    const stdout = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => (printed.push(String(chunk)), true));
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => (printed.push(String(chunk)), true));
    const failed = (args: string[]) => throwingInsteadOfExiting(buildCli()).parseAsync(['node', 'member-centre', ...args]).then(() => false, () => true);
    const read = SqliteStore.prototype.get;
    let reads = 0;
    let secondRun: Promise<boolean> | undefined;
    let secondWaits!: () => void;
    const secondWaiting = new Promise<void>((resolve) => (secondWaits = resolve));
    let firstDone!: () => void;
    const firstFinished = new Promise<void>((resolve) => (firstDone = resolve));
    const get = jest.spyOn(SqliteStore.prototype, 'get').mockImplementation(async function (this: SqliteStore, ...args) {
      reads++;
      if (reads === 1) {
        secondRun = failed(second);
        await secondWaiting;
      } else if (reads === 2) {
        secondWaits();
        await firstFinished;
      }
      return read.apply(this, args) as never;
    });
    try {
      const firstFailed = await failed(first);
      firstDone();
      return { first: firstFailed, second: await secondRun!, printed: printed.join('') };
    } finally {
      get.mockRestore();
      stdout.mockRestore();
      stderr.mockRestore();
    }
  };

  it('a refused first command leaves a database another command opened meanwhile, and its keys: the other command\'s import is kept', async () => {
    // the refusal started the database; the import opened it before the refusal came
    const runs = await overlapping(['--db', db, 'campaigns', 'add', '--bonus', '0', '--name', 'x'], ['--db', db, 'import', 'members', '--channel', 'tmall', '--file', file('m.csv', members)]);
    expect(runs).toMatchObject({ first: true, second: false });
    expect(runs.printed).toMatch(/1 member created/);
    // what the import said it wrote is there, found with the keys it was written with
    expect(existsSync(temp.file('data/secrets.json'))).toBe(true);
    expect(await exported()).toHaveLength(1);
    // and a refused first command alone still leaves nothing behind
    const alone = temp.file('alone/mc.db');
    expect(await runCli(alone, 'campaigns', 'add', '--bonus', '0', '--name', 'x')).toMatchObject({ failed: true });
    expect(existsSync(temp.file('alone'))).toBe(false);
  });

  it('a refused first command leaves the keys it made when another database beside it started with them meanwhile', async () => {
    const other = temp.file('data/other.db');
    const runs = await overlapping(['--db', db, 'campaigns', 'add', '--bonus', '0', '--name', 'x'], ['--db', other, 'import', 'members', '--channel', 'tmall', '--file', file('m.csv', members)]);
    expect(runs).toMatchObject({ first: true, second: false });
    // the refused command's own database goes; the keys the other's phone hashes were made with stay
    expect(existsSync(db)).toBe(false);
    const exportedOther = await runCli(other, 'members', 'export');
    expect(exportedOther.err).toBe('');
    expect(exportedOther.out.trim().split('\n')).toHaveLength(1);
  });

  it('a refused first command leaves the keys it made while a database beside it is being started (its file still empty)', async () => {
    mkdirSync(temp.file('data'));
    // another command has just made its database file and has not yet written its first page
    writeFileSync(temp.file('data/other.db'), '');
    expect(await cli('campaigns', 'add', '--bonus', '0', '--name', 'x')).toMatchObject({ failed: true });
    expect(existsSync(db)).toBe(false);
    expect(readdirSync(temp.file('data')).sort()).toEqual(['other.db', 'secrets.json']);
  });

  it('a first command that wrote and then failed keeps the database it started and its keys: what it wrote is found again', async () => {
    // the disk fills as the import, its rows written, records the keys' fingerprint
    const transaction = SqliteStore.prototype.transaction;
    const record = jest.spyOn(SqliteStore.prototype, 'transaction').mockImplementation(function (this: SqliteStore, fn) {
      return transaction.call(this, (tx) => fn(new Proxy(tx, {
        get: (target, name) => (name === 'create'
          ? (collection: string, doc: { phoneHashKey?: unknown }) => {
            if (collection === 'settings' && doc.phoneHashKey !== undefined) throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
            return target.create(collection, doc as never);
          }
          : Reflect.get(target, name, target)),
      }))) as never;
    });
    try {
      const run = await cli('import', 'members', '--channel', 'tmall', '--file', file('m.csv', members));
      expect(run.failed).toBe(true);
      expect(run.out).toMatch(/1 member created/);
    } finally {
      record.mockRestore();
    }
    expect(existsSync(db)).toBe(true);
    expect(existsSync(temp.file('data/secrets.json'))).toBe(true);
    const found = await exported();
    expect(found).toHaveLength(1);
    expect(found[0]!.points.available).toBe(100);
  });
});
