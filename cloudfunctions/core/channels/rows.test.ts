import fc from 'fast-check';
import { readFileSync, writeFileSync } from 'node:fs';
import { runs, timeoutFor } from '../../../test/support/property';
import { tempDir } from '../../../test/support/temp';
import { importFileInBatches, MAX_RECORD_LINES, readRows, type Grouping, type RowItem } from './rows';

describe('importFileInBatches', () => {
  let temp: ReturnType<typeof tempDir>;
  beforeEach(() => { temp = tempDir(); });
  afterEach(() => temp.cleanup());

  // buyer b1..b3 interleaved; line 5 is not a readable line
  const file = () => {
    const path = temp.file('rows.csv');
    writeFileSync(path, ['id,buyer', '1,b2', '2,b1', '3,b2', '"4,b3', '5,b1', '6,b3', '7,b2', ''].join('\n'));
    return path;
  };
  const keyOf = (item: RowItem) => String(item.row?.buyer ?? '');

  async function run(grouping?: Grouping) {
    const batches: string[][] = [];
    const progress: number[] = [];
    const rejectsFile = temp.file('rejects.jsonl');
    // rows handed over as read (the planner's module and name matter only to a reading thread)
    const planner = { module: __filename, name: 'asRead', create: () => ({ prepare: (item: RowItem) => item, grouping }), context: null };
    await importFileInBatches(
      { file: file(), rejectsFile, batchSize: 2, onProgress: (bytes) => progress.push(bytes) },
      {},
      planner,
      async (batch, rejects: { line: number; reason: string }[]) => {
        batches.push(batch.map((item) => (item.row ? `${item.row.buyer}:${item.row.id}` : `bad@${item.line}`)));
        // reject in reverse line order, to see them written in line order
        for (const item of [...batch].reverse()) if (!item.row || item.row.id === '6') rejects.push({ line: item.line, reason: 'x' });
      },
    );
    const rejected = readFileSync(rejectsFile, 'utf8').trim().split('\n').map((line) => (JSON.parse(line) as { line: number }).line);
    return { batches, progress, rejected };
  }

  it('without grouping hands over rows in file order', async () => {
    const { batches, rejected } = await run();
    expect(batches).toEqual([['b2:1', 'b1:2'], ['b2:3', 'bad@5'], ['b1:5', 'b3:6'], ['b2:7']]);
    expect(rejected).toEqual([5, 7]);
  });

  it('ends its progress at the file size, a CRLF file too', async () => {
    const path = temp.file('crlf.csv')
    writeFileSync(path, ['id,buyer', '1,b1', '2,b2', '3,b3', '4,b4', ''].join('\r\n'))
    const progress: number[] = []
    const planner = { module: __filename, name: 'asRead', create: () => ({ prepare: (item: RowItem) => item }), context: null }
    await importFileInBatches({ file: path, rejectsFile: temp.file('r.jsonl'), batchSize: 2, onProgress: (bytes, size) => progress.push(bytes / size) }, {}, planner, async () => {})
    expect(progress.at(-1)).toBe(1)
    expect(progress).toEqual([...progress].sort((a, b) => a - b))
  })

  /** Each key's rows in one run, in file order; the runs in any order. */
  const expectGrouped = (rows: string[], file: string[]) => {
    const keyOfRow = (row: string) => row.split(':')[0]!.replace(/^bad@\d+$/, '');
    const keys = rows.map(keyOfRow);
    for (const key of new Set(keys)) {
      const first = keys.indexOf(key);
      const last = keys.lastIndexOf(key);
      expect(keys.slice(first, last + 1).every((k) => k === key)).toBe(true);
      expect(rows.slice(first, last + 1)).toEqual(file.filter((row) => keyOfRow(row) === key));
    }
  };

  it('with grouping hands over each key\'s rows together, file order kept within a key', async () => {
    const { batches, progress, rejected } = await run({ keysForWindow: () => keyOf });
    expect(batches.flat()).toHaveLength(7);
    expectGrouped(batches.flat(), ['b2:1', 'b1:2', 'b2:3', 'bad@5', 'b1:5', 'b3:6', 'b2:7']);
    // a batch takes its 2 rows, then the rest of the group it stopped in: a key's rows share one batch
    for (const key of ['b1', 'b2', 'b3']) expect(batches.filter((batch) => batch.some((row) => row.startsWith(`${key}:`)))).toHaveLength(1);
    expect(batches.slice(0, -1).every((batch) => batch.length >= 2)).toBe(true);
    expect(rejected).toEqual([5, 7]);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(progress.at(-1)).toBe(readFileSync(file()).length);
  });

  it('with inFileOrder hands over the groups in the order of their first rows', async () => {
    const { batches } = await run({ keysForWindow: () => keyOf, inFileOrder: true });
    expect(batches.flat()).toEqual(['b2:1', 'b2:3', 'b2:7', 'b1:2', 'b1:5', 'bad@5', 'b3:6']);
  });

  it('cuts a group too large to share one batch at four batches', async () => {
    const path = temp.file('one-buyer.csv');
    writeFileSync(path, ['id,buyer', ...Array.from({ length: 11 }, (_, i) => `${i + 1},b1`), ''].join('\n'));
    const sizes: number[] = [];
    const planner = { module: __filename, name: 'asRead', create: () => ({ prepare: (item: RowItem) => item, grouping: { keysForWindow: () => keyOf } }), context: null };
    await importFileInBatches({ file: path, rejectsFile: temp.file('r.jsonl'), batchSize: 2 }, {}, planner, async (batch) => { sizes.push(batch.length); });
    expect(sizes).toEqual([8, 3]);
  });

  it('groups only within a window when the file is bigger than one', async () => {
    const { batches } = await run({ keysForWindow: () => keyOf, windowRows: 4 });
    const rows = batches.flat();
    expectGrouped(rows.slice(0, 4), ['b2:1', 'b1:2', 'b2:3', 'bad@5']);
    expectGrouped(rows.slice(4), ['b1:5', 'b3:6', 'b2:7']);
  });
});

describe('readRows on a CSV', () => {
  let temp: ReturnType<typeof tempDir>;
  beforeEach(() => { temp = tempDir(); });
  afterEach(() => temp.cleanup());

  async function read(lines: string[], batchSize = 1000, eol = '\n') {
    const file = temp.file('rows.csv');
    writeFileSync(file, lines.join(eol));
    const rows = readRows(file);
    const batches: { line: number; row: unknown; error?: string }[][] = [];
    for await (const batch of rows.batches(batchSize)) batches.push(batch.map(({ line, row, error }) => (error ? { line, row, error } : { line, row })));
    return { items: batches.flat(), batches, rows };
  }

  it('reads no row of a pasted export whose header names other columns, until a header like the first (a yuan amount is never read as fen)', async () => {
    const lines = ['orderId,amountFen,paidAt', 'O1,10000,2026-01-02', 'orderId,amount,paidAt', 'O2,100,2026-01-03', 'O3,"上海,100",2026-01-04', 'orderId,amountFen,paidAt', 'O4,5000,2026-01-05', '']
    const { items, rows } = await read(lines)
    expect(items.map((item) => [item.line, item.error ?? (item.row as { orderId: string }).orderId])).toEqual([
      [2, 'O1'], [3, 'header_changed'], [4, 'header_changed'], [5, 'header_changed'], [6, 'repeated_header'], [7, 'O4'],
    ])
    // read again, as a grouped import does once its window is read, each line gives the same answer
    expect([2, 4, 6, 7].map((line) => rows.reread(line, lines[line - 1]!).error ?? 'row')).toEqual(['row', 'header_changed', 'repeated_header', 'row'])
  })

  it('rejects a row with more filled fields than the header (an unquoted comma shifted its cells); short rows are read', async () => {
    const { items } = await read(['id,name,points', '1,张三,李四,100', '2,王五,200', '3,赵六', '4,"钱,七",300', '']);
    expect(items).toEqual([
      { line: 2, row: null, error: 'too_many_fields' },
      { line: 3, row: { id: '2', name: '王五', points: '200' } },
      { line: 4, row: { id: '3', name: '赵六' } },
      { line: 5, row: { id: '4', name: '钱,七', points: '300' } },
    ]);
  });

  it('an empty cell past the header passes only where the file\'s rows usually end with one: else it is the same shift, the row\'s last cell being empty', async () => {
    const verdicts = async (lines: string[]) => (await read(lines)).items.map((item) => item.error ?? 'ok');
    const header = 'channelMemberId,phone,name,joinedAt,storeId,guideId';
    // rows end at the header: 王,小明 shifted the store into guideId
    expect(await verdicts([header, 'S0,13712340000,李,2024-01-05,S001,G1', 'S1,13712340001,王,小明,2024-01-05,S001,', 'S2,13712340002,赵,2024-01-05,S001,G2'])).toEqual(['ok', 'too_many_fields', 'ok']);
    // an export ending every row with a comma, its first row shorter, one row shifted (two cells past the header)
    expect(await verdicts([header, 'S0,13712340000,李,2024-01-05,S001', 'S1,13712340001,王,2024-01-05,S001,G1,', 'S2,13712340002,王,小明,2024-01-05,S001,,', 'S3,13712340003,赵,2024-01-05,S001,G3,'])).toEqual(['ok', 'ok', 'too_many_fields', 'ok']);
    // its first row the shifted one
    expect(await verdicts([header, 'S0,13712340000,王,小明,2024-01-05,S001,G1,', 'S1,13712340001,李,2024-01-05,S001,G1,', 'S2,13712340002,赵,2024-01-05,S001,G2,'])).toEqual(['too_many_fields', 'ok', 'ok']);
    // a second export pasted after the first, ending its rows with a comma
    expect(await verdicts([header, 'S0,13712340000,李,2024-01-05,S001,G1', 'S1,13712340001,赵,2024-01-05,S001,G1', header, 'S2,13712340002,钱,2024-01-05,S001,G2,'])).toEqual(['ok', 'ok', 'repeated_header', 'ok']);
  });

  it('knows a pasted export\'s header whether or not one of the two exports ends every line, its header too, with a comma', async () => {
    const header = 'channelMemberId,name,storeId,guideId';
    // the second export ends every line with a comma: its header is no row, and its rows' empty cell passes
    const second = await read([header, 'U1,李,S1,G1', 'U2,赵,S2,G2', 'U3,钱,S3,G3', `${header},`, 'U4,孙,S4,G4,', 'U5,周,S5,,', '']);
    expect(second.items).toEqual([
      { line: 2, row: { channelMemberId: 'U1', name: '李', storeId: 'S1', guideId: 'G1' } },
      { line: 3, row: { channelMemberId: 'U2', name: '赵', storeId: 'S2', guideId: 'G2' } },
      { line: 4, row: { channelMemberId: 'U3', name: '钱', storeId: 'S3', guideId: 'G3' } },
      { line: 5, row: null, error: 'repeated_header' },
      { line: 6, row: { channelMemberId: 'U4', name: '孙', storeId: 'S4', guideId: 'G4' } },
      { line: 7, row: { channelMemberId: 'U5', name: '周', storeId: 'S5', guideId: '' } },
    ]);
    // the first one does: the second's header, without the comma, is no member named channelMemberId
    const first = await read([`${header},`, 'T1,李,S1,G1,', 'T2,赵,S2,G2,', header, 'T3,钱,S3,G3', '']);
    expect(first.items.map((item) => item.error ?? (item.row as { channelMemberId: string }).channelMemberId)).toEqual(['T1', 'T2', 'repeated_header', 'T3']);
  });

  it('reads the last row of a pasted export whose first export ended its header with a comma, the file ending without a line break', async () => {
    const header = 'channelMemberId,name,storeId,guideId';
    const { items } = await read([`${header},`, 'T1,李,S1,G1,', header, 'T3,钱,S3,G3']);
    expect(items.map((item) => item.error ?? (item.row as { channelMemberId: string }).channelMemberId)).toEqual(['T1', 'repeated_header', 'T3']);
    // a row truly cut short is still refused
    expect((await read([`${header},`, 'T1,李,S1,G1,', 'T2,赵'])).items.map((item) => item.error ?? 'ok')).toEqual(['ok', 'line_cut_off']);
    // in an export ending every line with a comma, a last row without its comma was cut in its last cell (G2 may be G21)
    expect((await read([`${header},`, 'T1,李,S1,G1,', 'T2,赵,S2,G2'])).items.map((item) => item.error ?? 'ok')).toEqual(['ok', 'line_cut_off']);
    // and after a pasted export that ends its lines so, too
    expect((await read([header, 'T1,李,S1,G1', `${header},`, 'T2,赵,S2,G2,', 'T3,钱,S3,G3'])).items.map((item) => item.error ?? 'ok')).toEqual(['ok', 'repeated_header', 'ok', 'line_cut_off']);
  });

  it('knows the second of two exports joined by cat by its header, when that export starts with a BOM and quotes its header', async () => {
    const header = 'channelMemberId,name,storeId,guideId';
    const { items } = await read([header, 'T1,李,S1,G1', '\uFEFF"channelMemberId","name","storeId","guideId"', 'T2,钱,S2,G2', '']);
    expect(items.map((item) => item.error ?? (item.row as { channelMemberId: string }).channelMemberId)).toEqual(['T1', 'repeated_header', 'T2']);
  });

  it('knows a pasted export\'s header that has fewer columns, the last ones left out, and reads its rows whole to the last', async () => {
    const header = 'channelMemberId,name,address,storeId';
    // the second export without storeId: its header is no member named channelMemberId, its last row (no line break) not cut off
    const { items } = await read([header, 'A1,李,上海,S1', 'channelMemberId,name,address', 'A2,赵,北京', 'A3,钱,广州']);
    expect(items.map((item) => item.error ?? (item.row as { channelMemberId: string }).channelMemberId)).toEqual(['A1', 'repeated_header', 'A2', 'A3']);
    // a row truly cut short after it is still refused
    expect((await read([header, 'A1,李,上海,S1', 'channelMemberId,name,address', 'A2,赵'])).items.map((item) => item.error ?? 'ok')).toEqual(['ok', 'repeated_header', 'line_cut_off']);
  });

  it('reads a cell with line breaks as one record in an export that ends every row, or only its header, with a comma, pasted after another or not', async () => {
    const header = 'channelMemberId,name,address,storeId';
    const ids = (items: { row: unknown; error?: string }[]) => items.map((item) => item.error ?? `${(item.row as { channelMemberId: string }).channelMemberId}:${(item.row as { address: string }).address}`);
    // its rows end with a comma, its header does not
    expect(ids((await read([header, 'A1,李,"上海市', '静安区",S1,', 'A2,赵,北京,S2,', 'A3,钱,广州,S3,', ''])).items)).toEqual(['A1:上海市\n静安区', 'A2:北京', 'A3:广州']);
    // the second of two exports pasted together does so, header too
    expect(ids((await read([header, 'A1,李,上海,S1', `${header},`, 'A2,赵,"北京', '朝阳",S2,', 'A3,钱,广州,S3,', ''])).items)).toEqual(['A1:上海', 'repeated_header', 'A2:北京\n朝阳', 'A3:广州']);
    // the first does, the second not
    expect(ids((await read([`${header},`, 'A1,李,上海,S1,', header, 'A2,赵,"北京', '朝阳",S2', 'A3,钱,广州,S3', ''])).items)).toEqual(['A1:上海', 'repeated_header', 'A2:北京\n朝阳', 'A3:广州']);
  });

  it('knows a pasted export\'s header when the first export ends its lines with several empty cells (columns Excel kept past the data)', async () => {
    const header = 'channelMemberId,name,storeId,guideId';
    const { items } = await read([`${header},,`, 'T1,李,S1,G1,,', header, 'T2,钱,S2,G2', '']);
    // the second header is no member named channelMemberId
    expect(items.map((item) => item.error ?? (item.row as { channelMemberId: string }).channelMemberId)).toEqual(['T1', 'repeated_header', 'T2']);
  });

  it('reads a cell with line breaks as one record in an export that ends every line, its header too, with several empty cells', async () => {
    const header = 'channelMemberId,name,address,storeId';
    const { items } = await read([`${header},,`, 'A1,李,"上海市', '静安区",S1,,', 'A2,赵,北京,S2,,', '']);
    expect(items.map((item) => item.error ?? `${(item.row as { channelMemberId: string }).channelMemberId}:${(item.row as { address: string }).address}`)).toEqual(['A1:上海市\n静安区', 'A2:北京']);
  });

  it('reads cells with line breaks as records of their own width when learning that an export ends every row, not its header, with a comma', async () => {
    // the lines inside the addresses are no rows: counted as such, they made one cell the usual width
    const { items } = await read(['channelMemberId,name,address', 'A1,李,"上海市', '静安区', '南京西路",', 'A2,赵,"北京市', '朝阳区', '建国路",', 'A3,钱,杭州,', '']);
    expect(items.map((item) => item.error ?? `${(item.row as { channelMemberId: string }).channelMemberId}:${(item.row as { address: string }).address}`)).toEqual([
      'A1:上海市\n静安区\n南京西路',
      'A2:北京市\n朝阳区\n建国路',
      'A3:杭州',
    ]);
  });

  it('knows a pasted export\'s header written in another case and padded, as another tool names the same columns', async () => {
    const { items } = await read(['channelMemberId,name,storeId,guideId', 'T1,李,S1,G1', ' ChannelMemberID ,NAME,StoreId,guideid', 'T2,钱,S2,G2', '']);
    expect(items.map((item) => item.error ?? (item.row as { channelMemberId: string }).channelMemberId)).toEqual(['T1', 'repeated_header', 'T2']);
  });

  it('reads a cell with line breaks as one record in a pasted export that leaves out the first one\'s last columns', async () => {
    const header = 'channelMemberId,name,address,storeId';
    const cells = (items: { row: unknown; error?: string }[]) => items.map((item) => item.error ?? Object.values(item.row as object).join('|'));
    expect(cells((await read([header, 'A1,李,上海,S1', 'channelMemberId,name,address', 'A2,赵,"北京', '朝阳"', 'A3,钱,广州', ''])).items))
      .toEqual(['A1|李|上海|S1', 'repeated_header', 'A2|赵|北京\n朝阳', 'A3|钱|广州']);
    // the pasted export ends its rows with empty cells: one past the first header passes, as on one line
    expect(cells((await read(['channelMemberId,name,address', 'A1,李,上海', 'channelMemberId,name', 'A2,"赵', '钱",,', ''])).items))
      .toEqual(['A1|李|上海', 'repeated_header', 'A2|赵\n钱|']);
  });

  it('learns how many cells the rows usually have from records, not from the lines inside a cell with line breaks', async () => {
    // an export ending its rows, not its header, with a comma, each address on three lines
    const { items } = await read(['channelMemberId,name,address', 'A1,李,"上海市', '静安区', '南京西路",', 'A2,赵,"北京市', '朝阳区', '建国路",', '']);
    expect(items).toEqual([
      { line: 2, row: { channelMemberId: 'A1', name: '李', address: '上海市\n静安区\n南京西路' } },
      { line: 5, row: { channelMemberId: 'A2', name: '赵', address: '北京市\n朝阳区\n建国路' } },
    ]);
  });

  it('does not count a pasted export\'s header among the rows when learning how many cells they usually have', async () => {
    // a day's export with no rows, then one ending its rows with two empty cells
    const header = 'channelMemberId,name,storeId';
    const { items } = await read([header, header, 'B1,李,S1,,', '']);
    expect(items).toEqual([{ line: 2, row: null, error: 'repeated_header' }, { line: 3, row: { channelMemberId: 'B1', name: '李', storeId: 'S1' } }]);
  });

  it('reads a cell with line breaks as one record in an export that ends its rows, not its header, with several empty cells', async () => {
    const { items } = await read(['channelMemberId,name,address', 'A1,李,"上海市', '静安区",,', 'A2,赵,北京,,', 'A3,钱,广州,,', '']);
    expect(items.map((item) => item.error ?? (item.row as { address: string }).address)).toEqual(['上海市\n静安区', '北京', '广州']);
  });

  it('reads the rows of a pasted export that ends every line, its header too, with several empty cells, after a longer export that ends none', async () => {
    const header = 'channelMemberId,name,storeId,guideId';
    const first = ['T0,冯,S0,G0', 'T1,李,S1,G1', 'T2,赵,S2,G2', 'T3,钱,S3,G3', 'T8,陈,S8,G8'];
    const lines = [header, ...first, `${header},,`, 'T4,孙,S4,G4,,', 'T5,周,"S5', '二楼",G5,,', 'T6,吴,S6,,,', 'T7,郑,S7,G7,X,', ''];
    const { items } = await read(lines);
    expect(items.map((item) => item.error ?? Object.values(item.row as object).join('|'))).toEqual([
      ...first.map((row) => row.replaceAll(',', '|')), 'repeated_header', 'T4|孙|S4|G4', 'T5|周|S5\n二楼|G5', 'T6|吴|S6|',
      // a filled cell past the header is still a shift
      'too_many_fields',
    ]);
  });

  it('takes a row of a pasted export with more empty cells than its header ends with for a shift', async () => {
    const header = 'channelMemberId,name,storeId,guideId';
    const lines = [header, 'T0,冯,S0,G0', 'T1,李,S1,G1', 'T2,赵,S2,G2', `${header},,`, 'T4,孙,S4,G4,,', 'T5,周,S5,,,,', ''];
    const { items } = await read(lines);
    expect(items.map((item) => item.error ?? Object.values(item.row as object).join('|'))).toEqual(['T0|冯|S0|G0', 'T1|李|S1|G1', 'T2|赵|S2|G2', 'repeated_header', 'T4|孙|S4|G4', 'too_many_fields']);
  });

  it('reads as a row a line some of whose cells are columns\' names', async () => {
    expect((await read(['channelMemberId,remark,note', 'T1,email,phone', ''])).items).toEqual([{ line: 2, row: { channelMemberId: 'T1', remark: 'email', note: 'phone' } }]);
  });

  it('reads no row of a pasted export whose header names the same columns in another order (a buyer id is never read as the order id)', async () => {
    const lines = ['orderId,channelMemberId,amountFen,paidAt', 'O1,B1,100,2026-01-01', ' ChannelMemberID ,orderId,amountFen,paidAt', 'B2,O2,200,2026-01-02', 'orderId,channelMemberId,amountFen,paidAt', 'O3,B3,300,2026-01-03', ''];
    const { items, rows } = await read(lines);
    expect(items.map((item) => [item.line, item.error ?? (item.row as { orderId: string }).orderId])).toEqual([
      [2, 'O1'], [3, 'header_changed'], [4, 'header_changed'], [5, 'repeated_header'], [6, 'O3'],
    ]);
    // read again, each line gives the same answer
    expect([3, 4, 5, 6].map((line) => rows.reread(line, lines[line - 1]!).error ?? 'row')).toEqual(['header_changed', 'header_changed', 'repeated_header', 'row']);
    // a row whose cells merely include a column's name is a row
    expect((await read(['channelMemberId,name,storeId', 'name,S1,S1', ''])).items).toEqual([{ line: 2, row: { channelMemberId: 'name', name: 'S1', storeId: 'S1' } }]);
  });

  it('knows a pasted export\'s header whose first column has no name (an index column, as pandas writes one), and reads that export\'s rows', async () => {
    const header = ',orderId,channelMemberId,amountFen,paidAt';
    const lines = [header, '0,O1,B1,100,2026-01-01', '1,O2,B2,200,2026-01-02', header, '0,O3,B3,300,2026-01-03', ''];
    const { items, rows } = await read(lines);
    expect(items.map((item) => [item.line, item.error ?? (item.row as { orderId: string }).orderId])).toEqual([
      [2, 'O1'], [3, 'O2'], [4, 'repeated_header'], [5, 'O3'],
    ]);
    expect([4, 5].map((line) => rows.reread(line, lines[line - 1]!).error ?? 'row')).toEqual(['repeated_header', 'row']);
    // in another order it is another export's header still, and its rows are not read
    const permuted = (await read([header, '0,O1,B1,100,2026-01-01', ',channelMemberId,orderId,amountFen,paidAt', '0,B2,O2,200,2026-01-02', ''])).items;
    expect(permuted.map((item) => item.error ?? 'row')).toEqual(['row', 'header_changed', 'header_changed']);
  });

  it.each([
    ['ends with an empty cell', 'orderId,channelMemberId,amountFen,paidAt', 'channelMemberId,orderId,amountFen,paidAt,', 'B2,O2,200,2026-01-02,'],
    ['names a column the imports do not read, as the first header does', 'orderId,channelMemberId,remark,amountFen', 'channelMemberId,orderId,remark,amountFen', 'B2,O2,备注,200'],
    ['names a column the imports read that the first header has not', 'orderId,channelMemberId,amountFen', 'channelMemberId,orderId,amount', 'B2,O2,2.00'],
    ['names two columns only', 'channelMemberId,phone', 'phone,channelMemberId', '13900000002,B2'],
  ])('reads no row of a pasted export naming the columns in another order when its header %s', async (_case, first, pasted, row) => {
    const { items } = await read([first, ['O1', 'B1', ...first.split(',').slice(2).map(() => '1')].join(','), pasted, row, '']);
    expect(items.map((item) => item.error ?? 'row')).toEqual(['row', 'header_changed', 'header_changed']);
  });

  it('reads the rows under a header like the first again after two pasted exports naming the columns in another order', async () => {
    const other = 'channelMemberId,orderId,amountFen,paidAt';
    const lines = ['orderId,channelMemberId,amountFen,paidAt', 'O1,B1,100,2026-01-01', other, 'B2,O2,200,2026-01-02', other, 'B3,O3,300,2026-01-03', 'orderId,channelMemberId,amountFen,paidAt', 'O4,B4,400,2026-01-04', ''];
    const { items, rows } = await read(lines);
    expect(items.map((item) => item.error ?? (item.row as { orderId: string }).orderId)).toEqual(['O1', 'header_changed', 'header_changed', 'header_changed', 'header_changed', 'repeated_header', 'O4']);
    // read again, in any order, each line gives the same answer
    expect([5, 3, 8, 4].map((line) => rows.reread(line, lines[line - 1]!).error ?? 'row')).toEqual(['header_changed', 'header_changed', 'row', 'header_changed']);
  });

  it('reads a row before a pasted export ending its lines with empty cells the same way again after that export', async () => {
    // the first export ends no line with a comma: an empty cell past its header is a shift (a comma in a name)
    const header = 'channelMemberId,name,storeId,guideId';
    const lines = [header, 'T0,冯,S0,G0', 'T1,李,S1,G1', 'T2,赵,x,S2,', 'T3,钱,S3,G3', `${header},,`, 'T4,孙,S4,G4,,', ''];
    const { items, rows } = await read(lines);
    expect(items.map((item) => item.error ?? 'row')).toEqual(['row', 'row', 'too_many_fields', 'row', 'repeated_header', 'row']);
    // read again, in any order, each line gives the answer it gave first
    expect([4, 7, 6, 2].map((line) => rows.reread(line, lines[line - 1]!).error ?? 'row')).toEqual(['too_many_fields', 'row', 'repeated_header', 'row']);
    // and a last line cut off is judged by the header it follows, also when read again
    const cut = [header, 'T0,冯,S0,G0', `${header},,`, 'T1,李,S1,G1,,', 'T2,赵'];
    const second = await read(cut);
    expect(second.items.map((item) => item.error ?? 'row')).toEqual(['row', 'repeated_header', 'row', 'line_cut_off']);
    expect([2, 5].map((line) => second.rows.reread(line, cut[line - 1]!).error ?? 'row')).toEqual(['row', 'line_cut_off']);
  });

  it('reads as a row a line whose one filled cell is a column\'s name', async () => {
    expect((await read(['channelMemberId,name,storeId', 'name,,', ''])).items).toEqual([{ line: 2, row: { channelMemberId: 'name', name: '', storeId: '' } }]);
  });

  it('reads a cell with line breaks as one record in a file that starts with a BOM and quotes its header', async () => {
    const { items } = await read(['\uFEFF"id","name","note"', '1,张三,"住址：', '上海市"', '2,李四,ok', '']);
    expect(items).toEqual([
      { line: 2, row: { id: '1', name: '张三', note: '住址：\n上海市' } },
      { line: 4, row: { id: '2', name: '李四', note: 'ok' } },
    ]);
  });

  it('reads a quoted field with line breaks (an Excel cell) as one record, numbered by its first line', async () => {
    const { items } = await read(['id,name,note', '1,张三,"住址：', '上海市', '""静安区"""', '2,李四,ok', ''], 1000, '\r\n');
    expect(items).toEqual([
      { line: 2, row: { id: '1', name: '张三', note: '住址：\n上海市\n"静安区"' } },
      { line: 5, row: { id: '2', name: '李四', note: 'ok' } },
    ]);
  });

  it('rejects a line whose quote never closes and reads every line it held as rows of their own', async () => {
    const { items, batches } = await read(['id,name', '1,"unclosed', '2,b', '3,c', '4,d'], 2);
    expect(items).toEqual([
      { line: 2, row: null, error: 'malformed_line' },
      { line: 3, row: { id: '2', name: 'b' } },
      { line: 4, row: { id: '3', name: 'c' } },
      { line: 5, row: { id: '4', name: 'd' } },
    ]);
    // the lines handed on at once still come in batches of the size asked for
    expect(batches.map((batch) => batch.length)).toEqual([2, 2]);
  });

  it('does not join a stray quote to a later quoted record that does not fit the header', async () => {
    // joining lines 2..4 would make one record of 2 fields instead of 3: line 2 alone is rejected
    const { items } = await read(['id,name,note', '1,"stray,x', '2,b,c', '3,"two', 'lines",z']);
    expect(items).toEqual([
      { line: 2, row: null, error: 'malformed_line' },
      { line: 3, row: { id: '2', name: 'b', note: 'c' } },
      { line: 4, row: { id: '3', name: 'two\nlines', note: 'z' } },
    ]);
  });

  it(`holds an open quote for at most ${MAX_RECORD_LINES} lines`, async () => {
    // lines that could be inside a cell (no commas), and a closing quote too far below
    const rest = Array.from({ length: MAX_RECORD_LINES + 5 }, (_, i) => `第${i}行`);
    // (ending with a line break: a last line short of the header's cells without one is a file cut off)
    const { items } = await read(['id,name', '1,"open', ...rest.slice(0, MAX_RECORD_LINES + 2), 'x"', ...rest.slice(MAX_RECORD_LINES + 2), '']);
    expect(items[0]).toEqual({ line: 2, row: null, error: 'malformed_line' });
    expect(items.filter((item) => item.row)).toHaveLength(rest.length);
    // the closing quote is a malformed line of its own
    expect(items.filter((item) => !item.row).map((item) => item.line)).toEqual([2, MAX_RECORD_LINES + 5]);
    // within the limit, the same lines make one record
    const within = await read(['id,name', '1,"open', ...rest.slice(0, MAX_RECORD_LINES - 2), 'x"', '2,b']);
    expect(within.items).toEqual([
      { line: 2, row: { id: '1', name: `open\n${rest.slice(0, MAX_RECORD_LINES - 2).join('\n')}\nx` } },
      { line: MAX_RECORD_LINES + 2, row: { id: '2', name: 'b' } },
    ]);
  });

  it.each([
    ['', 'id,name,note'],
    [' in an export that ends only its header with a comma', 'id,name,note,'],
  ])('does not let a stray quote take the rows after it up to a cell that starts with a line break%s', async (_, header) => {
    const { items } = await read([header, '1,a,"VIP', '2,b,ok', '3,c,ok', '4,d,"', '上海市静安区"', '5,e,ok', '']);
    expect(items).toEqual([
      { line: 2, row: null, error: 'malformed_line' },
      { line: 3, row: { id: '2', name: 'b', note: 'ok' } },
      { line: 4, row: { id: '3', name: 'c', note: 'ok' } },
      { line: 5, row: { id: '4', name: 'd', note: '上海市静安区' } },
      { line: 7, row: { id: '5', name: 'e', note: 'ok' } },
    ]);
  });

  it('does not let a stray quote take a row whose cell holds a quote (5" 屏) and so cannot close it', async () => {
    const { items } = await read(['id,name,note', '1,a,"VIP', '2,b"x,c', '3,c,ok', '']);
    expect(items).toEqual([
      { line: 2, row: null, error: 'malformed_line' },
      { line: 3, row: { id: '2', name: 'b"x', note: 'c' } },
      { line: 4, row: { id: '3', name: 'c', note: 'ok' } },
    ]);
  });

  it('does not let a stray quote take a row ending with a quote into a record short of the header\'s names', async () => {
    // joined, lines 2 and 3 would be member 1 named "VIP\n2,b,c" with no note, and member 2 gone
    const { items } = await read(['id,name,note', '1,"VIP', '2,b,c"', '3,c,ok', '']);
    expect(items[0]).toEqual({ line: 2, row: null, error: 'malformed_line' });
    // line 3 is judged on its own (its trailing quote makes it malformed): reported as line 3, not hidden in line 2
    expect(items.slice(1).map((item) => item.line)).toEqual([3, 4]);
    expect(items[2]).toEqual({ line: 4, row: { id: '3', name: 'c', note: 'ok' } });
  });

  it('does not let a stray quote take a row whose closing quote leaves a filled cell past the header', async () => {
    const { items } = await read(['id,name,note', '1,a,"VIP', '2,b",c', '3,c,ok', '']);
    expect(items[0]).toEqual({ line: 2, row: null, error: 'malformed_line' });
    // joined, lines 2 and 3 would be one record of four cells, rejected as such, line 3 hidden in it
    expect(items.slice(1).map((item) => item.line)).toEqual([3, 4]);
    expect(items[2]).toEqual({ line: 4, row: { id: '3', name: 'c', note: 'ok' } });
  });

  it('reports as progress the bytes of the rows handed out, not what the stream has read ahead', async () => {
    const lines = ['id,name', ...Array.from({ length: 40_000 }, (_, i) => `${i},会员${i}`)];
    const file = temp.file('big.csv');
    writeFileSync(file, `${lines.join('\n')}\n`);
    const rows = readRows(file);
    const progress: number[] = [];
    for await (const batch of rows.batches(10_000)) progress.push(rows.bytesRead());
    // as each batch is handed out: the bytes of the header and of the rows up to the batch's last
    const bytesThrough = (row: number) => Buffer.byteLength(`${lines.slice(0, row + 1).join('\n')}\n`);
    expect(progress).toEqual([10_000, 20_000, 30_000, 40_000].map(bytesThrough));
  });

  it('reads a quote inside an unquoted cell as part of it, as Excel does, without holding lines', async () => {
    const { items } = await read(['id,name,note', '1,张"三,5" 屏', '2,c,"quoted, as ever"', '3,a""b,x']);
    expect(items).toEqual([
      { line: 2, row: { id: '1', name: '张"三', note: '5" 屏' } },
      { line: 3, row: { id: '2', name: 'c', note: 'quoted, as ever' } },
      { line: 4, row: { id: '3', name: 'a""b', note: 'x' } },
    ]);
  });

  it('does not read the last line of a cell with line breaks, whose start was lost, as a row of its own', async () => {
    // Excel reads lines 2 and 3 as one row; here line 2 is malformed (a quote inside a cell and a
    // quoted cell), and line 3, which ends a cell with a quote, is no member 2 named b"
    const { items } = await read(['id,name,note', '1,张"三,"第一行', '2,b",c', '3,d,e', '4,"a"b', 'VIP,2024"']);
    expect(items).toEqual([
      { line: 2, row: null, error: 'malformed_line' },
      { line: 3, row: null, error: 'malformed_line' },
      { line: 4, row: { id: '3', name: 'd', note: 'e' } },
      { line: 5, row: null, error: 'malformed_line' },
      { line: 6, row: null, error: 'malformed_line' },
    ]);
  });

  it('rejects a quoted cell with text after its closing quote at once, without holding lines', async () => {
    const { items } = await read(['id,name', '1,"a"b', '2,c']);
    expect(items).toEqual([{ line: 2, row: null, error: 'malformed_line' }, { line: 3, row: { id: '2', name: 'c' } }]);
  });
});

describe('readRows on any CSV written with standard quoting', () => {
  let temp: ReturnType<typeof tempDir>;
  beforeEach(() => { temp = tempDir(); });
  afterEach(() => temp.cleanup());

  // what a cell may hold: commas, quotes, line breaks of each kind, Chinese, tabs and spaces
  const piece = fc.constantFrom('a', 'Z', '7', ' ', '  ', ',', ',,', '"', '""', '\n', '\r\n', '\r', '\t', '张', '三', '上海市静安区', '，', '\u3000', '-', '.');
  const cell = fc.array(piece, { maxLength: 8 }).map((parts) => parts.join(''));
  const lineBreak = /\r\n|\r|\n/;
  const commas = (text: string) => text.split(',').length - 1;
  /** A cell as a standard CSV writer puts it: quoted when it holds a comma, a quote or a line break (or when the writer quotes every cell). */
  const written = (text: string, quoteAll: boolean) => (quoteAll || /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text);

  const file = fc.integer({ min: 2, max: 5 }).chain((width) => fc.record({
    header: fc.constant(Array.from({ length: width }, (_, i) => `c${i}`)),
    rows: fc.array(fc.array(fc.tuple(cell, fc.boolean()), { minLength: width, maxLength: width }), { minLength: 1, maxLength: 8 }),
    eol: fc.constantFrom('\n', '\r\n'),
    endsWithBreak: fc.boolean(),
  })).filter(({ header, rows }) => rows.every((row) => row.every(([text]) => {
    // by design (see CsvRecords), a line inside a cell with line breaks that holds no quote and
    // as many commas as the header is read as a row of its own, the quote before it a stray one
    const inner = text.split(lineBreak).slice(1, -1);
    return inner.every((line) => line.includes('"') || commas(line) < header.length - 1);
  }) && !row.every(([text], i) => text.trim() === header[i])));

  it('reads back every record as its trimmed cells, numbered by its first line, in LF and CRLF files', async () => {
    await fc.assert(fc.asyncProperty(file, async ({ header, rows, eol, endsWithBreak }) => {
      const records = rows.map((row) => row.map(([text, quoteAll]) => written(text, quoteAll)).join(','));
      const path = temp.file('any.csv');
      writeFileSync(path, [header.join(','), ...records].join(eol) + (endsWithBreak ? eol : ''));
      const items: { line: number; row: unknown; error?: string }[] = [];
      for await (const batch of readRows(path).batches(3)) items.push(...batch.map(({ line, row, error }) => (error ? { line, row, error } : { line, row })));
      // the reader takes a line break inside a cell, LF, CRLF or CR alone, as an LF
      let line = 2;
      const expected = rows.map((row, i) => {
        const item = { line, row: Object.fromEntries(row.map(([text], j) => [header[j], text.replace(/\r\n|\r/g, '\n').trim()])) };
        line += records[i]!.split(lineBreak).length;
        return item;
      });
      expect(items).toEqual(expected);
    }), { numRuns: runs(300) });
  }, timeoutFor(10_000));
});

describe('readRows on one or two exports joined into one file', () => {
  let temp: ReturnType<typeof tempDir>;
  beforeEach(() => { temp = tempDir(); });
  afterEach(() => temp.cleanup());

  const piece = fc.constantFrom('a', 'Z', '7', ' ', ',', ',,', '"', '""', '\n', '\r\n', '\r', '张', '上海市', '-');
  const cell = fc.array(piece, { maxLength: 6 }).map((parts) => parts.join(''));
  // the id column is never blank (a one-column row of a blank id would be a blank line)
  const idCell = fc.array(piece, { minLength: 1, maxLength: 4 }).map((parts) => parts.join('')).filter((text) => text.trim() !== '');
  const lineBreak = /\r\n|\r|\n/;
  const commaCount = (text: string) => text.split(',').length - 1;
  /** A cell as Excel writes it: quoted when it holds a comma, a quote or a line break. */
  const excel = (text: string) => (/[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text);
  const OTHER_COLUMNS = ['phone', 'name', 'email', 'points', 'joinedAt', 'storeId', 'guideId'];
  /** Another tool's spelling of a column name: another case, spaces around it. */
  const spelling = fc.constantFrom((name: string) => name, (name: string) => name.toUpperCase(), (name: string) => name.toLowerCase(), (name: string) => ` ${name} `);

  const rowsOf = (width: number, max: number) => fc.array(fc.tuple(idCell, fc.array(cell, { minLength: width - 1, maxLength: width - 1 })).map(([id, rest]) => [id, ...rest]), { maxLength: max });
  const exportShape = { bom: fc.boolean(), eol: fc.constantFrom('\n', '\r\n'), quoteHeader: fc.boolean(), headerEmpties: fc.integer({ min: 0, max: 2 }), rowEmpties: fc.integer({ min: 0, max: 2 }) };

  const joined = fc.integer({ min: 2, max: 6 }).chain((width) => fc.record({
    header: fc.shuffledSubarray(OTHER_COLUMNS, { minLength: width - 1, maxLength: width - 1 }).map((rest) => ['channelMemberId', ...rest]),
    first: fc.record({ ...exportShape, rows: rowsOf(width, 6) }),
    second: fc.option(fc.integer({ min: 1, max: width }).chain((kept) => fc.record({
      ...exportShape,
      spellings: fc.array(spelling, { minLength: kept, maxLength: kept }),
      rows: rowsOf(kept, 6),
    })), { nil: undefined }),
    endsWithBreak: fc.boolean(),
  }));

  type Joined = typeof joined extends fc.Arbitrary<infer T> ? T : never;

  /** The file, each record's first line and cells, and the line of the second export's header. */
  function build({ header, first, second, endsWithBreak }: Joined) {
    const exports = [{ ...first, names: header }, ...(second ? [{ ...second, names: header.slice(0, second.spellings.length).map((name, i) => second.spellings[i]!(name)) }] : [])];
    let text = '';
    let line = 1;
    let secondHeader = 0;
    const records: { line: number; cells: string[]; lines: number; width: number; of: number }[] = [];
    exports.forEach((part, e) => {
      if (e === 1) secondHeader = line;
      const lines = [part.names.map((name) => (part.quoteHeader ? `"${name}"` : name)).join(',') + ','.repeat(part.headerEmpties)];
      line++;
      for (const cells of part.rows) {
        const written = cells.map(excel).join(',') + ','.repeat(part.rowEmpties);
        lines.push(written);
        const spans = written.split(lineBreak).length;
        records.push({ line, cells, lines: spans, width: cells.length + part.rowEmpties, of: e });
        line += spans;
      }
      const last = e === exports.length - 1;
      text += (part.bom ? '\uFEFF' : '') + lines.join(part.eol) + (!last || endsWithBreak ? part.eol : '');
    });
    return { text, records, secondHeader, exports };
  }

  /** Files whose every row the docs (imports.md, Rows and quotes) say is read. */
  function readable(input: Joined): boolean {
    const { header, first, endsWithBreak } = input;
    const { records, exports } = build(input);
    const named = header.length;
    // a line inside a cell with line breaks holding no quote and as many fields as the header names is a row of its own
    const inner = (text: string) => text.split(lineBreak).slice(1, -1);
    // (as many as the header of its own export names: a pasted export may leave out the last columns)
    if (records.some(({ cells }) => cells.some((text) => inner(text).some((l) => !l.includes('"') && commaCount(l) >= cells.length - 1)))) return false;
    // an empty cell past the header: the first header's, one after a pasted header, or the file's usual row width
    const counts = new Map<number, number>();
    for (const { width } of records) counts.set(width, (counts.get(width) ?? 0) + 1);
    const most = Math.max(0, ...counts.values());
    const commonest = [...counts].filter(([, n]) => n === most).map(([width]) => width);
    const usual = commonest.length === 1 ? commonest[0]! : 0;
    const columns = named + first.headerEmpties;
    if (records.some(({ width, of }) => width > columns && width !== usual && !(of === 1 && width <= named + 1))) return false;
    // a last line without its line break, short of its export's header cells, is a file cut off
    const lastExport = exports.at(-1)!;
    const lastRecord = records.at(-1);
    if (!endsWithBreak && lastRecord && lastRecord.of === exports.length - 1 && lastRecord.lines === 1
      && lastRecord.width < lastExport.names.length + lastExport.headerEmpties) return false;
    return true;
  }

  it('reads every row under the first header\'s names, numbered by its first line, and rejects only the second header', async () => {
    await fc.assert(fc.asyncProperty(joined.filter(readable), async (input) => {
      const { text, records, secondHeader } = build(input);
      const path = temp.file('joined.csv');
      writeFileSync(path, text);
      const items: { line: number; row: unknown; error?: string }[] = [];
      for await (const batch of readRows(path).batches(4)) {
        for (const { line, row, error } of batch) {
          if (error) { items.push({ line, row, error }); continue; }
          // the first header's names, the missing ones empty; the empty cells past its last name empty too
          const named: Record<string, unknown> = Object.fromEntries(input.header.map((name) => [name, (row as Record<string, unknown>)[name] ?? '']));
          const others = Object.entries(row as Record<string, unknown>).filter(([name]) => !input.header.includes(name));
          items.push({ line, row: others.every(([, value]) => value === '') ? named : { ...named, others } });
        }
      }
      const expected: { line: number; row: unknown; error?: string }[] = records.map(({ line, cells }) => ({
        line,
        row: Object.fromEntries(input.header.map((name, j) => [name, (cells[j] ?? '').replace(/\r\n|\r/g, '\n').trim()])),
      }));
      if (secondHeader) expected.push({ line: secondHeader, row: null, error: 'repeated_header' });
      expect(items).toEqual(expected.sort((a, b) => a.line - b.line));
    }), { numRuns: runs(200) });
  }, timeoutFor(10_000));
});
