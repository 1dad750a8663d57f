import { existsSync, readFileSync } from 'node:fs';
import { seedMember } from '../../../test/points/support';
import { openTestServices, type TestServices } from '../../../test/support/services';
import { tempDir } from '../../../test/support/temp';
import { importMembersFile } from '../identity/import';
import { importOrdersFile, planOrderRows } from '../orders/import.store';
import { importFileInBatches } from './rows';

/**
 * The reading thread (readAhead: true, as the CLI imports) must be invisible:
 * the same batches, so the same summary, rejects and documents as reading in
 * the import's own thread; its failures reach the caller as the same errors.
 */
describe('imports with rows read ahead in a second thread', () => {
  let one: TestServices;
  let two: TestServices;
  let temp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    one = openTestServices();
    two = openTestServices();
    // the same phone hash key, so phone-keyed documents get the same ids in both stores
    Object.assign(two, { secrets: one.secrets });
    temp = tempDir();
  });
  afterEach(async () => {
    await one.close();
    await two.close();
    temp.cleanup();
  });

  const write = (name: string, text: string) => temp.write(name, text);
  const rejectsOf = (file: string | null) => (file ? readFileSync(file, 'utf8') : '');
  const dumpAll = async (services: TestServices, collections: string[]) =>
    Object.fromEntries(await Promise.all(collections.map(async (c) => [c, await services.dump(c)] as const)));

  const ORDERS = [
    'orderId,channelMemberId,amount,amountFen,status,refundFen,paidAt,storeId,phone',
    'A1,T1,125.50,,paid,,2026-03-01 10:00:00,S1',
    'A2,T2,,5000,refunded,,2026-04-01 10:00:00,',
    'A3,T1,,20000,paid,5050,2026-05-01T10:00:00+08:00,',
    'A1,T1,125.50,,paid,,2026-03-01 10:00:00,S1',
    'A4,,,1000,paid,,2026-04-01,',
    'A5,,,1000,paid,,2026-04-01,,13812345678',
    'A6,T2,abc,,paid,,2026-04-01,',
    'A7,T9,300,,paid,,2026-06-01,',
    '"A8,T1,1,paid',
    'A9,T2,,700,paid,,2026-07-01,',
    '',
  ].join('\n');

  it('imports orders exactly as one thread does, and a retry through it changes nothing', async () => {
    for (const services of [one, two]) {
      await seedMember(services, 'm1', ['tmall:T1']);
      await seedMember(services, 'm2', ['tmall:T2']);
    }
    const read = write('one.csv', ORDERS);
    const ahead = write('two.csv', ORDERS);
    const inThread = await importOrdersFile(one, { channel: 'tmall', file: read, rejectsFile: `${read}.rejects.jsonl`, batchSize: 2, windowRows: 4 });
    const readAhead = await importOrdersFile(two, { channel: 'tmall', file: ahead, rejectsFile: `${ahead}.rejects.jsonl`, batchSize: 2, windowRows: 4, readAhead: true });

    expect(inThread).toMatchObject({ read: 10, credited: 6, refunded: 2, unchanged: 1, rejected: 3 });
    expect({ ...readAhead, rejectsFile: null }).toEqual({ ...inThread, rejectsFile: null });
    expect(rejectsOf(readAhead.rejectsFile)).toBe(rejectsOf(inThread.rejectsFile));
    const collections = ['ledger', 'accounts', 'balances', 'records', 'identifiers'];
    const documents = await dumpAll(two, collections);
    expect(documents).toEqual(await dumpAll(one, collections));

    const again = await importOrdersFile(two, { channel: 'tmall', file: ahead, rejectsFile: `${ahead}.again.jsonl`, batchSize: 2, readAhead: true });
    expect(again).toMatchObject({ read: 10, credited: 0, refunded: 0, unchanged: 7, rejected: 3 });
    expect(await dumpAll(two, collections)).toEqual(documents);
  });

  it('imports members exactly as one thread does', async () => {
    const members = (channel: string) => write(`${channel}.csv`, [
      'channelMemberId,phone,email,name,points,growth',
      `${channel === 'tmall' ? 'T' : 'C'}1,+86 138-0013-8000,A@Example.com,王一,100,100`,
      `${channel === 'tmall' ? 'T' : 'C'}2,0086 13912345678,,李二,,`,
      `${channel === 'tmall' ? 'T' : 'C'}3,12345,,张三,5,5`,
      ',13700137000,,无号,,',
      `${channel === 'tmall' ? 'T' : 'C'}4,15800000000,,,x,`,
      `"${channel === 'tmall' ? 'T' : 'C'}5,broken`,
      '',
    ].join('\n'));
    const summaries = [];
    for (const services of [one, two]) {
      const readAhead = services === two;
      for (const channel of ['tmall', 'offline']) {
        const file = members(channel);
        const summary = await importMembersFile(services, { channel, file, rejectsFile: `${file}.${readAhead}.jsonl`, batchSize: 2, readAhead });
        summaries.push({ ...summary, rejects: rejectsOf(summary.rejectsFile), rejectsFile: null });
      }
    }
    expect(summaries[0]).toMatchObject({ read: 6, created: 3, rejected: 3, warnings: 1 });
    expect(summaries[1]).toMatchObject({ read: 6, created: 1, linked: 2 });
    expect(summaries.slice(2)).toEqual(summaries.slice(0, 2));
    const collections = ['records', 'members', 'identifiers', 'ledger', 'accounts', 'balances', 'conflicts'];
    expect(await dumpAll(two, collections)).toEqual(await dumpAll(one, collections));
  });

  it('tells how many rows are read while the first window fills, before any is written, as one thread does', async () => {
    const rows = Array.from({ length: 120_000 }, (_, i) => `A${i},T${i % 5000},100,2026-04-01`);
    const file = write('big.csv', `orderId,channelMemberId,amountFen,paidAt\n${rows.join('\n')}\n`);
    const planner = {
      module: require.resolve('../orders/import.store'), name: planOrderRows.name, create: planOrderRows,
      context: { channel: 'tmall', rate: { pointsPerYuan: 1, growthPerYuan: 1 }, now: '2026-11-23T02:00:00.000Z', phoneHashKey: one.secrets.phoneHashKey, blockedPhoneKeys: [] },
    };
    const runs = [];
    for (const readAhead of [false, true]) {
      const seen: string[] = [];
      await importFileInBatches(
        { file, rejectsFile: `${file}.${readAhead}.jsonl`, readAhead, onProgress: (_done, _size, _summary, reading) => void (reading && seen.push(`reading ${reading}`)) },
        {},
        planner,
        async (batch) => void seen.push(`batch ${batch.length}`),
      );
      runs.push(seen);
    }
    // both notes come before the first batch: nothing is written until the window is read
    expect(runs[0]!.slice(0, 2)).toEqual(['reading 50000', 'reading 100000']);
    expect(runs[0]!.slice(2).every((step) => step.startsWith('batch '))).toBe(true);
    expect(runs[0]!.slice(2).reduce((rows, step) => rows + Number(step.slice(6)), 0)).toBe(120_000);
    expect(runs[1]).toEqual(runs[0]);
  });

  it('a file that cannot be read fails with the same error and writes nothing', async () => {
    const file = write('bad.csv', '"orderId,channelMemberId\nA1,T1\n');
    const rejectsFile = `${file}.rejects.jsonl`;
    await expect(importOrdersFile(one, { channel: 'tmall', file, rejectsFile })).rejects.toThrow('the header row cannot be read');
    await expect(importOrdersFile(two, { channel: 'tmall', file, rejectsFile, readAhead: true })).rejects.toThrow('the header row cannot be read');
    expect(await two.dump('ledger')).toEqual([]);
    expect(existsSync(rejectsFile)).toBe(false);
  });

  it('a batch that fails stops the reading thread and reaches the caller; batches before it stand', async () => {
    const file = write('orders.csv', ORDERS);
    const planner = {
      module: require.resolve('../orders/import.store'), name: planOrderRows.name, create: planOrderRows,
      context: { channel: 'tmall', rate: { pointsPerYuan: 1, growthPerYuan: 1 }, now: '2026-11-23T02:00:00.000Z', phoneHashKey: one.secrets.phoneHashKey, blockedPhoneKeys: [] },
    };
    const seen: number[] = [];
    const run = importFileInBatches({ file, rejectsFile: `${file}.rejects.jsonl`, batchSize: 2, readAhead: true }, {}, planner, async (batch) => {
      if (seen.length === 2) throw new Error('disk full');
      seen.push(batch.length);
    });
    await expect(run).rejects.toThrow('disk full');
    expect(seen).toHaveLength(2);
  });

  it('a planner the reading thread cannot find is an error, not a hang', async () => {
    const file = write('orders.csv', ORDERS);
    const planner = { module: require.resolve('../orders/import.store'), name: 'noSuchPlanner', create: planOrderRows, context: null as never };
    await expect(importFileInBatches({ file, rejectsFile: `${file}.rejects.jsonl`, readAhead: true }, {}, planner, async () => undefined))
      .rejects.toThrow(/exports no noSuchPlanner/);
  });
});
