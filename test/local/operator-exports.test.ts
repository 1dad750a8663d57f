import Database from 'better-sqlite3';
import { createReadStream, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { checkImportFile } from '../../cloudfunctions/core/channels/rows';
import { writeRows } from '../support/members';
import { cliOnFreshDatabase, runCli } from '../support/cli';
import { tempDir } from '../support/temp';

/**
 * The operator CLI on real exports: a JD JSONL file with numeric ids, ids past 2^53, a GBK file
 * whose late rows happen to read as UTF-8, an Excel workbook given as the file.
 */
describe('the operator CLI on real exports', () => {
  const fresh = cliOnFreshDatabase();
  const cli = fresh.run;
  const file = (name: string, content: string | Buffer) => (writeFileSync(fresh.temp.file(name), content), fresh.temp.file(name));
  const exported = async () =>
    (await cli('members', 'export')).out.trim().split('\n').filter(Boolean)
      .map((line) => JSON.parse(line) as { memberId: string; identifiers: { type: string; value: string }[]; points: { available: number } });

  it('re-importing a JSONL export whose member ids are JSON numbers (JD exports write them so) changes nothing', async () => {
    // id 800000001 listed twice, 2,500 rows apart (in other batches), with a new phone the second time:
    // the second phone is also member jd_x's, so the later row joins them
    const lines = [
      JSON.stringify({ channelMemberId: 800000001, phone: '13912340001', name: '张三' }),
      JSON.stringify({ channelMemberId: 'jd_x', phone: '13912340002', name: '李四' }),
      ...Array.from({ length: 2500 }, (_, i) => JSON.stringify({ channelMemberId: `jd_f${i}`, phone: `137${String(i).padStart(8, '0')}` })),
      JSON.stringify({ channelMemberId: 800000001, phone: '13912340002', name: '张三丰' }),
    ];
    const f = file('jd.jsonl', `${lines.join('\n')}\n`);
    expect((await cli('import', 'members', '--channel', 'jd', '--file', f)).failed).toBe(false);
    const again = await cli('import', 'members', '--channel', 'jd', '--file', f);
    // docs/imports.md (Importing again and opening balances): "Importing the same file again changes nothing"
    expect(again.out).toMatch(/: 0 new, 0 updated, [\d,]+ unchanged, .* 0 merged/);
  });

  it('JSONL ids past 2^53 (Tmall order ids, long member ids written as JSON numbers) are not rounded into one another', async () => {
    const members = file('m.jsonl', [
      '{"channelMemberId":"T1","phone":"13912345678"}',
      '{"channelMemberId":1234567890123456789,"phone":"13912345001","name":"甲"}',
      '{"channelMemberId":1234567890123456790,"phone":"13912345002","name":"乙"}',
    ].join('\n'));
    await cli('import', 'members', '--channel', 'tmall', '--file', members);
    const ids = (await exported()).flatMap((m) => m.identifiers.filter((i) => i.type === 'tmall').map((i) => i.value));
    // two different people must not become one record under an id neither of them has
    expect(ids.sort()).toEqual(['1234567890123456789', '1234567890123456790', 'T1']);
    const orders = file('o.jsonl', [
      '{"orderId":2400000000000000001,"channelMemberId":"T1","amount":"10.00","paidAt":"2026-11-01 10:00"}',
      '{"orderId":2400000000000000003,"channelMemberId":"T1","amount":"10.00","paidAt":"2026-11-01 10:00"}',
    ].join('\n'));
    const run = await cli('import', 'orders', '--channel', 'tmall', '--file', orders);
    // two orders, both earning; never one counted "unchanged" as the other
    expect(run.out).toMatch(/2 new orders, .* 20 points earned/);
  });

  it('a GBK file whose Chinese comes past the first 64 KB is refused whole: a name that happens to read as UTF-8 is never stored garbled', async () => {
    const ascii = Array.from({ length: 3000 }, (_, i) => `C${100000 + i},130${String(i).padStart(8, '0')},S01,`).join('\r\n');
    // a GBK export whose Chinese names come late: 郑桐 in GBK is D6 A3 CD A9, two valid UTF-8
    // sequences read as "֣ͩ", while 张三 (D5 C5 C8 FD) does not read as UTF-8
    const late = Buffer.concat([
      Buffer.from(`channelMemberId,phone,storeId,name\r\n${ascii}\r\nLATE,13912345678,S01,`), Buffer.from([0xd6, 0xa3, 0xcd, 0xa9]),
      Buffer.from('\r\nLATE2,13912345679,S01,'), Buffer.from([0xd5, 0xc5, 0xc8, 0xfd]), Buffer.from('\r\n'),
    ]);
    const f = file('offline-gbk.csv', late);
    const run = await cli('import', 'members', '--channel', 'offline', '--file', f);
    // a refused import leaves no database behind at all
    const store = existsSync(fresh.db) ? new Database(fresh.db, { readonly: true }) : null;
    const stored = store ? (store.prepare("SELECT count(*) FROM doc_records WHERE body LIKE '%֣ͩ%'").pluck().get() as number) > 0 : false;
    store?.close();
    // the file is refused, naming the line, and nothing is imported (never a row as "֣ͩ")
    expect({ failed: run.failed, stored }).toEqual({ failed: true, stored: false });
    expect(run.err).toMatch(/offline-gbk\.csv is not UTF-8 text \(line 3003 is the first that is not;.*nothing was imported/);
  });

  it('an Excel workbook (.xlsx) given as --file is named as one, not as UTF-16 text', async () => {
    const xlsx = file('members.xlsx', Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x06, 0x00]), Buffer.from('[Content_Types].xml')]));
    const run = await cli('import', 'members', '--channel', 'tmall', '--file', xlsx);
    expect(run.failed).toBe(true);
    expect(run.err).not.toMatch(/UTF-16/);
    expect(run.err).toMatch(/xlsx|workbook|Excel file/i);
  });
});

const MB = 1024 * 1024;

/** The line the import reads as not UTF-8, numbered as readRows numbers lines. */
async function importLineNotUtf8(file: string): Promise<number | null> {
  let line = 0;
  for await (const text of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
    line++;
    if (text.includes('\uFFFD')) return line;
  }
  return null;
}

function checkedLine(file: string): string {
  try {
    checkImportFile(file, []);
    return 'accepted';
  } catch (error) {
    return /line (\d+) is the first/.exec((error as Error).message)?.[1] ?? (error as Error).message;
  }
}

describe('import files: line numbers and ids as the import reads them', () => {
  afterEach(() => {
    process.exitCode = undefined;
  });
  test('a file whose lines end with CR alone (as the import reads them, one row a line) names the GBK line, not line 1', () => {
    const temp = tempDir();
    const file = temp.file('mac.csv');
    writeFileSync(file, Buffer.concat([Buffer.from('channelMemberId,name\rT1,a\rT2,'), Buffer.from([0xd5, 0xc5, 0xc8, 0xfd]), Buffer.from('\r')]));
    let message = '';
    try {
      checkImportFile(file, ['channelMemberId']);
    } catch (error) {
      message = (error as Error).message;
    }
    temp.cleanup();
    expect(message).toMatch(/line 3 is the first that is not/);
  });

  test('a rejected row names its numeric channelMemberId in the rejects file, as a text id is named', async () => {
    const temp = tempDir();
    const file = writeRows([{ channelMemberId: 800000001, points: 'abc' }, { channelMemberId: '800000002', points: 'abc' }, { channelMemberId: 'ok1' }], 'jsonl');
    await runCli(temp.file('mc.db'), 'import', 'members', '--channel', 'jd', '--file', file);
    const rejects = readFileSync(`${file}.rejects.jsonl`, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { channelMemberId?: string });
    temp.cleanup();
    expect(rejects.map((r) => r.channelMemberId)).toEqual(['800000001', '800000002']);
  });

  test('a line longer than a 4 MB chunk whose CRLF is split at the end of the data counts one line end, not two', async () => {
    const temp = tempDir();
    const file = temp.file('long.jsonl');
    // line 1: 8 MB - 1 bytes then CRLF, its CR the last byte of the second 4 MB read (carry + chunk);
    // line 2: a GBK byte
    writeFileSync(file, Buffer.concat([Buffer.alloc(8 * MB - 1, 'x'), Buffer.from('\r\n'), Buffer.from([0xff, 0x0a])]));
    const imported = await importLineNotUtf8(file);
    const checked = checkedLine(file);
    temp.cleanup();
    expect(imported).toBe(2);
    expect(checked).toBe('2');
  });
});
