/** What the benchmarks share: numeric flags, a seeded generator, so every run measures the same data, and the floor of the document design. */
import Database from 'better-sqlite3';
import { SqliteStore } from '../cloudfunctions/core/store/sqlite';

/** `--name N` from the command line, or the fallback. */
export function numberFlag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

/** A small deterministic generator (mulberry32) of numbers in [0, 1). */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The floor of the document design: every document an import left in `source`
 * (all `doc_*` tables, or those of `collections`; rows as stored) inserted again into a fresh store file
 * with the same tables and indexes, in the order they were written, 2000 rows
 * per transaction, with the store's pragmas, no JSON work. Seconds spent
 * inserting and documents copied.
 */
export async function reinsertDocuments(source: string, target: string, collections?: string[]): Promise<{ seconds: number; documents: number }> {
  // the same schema as the real store: its tables, indexed columns and indexes
  await new SqliteStore({ file: target }).close();
  const from = new Database(source, { readonly: true });
  const to = new Database(target);
  // the store's own pragmas (sqlite.ts): page cache and checkpoint interval included
  to.pragma('journal_mode = WAL');
  to.pragma('synchronous = FULL');
  to.pragma('cache_size = -65536');
  to.pragma('wal_autocheckpoint = 20000');
  const tables = (from.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'doc_%'").pluck().all() as string[])
    .filter((table) => !collections || collections.includes(table.slice('doc_'.length)));
  let documents = 0;
  let seconds = 0;
  for (const table of tables) {
    const columns = (from.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).map((c) => c.name);
    const insert = to.prepare(`INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`);
    const insertMany = to.transaction((rows: unknown[][]) => { for (const row of rows) insert.run(...row); });
    let batch: unknown[][] = [];
    const flush = () => {
      const started = process.hrtime.bigint();
      insertMany(batch);
      seconds += Number(process.hrtime.bigint() - started) / 1e9;
      documents += batch.length;
      batch = [];
    };
    for (const row of from.prepare(`SELECT ${columns.join(', ')} FROM ${table} ORDER BY rowid`).raw().iterate() as IterableIterator<unknown[]>) {
      batch.push(row);
      if (batch.length === 2000) flush();
    }
    if (batch.length) flush();
  }
  from.close();
  to.close();
  return { seconds, documents };
}
