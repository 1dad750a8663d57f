/**
 * `orders waiting`: the orders `import orders` keeps for buyers not imported yet (by channel member
 * id, or by phone alone), so an operator can see what waits, and a file imported under the wrong
 * --channel does not wait forever unnoticed. Listed as the other operator lists are (`--limit`,
 * `--after`, counts on stderr), off indexes.
 */
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { mergeMembers, unmergeMembers } from '../../cloudfunctions/core/identity/operator';
import { listWaitingBuyers } from '../../cloudfunctions/core/orders/waiting.store';
import type { AccountDoc } from '../../cloudfunctions/core/points/types';
import { encodeCursor } from '../../cloudfunctions/core/store/cursor';
import type { SqliteStore } from '../../cloudfunctions/core/store/sqlite';
import { importOrders } from '../codes/support';
import { runCliAt } from '../support/cli';
import { boundConsumer, importMembers, memberOk } from '../support/members';
import { openTestServices, reconfigured, type TestServices } from '../support/services';

const P1 = '13912340001';
const sha256 = (phone: string) => createHash('sha256').update(phone).digest('hex');

describe('orders waiting: the orders whose buyer is not there yet', () => {
  let services: TestServices;
  beforeEach(() => { services = openTestServices('2026-11-23T02:00:00Z'); });
  afterEach(() => {
    process.exitCode = undefined;
    return services.close();
  });

  const cli = (...args: string[]) => runCliAt(services.clock, services.dbFile, ...args);
  const lines = (out: string) => out.split('\n').filter(Boolean);
  const order = (orderId: string, buyer: { channelMemberId: string } | { phone: string }) => ({ orderId, ...buyer, amountFen: 1000, paidAt: '2026-03-01 10:00:00' });
  const sinces = (out: string) => new Set(lines(out).map((line) => /waiting since (.+)$/.exec(line)![1]));

  it('lists an order of a buyer not imported yet (channel, order, buyer, amount, paidAt, since), counts it per channel, and drops it once the member arrives', async () => {
    await importOrders(services, 'tmall', [{ orderId: 'A1', channelMemberId: 'T1', amountFen: 150050, paidAt: '2026-03-01 10:00:00' }]);
    const run = await cli('orders', 'waiting');
    expect(run.failed).toBe(false);
    expect(lines(run.out)).toEqual(['tmall  A1  buyer T1  1,500.50 yuan  paid 2026-03-01 10:00:00 Beijing  waiting since 2026-11-23 10:00:00 Beijing']);
    expect(run.err).toMatch(/^tmall: 1 buyer waiting, 1,500 points; no tmall member is imported at all/m);
    expect(run.err).toMatch(/1 order of 1 buyer listed/);

    // a refund imported meanwhile is said with its order
    await importOrders(services, 'tmall', [{ orderId: 'A1', channelMemberId: 'T1', amountFen: 150050, paidAt: '2026-03-01 10:00:00', status: 'refunded', refundFen: 50 }]);
    expect(lines((await cli('orders', 'waiting')).out)).toEqual(['tmall  A1  buyer T1  1,500.50 yuan (refunded 0.50)  paid 2026-03-01 10:00:00 Beijing  waiting since 2026-11-23 10:00:00 Beijing']);

    await importMembers(services, 'tmall', [{ channelMemberId: 'T1' }]);
    const after = await cli('orders', 'waiting');
    expect(after.failed).toBe(false);
    expect(after.out).toBe('');
    expect(after.err).toMatch(/no orders waiting for their buyer/);
  });

  it('a buyer known by phone alone is shown by the start of its keyed hash, never the number, until a member holding the phone arrives', async () => {
    await importOrders(services, 'jd', [
      { orderId: 'J1', phone: P1, amountFen: 30000, paidAt: '2026-03-01 10:00:00' },
      { orderId: 'J2', phoneSha256: sha256(P1), amountFen: 1000, paidAt: '2026-03-02 10:00:00' },
    ]);
    const run = await cli('orders', 'waiting');
    expect(lines(run.out)).toEqual([
      expect.stringMatching(/^jd {2}J1 {2}buyer phone [A-Za-z0-9_-]{8}… {2}300\.00 yuan {2}paid 2026-03-01 10:00:00 Beijing/),
      expect.stringMatching(/^jd {2}J2 {2}buyer phone [A-Za-z0-9_-]{8}… {2}10\.00 yuan/),
    ]);
    expect(run.out + run.err).not.toMatch(/13912340001|139\*{4}0001|1234/);
    // buyers known by phone join by phone: a channel without members is no sign of a wrong --channel for them
    expect(run.err).toMatch(/^jd: 1 buyer waiting \(1 known by phone alone\), 310 points\n/m);
    expect(run.err).not.toMatch(/no jd member is imported/);
    // the whole keyed hash, as members export would print it, is not given either
    expect(run.out).not.toMatch(/[A-Za-z0-9_-]{9}…/);

    await boundConsumer(services, 'u1', P1);
    expect((await cli('orders', 'waiting')).out).toBe('');
  });

  it('an order already credited to a member is not waiting, nor one of a member who erased themselves', async () => {
    await importMembers(services, 'tmall', [{ channelMemberId: 'T1', phone: P1, points: 50 }]);
    await importOrders(services, 'tmall', [
      { orderId: 'A1', channelMemberId: 'T1', amountFen: 1000, paidAt: '2026-03-01 10:00:00' },
      { orderId: 'A2', phone: P1, amountFen: 1000, paidAt: '2026-03-01 10:00:00' },
    ]);
    expect((await cli('orders', 'waiting')).out).toBe('');
    await boundConsumer(services, 'u1', '13912340002');
    await importOrders(services, 'offline', [{ orderId: 'O1', phone: '13912340002', amountFen: 1000, paidAt: '2026-03-01 10:00:00' }]);
    await memberOk(services, 'u1', { action: 'delete', confirm: true });
    const run = await cli('orders', 'waiting');
    expect(run.out).toBe('');
    expect(run.err).toMatch(/no orders waiting/);
  });

  it('an order file imported under the wrong --channel is flagged: the channel has no member, and each buyer names the channel its id is a member of', async () => {
    await importMembers(services, 'offline', [{ channelMemberId: 'C1' }, { channelMemberId: 'C2' }]);
    await importOrders(services, 'tmall', [
      { orderId: 'S1', channelMemberId: 'C1', amountFen: 2000, paidAt: '2026-03-01 10:00:00' },
      { orderId: 'S2', channelMemberId: 'C2', amountFen: 3000, paidAt: '2026-03-01 11:00:00' },
    ]);
    const run = await cli('orders', 'waiting');
    expect(run.err).toMatch(/tmall: 2 buyers waiting, 50 points; no tmall member is imported at all: were these orders imported under the wrong --channel/);
    expect(lines(run.out)).toEqual([
      expect.stringMatching(/^tmall {2}S1 {2}buyer C1 .*\(offline:C1 is imported: a file of that channel imported as tmall\?\)$/),
      expect.stringMatching(/^tmall {2}S2 {2}buyer C2 .*\(offline:C2 is imported: a file of that channel imported as tmall\?\)$/),
    ]);
    // a channel that has members but whose buyer is late is not flagged
    await importMembers(services, 'tmall', [{ channelMemberId: 'T9' }]);
    expect((await cli('orders', 'waiting')).err).not.toMatch(/no tmall member is imported/);
    // imported again under the right channel, the orders credit their members; the wrong ones keep waiting
    await importOrders(services, 'offline', [
      { orderId: 'S1', channelMemberId: 'C1', amountFen: 2000, paidAt: '2026-03-01 10:00:00' },
      { orderId: 'S2', channelMemberId: 'C2', amountFen: 3000, paidAt: '2026-03-01 11:00:00' },
    ]);
    expect(lines((await cli('orders', 'waiting', '--channel', 'offline')).out)).toEqual([]);
    expect(lines((await cli('orders', 'waiting', '--channel', 'tmall')).out)).toHaveLength(2);
  });

  it('pages with --limit and --after, buyers oldest first within each channel, each buyer with all its orders, the next page named on stderr', async () => {
    for (const [i, channel] of (['tmall', 'tmall', 'jd', 'tmall', 'jd'] as const).entries()) {
      services.clock.advance(60_000);
      await importOrders(services, channel, [
        { orderId: `A${i}`, channelMemberId: `B${i}`, amountFen: 100 * (i + 1), paidAt: '2026-03-01 10:00:00' },
        { orderId: `Z${i}`, channelMemberId: `B${i}`, amountFen: 100, paidAt: '2026-02-01 10:00:00' },
      ]);
    }
    const all = await cli('orders', 'waiting', '--limit', '1000');
    // tmall before jd (identity.priority), within each the buyer waiting longest first, a buyer's orders by paidAt
    expect(lines(all.out).map((line) => line.split('  ').slice(0, 3).join(' '))).toEqual([
      'tmall Z0 buyer B0', 'tmall A0 buyer B0', 'tmall Z1 buyer B1', 'tmall A1 buyer B1', 'tmall Z3 buyer B3', 'tmall A3 buyer B3',
      'jd Z2 buyer B2', 'jd A2 buyer B2', 'jd Z4 buyer B4', 'jd A4 buyer B4',
    ]);
    expect(all.err).not.toMatch(/more:/);
    expect(all.err).toMatch(/tmall: 3 buyers waiting/);
    expect(all.err).toMatch(/jd: 2 buyers waiting/);

    for (const [limit, pagesExpected] of [[1, 5], [2, 3], [3, 2], [5, 1]] as const) {
      const seen: string[] = [];
      let args = ['--limit', String(limit)];
      let pages = 0;
      for (; pages < 10; pages++) {
        const page = await cli('orders', 'waiting', ...args);
        expect(page.failed).toBe(false);
        seen.push(...lines(page.out));
        // the totals are for all pages, whichever this is
        expect(page.err).toMatch(/tmall: 3 buyers waiting/);
        const next = /more: orders waiting (--limit \d+) --after '([A-Za-z0-9_-]+)'\)\n$/.exec(page.err);
        if (!next) break;
        args = [...next[1]!.split(' '), '--after', next[2]!];
      }
      expect(pages + 1).toBe(pagesExpected);
      expect(seen).toEqual(lines(all.out));
    }
    // with --channel the next page keeps it
    const jd = await cli('orders', 'waiting', '--channel', 'jd', '--limit', '1');
    expect(lines(jd.out)).toHaveLength(2);
    expect(jd.err).toMatch(/more: orders waiting --channel jd --limit 1 --after '[A-Za-z0-9_-]+'\)\n$/);
    expect(jd.err).not.toMatch(/tmall:/);
  });

  it('refuses a bad --limit, --after or --channel with what it takes, writing nothing; the same command then answers as before', async () => {
    await importOrders(services, 'tmall', [{ orderId: 'A1', channelMemberId: 'T1', amountFen: 1000, paidAt: '2026-03-01 10:00:00' }]);
    const before = { accounts: await services.dump('accounts'), ledger: await services.dump('ledger'), records: await services.dump('records') };
    const good = await cli('orders', 'waiting');
    for (const [args, message] of [
      [['--limit', '0'], /--limit must be a whole number from 1 to 1000, got 0/],
      [['--limit', '1001'], /--limit must be a whole number from 1 to 1000/],
      [['--after', 'nonsense'], /--after takes the cursor an earlier orders waiting printed/],
      [['--channel', 'tmal'], /INVALID_INPUT: unknown channel "tmal": this brand's channels are tmall, offline, jd/],
      [['--channel', 'wechat'], /unknown channel "wechat"/],
    ] as const) {
      const run = await cli('orders', 'waiting', ...args);
      expect(run.failed).toBe(true);
      expect(run.err).toMatch(message);
      expect(run.out).toBe('');
    }
    // a cursor of one channel given with another
    await importOrders(services, 'jd', [{ orderId: 'J1', channelMemberId: 'D1', amountFen: 1000, paidAt: '2026-03-01 10:00:00' }, { orderId: 'J2', channelMemberId: 'D2', amountFen: 1000, paidAt: '2026-03-01 10:00:00' }]);
    const cursor = /--after '([^']+)'/.exec((await cli('orders', 'waiting', '--channel', 'jd', '--limit', '1')).err)![1]!;
    const mixed = await cli('orders', 'waiting', '--channel', 'tmall', '--after', cursor);
    expect(mixed.failed).toBe(true);
    expect(mixed.err).toMatch(/INVALID_INPUT: --after is a cursor of the jd orders waiting, not of --channel tmall/);
    expect(mixed.out).toBe('');
    expect(await services.dump('records')).toEqual(before.records);
    expect((await cli('orders', 'waiting', '--channel', 'tmall')).out).toBe(good.out);
    expect((await cli('orders', 'waiting', '--channel', 'tmall')).out).toBe(good.out);
  });

  it('on a database from before accounts were listed so, the orders already waiting are listed too, dated by when they were recorded', async () => {
    await importOrders(services, 'tmall', [{ orderId: 'A1', channelMemberId: 'T1', amountFen: 1000, paidAt: '2026-03-01 10:00:00' }]);
    await importOrders(services, 'jd', [{ orderId: 'J1', phone: P1, amountFen: 2000, paidAt: '2026-03-01 10:00:00' }]);
    await importMembers(services, 'tmall', [{ channelMemberId: 'T2', points: 5 }]);
    const listedNow = (await cli('orders', 'waiting')).out;
    expect(lines(listedNow)).toHaveLength(2);
    // as an earlier version left them: no account marked, and no listing run yet
    const db = new Database(services.dbFile);
    db.prepare("UPDATE doc_accounts SET body = json_remove(body, '$.waitingChannel', '$.waitingSince'), f_waitingChannel = NULL, f_waitingSince = NULL").run();
    db.prepare("DELETE FROM doc_settings WHERE id = 'waitingMarked'").run();
    db.close();
    services.clock.advance(86_400_000);
    const run = await cli('orders', 'waiting');
    expect(run.failed).toBe(false);
    expect(run.out).toBe(listedNow);
    expect(run.out).toMatch(/waiting since 2026-11-23 10:00:00 Beijing/);
    // marked once: a mark taken off again is not put back by the next listing
    const again = new Database(services.dbFile);
    again.prepare("UPDATE doc_accounts SET body = json_remove(body, '$.waitingChannel', '$.waitingSince'), f_waitingChannel = NULL, f_waitingSince = NULL WHERE id = 'tmall:T1'").run();
    again.close();
    expect(lines((await cli('orders', 'waiting')).out)).toHaveLength(1);
  });

  it('the orders of a card erased with its member are not waiting for a buyer, neither before nor after a listing marks a database of an earlier version', async () => {
    await importMembers(services, 'tmall', [{ channelMemberId: 'T1', phone: P1 }]);
    await boundConsumer(services, 'u1', P1);
    await importOrders(services, 'tmall', [
      { orderId: 'A1', channelMemberId: 'T1', amountFen: 1000, paidAt: '2026-03-01 10:00:00' },
      { orderId: 'A2', phone: P1, amountFen: 1000, paidAt: '2026-03-01 10:00:00' },
    ]);
    await memberOk(services, 'u1', { action: 'delete', confirm: true });
    // the phone's next order buys anew, for whoever binds the number next: that one waits
    await importOrders(services, 'tmall', [{ orderId: 'A3', phone: P1, amountFen: 1000, paidAt: '2026-03-02 10:00:00' }]);
    const expected = [expect.stringMatching(/^tmall {2}A3 {2}buyer phone /)];
    expect(lines((await cli('orders', 'waiting')).out)).toEqual(expected);
    const db = new Database(services.dbFile);
    db.prepare("UPDATE doc_accounts SET body = json_remove(body, '$.waitingChannel', '$.waitingSince'), f_waitingChannel = NULL, f_waitingSince = NULL").run();
    db.prepare("DELETE FROM doc_settings WHERE id = 'waitingMarked'").run();
    db.close();
    expect(lines((await cli('orders', 'waiting')).out)).toEqual(expected);
  });

  it('reads the waiting buyers off an index, never sorting or scanning the accounts', async () => {
    const store = services.store as SqliteStore;
    const plan = store.explainQuery('accounts', { where: { waitingChannel: 'tmall' }, orderBy: 'waitingSince', limit: 100, cursor: null }).join('\n');
    expect(plan).toMatch(/USING INDEX doc_accounts__waitingChannel_waitingSince__id__sparse/);
    expect(plan).not.toMatch(/TEMP B-TREE|SCAN/);
    const ledger = store.explainQuery('ledger', { where: { accountId: 'tmall:T1' }, orderBy: 'at', limit: 1000, cursor: null }).join('\n');
    expect(ledger).not.toMatch(/TEMP B-TREE|SCAN/);
  });

  // pinned where hand-made mutants of waiting.store.ts and the accounts' waiting upkeep went unnoticed
  it('shows a buyer known by phone by the first characters of its keyed hash, as its account holds it', async () => {
    await importOrders(services, 'jd', [order('J1', { phone: P1 })]);
    const [account] = (await services.dump('accounts')) as AccountDoc[];
    const key = /^buyer:jd-(.+)$/.exec(account!._id)![1]!;
    const { buyers } = await listWaitingBuyers(services, { limit: 10 });
    expect(buyers.map((b) => b.buyer)).toEqual([`phone ${key.slice(0, 8)}…`]);
  });

  it('flags a channel with no member even when records of a channel sorting after it are there (a WeChat consumer)', async () => {
    await boundConsumer(services, 'u1', '13912340002');
    await importOrders(services, 'tmall', [order('A1', { channelMemberId: 'T1' })]);
    const run = await cli('orders', 'waiting');
    expect(run.err).toMatch(/^tmall: 1 buyer waiting, 10 points; no tmall member is imported at all/m);
  });

  it('refuses as no cursor of its own one another listing gave (a number sorted by, a member id), listing nothing', async () => {
    await importOrders(services, 'tmall', [order('A1', { channelMemberId: 'T1' }), order('A2', { channelMemberId: 'T2' })]);
    for (const cursor of [encodeCursor({ value: 5, id: 'tmall:T1' }), encodeCursor({ value: '2026-11-23T02:00:00.000Z', id: 'm_000001' })]) {
      const run = await cli('orders', 'waiting', '--after', cursor);
      expect(run.failed).toBe(true);
      expect(run.err).toMatch(/--after takes the cursor an earlier orders waiting printed/);
      expect(run.out).toBe('');
    }
  });

  it('names no next page when the page fills at the end of a channel and no later channel has buyers waiting', async () => {
    await importOrders(services, 'tmall', [order('A1', { channelMemberId: 'T1' }), order('A2', { channelMemberId: 'T2' })]);
    const run = await cli('orders', 'waiting', '--limit', '2');
    expect(lines(run.out)).toHaveLength(2);
    expect(run.err).not.toMatch(/more:/);
    expect((await listWaitingBuyers(services, { limit: 2 })).nextCursor).toBeNull();
  });

  it('on a database of an earlier version, dates a buyer\'s wait by its first order recorded, not a later one', async () => {
    await importOrders(services, 'tmall', [order('A1', { channelMemberId: 'T1' })]);
    services.clock.advance(3 * 86_400_000);
    // paid before the first, recorded after it
    await importOrders(services, 'tmall', [{ ...order('A2', { channelMemberId: 'T1' }), paidAt: '2026-02-01 10:00:00' }]);
    const before = lines((await cli('orders', 'waiting')).out);
    expect(before.every((line) => line.endsWith('waiting since 2026-11-23 10:00:00 Beijing'))).toBe(true);
    const db = new Database(services.dbFile);
    db.prepare("UPDATE doc_accounts SET body = json_remove(body, '$.waitingChannel', '$.waitingSince'), f_waitingChannel = NULL, f_waitingSince = NULL").run();
    db.prepare("DELETE FROM doc_settings WHERE id = 'waitingMarked'").run();
    db.close();
    services.clock.advance(86_400_000);
    expect(lines((await cli('orders', 'waiting')).out)).toEqual(before);
  });
  it('keeps a phone buyer waiting since its first order when another channel\'s buyer of the same phone joins it', async () => {
    await importOrders(services, 'jd', [order('J1', { phone: P1 })]);
    services.clock.advance(86_400_000);
    await importOrders(services, 'tmall', [order('A1', { phone: P1 })]);
    const records = ((await services.dump('records')) as { _id: string; memberId: string }[]).filter((r) => r._id.startsWith('buyer:'));
    // one member of the two buyers, still waiting: no one holds the phone
    expect(records).toHaveLength(2);
    expect(records[0]!.memberId).toBe(records[1]!.memberId);
    const { buyers } = await listWaitingBuyers(services, { limit: 10 });
    expect(buyers.map((b) => [b.channel, b.since])).toEqual([
      ['tmall', '2026-11-24T02:00:00.000Z'],
      ['jd', '2026-11-23T02:00:00.000Z'],
    ]);
  });
  it('keeps each phone buyer waiting since its first order when an operator merges two members of buyers alone, and when the merge is undone', async () => {
    await importOrders(services, 'jd', [order('J1', { phone: P1 })]);
    services.clock.advance(86_400_000);
    await importOrders(services, 'jd', [order('J2', { phone: '13912340002' })]);
    services.clock.advance(86_400_000);
    const sinces = async () => (await listWaitingBuyers(services, { limit: 10 })).buyers.map((b) => b.since);
    const before = await sinces();
    expect(before).toEqual(['2026-11-23T02:00:00.000Z', '2026-11-24T02:00:00.000Z']);
    const [a, b] = ((await services.dump('records')) as { _id: string; memberId: string }[]).filter((r) => r._id.startsWith('buyer:')).map((r) => r.memberId);
    // a member may hold two phones here
    const roomier = reconfigured(services, (config) => { config.identity.limits.phone = 2; });
    const merge = await mergeMembers(roomier, a!, b!);
    expect(await sinces()).toEqual(before);
    services.clock.advance(86_400_000);
    await unmergeMembers(roomier, merge._id);
    expect(await sinces()).toEqual(before);
  });

  it('dates the wait by the first order recorded when more than 1,000 orders paid earlier were recorded after it', async () => {
    await importOrders(services, 'tmall', [{ orderId: 'FIRST', channelMemberId: 'T1', amountFen: 1000, paidAt: '2026-03-01 10:00:00' }]);
    services.clock.advance(3 * 86_400_000);
    // a later file of older orders of the same buyer: paid before the first, recorded after it
    const older = Array.from({ length: 1001 }, (_, i) => ({
      orderId: `OLD${String(i).padStart(4, '0')}`, channelMemberId: 'T1', amountFen: 100,
      paidAt: `2026-02-01 ${String(Math.floor(i / 60) % 24).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}:00`,
    }));
    await importOrders(services, 'tmall', older);
    const before = await cli('orders', 'waiting', '--limit', '1000');
    expect(sinces(before.out)).toEqual(new Set(['2026-11-23 10:00:00 Beijing']));

    // as an earlier version left it: the account unmarked, the listing never run
    const db = new Database(services.dbFile);
    db.prepare("UPDATE doc_accounts SET body = json_remove(body, '$.waitingChannel', '$.waitingSince'), f_waitingChannel = NULL, f_waitingSince = NULL").run();
    db.prepare("DELETE FROM doc_settings WHERE id = 'waitingMarked'").run();
    db.close();
    services.clock.advance(86_400_000);
    const after = await cli('orders', 'waiting', '--limit', '1000');
    expect(sinces(after.out)).toEqual(new Set(['2026-11-23 10:00:00 Beijing']));
  });
});
