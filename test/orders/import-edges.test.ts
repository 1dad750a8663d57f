/**
 * Order rows and imports at boundaries a second round of hand-made mutants of orders/parse.ts and
 * orders/import.store.ts showed the suite let pass: the largest amount a row may carry, a refund
 * dated ahead, the time a refund is recorded when the file gives none, and which row wins when a
 * file gives one order to two buyers with the second buyer's rows starting earlier.
 */
import { parseOrderRow } from '../../cloudfunctions/core/orders/parse';
import { entry, seedMember } from '../points/support';
import { openTestServices, type TestServices } from '../support/services';
import { importOrders } from '../codes/support';
import { importOrdersFile } from '../../cloudfunctions/core/orders/import.store';
import { writeRows } from '../support/members';

const now = '2026-11-23T02:00:00.000Z';
const row = { orderId: 'O1', channelMemberId: 'T1', amountFen: '12550', status: 'paid', paidAt: '2026-11-01 10:00:00' };

describe('order rows', () => {
  test('an amount of exactly 10^13 fen is read; one fen more is not', () => {
    expect(parseOrderRow({ ...row, amountFen: '10000000000000' }, now).order?.amountFen).toBe(10_000_000_000_000);
    expect(parseOrderRow({ ...row, amountFen: '10000000000001' }, now)).toEqual({ reject: 'amount_invalid' });
    expect(parseOrderRow({ ...row, amountFen: '10000000000000', refundFen: '10000000000000' }, now).order?.refundFen).toBe(10_000_000_000_000);
  });

  test('a refund dated more than a day ahead of the import is refused; exactly a day ahead is taken', () => {
    const refunded = { ...row, status: 'refunded' };
    expect(parseOrderRow({ ...refunded, refundedAt: '2026-11-24 10:00:00.001' }, now)).toEqual({ reject: 'refunded_at_in_future' });
    expect(parseOrderRow({ ...refunded, refundedAt: '2026-11-24 10:00:00' }, now).order?.refundedAt).toBe('2026-11-24T02:00:00.000Z');
  });
});

describe('import orders', () => {
  let services: TestServices;
  beforeEach(() => { services = openTestServices(now); });
  afterEach(() => services.close());

  test('refuses to import orders as WeChat\'s, whose records are the mini-program\'s own, writing nothing', async () => {
    const file = writeRows([{ orderId: 'W1', channelMemberId: 'o1', amountFen: 1000, paidAt: '2026-03-01 10:00:00' }]);
    await expect(importOrdersFile(services, { channel: 'wechat', file, rejectsFile: `${file}.rejects.jsonl` })).rejects.toThrow(/not wechat/);
    expect(await services.dump('ledger')).toEqual([]);
  });

  test('a refund the file does not date is recorded at the import, not at the payment', async () => {
    await seedMember(services, 'm1', ['tmall:T1']);
    await importOrders(services, 'tmall', [{ orderId: 'R1', channelMemberId: 'T1', amountFen: 10000, status: 'refunded', refundFen: 4000, paidAt: '2026-03-01 10:00:00' }]);
    expect(await entry(services, 'refund:tmall:R1')).toMatchObject({ at: now, points: -40 });
    expect(await entry(services, 'order:tmall:R1')).toMatchObject({ at: '2026-03-01T02:00:00.000Z' });
  });

  test('one order given to two buyers: the earlier line wins, even when the later line\'s buyer is imported first', async () => {
    await seedMember(services, 'm1', ['tmall:T1']);
    await seedMember(services, 'm2', ['tmall:T2']);
    // the import takes buyers in the order of their keys' hashes: T2's rows before T1's
    const summary = await importOrders(services, 'tmall', [
      { orderId: 'X1', channelMemberId: 'T1', amountFen: 10000, paidAt: '2026-03-01 10:00:00' },
      { orderId: 'Y1', channelMemberId: 'T2', amountFen: 1000, paidAt: '2026-03-01 10:00:00' },
      { orderId: 'X1', channelMemberId: 'T2', amountFen: 10000, paidAt: '2026-03-01 10:00:00' },
    ]);
    expect(summary).toMatchObject({ credited: 2, rejected: 1, reasons: { order_changed: 1 } });
    expect(await entry(services, 'order:tmall:X1')).toMatchObject({ accountId: 'tmall:T1', points: 100 });
    expect(await entry(services, 'order:tmall:Y1')).toMatchObject({ accountId: 'tmall:T2', points: 10 });
  });
});
