import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tempDir } from '../../../test/support/temp';
import { checkImportFile, importFileInBatches, MAX_LINE_BYTES, MAX_RECORD_LINES, prepareOutputFile, quoteLongIntegers, readRows, type RowItem } from './rows';

/** Guards the row reader's limits and skips left unpinned by the rest of the suite (found by hand-made mutation testing). */
describe('readRows: edges of the row reader', () => {
  let temp: ReturnType<typeof tempDir>;
  beforeEach(() => { temp = tempDir(); });
  afterEach(() => temp.cleanup());

  async function read(name: string, text: string) {
    const file = temp.file(name);
    writeFileSync(file, text);
    const items: { line: number; row: unknown; error?: string }[] = [];
    for await (const batch of readRows(file).batches(1000)) items.push(...batch.map(({ line, row, error }) => (error ? { line, row, error } : { line, row })));
    return items;
  }

  // guards against (a CSV line of exactly MAX_LINE_BYTES characters refused as too long)
  it(`reads a CSV line of exactly ${MAX_LINE_BYTES} characters, and refuses one longer`, async () => {
    const line = (length: number) => `1,${'x'.repeat(length - 2)}`;
    expect(await read('limit.csv', ['id,note', line(MAX_LINE_BYTES), line(MAX_LINE_BYTES + 1), '2,ok'].join('\n'))).toEqual([
      { line: 2, row: { id: '1', note: 'x'.repeat(MAX_LINE_BYTES - 2) } },
      { line: 3, row: null, error: 'line_too_long' },
      { line: 4, row: { id: '2', note: 'ok' } },
    ]);
  });

  // guards against (a blank or whitespace-only line in the middle of a CSV read as a row without an id)
  it('skips blank and whitespace-only lines inside a CSV, keeping the file\'s line numbers', async () => {
    expect(await read('blank.csv', ['id,name', '1,a', '', '   ', '\t', '2,b', ''].join('\r\n'))).toEqual([
      { line: 2, row: { id: '1', name: 'a' } },
      { line: 6, row: { id: '2', name: 'b' } },
    ]);
  });
  const verdicts = async (lines: string[]) => (await read('width.csv', lines.join('\n'))).map((item) => item.error ?? 'ok');
  const header = 'channelMemberId,phone,name,joinedAt,storeId,guideId';

  // guards against (the header's own width counted among the rows' widths)
  it('takes a file whose one row ends with a comma as a file whose rows end so (the header is not one of its rows)', async () => {
    expect(await verdicts([header, 'S1,13712340001,王,2024-01-05,S001,G1,'])).toEqual(['ok']);
  });

  // guards against (a tie between two widths settled in favour of the wider one: a shifted row would pass)
  it('takes the narrower width when as many rows end at the header as past it', async () => {
    expect(await verdicts([header, 'S1,13712340001,王,2024-01-05,S001,G1', 'S2,13712340002,王,小明,2024-01-05,S001,'])).toEqual(['ok', 'too_many_fields']);
  });

  // guards against (a cell of spaces past the header read as a filled one where rows usually end with a comma)
  it('reads a cell of spaces past the header as empty where the rows usually end with a comma', async () => {
    expect(await verdicts([header, 'S1,13712340001,王,2024-01-05,S001,G1,', 'S2,13712340002,李,2024-01-05,S001,G2,  ', 'S3,13712340003,赵,2024-01-05,S001,G3,'])).toEqual(['ok', 'ok', 'ok']);
  });

  // guards against (MAX_RECORD_LINES off by one)
  it(`joins a quoted cell spanning exactly ${MAX_RECORD_LINES} lines, and not one line more`, async () => {
    const record = (lines: number) => ['1,"open', ...Array.from({ length: lines - 2 }, (_, i) => `第${i}行`), 'end"'];
    const within = await read('within.csv', ['id,note', ...record(MAX_RECORD_LINES), '2,b'].join('\n'));
    expect(within.map((item) => item.line)).toEqual([2, MAX_RECORD_LINES + 2]);
    expect(within[0]!.row).toEqual({ id: '1', note: record(MAX_RECORD_LINES).join('\n').slice(3, -1) });
    const past = await read('past.csv', ['id,note', ...record(MAX_RECORD_LINES + 1), '2,b'].join('\n'));
    expect(past[0]).toEqual({ line: 2, row: null, error: 'malformed_line' });
    expect(past).toHaveLength(MAX_RECORD_LINES + 2);
  });

  // guards against (lines held for an open quote without bound on their size)
  it(`gives up a quoted cell whose lines pass ${MAX_LINE_BYTES} characters, reading them as rows of their own`, async () => {
    const long = 'x'.repeat(30_000);
    expect(await read('held.csv', ['id,note', '1,"start', long, long, long, 'end"', '2,b'].join('\n'))).toEqual([
      { line: 2, row: null, error: 'malformed_line' },
      { line: 3, row: { id: long } },
      { line: 4, row: { id: long } },
      { line: 5, row: { id: long } },
      { line: 6, row: null, error: 'malformed_line' },
      { line: 7, row: { id: '2', note: 'b' } },
    ]);
  });
  // guards against (a JSON list read as an object with keys 0, 1…: rejected as missing_channelMemberId, not as not_an_object)
  it('rejects a JSONL line holding a list, a string or null as not_an_object', async () => {
    expect(await read('lists.jsonl', '["T1","13800138001"]\n"T1"\nnull\n{"channelMemberId":"T2"}\n')).toEqual([
      { line: 1, row: null, error: 'not_an_object' },
      { line: 2, row: null, error: 'not_an_object' },
      { line: 3, row: null, error: 'not_an_object' },
      { line: 4, row: { channelMemberId: 'T2' } },
    ]);
  });

  // guards against (EXACT_DIGITS past 15: 2^53 + 1 has 16 digits and a double rounds it to 2^53)
  it('reads a 16-digit JSON number as its exact digits', async () => {
    expect(quoteLongIntegers('{"channelMemberId":9007199254740993,"points":100}')).toBe('{"channelMemberId":"9007199254740993","points":100}');
    expect(await read('ids.jsonl', '{"channelMemberId":9007199254740993}\n{"channelMemberId":9007199254740992}\n')).toEqual([
      { line: 1, row: { channelMemberId: '9007199254740993' } },
      { line: 2, row: { channelMemberId: '9007199254740992' } },
    ]);
    // 15 digits are exact as a double: left a number
    expect(quoteLongIntegers('{"points":999999999999999}')).toBe('{"points":999999999999999}');
  });

  // guards against (an escaped quote inside a string taken for its end: digits in the string after it rewritten)
  it('leaves long digits inside a string with an escaped quote as they are', () => {
    const line = '{"name":"a\\"1234567890123456789","channelMemberId":12345678901234567890}';
    expect(JSON.parse(quoteLongIntegers(line))).toEqual({ name: 'a"1234567890123456789', channelMemberId: '12345678901234567890' });
  });

  // guards against (the lines a stray quote held to the end of the file handed on as one batch past the size asked for)
  it('hands on in batches of the size asked the lines a quote left open at the end of the file held', async () => {
    const file = temp.file('open.csv');
    writeFileSync(file, ['id,name', '0,a', '1,"open', ...Array.from({ length: 9 }, (_, i) => `第${i}行`)].join('\n'));
    const sizes: number[] = [];
    for await (const batch of readRows(file).batches(2)) sizes.push(batch.length);
    expect(sizes).toEqual([2, 2, 2, 2, 2, 1]);
  });

  // guards against (a CR alone not counted as a line end in the whole-chunk count: a file of classic Mac line ends, older Excel
  // for Mac's "CSV", named the wrong line when its first line that is not UTF-8 comes past the first 4 MB)
  it('names the first line that is not UTF-8 in a file whose lines end with a CR alone, past the first 4 MB', () => {
    const rows = Array.from({ length: 120_000 }, (_, i) => `S${i},Customer ${String(i).padStart(30, '0')}`);
    const file = temp.file('mac.csv');
    writeFileSync(file, Buffer.concat([Buffer.from(['channelMemberId,name', ...rows, 'LATE,'].join('\r')), Buffer.from([0xd5, 0xc5, 0x0d])]));
    expect(() => checkImportFile(file, ['channelMemberId'])).toThrow(`line ${rows.length + 2} is the first that is not`);
  });
  it('takes the header of a file that starts with a BOM and quotes its header cells, as exports from Windows tools are saved', () => {
    const file = temp.file('quoted.csv');
    writeFileSync(file, '\uFEFF"channelMemberId","phone","name"\r\n"C1","13812345678","张三"\r\n');
    expect(checkImportFile(file, ['channelMemberId', 'phone'], ['channelMemberId', 'phone', 'name'])).toEqual([]);
  });
  // guards against (the rejects of a grouped window written as each batch commits, or unsorted: out of line order)
  it('writes the rejects of a grouped window in line order, though a later group holds an earlier line', async () => {
    const file = temp.file('grouped.csv');
    // a's rows (lines 2 and 4) come first, in one batch; b's row, line 3, after them
    writeFileSync(file, ['id,key', '1,a', '2,b', '3,a', ''].join('\n'));
    const rejectsFile = temp.file('rejects.jsonl');
    const keyOf = (item: RowItem) => String(item.row?.key);
    const planner = { module: __filename, name: 'asRead', create: () => ({ prepare: (item: RowItem) => item, grouping: { keysForWindow: () => keyOf, inFileOrder: true } }), context: null };
    const batches: number[][] = [];
    await importFileInBatches({ file, rejectsFile, batchSize: 1 }, {}, planner, async (batch, rejects: { line: number; reason: string }[]) => {
      batches.push(batch.map((item) => item.line));
      for (const item of batch) if (item.row?.id !== '1') rejects.push({ line: item.line, reason: 'x' });
    });
    expect(batches).toEqual([[2, 4], [3]]);
    expect(readFileSync(rejectsFile, 'utf8').trim().split('\n').map((line) => (JSON.parse(line) as { line: number }).line)).toEqual([3, 4]);
  });

  // guards against (an empty file where the rejects go, as a killed run or `touch` leaves one, refused as someone else's)
  it('lets an empty file, or one of blank lines, where the rejects go make way', () => {
    for (const text of ['', '\n\n']) {
      const file = temp.write('old.rejects.jsonl', text);
      expect(() => prepareOutputFile(file, 'rejected rows')).not.toThrow();
      expect(existsSync(file)).toBe(false);
    }
    const kept = temp.write('members.csv', 'channelMemberId\nT1\n');
    expect(() => prepareOutputFile(kept, 'rejected rows')).toThrow(/holds something else/);
    expect(existsSync(kept)).toBe(true);
  });
});
