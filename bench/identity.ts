/**
 * OneID import at scale: generates 1,000,000 channel member records over three
 * channels (tmall, offline, jd) — about a third of people in two or more
 * channels, phones spelled every which way, a few shop phones shared by
 * hundreds of store cards — and imports them through the real import. Beside
 * it, the same rows parsed from the same files and inserted by a plain
 * better-sqlite3 batch insert, in the same run.
 *
 *   npx tsx bench/identity.ts [--records N] [--no-read-ahead]
 */
import Database from 'better-sqlite3';
import { parse } from 'csv-parse';
import { createReadStream, readFileSync } from 'node:fs';
import { importMembersFile } from '../cloudfunctions/core/identity/import';
import { openLocalServices } from '../cloudfunctions/core/local/services';
import { silentLogger } from '../cloudfunctions/core/runtime/log';
import { tempDir } from '../test/support/temp';
import { MEMBER_CHANNELS as CHANNELS, numberFlag, reinsertDocuments, writeMemberFiles } from './support';

const TARGET = numberFlag('records', 1_000_000);
/** As the CLI imports: rows read and prepared in a second thread (`--no-read-ahead`: all in one). */
const READ_AHEAD = !process.argv.includes('--no-read-ahead');


function peakRssMb(): number {
  const status = readFileSync('/proc/self/status', 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

async function plainInsert(file: string, files: Record<string, string>): Promise<number> {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('CREATE TABLE members (id TEXT PRIMARY KEY, channel TEXT, phone TEXT, email TEXT, name TEXT, points INTEGER, growth INTEGER, joinedAt TEXT)');
  const insert = db.prepare('INSERT INTO members VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
  const insertMany = db.transaction((rows: Record<string, string>[], channel: string) => {
    for (const r of rows) insert.run(`${channel}:${r.channelMemberId}`, channel, r.phone, r.email, r.name, Number(r.points), Number(r.growth), r.joinedAt);
  });
  let rows = 0;
  const started = process.hrtime.bigint();
  for (const [channel, path] of Object.entries(files)) {
    let batch: Record<string, string>[] = [];
    for await (const row of createReadStream(path).pipe(parse({ columns: true }))) {
      batch.push(row as Record<string, string>);
      if (batch.length === 2000) {
        insertMany(batch, channel);
        rows += batch.length;
        batch = [];
      }
    }
    insertMany(batch, channel);
    rows += batch.length;
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  db.close();
  return rows / seconds;
}

async function main(): Promise<void> {
  const temp = tempDir('mc-bench-identity-');
  try {
    const t0 = Date.now();
    const { files, records, people } = await writeMemberFiles(temp.dir, TARGET);
    console.log(`generated ${records} records for ${people} people over ${CHANNELS.join(', ')} in ${((Date.now() - t0) / 1000).toFixed(1)} s; import ${READ_AHEAD ? 'with rows read ahead in a second thread' : 'in one thread'}`);

    const plainRate = await plainInsert(temp.file('plain.db'), files);
    console.log(`plain better-sqlite3 batch insert (csv-parse + INSERT, 2000 rows per transaction): ${plainRate.toFixed(0)} rows/s`);

    const services = openLocalServices({ dbFile: temp.file('mc.db'), log: silentLogger, durability: process.env.DUR === 'normal' ? 'normal' : 'full' });
    const started = process.hrtime.bigint();
    const totals = { read: 0, created: 0, linked: 0, merged: 0, rejected: 0, conflicts: 0 };
    for (const [channel, file] of Object.entries(files)) {
      const s = await importMembersFile(services, { channel, file, rejectsFile: `${file}.rejects.jsonl`, batchSize: process.env.BATCH ? Number(process.env.BATCH) : undefined, readAhead: READ_AHEAD });
      for (const key of Object.keys(totals) as (keyof typeof totals)[]) totals[key] += s[key];
      console.log(`  ${channel}: ${s.read} rows, ${s.created} created, ${s.linked} linked, ${s.merged} merged, ${s.rejected} rejected, ${s.conflicts} conflicts (${(Number(process.hrtime.bigint() - started) / 1e9).toFixed(1)} s so far)`);
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    await services.store.close();
    const rate = totals.read / seconds;
    console.log(`member import: ${totals.read} records in ${seconds.toFixed(1)} s = ${rate.toFixed(0)} records/s (target: 1M in ≤ 60 s)`);
    console.log(`  ${totals.created} members created, ${totals.linked} records linked, ${totals.merged} merges, ${totals.conflicts} conflicts`);
    console.log(`peak memory (VmHWM): ${peakRssMb().toFixed(0)} MB (target < 1536 MB)`);
    console.log(`ratio import/plain: ${(rate / plainRate).toFixed(2)} (target ≥ 0.25)`);
    const floor = await reinsertDocuments(temp.file('mc.db'), temp.file('floor.db'));
    console.log(`floor: the ${floor.documents} documents the import wrote (${(floor.documents / totals.read).toFixed(1)} per record), inserted again raw with the same indexes: ${floor.seconds.toFixed(1)} s = ${(totals.read / floor.seconds).toFixed(0)} records/s = ${(totals.read / floor.seconds / plainRate).toFixed(2)} of the plain insert; the import runs at ${(rate / (totals.read / floor.seconds)).toFixed(2)} of this floor`);
  } finally {
    temp.cleanup();
  }
}

void main();
