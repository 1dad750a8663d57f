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
import { createReadStream, createWriteStream, readFileSync } from 'node:fs';
import { importMembersFile } from '../cloudfunctions/core/identity/import';
import { openLocalServices } from '../cloudfunctions/core/local/services';
import { silentLogger } from '../cloudfunctions/core/runtime/log';
import { tempDir } from '../test/support/temp';
import { numberFlag, reinsertDocuments, seededRandom } from './support';

const TARGET = numberFlag('records', 1_000_000);
const CHANNELS = ['tmall', 'offline', 'jd'] as const;
const SHOP_PHONES = 40;
/** As the CLI imports: rows read and prepared in a second thread (`--no-read-ahead`: all in one). */
const READ_AHEAD = !process.argv.includes('--no-read-ahead');


const spellings = [
  (p: string) => p,
  (p: string) => `+86 ${p.slice(0, 3)}-${p.slice(3, 7)}-${p.slice(7)}`,
  (p: string) => `0086${p}`,
  (p: string) => `86${p}`,
  (p: string) => `${p.slice(0, 3)} ${p.slice(3, 7)} ${p.slice(7)}`,
];

async function generate(dir: string): Promise<{ files: Record<string, string>; records: number; people: number }> {
  const random = seededRandom(42);
  const outs = Object.fromEntries(CHANNELS.map((c) => {
    const out = createWriteStream(`${dir}/${c}.csv`);
    out.write('channelMemberId,phone,email,name,points,growth,joinedAt\n');
    return [c, out];
  })) as Record<(typeof CHANNELS)[number], ReturnType<typeof createWriteStream>>;
  const shopPhones = Array.from({ length: SHOP_PHONES }, (_, i) => `1580000${String(i).padStart(4, '0')}`);
  let records = 0;
  let people = 0;
  while (records < TARGET) {
    people++;
    const phone = `1${3 + Math.floor(random() * 7)}${String(Math.floor(random() * 1e9)).padStart(9, '0')}`;
    const roll = random();
    const count = roll < 0.67 ? 1 : roll < 0.92 ? 2 : 3;
    const start = Math.floor(random() * 3);
    for (let k = 0; k < count && records < TARGET; k++) {
      const channel = CHANNELS[(start + k) % 3]!;
      const id = `${channel[0]!.toUpperCase()}${people}`;
      const shared = channel === 'offline' && random() < 0.01;
      const spelled = shared ? shopPhones[Math.floor(random() * SHOP_PHONES)]! : spellings[Math.floor(random() * spellings.length)]!(phone);
      const email = random() < 0.1 ? `user${people}@example.com` : '';
      const points = Math.floor(random() * 3000);
      outs[channel].write(`${id},${spelled},${email},会员${people},${points},${points},2025-06-01 10:00:00\n`);
      records++;
    }
  }
  await Promise.all(Object.values(outs).map((out) => new Promise<void>((done) => out.end(done))));
  return { files: Object.fromEntries(CHANNELS.map((c) => [c, `${dir}/${c}.csv`])), records, people };
}

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
    const { files, records, people } = await generate(temp.dir);
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
