import Database from 'better-sqlite3';
import fc from 'fast-check';
import { runs, timeoutFor } from '../support/property';
import { listWaitingBuyers, markEarlierWaiting } from '../../cloudfunctions/core/orders/waiting.store';
import { verifyPoints } from '../../cloudfunctions/core/points/verify.store';
import type { AccountDoc } from '../../cloudfunctions/core/points/types';
import { importOrders, makeBatch, redeem } from '../codes/support';
import { runCliAt } from '../support/cli';
import { boundConsumer, importMembers, memberOk } from '../support/members';
import { openTestServices, type TestServices } from '../support/services';

/**
 * Review 38: `points verify` checks each account's mark for `orders waiting` (`waitingChannel`,
 * `waitingSince`) against its rule: an account of an order channel of no member whose record was
 * never imported, or of a buyer known by phone alone whose member holds buyers alone, waits; no other
 * does. A missing mark is reported only once the database has been marked (the first listing marks
 * the accounts that waited before accounts were marked so): a database of an earlier version is
 * not broken for it. A mark where no one waits is reported either way.
 */
describe('points verify and the marks of orders waiting', () => {
  let s: TestServices;
  beforeEach(() => { s = openTestServices('2026-11-23T02:00:00Z'); });
  afterEach(() => {
    process.exitCode = undefined;
    return s.close();
  });

  const P1 = '13912340001';
  const P2 = '13912340002';
  const cli = (...args: string[]) => runCliAt(s.clock, s.dbFile, ...args);
  const problems = async () => (await verifyPoints(s)).details.map((d) => `${d.kind} ${d.id}: ${d.problem}`);
  const withDb = (fn: (db: Database.Database) => void) => {
    const db = new Database(s.dbFile);
    try {
      fn(db);
    } finally {
      db.close();
    }
  };
  const unmark = (where = '1') => withDb((db) => db.prepare(`UPDATE doc_accounts SET body = json_remove(body, '$.waitingChannel', '$.waitingSince'), f_waitingChannel = NULL, f_waitingSince = NULL WHERE ${where}`).run());
  const mark = (id: string, channel: string) => withDb((db) => db.prepare("UPDATE doc_accounts SET body = json_set(body, '$.waitingChannel', ?, '$.waitingSince', '2026-11-23T02:00:00.000Z'), f_waitingChannel = ?, f_waitingSince = '2026-11-23T02:00:00.000Z' WHERE id = ?").run(channel, channel, id));
  const forgetMarking = () => withDb((db) => db.prepare("DELETE FROM doc_settings WHERE id = 'waitingMarked'").run());

  /** Every kind of account: waiting by member id and by phone, credited, an erased card's, an erased consumer's WeChat account. */
  async function brand(): Promise<{ waiting: string[] }> {
    await importMembers(s, 'tmall', [{ channelMemberId: 'T2', phone: P2, points: 5 }]);
    await importOrders(s, 'tmall', [
      { orderId: 'A1', channelMemberId: 'T1', amountFen: 1000, paidAt: '2026-03-01 10:00:00' },
      { orderId: 'A2', channelMemberId: 'T2', amountFen: 1000, paidAt: '2026-03-01 10:00:00' },
    ]);
    await importOrders(s, 'jd', [{ orderId: 'J1', phone: P1, amountFen: 2000, paidAt: '2026-03-01 10:00:00' }]);
    // a consumer who bound T2's phone, scanned a code, and erased themselves with the card
    await boundConsumer(s, 'u1', P2);
    const { urls } = await makeBatch(s);
    expect(await redeem(s, 'u1', { q: encodeURIComponent(urls[0]!) })).toMatchObject({ ok: true });
    await memberOk(s, 'u1', { action: 'delete', confirm: true });
    const accounts = (await s.dump('accounts')) as AccountDoc[];
    expect(accounts.map((a) => a._id.split(':')[0]).sort()).toEqual(['buyer', 'tmall', 'tmall', 'wechat']);
    const waiting = accounts.filter((a) => a.waitingChannel).map((a) => a._id).sort();
    expect(waiting).toEqual([expect.stringMatching(/^buyer:jd-/), 'tmall:T1']);
    return { waiting };
  }

  it('a consistent database verifies clean, before its first listing and after it', async () => {
    await brand();
    expect(await problems()).toEqual([]);
    const listing = await cli('orders', 'waiting');
    expect(listing.failed).toBe(false);
    expect(await s.store.get('settings', 'waitingMarked')).not.toBeNull();
    const run = await cli('points', 'verify');
    expect(run.out).toMatch(/: no differences\n$/);
    expect(process.exitCode).toBeUndefined();
  });

  it('once marked, a mark taken off by hand is reported, and so is one added, as verify reports the others (exit 1, --all streams them)', async () => {
    const { waiting } = await brand();
    await markEarlierWaiting(s);
    unmark("id = 'tmall:T1'");
    mark('tmall:T2', 'tmall');
    mark(waiting[0]!, 'tmall');
    const run = await cli('points', 'verify');
    expect(run.failed).toBe(false);
    expect(process.exitCode).toBe(1);
    expect(run.out).toMatch(/: 3 differences\n/);
    const lines = run.out.split('\n').filter((l) => l.startsWith('  ')).sort();
    expect(lines).toEqual([
      expect.stringMatching(new RegExp(`^ {2}waiting ${waiting[0]!.replace(/[+]/g, '\\+')}: waits for its buyer, marked waitingChannel tmall .* where its channel is jd`)),
      '  waiting tmall:T1: waits for its buyer (of no member, its record never imported), but has no waitingChannel mark: orders waiting does not list it',
      '  waiting tmall:T2: marked waitingChannel tmall, but waits for no buyer: orders waiting lists it',
    ]);
    process.exitCode = undefined;
    const all = await cli('points', 'verify', '--all');
    expect(all.out.split('\n').filter((l) => l.startsWith('  ')).sort()).toEqual(lines);
    // the account the listing shows by mistake is the one verify names
    expect((await listWaitingBuyers(s, { limit: 100 })).buyers.map((b) => b.accountId)).toContain('tmall:T2');
  });

  it('a database of an earlier version (no account marked, no listing yet) is not reported; its first listing marks it, and it verifies clean', async () => {
    await brand();
    unmark();
    forgetMarking();
    expect(await problems()).toEqual([]);
    expect((await cli('orders', 'waiting')).failed).toBe(false);
    expect(await problems()).toEqual([]);
    // marked since: a mark taken off now is a difference
    unmark("id = 'tmall:T1'");
    expect(await problems()).toEqual(['waiting tmall:T1: waits for its buyer (of no member, its record never imported), but has no waitingChannel mark: orders waiting does not list it']);
  });

  it('a mark where no one waits is reported on a database not marked yet too: the listing would show it', async () => {
    await brand();
    forgetMarking();
    const wechat = ((await s.dump('accounts')) as AccountDoc[]).find((a) => a._id.startsWith('wechat:'))!._id;
    mark('tmall:T2', 'tmall');
    mark(wechat, 'wechat');
    expect((await problems()).sort()).toEqual([
      'waiting tmall:T2: marked waitingChannel tmall, but waits for no buyer: orders waiting lists it',
      `waiting ${wechat}: marked waitingChannel wechat, but waits for no buyer`,
    ]);
  });

  it('half a mark (a channel without its time, a time without its channel) is reported, on a database not marked yet too', async () => {
    const { waiting } = await brand();
    forgetMarking();
    const half = (id: string, field: 'waitingChannel' | 'waitingSince', value: string) => withDb((db) => db.prepare(
      `UPDATE doc_accounts SET body = json_set(json_remove(body, '$.waitingChannel', '$.waitingSince'), '$.${field}', ?), f_waitingChannel = ?, f_waitingSince = ? WHERE id = ?`,
    ).run(value, field === 'waitingChannel' ? value : null, field === 'waitingSince' ? value : null, id));
    const since = '2026-11-23T02:00:00.000Z';
    half('tmall:T1', 'waitingChannel', 'tmall');
    half(waiting[0]!, 'waitingSince', since);
    half('tmall:T2', 'waitingSince', since);
    expect((await problems()).sort()).toEqual([
      `waiting ${waiting[0]!}: waits for its buyer, marked waitingChannel undefined and waitingSince ${since}, where its channel is jd and waitingSince a time`,
      'waiting tmall:T1: waits for its buyer, marked waitingChannel tmall and waitingSince undefined, where its channel is tmall and waitingSince a time',
      expect.stringMatching(/^waiting tmall:T2: marked waitingChannel undefined, but waits for no buyer/),
    ]);
  });

  it('a time without its channel on an account no one waits on is reported without saying orders waiting lists it, which it does not', async () => {
    await brand();
    const since = '2026-11-23T02:00:00.000Z';
    withDb((db) => db.prepare("UPDATE doc_accounts SET body = json_set(json_remove(body, '$.waitingChannel'), '$.waitingSince', ?), f_waitingChannel = NULL, f_waitingSince = ? WHERE id = 'tmall:T2'").run(since, since));
    expect((await listWaitingBuyers(s, { limit: 100 })).buyers.map((b) => b.accountId)).not.toContain('tmall:T2');
    expect(await problems()).toEqual(['waiting tmall:T2: marked waitingChannel undefined, but waits for no buyer']);
    // one with its channel is listed, and said to be
    mark('tmall:T2', 'tmall');
    expect((await listWaitingBuyers(s, { limit: 100 })).buyers.map((b) => b.accountId)).toContain('tmall:T2');
    expect(await problems()).toEqual(['waiting tmall:T2: marked waitingChannel tmall, but waits for no buyer: orders waiting lists it']);
  });

  it('property: whatever identity and orders did, verify finds no mark differences, and finds exactly the marks then taken off', async () => {
    type Op =
      | { kind: 'members'; channel: 'tmall' | 'jd'; id: string; phone?: string }
      | { kind: 'order'; channel: 'tmall' | 'jd'; id?: string; phone?: string }
      | { kind: 'bind'; u: string; phone: string }
      | { kind: 'erase'; u: string };
    const phones = ['13011110001', '13011110002'];
    const optional = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ kind: fc.constant('members' as const), channel: fc.constantFrom('tmall' as const, 'jd' as const), id: fc.constantFrom('M1', 'M2'), phone: optional(fc.constantFrom(...phones)) }),
      fc.record({ kind: fc.constant('order' as const), channel: fc.constantFrom('tmall' as const, 'jd' as const), id: optional(fc.constantFrom('M1', 'M2', 'M3')), phone: optional(fc.constantFrom(...phones)) }),
      fc.record({ kind: fc.constant('bind' as const), u: fc.constantFrom('u1', 'u2'), phone: fc.constantFrom(...phones) }),
      fc.record({ kind: fc.constant('erase' as const), u: fc.constantFrom('u1', 'u2') }),
    );
    let n = 0;
    await fc.assert(fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 8 }), fc.boolean(), async (steps, listFirst) => {
      const w = openTestServices('2026-11-23T02:00:00Z');
      try {
        for (const step of steps) {
          w.clock.advance(60_000);
          if (step.kind === 'members') await importMembers(w, step.channel, [{ channelMemberId: step.id, phone: step.phone }]);
          else if (step.kind === 'order') {
            if (!step.id && !step.phone) continue;
            await importOrders(w, step.channel, [{ orderId: `O${++n}`, channelMemberId: step.id, phone: step.phone, amountFen: 1000, paidAt: '2026-03-01 10:00:00' }]);
          } else if (step.kind === 'bind') await boundConsumer(w, step.u, step.phone).catch(() => undefined);
          else await memberOk(w, step.u, { action: 'delete', confirm: true }).catch(() => undefined);
        }
        if (listFirst) await markEarlierWaiting(w);
        expect((await verifyPoints(w)).details).toEqual([]);
        const waiting = ((await w.dump('accounts')) as AccountDoc[]).filter((a) => a.waitingChannel).map((a) => a._id).sort();
        const db = new Database(w.dbFile);
        db.prepare("UPDATE doc_accounts SET body = json_remove(body, '$.waitingChannel', '$.waitingSince'), f_waitingChannel = NULL, f_waitingSince = NULL").run();
        db.close();
        const reported = (await verifyPoints(w)).details.map((d) => `${d.kind} ${d.id}`).sort();
        expect(reported).toEqual(listFirst ? waiting.map((id) => `waiting ${id}`) : []);
      } finally {
        await w.close();
      }
    }), { numRuns: runs(25, 'VERIFY_WAITING_RUNS') });
  }, timeoutFor(300_000, 25, 'VERIFY_WAITING_RUNS'));
});
