/**
 * Durable single-document transactions per second: the SQLite adapter against
 * a raw better-sqlite3 insert loop with the same pragmas, in the same run.
 * Each write is its own committed transaction (WAL, synchronous=FULL).
 *
 *   npx tsx bench/store.ts [--count N]
 */
import Database from 'better-sqlite3';
import { SqliteStore } from '../cloudfunctions/core/store/sqlite';
import { tempDir } from '../test/support/temp';

const countArg = process.argv.indexOf('--count');
const COUNT = countArg > 0 ? Number(process.argv[countArg + 1]) : 5000;
const doc = (i: number) => ({ _id: `doc_${i}`, kind: 'bench', rank: i, note: 'a typical small member document' });

function raw(file: string): number {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('CREATE TABLE docs (id TEXT PRIMARY KEY, body TEXT NOT NULL)');
  const insert = db.prepare('INSERT INTO docs (id, body) VALUES (?, ?)');
  const started = process.hrtime.bigint();
  for (let i = 0; i < COUNT; i++) {
    const d = doc(i);
    insert.run(d._id, JSON.stringify(d)); // autocommit: one durable transaction per row
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  db.close();
  return COUNT / seconds;
}

async function adapter(file: string): Promise<{ rate: number; p50: number; p99: number }> {
  const store = new SqliteStore({ file, collections: { docs: { indexes: [] } }, durability: 'full' });
  const latencies: number[] = [];
  const started = process.hrtime.bigint();
  for (let i = 0; i < COUNT; i++) {
    const t0 = process.hrtime.bigint();
    await store.transaction((tx) => tx.create('docs', doc(i)));
    latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await store.close();
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
  return { rate: COUNT / seconds, p50: at(0.5), p99: at(0.99) };
}

async function main(): Promise<void> {
  const temp = tempDir('mc-bench-');
  try {
    const rawRate = raw(temp.file('raw.db'));
    const result = await adapter(temp.file('adapter.db'));
    const fmt = (n: number) => n.toFixed(0).padStart(8);
    console.log(`durable single-document transactions, ${COUNT} each, WAL + synchronous=FULL`);
    console.log(`raw better-sqlite3 insert loop ${fmt(rawRate)} tx/s`);
    console.log(`SqliteStore.transaction(create) ${fmt(result.rate)} tx/s  p50 ${result.p50.toFixed(3)} ms  p99 ${result.p99.toFixed(3)} ms`);
    console.log(`ratio adapter/raw               ${(result.rate / rawRate).toFixed(2)} (target ≥ 0.50)`);
  } finally {
    temp.cleanup();
  }
}

void main();
