import Database from 'better-sqlite3';
import { existsSync, writeFileSync } from 'node:fs';
import { openLocalServices } from '../../cloudfunctions/core/local/services';
import { silentLogger } from '../../cloudfunctions/core/runtime/log';
import { fixedClock, type Clock } from '../../cloudfunctions/core/runtime/clock';
import { runCli, runCliAt } from '../support/cli';
import { boundConsumer, memberOk } from '../support/members';
import { tempDir } from '../support/temp';

/** The operator's commands in-process, as `member-centre …` runs them, on a fresh database. */
describe('points commands', () => {
  let temp: ReturnType<typeof tempDir>;
  let db: string;
  let out: string[];
  let err: string[] = [];
  /** The commands' clock: the system's unless a test's dates need a day of their own. */
  let clock: Clock | undefined;
  beforeEach(() => {
    temp = tempDir();
    db = temp.file('mc.db');
    out = [];
    clock = undefined;
  });
  afterEach(() => {
    process.exitCode = undefined;
    temp.cleanup();
  });

  /** Prints what the command wrote to stdout; throws where it failed. */
  const cli = async (...args: string[]) => {
    const run = await runCliAt(clock, db, ...args);
    out = [run.out];
    err = [run.err];
    if (run.failed) throw run.error;
    return run.out;
  };
  const file = (name: string, text: string) => (writeFileSync(temp.file(name), text), temp.file(name));
  const exported = async () =>
    (await cli('members', 'export')).trim().split('\n').map((line) => JSON.parse(line) as { identifiers: { type: string; value: string }[]; points: { available: number }; growth: number; level: string; memberId: string });
  const byTmall = async () =>
    Object.fromEntries((await exported()).map((m) => [m.identifiers.find((i) => i.type === 'tmall')!.value, { points: m.points.available, growth: m.growth, level: m.level, memberId: m.memberId }]));

  it('imports members and orders, exports points by the rules, expires, verifies and adjusts', async () => {
    // run on a day of 2026, as its orders' dates are: on the system's clock, from 2027 A1 (2025) expired as it entered
    clock = fixedClock('2026-11-23T02:00:00Z');
    await cli('import', 'members', '--channel', 'tmall', '--file', file('members.csv', 'channelMemberId,phone,points,growth\nT1,13812345678,100,900\nT2,13912345678,,\n'));
    const orders = file('orders.csv', [
      'orderId,channelMemberId,amount,status,refundFen,paidAt',
      'A1,T1,125.50,paid,,2025-03-01 10:00:00',
      'A2,T1,50,refunded,,2026-04-01 10:00:00',
      'A3,T2,6000,paid,,2026-05-01',
      'A4,T3,30,paid,,2026-05-01',
      '',
    ].join('\n'));
    expect(await cli('import', 'orders', '--channel', 'tmall', '--file', orders)).toMatch(/read 4 rows .*: 4 new orders, 0 refunds of orders imported before, 0 unchanged, 0 rejected; 6,205 points earned \(1 order for buyers not imported yet, kept until they are\), 1 refund took back 50 points/);
    expect(await cli('import', 'orders', '--channel', 'tmall', '--file', orders)).toMatch(/: 0 new orders, 0 refunds of orders imported before, 4 unchanged, 0 rejected; 0 points earned/);
    expect(await byTmall()).toEqual({
      T1: expect.objectContaining({ points: 225, growth: 1025, level: 'silver' }),
      T2: expect.objectContaining({ points: 6000, growth: 6000, level: 'gold' }),
    });

    // The buyer of A4 arrives later: the points waiting on the account are theirs.
    await cli('import', 'members', '--channel', 'tmall', '--file', file('more.csv', 'channelMemberId\nT3\n'));
    expect((await byTmall()).T3).toMatchObject({ points: 30, growth: 30 });

    // A1 (2025) expires at the end of 2026 Beijing time; the migrated 100 (earned on import day) later.
    // A time without a zone is Beijing time whatever the machine's zone: 20:00 on 31 December is before it.
    expect(await cli('points', 'expire', '--as-of', '2026-12-31T20:00', '--allow-future')).toMatch(/expired 0 lots/);
    // a time unquoted after its date is an argument of its own: the refusal says to quote it
    expect((await runCliAt(clock, db, 'points', 'expire', '--as-of', '2026-12-31', '20:00', '--allow-future')).err).toMatch(/too many arguments for 'expire'.*\na date and time with a space between them is one value only in quotes: --as-of "2027-12-31 20:00"/s);
    expect(await cli('points', 'expire', '--as-of', '2027-01-01', '--allow-future')).toMatch(/expired 1 lot, 125 points, on 1 account/);
    expect(await cli('points', 'expire', '--as-of', '2027-01-01', '--allow-future')).toMatch(/expired 0 lots/);
    expect((await byTmall()).T1).toMatchObject({ points: 100, growth: 1025 });

    expect(await cli('points', 'verify')).toMatch(/no differences/);
    expect(process.exitCode).toBeUndefined();

    const t2 = (await byTmall()).T2!.memberId;
    const user = process.env.USER;
    process.env.USER = 'crm-alice';
    expect(await cli('points', 'adjust', t2, '-500', '--reason', '补偿错误', '--request-id', 'req1')).toMatch(/adjusted: -500 points/);
    expect(await cli('points', 'adjust', t2, '-500', '--reason', '补偿错误', '--request-id', 'req1')).toMatch(/already done/);
    process.env.USER = user;
    expect((await byTmall()).T2).toMatchObject({ points: 5500 });
    const store = new Database(db, { readonly: true });
    const adjust = JSON.parse((store.prepare("SELECT body FROM doc_ledger WHERE id = 'adjust:req1'").pluck().get() as string)) as Record<string, unknown>;
    store.close();
    expect(adjust).toMatchObject({ kind: 'adjust', points: -500, reason: '补偿错误', operator: 'crm-alice' });

    // a later export refunding an order imported before, beside a new one: each row counted once
    const later = file('later.csv', 'orderId,channelMemberId,amount,status,refundFen,paidAt\nA3,T2,6000,paid,100000,2026-05-01\nA5,T2,10,paid,,2026-05-02\n');
    expect(await cli('import', 'orders', '--channel', 'tmall', '--file', later)).toMatch(/read 2 rows .*: 1 new order, 1 refund of orders imported before, 0 unchanged, 0 rejected; 10 points earned .* 1 refund took back 1,000 points/);
    expect((await byTmall()).T2).toMatchObject({ points: 4510 });
  });

  it('an adjustment of more than 10,000 points needs --yes: without it nothing is written', async () => {
    await cli('import', 'members', '--channel', 'tmall', '--file', file('members.csv', 'channelMemberId,points\nT1,100\n'));
    const member = (await byTmall()).T1!.memberId;
    await expect(cli('points', 'adjust', member, '100000', '--reason', '补发', '--request-id', 'big')).rejects.toThrow(/\+100,000 points is more than 10,000 points: check the number, then run again with --yes/);
    await expect(cli('points', 'adjust', member, '-10001', '--reason', '扣回', '--request-id', 'big2')).rejects.toThrow(/--yes/);
    expect((await byTmall()).T1).toMatchObject({ points: 100 });
    // the limit itself needs no confirmation; above it, --yes goes through
    expect(await cli('points', 'adjust', member, '10000', '--reason', '补发', '--request-id', 'edge')).toMatch(/adjusted: \+10,000 points/);
    expect(await cli('points', 'adjust', member, '100000', '--reason', '补发', '--request-id', 'big', '--yes')).toMatch(/adjusted: \+100,000 points/);
    expect((await byTmall()).T1).toMatchObject({ points: 110100 });
    // without --request-id the id made for the run is told before anything is written, so a run cut
    // off before its answer can be repeated safely
    const first = await runCli(db, 'points', 'adjust', member, '7', '--reason', '补发');
    const made = /run it again with --request-id (adj_\w+)/.exec(first.err)?.[1];
    expect(made).toBeDefined();
    expect(first.out).toMatch(new RegExp(`adjusted: \\+7 points for ${member} \\(request ${made}\\)`));
    expect(await cli('points', 'adjust', member, '7', '--reason', '补发', '--request-id', made!)).toMatch(/already done/);
    expect((await byTmall()).T1).toMatchObject({ points: 110107 });
    // refusals that name what to fix
    await expect(cli('points', 'adjust', member, '5', '--reason', '补发', '--request-id', 'a b')).rejects.toThrow(/--request-id must be 1-193 characters without spaces or #/);
    await expect(cli('points', 'adjust', member, '1.5', '--reason', '补发')).rejects.toThrow(/delta 1\.5 must be a non-zero whole number/);
    expect((await byTmall()).T1).toMatchObject({ points: 110107 });
  });

  it('points verify reports a tampered balance and exits non-zero', async () => {
    await cli('import', 'members', '--channel', 'tmall', '--file', file('members.csv', 'channelMemberId,points\nT1,100\n'));
    const store = new Database(db);
    store.prepare("UPDATE doc_balances SET body = json_set(body, '$.points', 999)").run();
    store.close();
    expect(await cli('points', 'verify')).toMatch(/1 difference\n {2}balance m_\w+: points is 999, the ledger says 100/);
    expect(process.exitCode).toBe(1);
  });

  it('points verify finds a tampered lot, a missing account and a stray entry, account by account', async () => {
    await cli('import', 'members', '--channel', 'tmall', '--file', file('members.csv', 'channelMemberId,points\nT1,100\nT2,50\nT3,7\n'));
    expect(await cli('points', 'verify')).toMatch(/checked 3 ledger entries, 3 accounts, 3 balances, 3 members: no differences/);
    const store = new Database(db);
    store.prepare("UPDATE doc_accounts SET body = json_set(body, '$.lots[0].remaining', 99) WHERE id = 'tmall:T1'").run();
    store.prepare("DELETE FROM doc_accounts WHERE id = 'tmall:T2'").run();
    // an entry moved to an account no one has: its allocation-free earn still needs an account document
    store.prepare("UPDATE doc_ledger SET body = json_set(body, '$.accountId', 'tmall:T9') WHERE id = 'migrate:tmall:T3'").run();
    store.close();
    const report = await cli('points', 'verify');
    expect(report).toMatch(/account tmall:T1: lots is .*99.*, the ledger says .*100/);
    expect(report).toMatch(/account tmall:T2: has ledger entries but no account document/);
    expect(report).toMatch(/account tmall:T9: has ledger entries but no account document/);
    expect(report).toMatch(/account tmall:T3: points is 7, the ledger says 0/);
    expect(process.exitCode).toBe(1);
  });

  it('an adjustment of a member merged into another says whose points moved', async () => {
    await cli('import', 'members', '--channel', 'tmall', '--file', file('members.csv', 'channelMemberId\nT1\n'));
    await cli('import', 'members', '--channel', 'offline', '--file', file('cards.csv', 'channelMemberId\nC1\n'));
    const [a, b] = (await exported()).map((m) => m.memberId);
    const merged = await cli('members', 'merge', a!, b!);
    const [, absorbed, survivor] = /merged (\S+) into (\S+)/.exec(merged)!;
    expect(await cli('points', 'adjust', absorbed!, '5', '--reason', '补发', '--request-id', 'm1')).toBe(`adjusted: +5 points for ${survivor} (${absorbed} was merged into it) (request m1)\n`);
    expect((await exported()).map((m) => [m.memberId, m.points.available])).toEqual([[survivor, 5]]);
  });

  it('an adjustment run again after its member erased themselves replays instead of NOT_FOUND', async () => {
    const local = openLocalServices({ dbFile: db, log: silentLogger });
    try {
      const { memberId } = await boundConsumer(local, 'u1', '13812340009');
      expect(await cli('points', 'adjust', memberId, '5', '--reason', '补发', '--request-id', 'e1')).toMatch(/^adjusted: \+5 points/);
      await memberOk(local, 'u1', { action: 'delete', confirm: true });
      expect(await cli('points', 'adjust', memberId, '5', '--reason', '补发', '--request-id', 'e1')).toMatch(/^already done: \+5 points for /);
      // a new request for the erased member is refused
      await expect(cli('points', 'adjust', memberId, '5', '--reason', '补发', '--request-id', 'e2')).rejects.toThrow(/NOT_FOUND/);
    } finally {
      await local.store.close();
    }
  });

  it('refuses bad arguments and unknown members with a clear error', async () => {
    await cli('import', 'members', '--channel', 'tmall', '--file', file('members.csv', 'channelMemberId\nT1\n'));
    await expect(cli('points', 'adjust', 'm_nobody', '0', '--reason', 'x')).rejects.toThrow(/non-zero/);
    await expect(cli('points', 'adjust', 'm_nobody', '5', '--reason', 'x')).rejects.toThrow(/NOT_FOUND/);
    // a run refused before it could adjust names no request to repeat
    for (const args of [['m_nobody', '5', '--reason', 'x'], ['m_nobody', '5', '--reason', '  ']]) {
      const refused = await runCli(db, 'points', 'adjust', ...args);
      expect(refused.failed).toBe(true);
      expect(refused.err).not.toMatch(/run it again with --request-id/);
    }
    expect((await runCli(db, 'points', 'adjust', 'm_nobody', '5', '--reason', '  ')).err).toMatch(/argument '  ' is invalid\. it needs a value, not one of spaces alone/);
    // an operation that failed: no pointer to --help; a mistyped command: the pointer
    expect(err.join('')).not.toMatch(/--help lists/);
    await expect(cli('points', 'expyre')).rejects.toThrow();
    expect(err.join('')).toMatch(/\(member-centre points --help lists its commands\)/);
    await expect(cli('points', 'expire', '--as-of', 'someday')).rejects.toThrow(/must be a time/);
    await expect(cli('points', 'expire', '--as-of', '2026-02-30T00:00:00Z')).rejects.toThrow(/must be a time/);
  });

  it('a command that reads or corrects refuses a database that is not there, and creates none', async () => {
    for (const command of [['points', 'verify'], ['members', 'export'], ['points', 'adjust', 'm_x', '5', '--reason', 'x'], ['guides', 'add', '--store', 'S1', '--name', '小王']]) {
      await expect(cli(...command)).rejects.toThrow(/no database at .*mc\.db: check --db or MC_DB \(serve, the imports, codes create, stores add and campaigns add start one\)/);
      expect(err.join('')).not.toMatch(/--help lists/);
    }
    expect(existsSync(db)).toBe(false);
    // an import starts the database; from then on the same commands run
    expect(await cli('import', 'members', '--channel', 'tmall', '--file', file('members.csv', 'channelMemberId,points\nT1,100\n'))).toMatch(/read 1 row in .* 1 member created/);
    expect(await cli('points', 'verify')).toMatch(/checked 1 ledger entry, 1 account, 1 balance, 1 member: no differences/);
  });

  it('points expire refuses a time in the future unless told, and then expires nothing', async () => {
    await cli('import', 'members', '--channel', 'tmall', '--file', file('members.csv', 'channelMemberId,points\nT1,100\n'));
    const farAhead = new Date(Date.now() + 5 * 365 * 86_400_000).toISOString();
    await expect(cli('points', 'expire', '--as-of', farAhead)).rejects.toThrow(/INVALID_INPUT: --as-of \d{4}-\d\d-\d\d \d\d:\d\d:\d\d Beijing is in the future/);
    // a Beijing date is answered as typed, not as the UTC instant it is
    await expect(cli('points', 'expire', '--as-of', '2099-01-01')).rejects.toThrow(/--as-of 2099-01-01 00:00:00 Beijing is in the future/);
    expect(await cli('points', 'verify')).toMatch(/no differences/);
    const store = new Database(db, { readonly: true });
    expect(store.prepare("SELECT count(*) FROM doc_ledger WHERE id LIKE 'expire:%'").pluck().get()).toBe(0);
    store.close();
    expect(await cli('points', 'expire', '--as-of', farAhead, '--allow-future')).toMatch(/expired 1 lot, 100 points/);
  });
});
