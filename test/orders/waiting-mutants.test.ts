/**
 * `orders waiting`, pinned where hand-made mutants of waiting.store.ts and the accounts' waiting
 * upkeep (points/accounts.store.ts) went unnoticed: the hash a phone buyer is shown by, a channel
 * flagged as having no member, cursors of other listings, the last page, and the date a buyer's
 * wait began.
 */
import Database from 'better-sqlite3';
import { mergeMembers, unmergeMembers } from '../../cloudfunctions/core/identity/operator';
import { listWaitingBuyers } from '../../cloudfunctions/core/orders/waiting.store';
import type { AccountDoc } from '../../cloudfunctions/core/points/types';
import { encodeCursor } from '../../cloudfunctions/core/store/cursor';
import { importOrders } from '../codes/support';
import { runCliAt } from '../support/cli';
import { boundConsumer } from '../support/members';
import { openTestServices, reconfigured, type TestServices } from '../support/services';

const P1 = '13912340001';

describe('orders waiting: what mutants of its upkeep left unnoticed', () => {
  let services: TestServices;
  beforeEach(() => { services = openTestServices('2026-11-23T02:00:00Z'); });
  afterEach(() => {
    process.exitCode = undefined;
    return services.close();
  });

  const cli = (...args: string[]) => runCliAt(services.clock, services.dbFile, ...args);
  const lines = (out: string) => out.split('\n').filter(Boolean);
  const order = (orderId: string, buyer: { channelMemberId: string } | { phone: string }) => ({ orderId, ...buyer, amountFen: 1000, paidAt: '2026-03-01 10:00:00' });

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
});
