import Database from 'better-sqlite3';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fixedClock } from '../../cloudfunctions/core/runtime/clock';
import { cliOnFreshDatabase } from '../support/cli';

/**
 * The files a CRM operator in China exports from Excel or a Chinese back-office and imports as
 * they are: other encodings and line endings, and the values Excel rewrites (a phone as 1.38E+10,
 * amounts with ¥ and thousands separators, dates as 2026/3/5 14:00 or as a serial number). Each
 * value is imported right, or its row (or the file) is refused with a reason; never stored wrong.
 */
describe('files saved from Excel or a Chinese back-office', () => {
  // a fixed day: the orders' dates neither lie ahead nor expire as they enter, whenever this runs
  const fresh = cliOnFreshDatabase(fixedClock('2026-06-01T02:00:00Z'));
  const cli = fresh.run;
  const file = (name: string, content: string | Buffer) => (writeFileSync(fresh.temp.file(name), content), fresh.temp.file(name));
  const importMembers = (f: string) => cli('import', 'members', '--channel', 'offline', '--file', f);
  const importOrders = (f: string) => cli('import', 'orders', '--channel', 'offline', '--file', f);
  const rejects = (f: string) => (existsSync(`${f}.rejects.jsonl`) ? readFileSync(`${f}.rejects.jsonl`, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>) : []);
  const query = <T>(sql: string): T[] => {
    if (!existsSync(fresh.db)) return [];
    const store = new Database(fresh.db, { readonly: true });
    try {
      return store.prepare(sql).all() as T[];
    } finally {
      store.close();
    }
  };
  type Stored = { name: string | null; phone: string | null; joinedAt: string | null };
  const records = () => Object.fromEntries(query<{ id: string } & Stored>(
    "SELECT id, json_extract(body, '$.name') AS name, json_extract(body, '$.phoneMasked') AS phone, json_extract(body, '$.joinedAt') AS joinedAt FROM doc_records",
  ).map(({ id, ...rest }) => [id, rest]));
  const orders = () => Object.fromEntries(query<{ id: string; points: number; at: string }>(
    "SELECT id, json_extract(body, '$.points') AS points, json_extract(body, '$.at') AS at FROM doc_ledger WHERE id LIKE 'order:%'",
  ).map(({ id, points, at }) => [id, { points, at }]));
  const openings = () => Object.fromEntries(query<{ id: string; points: number }>(
    "SELECT id, json_extract(body, '$.points') AS points FROM doc_ledger WHERE id LIKE 'migrate:%'",
  ).map(({ id, points }) => [id, points]));
  /** Documents of every collection: "nothing was imported" means none. */
  const documents = () => query<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'doc_%'")
    .reduce((sum, { name }) => sum + query<{ n: number }>(`SELECT count(*) AS n FROM ${name}`)[0]!.n, 0);

  /** 张三 and 欧阳娜 as Excel's plain "CSV" writes them on Chinese Windows (GBK, which GB18030 extends). */
  const GBK = { 张三: [0xd5, 0xc5, 0xc8, 0xfd], 欧阳娜: [0xc5, 0xb7, 0xd1, 0xf4, 0xc4, 0xc8] };

  it('refuses GBK and UTF-16 files before importing anything, naming the encoding and saying to save as CSV UTF-8', async () => {
    const gbk = Buffer.from([...Buffer.from('channelMemberId,phone,name\r\nC1,13812345678,'), ...GBK.张三, 0x0d, 0x0a, ...Buffer.from('C2,13912345678,'), ...GBK.欧阳娜, 0x0d, 0x0a]);
    const refused = await importMembers(file('gbk.csv', gbk));
    expect(refused.failed).toBe(true);
    expect(refused.err).toMatch(/gbk\.csv is not UTF-8 text \(line 2 is the first that is not; Excel on Chinese Windows saves "CSV" as GBK\): save it as "CSV UTF-8 \(逗号分隔\)"/);

    // Excel's "Unicode text": UTF-16LE with its BOM, separated by tabs
    const unicodeText = '\ufeffchannelMemberId\tphone\tname\r\nC1\t13812345678\t欧阳娜娜\r\n';
    const withBom = await importMembers(file('unicode.txt', Buffer.from(unicodeText, 'utf16le')));
    expect(withBom.err).toMatch(/unicode\.txt is not UTF-8 text \(it is UTF-16, as Excel's "Unicode text" saves\): save it as "CSV UTF-8/);
    expect(documents()).toBe(0);
  });

  it('names UTF-16 without its BOM as UTF-16, not GBK, also when its Chinese bytes are no UTF-8 (阳 is 0x33 0x96)', async () => {
    const run = await importMembers(file('nobom.csv', Buffer.from('channelMemberId,phone,name\nC1,13812345678,欧阳娜娜\n', 'utf16le')));
    expect(run.failed).toBe(true);
    expect(run.err).toMatch(/nobom\.csv is not UTF-8 text \(it holds NUL bytes, as UTF-16 "Unicode text" does\): save it as "CSV UTF-8/);
    expect(run.err).not.toMatch(/GBK/);
    expect(documents()).toBe(0);
  });

  it('imports "CSV UTF-8" as Excel saves it: a BOM, CRLF, a blank line at the end, header names in another case and padded', async () => {
    const f = file('excel.csv', '\ufeff ChannelMemberID , PHONE ,Name\r\nC1,13812345678,张三\r\nC2,139 1234 5678,欧阳娜娜\r\n\r\n');
    const run = await importMembers(f);
    expect(run.failed).toBe(false);
    expect(run.err).not.toMatch(/ignored/);
    expect(records()).toEqual({
      'offline:C1': { name: '张三', phone: '138****5678', joinedAt: null },
      'offline:C2': { name: '欧阳娜娜', phone: '139****5678', joinedAt: null },
    });
    // the last line without its line break, its cells all there, is read as it is
    const last = await importMembers(file('last.csv', 'channelMemberId,phone,name\r\nC3,13712345678,李四'));
    expect(last.out).toMatch(/1 new/);
    expect(records()['offline:C3']).toEqual({ name: '李四', phone: '137****5678', joinedAt: null });
  });

  it('refuses a header naming a column it reads twice (phone and Phone), which left each row the last cell of that name', async () => {
    const members = await importMembers(file('twice.csv', 'channelMemberId,Phone,name,phone\r\nC1,13812345678,张三,\r\n'));
    expect(members.failed).toBe(true);
    expect(members.err).toMatch(/twice\.csv: its header names the column phone more than once \(columns 2 and 4\): keep one and import it again; nothing was imported/);
    const orders = await importOrders(file('twice-orders.csv', 'orderId,phone,amount,paidAt,PHONE\r\nO1,13812345678,12,2026-03-05,13912345678\r\n'));
    expect(orders.failed).toBe(true);
    expect(orders.err).toMatch(/its header names the column phone more than once \(columns 2 and 5\)/);
    expect(documents()).toBe(0);
    // two columns it does not read, of one name, are only named as ignored
    const notes = await importMembers(file('notes.csv', 'channelMemberId,备注,备注\r\nC1,a,b\r\n'));
    expect(notes.failed).toBe(false);
  });

  it('reads a file whose lines end with a CR alone (Excel for Mac) by its header row, and prints none of its rows as columns', async () => {
    // the required column last: its header cell ran on into the first row's cell
    const f = file('mac.csv', 'phone,name,channelMemberId\r13812345678,张三,C1\r13912345678,李四,C2\r');
    const run = await importMembers(f);
    expect(run.failed).toBe(false);
    expect(run.err).not.toMatch(/13812345678|张三|ignored/);
    expect(records()).toEqual({
      'offline:C1': { name: '张三', phone: '138****5678', joinedAt: null },
      'offline:C2': { name: '李四', phone: '139****5678', joinedAt: null },
    });
    // the required column first: the import ran, but its header check named the rows as columns it ignores
    const orders = file('mac-orders.csv', 'orderId,phone,amount,paidAt\rO1,13812345678,12.30,2026-03-05\r');
    const ordered = await importOrders(orders);
    expect(ordered.failed).toBe(false);
    expect(ordered.err).not.toMatch(/13812345678|ignored/);
    expect(ordered.out).toMatch(/1 new order/);
    // an export that ends every row with a comma is known so by its lines, CR-ended ones too
    const trailing = file('mac-trailing.csv', 'channelMemberId,phone,name\rC3,13712345678,王五,\rC4,13612345678,赵六,\r');
    const read = await importMembers(trailing);
    expect(rejects(trailing)).toEqual([]);
    expect(read.out).toMatch(/2 new/);
  });

  it('rejects a name whose characters were lost as ? (plain "CSV" saved on a Windows in another language), keeping the name stored before', async () => {
    await importMembers(file('good.csv', 'channelMemberId,phone,name\nC1,13812345678,张三\n'));
    const f = file('ansi.csv', 'channelMemberId,phone,name\nC1,13812345678,??\nC2,13912345678,Lily?\nC3,13712345678,Lily Wang\nC4,13612345678,小明?\n');
    const run = await importMembers(f);
    expect(rejects(f)).toEqual([
      { line: 2, reason: 'name_characters_lost', channelMemberId: 'C1', text: 'C1,13812345678,??' },
      { line: 3, reason: 'name_characters_lost', channelMemberId: 'C2', text: 'C2,13912345678,Lily?' },
    ]);
    expect(run.out).toMatch(/name_characters_lost 2/);
    expect(records()['offline:C1']!.name).toBe('张三');
    expect(records()['offline:C2']).toBeUndefined();
    expect(records()['offline:C3']!.name).toBe('Lily Wang');
    // Chinese text came through UTF-8: its question mark is the member's own
    expect(records()['offline:C4']!.name).toBe('小明?');
  });

  it('takes the phones, balances and dates Excel writes, and drops or rejects with a reason those it mangled', async () => {
    const f = file('values.csv', [
      'channelMemberId,phone,name,points,joinedAt',
      'C1,13812345678,甲,100,2026/3/5 14:00',
      // Excel's scientific notation: the digits are gone, the phone is dropped with a warning
      'C2,1.38123E+10,乙,"1,000",2026-03-05',
      // the apostrophe Excel shows for text; a serial date
      'C3,\'13912345678,丙,5,46086.5',
      'C4,１３７１２３４５６７８,丁,0,2026-03-05T14:00:00',
      'C5,137\u00a01234\u00a05679,戊,,2026-03-05T14:00:00Z',
      'C6,13612345678,己,3.0,2026-03-05 14:00',
      'C7,+86 135-1234-5678,庚,,2026-03-05T14:00:00+08:00',
      '\u00a0C8\u00a0,13512345679,辛,,',
    ].join('\r\n'));
    await importMembers(f);
    expect(records()).toEqual({
      'offline:C1': { name: '甲', phone: '138****5678', joinedAt: '2026-03-05T06:00:00.000Z' },
      'offline:C2': { name: '乙', phone: null, joinedAt: '2026-03-04T16:00:00.000Z' },
      'offline:C3': { name: '丙', phone: null, joinedAt: null },
      'offline:C4': { name: '丁', phone: '137****5678', joinedAt: '2026-03-05T06:00:00.000Z' },
      'offline:C5': { name: '戊', phone: '137****5679', joinedAt: '2026-03-05T14:00:00.000Z' },
      'offline:C7': { name: '庚', phone: '135****5678', joinedAt: '2026-03-05T06:00:00.000Z' },
      'offline:C8': { name: '辛', phone: '135****5679', joinedAt: null },
    });
    expect(openings()).toEqual({ 'migrate:offline:C1': 100, 'migrate:offline:C2': 1000, 'migrate:offline:C3': 5 });
    expect(rejects(f).map(({ line, reason, warning }) => [line, reason ?? warning])).toEqual([
      [3, 'phone_not_mainland_mobile'],
      [4, 'phone_not_mainland_mobile'],
      [4, 'joinedAt_invalid'],
      [7, 'points_not_integer'],
    ]);
  });

  it('takes the amounts and payment times Excel and back-offices write, in Beijing time without a zone, and rejects the rest by name', async () => {
    const f = file('orders.csv', [
      'orderId,channelMemberId,phone,amount,status,paidAt',
      'O1,C1,,"1,234.50",paid,2026/3/5 14:00',
      'O2,,13912345678,¥12.30,paid,2026-03-05',
      'O3,C1,,12.3,Paid,2026-03-05T14:00:00+08:00',
      'O4,C1,,"￥1,234",paid,2026-03-05T06:00:00Z',
      'O5,C1,,12.30 ,paid,2026-03-05 14:00:00.000',
      'O6,C1,,12.3,paid,46086.5',
      'O7,C1,,12.3元,paid,2026-03-05',
      'O8,C1,,１２.３,paid,2026-03-05',
      '2.40000E+18,C1,,12.3,paid,2026-03-05',
      'O10,C1,,12.3,已付款,2026-03-05',
      'O11,C1,,1.2E+03,paid,2026-03-05',
      'O12,C1,,12.345,paid,2026-03-05',
      'O13,,\'13812345678,12.3,paid,2026-03-05',
      'O14,,1.38123E+10,12.3,paid,2026-03-05',
      'O15,C1,,12.3,paid,2026-3-5 下午2:00',
    ].join('\r\n'));
    await importOrders(f);
    expect(orders()).toEqual({
      'order:offline:O1': { points: 1234, at: '2026-03-05T06:00:00.000Z' },
      'order:offline:O2': { points: 12, at: '2026-03-04T16:00:00.000Z' },
      'order:offline:O3': { points: 12, at: '2026-03-05T06:00:00.000Z' },
      'order:offline:O4': { points: 1234, at: '2026-03-05T06:00:00.000Z' },
      'order:offline:O5': { points: 12, at: '2026-03-05T06:00:00.000Z' },
    });
    expect(rejects(f).map(({ line, reason }) => [line, reason])).toEqual([
      [7, 'paid_at_invalid'],
      [8, 'amount_invalid'],
      [9, 'amount_invalid'],
      [10, 'order_id_invalid'],
      [11, 'status_not_paid_or_refunded'],
      [12, 'amount_invalid'],
      [13, 'amount_invalid'],
      [14, 'buyer_phone_invalid'],
      [15, 'buyer_phone_invalid'],
      [16, 'paid_at_invalid'],
    ]);
  });
});
