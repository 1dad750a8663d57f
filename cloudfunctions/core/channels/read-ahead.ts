import { join } from 'node:path';
import { parentPort, Worker, workerData } from 'node:worker_threads';
import { preparedBatches, type PreparedBatch, type RowPlan, type RowPlanner } from './rows';

/**
 * An import's reading thread: it reads the file, groups and prepares its rows
 * (parsing, checking, hashing: the RowPlan) and hands batches over, while the
 * main thread runs the transactions. The two overlap, so on a 2-core machine
 * the reading costs the import almost nothing. The batches are the ones
 * `preparedBatches` gives in the main thread, in the same order.
 */

/** Batches the reader may be ahead of the writer: enough that the writer never waits, few enough to bound memory. */
const AHEAD = 3;

interface Start {
  file: string;
  batchSize: number;
  module: string;
  name: string;
  context: unknown;
}

/**
 * A batch as it crosses between threads: one array per field instead of one
 * object per row. Copying 20,000 small objects costs the receiving thread
 * about 5 µs a row, as much as preparing them; arrays of strings and numbers
 * cost a seventh of that.
 */
interface PackedBatch {
  fields: string[];
  columns: unknown[][];
  rows: number;
  lines: number[];
  texts: string[];
  progress: number;
  settled: boolean;
  reading?: number;
}

type FromReader = { batch: PackedBatch } | { done: true } | { failed: string };

function pack<P>({ items, ...rest }: PreparedBatch<P>): PackedBatch {
  const fields: string[] = [];
  const columns: unknown[][] = [];
  const index = new Map<string, number>();
  items.forEach((item, row) => {
    for (const [field, value] of Object.entries(item as Record<string, unknown>)) {
      let i = index.get(field);
      if (i === undefined) {
        index.set(field, (i = fields.length));
        fields.push(field);
        columns.push(new Array(items.length));
      }
      columns[i]![row] = value;
    }
  });
  return { ...rest, fields, columns, rows: items.length };
}

/** The rows back as objects; a field a row did not have stays absent. */
function unpack<P>({ fields, columns, rows, ...rest }: PackedBatch): PreparedBatch<P> {
  const items: P[] = [];
  for (let row = 0; row < rows; row++) {
    const item: Record<string, unknown> = {};
    for (let i = 0; i < fields.length; i++) {
      const value = columns[i]![row];
      if (value !== undefined) item[fields[i]!] = value;
    }
    items.push(item as P);
  }
  return { ...rest, items };
}

export async function* readAhead<C, P>(file: string, batchSize: number, planner: RowPlanner<C, P>): AsyncGenerator<PreparedBatch<P>> {
  const start: Start = { file, batchSize, module: planner.module, name: planner.name, context: planner.context };
  const reader = new Worker(join(__dirname, 'read-ahead.thread.js'), { workerData: start });
  const arrived: FromReader[] = [];
  let stopped: Error | null = null;
  let wake: (() => void) | null = null;
  const notify = () => {
    wake?.();
    wake = null;
  };
  reader.on('message', (message: FromReader) => {
    arrived.push(message);
    notify();
  });
  reader.on('error', (error) => {
    stopped ??= error;
    notify();
  });
  // Node delivers everything the reader posted before it fires 'exit': an exit with no `done` before it is a failure
  reader.on('exit', (code) => {
    stopped ??= new Error(`the reading thread stopped (exit code ${code})`);
    notify();
  });
  try {
    for (;;) {
      while (!arrived.length && !stopped) await new Promise<void>((resolve) => (wake = resolve));
      const message = arrived.shift();
      if (!message) throw stopped!;
      if ('failed' in message) throw new Error(message.failed);
      if ('done' in message) return;
      // a note of rows read so far (no rows) takes no turn of the reader's
      if (message.batch.rows) reader.postMessage('next');
      yield unpack<P>(message.batch);
    }
  } finally {
    await reader.terminate();
  }
}

/** The reader's side: runs in the worker (read-ahead.thread.js loads TypeScript, then calls this). */
export async function runReader(): Promise<void> {
  const port = parentPort!;
  const start = workerData as Start;
  let credits = AHEAD;
  let wake: (() => void) | null = null;
  port.on('message', () => {
    credits++;
    wake?.();
    wake = null;
  });
  try {
    const create = (require(start.module) as Record<string, unknown>)[start.name];
    if (typeof create !== 'function') throw new Error(`${start.module} exports no ${start.name}`);
    const plan = (create as (context: unknown) => RowPlan<unknown>)(start.context);
    for await (const batch of preparedBatches(start.file, start.batchSize, plan)) {
      if (batch.items.length) {
        while (credits === 0) await new Promise<void>((resolve) => (wake = resolve));
        credits--;
      }
      port.postMessage({ batch: pack(batch) } satisfies FromReader);
    }
    port.postMessage({ done: true } satisfies FromReader);
  } catch (error) {
    // the main thread throws this message, as if it had read the file itself
    port.postMessage({ failed: error instanceof Error ? error.message : String(error) } satisfies FromReader);
  }
  port.close();
}
