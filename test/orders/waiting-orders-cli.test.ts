/**
 * `orders waiting`: the orders `import orders` keeps for buyers not imported yet (by channel member
 * id, or by phone alone), so an operator can see what waits, and a file imported under the wrong
 * --channel does not wait forever unnoticed. Listed as the other operator lists are (`--limit`,
 * `--after`, counts on stderr), off indexes.
 */
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import type { SqliteStore } from '../../cloudfunctions/core/store/sqlite';
import { importOrders } from '../codes/support';
import { runCliAt } from '../support/cli';
import { boundConsumer, importMembers, memberOk } from '../support/members';
import { openTestServices, type TestServices } from '../support/services';

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
});
