import { readFileSync, writeFileSync } from 'node:fs';
import { runCli } from '../support/cli';
import { tempDir } from '../support/temp';

/**
 * An operator's big exports as they really arrive: a file copied or downloaded while the shop's
 * system was still writing it ends in the middle of a line.
 */
describe('an export cut off in the middle of its last line', () => {
  let temp: ReturnType<typeof tempDir>;
  let db: string;
  beforeEach(() => {
    temp = tempDir();
    db = temp.file('data/mc.db');
  });
  afterEach(() => temp.cleanup());

  const cli = (...args: string[]) => runCli(db, ...args);
  const file = (name: string, content: string) => (writeFileSync(temp.file(name), content), temp.file(name));
  const exported = async () => (await cli('members', 'export')).out.trim().split('\n').filter(Boolean)
    .map((line) => JSON.parse(line) as { identifiers: { type: string; value: string }[]; points: { available: number }; growth: number });
  const header = 'channelMemberId,phone,name,joinedAt,points,growth,level';
  const rows = ['T1,13912345671,张三,2024-01-01,100,100,V1', 'T2,13912345672,李四,2024-01-01,12345,20000,V2', 'T3,13912345673,王五,2024-01-01,12345,20000,V2'];

  it('does not import the cut row as a member whose opening balance is the cut number, which the whole file could never correct', async () => {
    // the copy stopped inside T3's points: "12" of "12345", and no growth
    const cut = file('cut.csv', `${header}\n${rows[0]}\n${rows[1]}\n${rows[2]!.slice(0, -12)}`);
    const first = await cli('import', 'members', '--channel', 'tmall', '--file', cut);
    expect(first.failed).toBe(false);
    // the cut row is named for the operator, not imported as if whole
    expect(first.out).toMatch(/read 3 rows .*: 2 new, .* 1 rejected/);
    expect(readFileSync(`${cut}.rejects.jsonl`, 'utf8')).toContain('"line":4');

    // the whole export, once it is there, brings T3 with its balance
    await cli('import', 'members', '--channel', 'tmall', '--file', file('whole.csv', `${header}\n${rows.join('\n')}\n`));
    const t3 = (await exported()).find((m) => m.identifiers.some((i) => i.type === 'tmall' && i.value === 'T3'));
    expect(t3?.points.available).toBe(12345);
    expect(t3?.growth).toBe(20000);
  });

  it('does not turn a member id cut short into another member, dropping that member\'s phone', async () => {
    await cli('import', 'members', '--channel', 'tmall', '--file', file('first.csv', `${header}\nT12,13912345612,赵六,2024-01-01,50,50,V1\n`));
    // the next export stops inside T123's id: "T12" is another member
    const cut = file('next.csv', `${header}\n${rows[0]}\nT12`);
    expect((await cli('import', 'members', '--channel', 'tmall', '--file', cut)).out).toMatch(/1 rejected/);
    const t12 = (await exported()).find((m) => m.identifiers.some((i) => i.type === 'tmall' && i.value === 'T12'));
    expect(t12?.identifiers.map((i) => i.type).sort()).toEqual(['phone', 'tmall']);
  });

  it('does not credit an order whose paidAt was cut to its date, which makes the whole file\'s row an order_changed', async () => {
    const orders = 'orderId,channelMemberId,amount,status,refundFen,paidAt,refundedAt';
    const whole = '2400000000000000020,T1,"1,299.00",paid,,2026-07-26 06:08:52,';
    const cut = file('orders-cut.csv', `${orders}\n${whole.slice(0, whole.indexOf(' 06:'))}`);
    expect((await cli('import', 'orders', '--channel', 'tmall', '--file', cut)).out).toMatch(/0 new orders, .* 1 rejected/);
    const full = file('orders.csv', `${orders}\n${whole}\n`);
    expect((await cli('import', 'orders', '--channel', 'tmall', '--file', full)).out).toMatch(/1 new order, .* 0 rejected/);
  });
});
