import type { AccountDoc } from '../../cloudfunctions/core/points/types';
import { makeBatch, redeem } from '../codes/support';
import { runCliAt } from '../support/cli';
import { boundConsumer, memberOk } from '../support/members';
import { openTestServices, type TestServices } from '../support/services';

/**
 * Review 38: the first `orders waiting` on a database marks the accounts that waited for a buyer
 * before accounts were marked so: accounts of order channels alone. A consumer who scanned codes
 * (points on their WeChat record's account) and then erased themselves leaves an account of no
 * member whose record is gone: it waits for no order, and the listing writes nothing on it.
 */
describe('orders waiting marks no account of an erased consumer', () => {
  let s: TestServices;
  beforeEach(() => { s = openTestServices(); });
  afterEach(() => {
    process.exitCode = undefined;
    return s.close();
  });

  it('leaves the WeChat account of a consumer who scanned and erased themselves as it was', async () => {
    await boundConsumer(s, 'u1', '13912340001');
    const { urls } = await makeBatch(s);
    expect(await redeem(s, 'u1', { q: encodeURIComponent(urls[0]!) })).toMatchObject({ ok: true });
    await memberOk(s, 'u1', { action: 'delete', confirm: true });
    const before = (await s.dump('accounts')) as AccountDoc[];
    expect(before.map((a) => [a._id.split(':')[0], a.memberId])).toEqual([['wechat', null]]);

    const run = await runCliAt(s.clock, s.dbFile, 'orders', 'waiting');
    expect(run.failed).toBe(false);
    expect(run.err).toMatch(/no orders waiting for their buyer/);
    expect(await s.dump('accounts')).toEqual(before);
  });
});
