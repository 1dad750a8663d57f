import { readFileSync, writeFileSync } from 'node:fs';
import { tempDir } from '../../../test/support/temp';
import { importFileInBatches, type Grouping, type RowItem } from './rows';

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
    expect(batches.every((batch) => batch.length <= 2)).toBe(true);
    expect(rejected).toEqual([5, 7]);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(progress.at(-1)).toBe(readFileSync(file()).length);
  });

  it('groups only within a window when the file is bigger than one', async () => {
    const { batches } = await run({ keysForWindow: () => keyOf, windowRows: 4 });
    const rows = batches.flat();
    expectGrouped(rows.slice(0, 4), ['b2:1', 'b1:2', 'b2:3', 'bad@5']);
    expectGrouped(rows.slice(4), ['b1:5', 'b3:6', 'b2:7']);
  });
});
