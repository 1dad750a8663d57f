/**
 * Points at scale, on durable SQLite (WAL, synchronous=FULL: every commit is
 * fsynced), in one run:
 *  1. setup: MEMBERS members, each with one Tmall record (`records/tmall:T…`,
 *     `members/…` and a zero `balances/…` written directly, as identity would
 *     leave them; not timed);
 *  2. the order import: ORDERS orders (5% refunded) written to a CSV file and
 *     imported through the real `import orders` code path (streaming parser,
 *     ledger sessions, BATCH rows per transaction), as the CLI runs it: rows
 *     read and prepared in a second thread unless `--no-read-ahead`;
 *  3. single durable earns through the service: one `postEarn` per transaction
 *     on existing accounts, one after the other, with p50/p99 latency, on a
 *     WAL at its working size as a running server has it; then the same from
 *     CONCURRENCY callers at once, as a server sees many consumers (each earn
 *     still its own transaction, answered only once durable; transactions
 *     that wait together share one commit); then one after the other again
 *     on an empty WAL, as just after a restart;
 *  4. a plain better-sqlite3 insert of the same order rows (id + JSON body),
 *     BATCH rows per transaction, same pragmas: the floor the import is held to.
 *
 *   npx tsx bench/points.ts [--orders 1000000] [--members 200000] [--earns 5000] [--concurrency 4] [--batch 20000] [--verify] [--no-read-ahead]
 */
import Database from 'better-sqlite3';
import { statSync } from 'node:fs';
import { openLocalServices } from '../cloudfunctions/core/local/services';
import { importOrdersFile } from '../cloudfunctions/core/orders/import.store';
import { postEarn } from '../cloudfunctions/core/points/ledger';
import { verifyPoints } from '../cloudfunctions/core/points/verify.store';
import { silentLogger } from '../cloudfunctions/core/runtime/log';
import { tempDir } from '../test/support/temp';
import { numberFlag, orderRows, reinsertDocuments, seededRandom, writeOrdersCsv, type OrderRow } from './support';

const ORDERS = numberFlag('orders', 1_000_000);
const MEMBERS = numberFlag('members', 200_000);
const EARNS = numberFlag('earns', 5000);
const CONCURRENCY = numberFlag('concurrency', 4);
const BATCH = numberFlag('batch', 20000);
const VERIFY = process.argv.includes('--verify');
/** As the CLI imports: rows read and prepared in a second thread (`--no-read-ahead`: all in one). */
const READ_AHEAD = !process.argv.includes('--no-read-ahead');
/** A WAL frame: a 24-byte header and one 4 KB page. */
const WAL_FRAME = 24 + 4096;
/** Earns that fit in an empty WAL before its first automatic checkpoint (20,000 pages at ~6.3 pages each). */
const FRESH_EARNS = 2500;


const generatedOrders = () => orderRows(ORDERS, (next) => `T${Math.floor(next() * MEMBERS)}`);

const writeCsv = (file: string) => writeOrdersCsv(file, generatedOrders());

function plainInsert(file: string): number {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('CREATE TABLE orders (id TEXT PRIMARY KEY, body TEXT NOT NULL)');
  const insert = db.prepare('INSERT INTO orders (id, body) VALUES (?, ?)');
  const insertBatch = db.transaction((rows: OrderRow[]) => {
    for (const row of rows) insert.run(row.orderId, JSON.stringify(row));
  });
  const started = process.hrtime.bigint();
  let batch: OrderRow[] = [];
  for (const row of generatedOrders()) {
    batch.push(row);
    if (batch.length === BATCH) {
      insertBatch(batch);
      batch = [];
    }
  }
  if (batch.length) insertBatch(batch);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  db.close();
  return ORDERS / seconds;
}

/**
 * `count` earns from `callers` callers, each waiting for its earn before the
 * next: the rate and the latency of each earn.
 */
async function timedEarns(callers: number, earn: (i: number) => Promise<unknown>, count = EARNS) {
  const latencies: number[] = [];
  let issued = 0;
  const started = process.hrtime.bigint();
  await Promise.all(Array.from({ length: callers }, async () => {
    while (issued < count) {
      const i = issued++;
      const t = process.hrtime.bigint();
      await earn(i);
      latencies.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
  }));
  const rate = count / (Number(process.hrtime.bigint() - started) / 1e9);
  latencies.sort((a, b) => a - b);
  const pct = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
  return {
    describe: () => `${Math.round(rate).toLocaleString('en-US')} earns/s  p50 ${pct(0.5).toFixed(3)} ms  p99 ${pct(0.99).toFixed(3)} ms  max ${latencies.at(-1)!.toFixed(1)} ms`,
  };
}

async function main(): Promise<void> {
  const temp = tempDir('mc-bench-points-');
  try {
    const services = openLocalServices({ dbFile: temp.file('mc.db'), durability: 'full', log: silentLogger });
    const at = new Date().toISOString();
    let t0 = Date.now();
    for (let from = 0; from < MEMBERS; from += 10_000) {
      await services.store.transaction(async (tx) => {
        for (let i = from; i < Math.min(MEMBERS, from + 10_000); i++) {
          const id = `tmall:T${i}`;
          await tx.create('records', { _id: id, channel: 'tmall', channelMemberId: `T${i}`, identifiers: [{ type: 'tmall', value: `T${i}` }], memberId: `m${i}`, homeMemberId: `m${i}`, apart: [], createdAt: at, updatedAt: at });
          await tx.create('members', { _id: `m${i}`, status: 'active', records: [id], createdAt: at, mergedInto: null });
          await tx.create('balances', { _id: `m${i}`, points: 0, owed: 0, growth: 0, level: 'normal', updatedAt: at });
        }
      });
    }
    const setupSeconds = (Date.now() - t0) / 1000;
    const csv = temp.file('orders.csv');
    t0 = Date.now();
    await writeCsv(csv);
    const writeSeconds = (Date.now() - t0) / 1000;

    const started = process.hrtime.bigint();
    const summary = await importOrdersFile(services, { channel: 'tmall', file: csv, rejectsFile: temp.file('rejects.jsonl'), batchSize: BATCH, readAhead: READ_AHEAD });
    const importSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (summary.read !== ORDERS || summary.rejected !== 0) throw new Error(`import read ${summary.read}, rejected ${summary.rejected}`);
    const memory = process.memoryUsage().rss / 2 ** 20;

    const next = seededRandom(7);
    const earnAt = (i: number, prefix: string) => {
      const accountId = `tmall:T${Math.floor(next() * MEMBERS)}`;
      return services.store.transaction((tx) =>
        postEarn(tx, services, { key: `scan:${prefix}${i}`, accountId, points: 10, growth: 0, at: new Date().toISOString(), source: { channel: 'code', ref: `${prefix}${i}` } }),
      );
    };
    const wal = `${temp.file('mc.db')}-wal`;
    const checkpoint = (mode: 'PASSIVE' | 'TRUNCATE') => {
      const side = new Database(temp.file('mc.db'));
      const [result] = side.pragma(`wal_checkpoint(${mode})`) as { busy: number }[];
      side.close();
      // blocked, the earns would run on some other WAL than the one named
      if (result?.busy) throw new Error(`wal_checkpoint(${mode}) was blocked`);
    };
    // A running server's WAL is at its working size: after each checkpoint, commits
    // overwrite it from the start. Copying the import's last frames back first
    // leaves the earns only their own checkpoints to pay for.
    checkpoint('PASSIVE');
    const one = await timedEarns(1, (i) => earnAt(i, 'BENCH'));
    const many = await timedEarns(CONCURRENCY, (i) => earnAt(i, 'MANY'));
    // Just after a restart the WAL starts empty (SQLite deletes it on close), and every
    // commit grows the file until the first checkpoint: its fsync also flushes the new size.
    // Only as many earns as fit before that checkpoint (20,000 pages) are timed.
    checkpoint('TRUNCATE');
    const freshCount = Math.min(EARNS, FRESH_EARNS);
    const fresh = await timedEarns(1, (i) => earnAt(i, 'FRESH'), freshCount);
    // pages each earn adds to the write-ahead log: what a commit writes and fsyncs,
    // whatever the disk's speed (counted on earns outside the timed ones)
    checkpoint('TRUNCATE');
    const counted = Math.min(EARNS, 1000);
    for (let i = 0; i < counted; i++) await earnAt(i, 'PAGES');
    const pagesPerEarn = statSync(wal).size / WAL_FRAME / counted;

    let verifyLine = '';
    if (VERIFY) {
      const v0 = Date.now();
      const report = await verifyPoints(services);
      verifyLine = `points verify                ${((Date.now() - v0) / 1000).toFixed(1)} s, ${report.entries} entries, ${report.differences} differences\n`;
    }
    await services.store.close();

    const plainRate = plainInsert(temp.file('plain.db'));
    // what the import writes (the earns' few thousand entries come along)
    const floor = await reinsertDocuments(temp.file('mc.db'), temp.file('floor.db'), ['ledger', 'accounts', 'balances']);
    const importRate = ORDERS / importSeconds;
    const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
    process.stdout.write(
      `points bench: ${fmt(ORDERS)} orders for ${fmt(MEMBERS)} members, ${BATCH} rows per transaction, ${READ_AHEAD ? 'rows read ahead in a second thread' : 'one thread'}, WAL + synchronous=FULL\n` +
        `setup (records + members)     ${setupSeconds.toFixed(1)} s; CSV written in ${writeSeconds.toFixed(1)} s\n` +
        `order import                 ${importSeconds.toFixed(1)} s = ${fmt(importRate)} orders/s (${fmt(summary.credited)} earned, ${fmt(summary.refunded)} refunds; rss ${memory.toFixed(0)} MB)  target ≤ 60 s\n` +
        `single durable earns         ${one.describe()}  (${EARNS} earns one after the other; ${pagesPerEarn.toFixed(2)} WAL pages each)  target ≥ 2,000/s, p99 < 5 ms\n` +
        `${`  from ${CONCURRENCY} callers at once`.padEnd(29)}${many.describe()}  (${EARNS} earns, each its own transaction)\n` +
        `  just after a restart       ${fresh.describe()}  (${freshCount} earns one after the other, the WAL growing from empty)\n` +
        `plain better-sqlite3 insert  ${fmt(plainRate)} rows/s\n` +
        `ratio import/plain           ${(importRate / plainRate).toFixed(3)}  target ≥ 0.25\n` +
        `floor: the ${fmt(floor.documents)} ledger entries, accounts and balances inserted again raw, same indexes: ${floor.seconds.toFixed(1)} s = ${fmt(ORDERS / floor.seconds)} orders/s = ${(ORDERS / floor.seconds / plainRate).toFixed(3)} of the plain insert; the import runs at ${(importRate / (ORDERS / floor.seconds)).toFixed(2)} of this floor\n` +
        verifyLine,
    );
  } finally {
    temp.cleanup();
  }
}

void main();
