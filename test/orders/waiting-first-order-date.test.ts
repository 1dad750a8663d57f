/**
 * `orders waiting` on a database of an earlier version marks the accounts already waiting once,
 * dating each wait by the buyer's first order recorded. A buyer with more than a page of ledger
 * entries whose first order recorded was paid after the others must still be dated by that order.
 */
import Database from 'better-sqlite3';
import { importOrders } from '../codes/support';
import { runCliAt } from '../support/cli';
import { openTestServices, type TestServices } from '../support/services';

describe('orders waiting: an earlier version\'s wait dated by the first order recorded, past a page of entries', () => {
  let services: TestServices;
  beforeEach(() => { services = openTestServices('2026-11-23T02:00:00Z'); });
  afterEach(() => {
    process.exitCode = undefined;
    return services.close();
  });

  const cli = (...args: string[]) => runCliAt(services.clock, services.dbFile, ...args);
  const sinces = (out: string) => new Set(out.split('\n').filter(Boolean).map((line) => /waiting since (.+)$/.exec(line)![1]));

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
