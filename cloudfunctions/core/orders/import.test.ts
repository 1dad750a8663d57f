import { existsSync, readFileSync } from 'node:fs';
import { account, balance, entry, pointsState, seedMember } from '../../../test/points/support';
import { openTestServices, type TestServices } from '../../../test/support/services';
import { tempDir } from '../../../test/support/temp';
import { syncMemberAccounts } from '../points/accounts.store';
import { expirePoints } from '../points/expire.store';
import { postEarn, postRedeem } from '../points/ledger';
import { verifyPoints } from '../points/verify.store';
import { countingStore } from '../../../test/codes/counting-store';
import { importMembers } from '../../../test/support/members';
import { importOrdersFile } from './import.store';

describe('import orders', () => {
  let services: TestServices;
  let temp: ReturnType<typeof tempDir>;
  beforeEach(async () => {
    services = openTestServices('2026-11-23T02:00:00Z');
    temp = tempDir();
    await seedMember(services, 'm1', ['tmall:T1']);
    await seedMember(services, 'm2', ['tmall:T2']);
  });
  afterEach(async () => {
    await services.close();
    temp.cleanup();
  });

  const write = (name: string, text: string) => temp.write(name, text);
  const importFile = (file: string, channel = 'tmall', batchSize = 2) =>
    importOrdersFile(services, { channel, file, rejectsFile: `${file}.rejects.jsonl`, batchSize });

  const CSV = [
    'orderId,channelMemberId,amount,amountFen,status,refundFen,paidAt,storeId,phone',
    'A1,T1,125.50,,paid,,2026-03-01 10:00:00,S1',
    'A2,T1,,5000,refunded,,2026-04-01 10:00:00,',
    'A3,T2,,20000,paid,5050,2026-05-01T10:00:00+08:00,',
    'A1,T1,125.50,,paid,,2026-03-01 10:00:00,S1',
    'A4,,,1000,paid,,2026-04-01,',
    'A5,,,1000,paid,,2026-04-01,,13812345678',
    'A6,T2,abc,,paid,,2026-04-01,',
    'A7,T9,300,,paid,,2026-06-01,',
    '"A8,T1,1,paid',
    '',
  ].join('\n');

  it('imports a buyer\'s orders together wherever they are in the file: one account write per buyer and batch, same totals', async () => {
    const rows = Array.from({ length: 12 }, (_, i) => `B${i},${i % 2 ? 'T1' : 'T2'},,${(i + 1) * 100},paid,,2026-03-01 10:00:00,`);
    const file = write('interleaved.csv', ['orderId,channelMemberId,amount,amountFen,status,refundFen,paidAt,storeId', ...rows, ''].join('\n'));
    const store = countingStore(services.store);
    const summary = await importOrdersFile({ ...services, store }, { channel: 'tmall', file, rejectsFile: `${file}.rejects.jsonl`, batchSize: 6 });
    expect(summary).toMatchObject({ read: 12, credited: 12, rejected: 0 });
    // T1's six orders in one batch, T2's in the other: each account and balance written once
    expect(store.counts.detail).toMatchObject({ 'tx.set accounts': 2, 'tx.set balances': 2, 'tx.create ledger': 12 });
    expect(await balance(services, 'm1')).toMatchObject({ points: 2 + 4 + 6 + 8 + 10 + 12 });
    expect(await balance(services, 'm2')).toMatchObject({ points: 1 + 3 + 5 + 7 + 9 + 11 });
    expect((await verifyPoints(services)).differences).toBe(0);
  });

  it.each([['T1', 'T2'], ['T2', 'T1']])('an order given to two buyers in one file: the earlier line stands (%s before %s)', async (first, second) => {
    const file = write('twice.csv', [
      'orderId,channelMemberId,amountFen,paidAt',
      `X1,${first},100,2026-03-01`,
      'Y1,T1,300,2026-03-01',
      `X1,${second},200,2026-03-01`,
      'Y2,T2,300,2026-03-01',
      '',
    ].join('\n'));
    const summary = await importFile(file, 'tmall', 1);
    expect(summary).toMatchObject({ credited: 3, rejected: 1, reasons: { order_changed: 1 } });
    expect(await entry(services, 'order:tmall:X1')).toMatchObject({ accountId: `tmall:${first}`, points: 1 });
    expect(JSON.parse(readFileSync(summary.rejectsFile!, 'utf8'))).toMatchObject({ line: 4, reason: 'order_changed', orderId: 'X1' });
  });

  it('earns once per order at its paidAt, reverses refunds, and rejects rows with reasons', async () => {
    const file = write('orders.csv', CSV);
    const summary = await importFile(file);
    // waiting: A7 (Tmall member T9 not imported) and A5 (a phone no one holds yet)
    expect(summary).toMatchObject({ read: 9, credited: 5, refunded: 2, unchanged: 1, pending: 2, rejected: 3, points: 125 + 50 + 200 + 10 + 300, reversedPoints: 50 + 50 });
    expect(summary.reasons).toEqual({ buyer_missing: 1, amount_invalid: 1, malformed_line: 1 });
    const rejects = readFileSync(summary.rejectsFile!, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { reason: string; orderId?: string });
    expect(rejects.map((r) => [r.orderId ?? null, r.reason])).toEqual([['A4', 'buyer_missing'], ['A6', 'amount_invalid'], [null, 'malformed_line']]);

    expect(await entry(services, 'order:tmall:A1')).toMatchObject({ points: 125, growth: 125, at: '2026-03-01T02:00:00.000Z', source: { channel: 'tmall', ref: 'A1', detail: { amountFen: 12550, storeId: 'S1' } } });
    expect(await entry(services, 'refund:tmall:A3')).toMatchObject({ kind: 'reverse', of: 'order:tmall:A3', points: -50, growth: -50 });
    expect(await balance(services, 'm1')).toMatchObject({ points: 125, growth: 125 });
    expect(await balance(services, 'm2')).toMatchObject({ points: 150, growth: 150 });
    expect((await verifyPoints(services)).differences).toBe(0);
  });

  it('changes nothing when the same file is imported again, in other batch sizes', async () => {
    const file = write('orders.csv', CSV);
    await importFile(file);
    const before = await pointsState(services);
    services.clock.advance(86_400_000);
    const again = await importFile(file, 'tmall', 1000);
    expect(again).toMatchObject({ read: 9, credited: 0, refunded: 0, unchanged: 6, rejected: 3, points: 0 });
    expect(await pointsState(services)).toEqual(before);
  });

  it('rejects an order whose content changed since it was imported, and a changed refund', async () => {
    await importFile(write('a.csv', 'orderId,channelMemberId,amountFen,status,refundFen,paidAt\nB1,T1,10000,paid,,2026-03-01\nB2,T1,10000,paid,2000,2026-03-01\n'));
    const before = await pointsState(services);
    const changed = await importFile(write('b.csv', 'orderId,channelMemberId,amountFen,status,refundFen,paidAt\nB1,T1,20000,paid,,2026-03-01\nB2,T1,10000,refunded,,2026-03-01\n'));
    expect(changed.reasons).toEqual({ order_changed: 1, refund_changed: 1 });
    expect(await pointsState(services)).toEqual(before);
  });

  it('an order imported before the earn rate changed is still the same order: unchanged on re-import, refunded at the rate it earned', async () => {
    const paid = write('paid.csv', 'orderId,channelMemberId,amountFen,paidAt\nK1,T1,10000,2026-03-01\nK2,T1,10000,2026-03-01\n');
    await importFile(paid);
    expect(await balance(services, 'm1')).toMatchObject({ points: 200, growth: 200 });
    // the brand doubles Tmall points from now on
    services.config.points.earn.channels.tmall = { pointsPerYuan: 2, growthPerYuan: 2 };
    const before = await pointsState(services);
    expect(await importFile(paid)).toMatchObject({ read: 2, unchanged: 2, rejected: 0 });
    expect(await pointsState(services)).toEqual(before);
    // half of K1 refunded: the 50 points and 50 growth those 50 yuan earned, not 100
    const refund = write('refund.csv', 'orderId,channelMemberId,amountFen,status,refundFen,paidAt\nK1,T1,10000,refunded,5000,2026-03-01\n');
    expect(await importFile(refund)).toMatchObject({ refunded: 1, rejected: 0, reversedPoints: 50 });
    expect(await balance(services, 'm1')).toMatchObject({ points: 150, growth: 150 });
    // the rate changes again: the same files are still the same orders and the same refund
    services.config.points.earn.channels.tmall = { pointsPerYuan: 3, growthPerYuan: 1 };
    const refunded = await pointsState(services);
    expect(await importFile(refund)).toMatchObject({ unchanged: 1, rejected: 0 });
    expect(await importFile(paid)).toMatchObject({ unchanged: 2, rejected: 0 });
    expect(await pointsState(services)).toEqual(refunded);
    // what did change is still refused
    const changed = await importFile(write('changed.csv', 'orderId,channelMemberId,amountFen,status,refundFen,paidAt\nK1,T1,10000,refunded,6000,2026-03-01\nK2,T1,20000,paid,,2026-03-01\n'));
    expect(changed.reasons).toEqual({ order_changed: 1, refund_changed: 1 });
    expect(await pointsState(services)).toEqual(refunded);
    expect((await verifyPoints(services)).differences).toBe(0);
  });

  it('counts apart the points of orders that expired as they entered (paid before the end of the year before last)', async () => {
    const file = write('old.csv', 'orderId,channelMemberId,amountFen,paidAt\nOLD1,T1,10000,2024-03-01\nNEW1,T1,5000,2026-03-01\n');
    expect(await importFile(file)).toMatchObject({ credited: 2, points: 150, expiredPoints: 100 });
    expect(await balance(services, 'm1')).toMatchObject({ points: 50, growth: 150 });
    expect(await importFile(file)).toMatchObject({ credited: 0, unchanged: 2, points: 0, expiredPoints: 0 });
  });

  it('an order whose points expired before it was imported repays nothing owed: the result does not depend on which file came first', async () => {
    const spend = (s: TestServices) => s.store.transaction((tx) => postRedeem(tx, s, { key: 'redeem:r1', memberId: 'm1', points: 100, at: '2026-11-23T02:00:00Z', source: { channel: 'reward', ref: 'cup' } }));
    const recent = 'orderId,channelMemberId,amountFen,status,paidAt\nN1,T1,10000,paid,2026-11-01\n';
    const refund = 'orderId,channelMemberId,amountFen,status,paidAt\nN1,T1,10000,refunded,2026-11-01\n';
    // paid in 2024: its points expired at the end of 2025, a year before this import
    const old = 'orderId,channelMemberId,amountFen,status,paidAt\nOLD1,T1,10000,paid,2024-03-01\n';
    const outcome = async (files: string[]) => {
      const other = openTestServices('2026-11-23T02:00:00Z');
      try {
        await seedMember(other, 'm1', ['tmall:T1']);
        for (const [i, text] of files.entries()) {
          const file = write(`f${i}-${files.length}-${files.indexOf(old)}.csv`, text);
          await importOrdersFile(other, { channel: 'tmall', file, rejectsFile: `${file}.rejects.jsonl` });
          if (text === recent) await spend(other);
        }
        expect((await verifyPoints(other)).differences).toBe(0);
        return await balance(other, 'm1');
      } finally {
        await other.close();
      }
    };
    const oldFirst = await outcome([old, recent, refund]);
    expect(oldFirst).toMatchObject({ points: -100, owed: 100, growth: 100 });
    expect(await outcome([recent, refund, old])).toEqual(oldFirst);
  });

  it('a row rejected as changed writes nothing, not even a buyer record for its phone', async () => {
    await importFile(write('a.csv', 'orderId,phone,amountFen,paidAt\nF1,13912345678,10000,2026-03-01\n'));
    const identity = async () => ({ records: await services.dump('records'), members: await services.dump('members'), identifiers: await services.dump('identifiers') });
    const before = { ...(await pointsState(services)), ...(await identity()) };
    const changed = await importFile(write('b.csv', 'orderId,phone,amountFen,paidAt\nF1,13712345678,10000,2026-03-01\n'));
    expect(changed).toMatchObject({ rejected: 1, reasons: { order_changed: 1 } });
    expect({ ...(await pointsState(services)), ...(await identity()) }).toEqual(before);
  });

  it('rejects an order whose only buyer is a blocked placeholder phone or a phone set aside as shared, writing nothing for it', async () => {
    const identity = async () => ({ records: await services.dump('records'), members: await services.dump('members'), identifiers: await services.dump('identifiers') });
    const before = { ...(await pointsState(services)), ...(await identity()) };
    // the placeholder a store types for walk-in customers, in any spelling
    const placeholder = await importFile(write('walk-in.csv', 'orderId,phone,amountFen,paidAt\nW1,+86 138-0013-8000,10000,2026-03-01\nW2,13800138000,500,2026-03-02\n'));
    expect(placeholder).toMatchObject({ read: 2, credited: 0, rejected: 2, reasons: { buyer_phone_blocked: 2 } });
    expect({ ...(await pointsState(services)), ...(await identity()) }).toEqual(before);

    // a shop's own number: credited while it looked like one person's, then set aside as shared
    const shop = '13912340000';
    const early = write('early.csv', `orderId,phone,amountFen,paidAt\nS1,${shop},10000,2026-03-01\n`);
    expect(await importFile(early)).toMatchObject({ credited: 1 });
    await importMembers(services, 'offline', [1, 2, 3, 4].map((n) => ({ channelMemberId: `C${n}`, phone: shop })));
    const quarantined = { ...(await pointsState(services)), ...(await identity()) };
    const later = await importFile(write('later.csv', `orderId,phone,amountFen,paidAt\nS2,${shop},20000,2026-04-01\nS3,13912345678,300,2026-04-01\n`));
    expect(later).toMatchObject({ read: 2, credited: 1, rejected: 1, reasons: { buyer_phone_shared: 1 } });
    expect(readFileSync(later.rejectsFile!, 'utf8')).toBe('{"line":2,"reason":"buyer_phone_shared","orderId":"S2","text":"S2,13912340000,20000,2026-04-01"}\n');
    expect(await entry(services, 'order:tmall:S2')).toBeNull();
    // what was credited before stays, and its file imports again unchanged
    expect(await importFile(early)).toMatchObject({ credited: 0, unchanged: 1, rejected: 0 });
    expect((await pointsState(services)).ledger.length).toBe(quarantined.ledger.length + 1);
    expect((await verifyPoints(services)).differences).toBe(0);
  });

  it('keeps the points of buyers not imported yet until identity attaches their record', async () => {
    await importFile(write('a.jsonl', '{"orderId":"C1","channelMemberId":"T7","amount":88.8,"paidAt":"2026-10-01 12:00"}\n'));
    expect(await account(services, 'tmall:T7')).toMatchObject({ memberId: null, points: 88 });
    await seedMember(services, 'm7', ['tmall:T7']);
    await services.store.transaction((tx) => syncMemberAccounts(tx, services, [{ memberId: 'm7', recordIds: ['tmall:T7'] }]));
    expect(await balance(services, 'm7')).toMatchObject({ points: 88, growth: 88 });
    expect((await verifyPoints(services)).differences).toBe(0);
  });

  it('a refund of points already spent leaves the account owing, repaid by the next order', async () => {
    await importFile(write('a.csv', 'orderId,channelMemberId,amountFen,paidAt\nD1,T1,10000,2026-03-01\n'));
    await services.store.transaction((tx) => postRedeem(tx, services, { key: 'redeem:r1', memberId: 'm1', points: 80, at: '2026-11-23T02:00:00Z', source: { channel: 'reward', ref: 'cup' } }));
    await importFile(write('b.csv', 'orderId,channelMemberId,amountFen,status,paidAt\nD1,T1,10000,refunded,2026-03-01\nD2,T1,5000,paid,2026-11-20\n'));
    expect(await balance(services, 'm1')).toMatchObject({ points: -30, owed: 30, growth: 50 });
    expect((await verifyPoints(services)).differences).toBe(0);
  });

  it('refuses a channel that is not a channel code, writing nothing', async () => {
    const seeded = await pointsState(services);
    await expect(importFile(write('a.csv', 'orderId\n'), 'Tmall!')).rejects.toThrow(/channel/);
    expect(await pointsState(services)).toEqual(await seeded);
  });

  it('rejects a row whose amount earns more points than one entry may carry, and imports the rest', async () => {
    const file = write('huge.csv', 'orderId,channelMemberId,amountFen,paidAt\nH1,T1,300000000000,2026-03-01\nH2,T1,10000,2026-03-01\n');
    const summary = await importFile(file);
    expect(summary).toMatchObject({ read: 2, credited: 1, rejected: 1, reasons: { amount_invalid: 1 } });
    expect(await entry(services, 'order:tmall:H1')).toBeNull();
    expect(await balance(services, 'm1')).toMatchObject({ points: 100 });
  });

  it('rejects a JSONL line whose field holds an object or a list, and imports the rest of the file', async () => {
    const deep = `${'['.repeat(20000)}${']'.repeat(20000)}`;
    const file = write('nested.jsonl', [
      '{"orderId":"N1","channelMemberId":"T1","amountFen":1000,"paidAt":"2026-03-01"}',
      '{"orderId":"N2","channelMemberId":{"toString":1},"amountFen":1000,"paidAt":"2026-03-01"}',
      `{"orderId":"N3","channelMemberId":"T1","amountFen":1000,"paidAt":"2026-03-01","storeId":${deep}}`,
      '{"orderId":"N4","channelMemberId":"T2","amountFen":2000,"paidAt":"2026-03-01"}',
    ].join('\n'));
    expect(await importFile(file)).toMatchObject({ read: 4, credited: 2, rejected: 2, reasons: { nested_value: 2 } });
    expect(readFileSync(`${file}.rejects.jsonl`, 'utf8').trim().split('\n').map((line) => JSON.parse(line).line)).toEqual([2, 3]);
    expect([await balance(services, 'm1'), await balance(services, 'm2')]).toMatchObject([{ points: 10 }, { points: 20 }]);
    // a retry writes nothing more
    expect(await importFile(file)).toMatchObject({ credited: 0, unchanged: 2, rejected: 2 });
  });

  it('reads a refundedAt column spelled in any case, as every other column', async () => {
    const file = write('case.csv', 'OrderID,ChannelMemberId,AmountFen,Status,RefundFen,PaidAt,RefundedAt\nR1,T1,1000,refunded,1000,2025-03-01,2025-03-05\n');
    expect(await importFile(file)).toMatchObject({ credited: 1, refunded: 1, rejected: 0 });
    expect(await entry(services, 'refund:tmall:R1')).toMatchObject({ at: '2025-03-04T16:00:00.000Z' });
  });

  it('writes no rejects file when every row is good', async () => {
    const file = write('a.csv', 'orderId,channelMemberId,amountFen,paidAt\nE1,T1,100,2026-03-01\n');
    expect((await importFile(file)).rejectsFile).toBeNull();
    expect(existsSync(`${file}.rejects.jsonl`)).toBe(false);
  });
});

describe('import orders across one member\'s accounts', () => {
  /**
   * A member holding two Tmall cards and a WeChat account owes nothing yet; one file then refunds
   * an order whose points were spent, on one card, and brings an old order on the other. The import
   * meets the two buyers in the order its grouping gives (a hash of their ids): what the member
   * keeps must not follow from that.
   */
  async function afterImport(rows: string[]): Promise<unknown> {
    const services = openTestServices('2026-11-23T02:00:00Z');
    const temp = tempDir();
    try {
      await seedMember(services, 'm1', ['tmall:T1', 'tmall:T2', 'wechat:o1']);
      const head = 'orderId,channelMemberId,amountFen,status,refundFen,paidAt';
      const file = (name: string, lines: string[]) => temp.write(name, [head, ...lines, ''].join('\n'));
      const importOne = (path: string) => importOrdersFile(services, { channel: 'tmall', file: path, rejectsFile: `${path}.rejects.jsonl`, batchSize: 1, windowRows: 1 });
      await importOne(file('a.csv', ['P1,T1,10000,paid,,2026-03-01']));
      await services.store.transaction((tx) => postRedeem(tx, services, { key: 'redeem:r1', memberId: 'm1', points: 100, at: '2026-11-23T02:00:00.000Z', source: { channel: 'reward', ref: 'r' } }));
      await services.store.transaction((tx) => postEarn(tx, services, { key: 'scan:c1', accountId: 'wechat:o1', points: 100, growth: 0, at: '2026-06-01T02:00:00.000Z', source: { channel: 'code', ref: 'c1' } }, { settle: true }));
      await importOne(file('b.csv', rows));
      services.clock.set('2027-01-05T02:00:00Z');
      await expirePoints(services, '2027-01-05T02:00:00.000Z');
      expect((await verifyPoints(services)).differences).toBe(0);
      const held = (id: string) => account(services, id).then((a) => a && { points: a.points, lots: a.lots.map((l) => [l.id, l.remaining]) });
      return { balance: await balance(services, 'm1').then((b) => b && { points: b.points, owed: b.owed }), T1: await held('tmall:T1'), T2: await held('tmall:T2'), o1: await held('wechat:o1') };
    } finally {
      await services.close();
      temp.cleanup();
    }
  }

  it('keeps the same points whichever buyer the import meets first', async () => {
    const refund = 'P1,T1,10000,refunded,10000,2026-03-01';
    const old = 'Q1,T2,10000,paid,,2025-06-01'; // expires at the end of 2026
    const refundFirst = await afterImport([refund, old]);
    expect(await afterImport([old, refund])).toEqual(refundFirst);
    // each card's own ledger: the refund leaves T1 owing, Q1's points expire on T2, the scan's stay
    expect(refundFirst).toMatchObject({ balance: { points: 0, owed: 100 }, T1: { points: -100 }, T2: { points: 0 }, o1: { points: 100 } });
  });
});
