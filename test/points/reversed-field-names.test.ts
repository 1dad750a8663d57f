/**
 * `accounts.reversed` names each refunded credit. An order id may hold `.` (orders/parse.ts), which
 * CloudBase reads as a path in a field name (test/store/cloudbase-field-names.test.ts): the names
 * are stored with `#` for `.`, and accounts written before, with the credit's own key, still
 * verify, count their earlier refunds, and are rewritten in the stored form.
 */
import { postEarn, postReverse } from '../../cloudfunctions/core/points/ledger';
import { verifyPoints } from '../../cloudfunctions/core/points/verify.store';
import { importOrders } from '../codes/support';
import { runCliAt } from '../support/cli';
import { openTestServices, type TestServices } from '../support/services';
import { account, seedMember, source } from './support';

const dotted = (names: string[]) => names.filter((name) => name.includes('.') || name.startsWith('$'));

describe('refunded credits in accounts.reversed', () => {
  let services: TestServices;
  beforeEach(() => { services = openTestServices('2026-11-23T02:00:00Z'); });
  afterEach(() => services.close());

  test('an imported order whose id holds dots, refunded, leaves no dotted field name, and verifies', async () => {
    const summary = await importOrders(services, 'tmall', [
      { orderId: 'TB.2026.001', channelMemberId: 'T1', amountFen: 10000, refundFen: 4000, status: 'refunded', paidAt: '2026-11-01 10:00:00' },
    ]);
    expect(summary).toMatchObject({ credited: 1, refunded: 1, reversedPoints: 40 });
    const stored = (await account(services, 'tmall:T1'))!;
    expect(dotted(Object.keys(stored.reversed))).toEqual([]);
    expect(stored.reversed).toEqual({ 'order:tmall:TB#2026#001': { points: 40, growth: 40 } });
    await expect(verifyPoints(services)).resolves.toMatchObject({ differences: 0 });
  });

  test('an account written with the credit\'s own key still verifies, counts that refund, and is rewritten in the stored form', async () => {
    await seedMember(services, 'm1', ['tmall:T1']);
    const at = '2026-03-01T04:00:00.000Z';
    await services.store.transaction((tx) => postEarn(tx, services, { key: 'order:tmall:A.1', accountId: 'tmall:T1', points: 100, growth: 100, at, source: source('A.1') }));
    await services.store.transaction((tx) => postEarn(tx, services, { key: 'order:tmall:B.2', accountId: 'tmall:T1', points: 50, growth: 50, at, source: source('B.2') }));
    const refund = (key: string, of: string, points: number) => services.store.transaction((tx) =>
      postReverse(tx, services, { key, of, points, growth: points, at: '2026-04-01T00:00:00.000Z', source: source(of) }));
    await refund('refund:tmall:A.1:1', 'order:tmall:A.1', 30);
    await refund('refund:tmall:B.2:1', 'order:tmall:B.2', 5);
    // as a database written before the stored names kept them
    const current = (await account(services, 'tmall:T1'))!;
    await services.store.transaction((tx) => tx.set('accounts', {
      ...current, reversed: { 'order:tmall:A.1': { points: 30, growth: 30 }, 'order:tmall:B.2': { points: 5, growth: 5 } },
    }));

    await expect(verifyPoints(services)).resolves.toMatchObject({ differences: 0 });
    const cli = await runCliAt(services.clock, services.dbFile, 'points', 'verify');
    expect(cli).toMatchObject({ failed: false, out: expect.stringMatching(/no differences/) });

    // the credit has 70 left to take back, whatever name its first refund was kept under
    const second = await refund('refund:tmall:A.1:2', 'order:tmall:A.1', 100);
    expect(second.entry.points).toBe(-70);
    expect((await account(services, 'tmall:T1'))!.reversed).toEqual({
      'order:tmall:A#1': { points: 100, growth: 100 }, 'order:tmall:B#2': { points: 5, growth: 5 },
    });
    await expect(verifyPoints(services)).resolves.toMatchObject({ differences: 0 });
  });
});
