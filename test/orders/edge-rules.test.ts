/**
 * Order rows and order imports at their boundaries, each a slip that hand-made mutants of
 * orders/parse.ts and orders/import.store.ts showed the suite let pass: the last accepted
 * instant of a future payment, a refunded status with nothing refunded, a malformed buyer id,
 * a lot due at the very instant of its import, two refunds of one order in one file, and growth past the ledger's limit.
 */
import { parseOrderRow } from '../../cloudfunctions/core/orders/parse';
import { entry } from '../points/support';
import { openTestServices, type TestServices } from '../support/services';
import { importOrders } from '../codes/support';

const now = '2026-11-23T02:00:00.000Z';
const row = { orderId: 'O1', channelMemberId: 'T1', amountFen: '12550', status: 'paid', paidAt: '2026-11-01 10:00:00' };

describe('order rows', () => {
  test('a payment dated exactly a day ahead of the import is accepted (a clock a little off); a millisecond more is not', () => {
    // now is 10:00 on 23 November in Beijing
    expect(parseOrderRow({ ...row, paidAt: '2026-11-24 10:00:00' }, now).order?.paidAt).toBe('2026-11-24T02:00:00.000Z');
    expect(parseOrderRow({ ...row, paidAt: '2026-11-24 10:00:00.001' }, now)).toEqual({ reject: 'paid_at_in_future' });
  });

  test('a row marked refunded whose refundFen is 0 is refused, not imported as a paid order', () => {
    expect(parseOrderRow({ ...row, status: 'refunded', refundFen: '0' }, now)).toEqual({ reject: 'refund_invalid' });
    expect(parseOrderRow({ ...row, status: 'paid', refundFen: '0' }, now).order?.refundFen).toBe(0);
  });

  test.each(['T 1', '-T1', 'T1/2', 'T'.repeat(65)])('a buyer membership id shaped as no channel accepts (%s) is refused', (id) => {
    expect(parseOrderRow({ ...row, channelMemberId: id }, now)).toEqual({ reject: 'channel_member_id_invalid' });
  });
});

describe('import orders', () => {
  let services: TestServices;
  afterEach(() => services.close());

  test('an order whose points fall due at the very instant of the import counts as expired on arrival', async () => {
    // paid in 2026: its points expire at 23:59:59 Beijing on 31 December 2027
    services = openTestServices('2027-12-31T15:59:59.000Z');
    const summary = await importOrders(services, 'tmall', [{ orderId: 'E1', channelMemberId: 'T1', amountFen: 30000, status: 'paid', paidAt: '2026-03-01 10:00:00' }]);
    expect(summary).toMatchObject({ credited: 1, points: 300, expiredPoints: 300 });
    expect((await entry(services, 'order:tmall:E1'))?.lot).toMatchObject({ expiresAt: '2027-12-31T15:59:59.000Z' });
  });

  test('one order given two different refunds in one file: the earlier line stands, the later is refused as refund_changed', async () => {
    services = openTestServices();
    const paid = { orderId: 'D1', channelMemberId: 'T1', amountFen: 10000, status: 'paid', paidAt: '2026-11-01 10:00:00' };
    const summary = await importOrders(services, 'tmall', [{ ...paid, refundFen: 5000 }, { ...paid, refundFen: 3000 }]);
    expect(summary).toMatchObject({ read: 2, credited: 1, refunded: 1, unchanged: 0, rejected: 1, reasons: { refund_changed: 1 }, reversedPoints: 50 });
  });

  test('an order whose growth (at the brand\'s rate) is past the ledger\'s limit is refused alone; the rest of the file imports', async () => {
    const defaults = openTestServices();
    const points = defaults.config.points;
    await defaults.close();
    // growth at twice the points: 600 million yuan earns 600 million points, 1.2 billion growth
    services = openTestServices(undefined, { points: { ...points, earn: { default: { pointsPerYuan: 1, growthPerYuan: 2 }, channels: {} } } });
    const summary = await importOrders(services, 'tmall', [
      { orderId: 'BIG', channelMemberId: 'T1', amountFen: 60_000_000_000, status: 'paid', paidAt: '2026-11-01 10:00:00' },
      { orderId: 'OK1', channelMemberId: 'T1', amountFen: 10000, status: 'paid', paidAt: '2026-11-01 10:00:00' },
    ]);
    expect(summary).toMatchObject({ read: 2, credited: 1, rejected: 1, reasons: { amount_invalid: 1 }, points: 100 });
    expect(await entry(services, 'order:tmall:BIG')).toBeNull();
  });
});
