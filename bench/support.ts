/** What the benchmarks share: numeric flags, a seeded generator, so every run measures the same data, and the floor of the document design. */
import Database from 'better-sqlite3';
import { createWriteStream } from 'node:fs';
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

/** The channels the member generator spreads people over. */
export const MEMBER_CHANNELS = ['tmall', 'offline', 'jd'] as const;
export type MemberChannel = (typeof MEMBER_CHANNELS)[number];
const SHOP_PHONES = 40;

const spellings = [
  (p: string) => p,
  (p: string) => `+86 ${p.slice(0, 3)}-${p.slice(3, 7)}-${p.slice(7)}`,
  (p: string) => `0086${p}`,
  (p: string) => `86${p}`,
  (p: string) => `${p.slice(0, 3)} ${p.slice(3, 7)} ${p.slice(7)}`,
];

/** One channel card the member generator wrote: whose (person number), its id, and the phone it carries (11 digits). */
export interface GeneratedCard {
  person: number;
  channel: MemberChannel;
  channelMemberId: string;
  phone: string;
  /** A shop's phone shared by many store cards, not the person's own. */
  shared: boolean;
}

/**
 * `target` channel member records over three channels, one CSV per channel in `dir` (columns as
 * `import members` reads them): about a third of people in two or more channels, phones spelled
 * every which way, a few shop phones shared by hundreds of store cards. Seeded: the same rows on
 * every run. `onCard` sees each card as it is written.
 */
export async function writeMemberFiles(dir: string, target: number, onCard?: (card: GeneratedCard) => void): Promise<{ files: Record<string, string>; records: number; people: number }> {
  const random = seededRandom(42);
  const outs = Object.fromEntries(MEMBER_CHANNELS.map((c) => {
    const out = createWriteStream(`${dir}/${c}.csv`);
    out.write('channelMemberId,phone,email,name,points,growth,joinedAt\n');
    return [c, out];
  })) as Record<MemberChannel, ReturnType<typeof createWriteStream>>;
  const shopPhones = Array.from({ length: SHOP_PHONES }, (_, i) => `1580000${String(i).padStart(4, '0')}`);
  let records = 0;
  let people = 0;
  while (records < target) {
    people++;
    const phone = `1${3 + Math.floor(random() * 7)}${String(Math.floor(random() * 1e9)).padStart(9, '0')}`;
    const roll = random();
    const count = roll < 0.67 ? 1 : roll < 0.92 ? 2 : 3;
    const start = Math.floor(random() * 3);
    for (let k = 0; k < count && records < target; k++) {
      const channel = MEMBER_CHANNELS[(start + k) % 3]!;
      const id = `${channel[0]!.toUpperCase()}${people}`;
      const shared = channel === 'offline' && random() < 0.01;
      const cardPhone = shared ? shopPhones[Math.floor(random() * SHOP_PHONES)]! : phone;
      const spelled = shared ? cardPhone : spellings[Math.floor(random() * spellings.length)]!(phone);
      const email = random() < 0.1 ? `user${people}@example.com` : '';
      const points = Math.floor(random() * 3000);
      outs[channel].write(`${id},${spelled},${email},会员${people},${points},${points},2025-06-01 10:00:00\n`);
      onCard?.({ person: people, channel, channelMemberId: id, phone: cardPhone, shared });
      records++;
    }
  }
  await Promise.all(Object.values(outs).map((out) => new Promise<void>((done) => out.end(done))));
  return { files: Object.fromEntries(MEMBER_CHANNELS.map((c) => [c, `${dir}/${c}.csv`])), records, people };
}

/** One order row as `import orders` reads it. */
export interface OrderRow {
  orderId: string;
  channelMemberId: string;
  amountFen: string;
  status: string;
  refundFen: string;
  paidAt: string;
  storeId: string;
}

export const ORDER_COLUMNS: (keyof OrderRow)[] = ['orderId', 'channelMemberId', 'amountFen', 'status', 'refundFen', 'paidAt', 'storeId'];

/**
 * `count` orders (5% refunded, half their amount back), paid over 2025-01 to 2026-10, each
 * bought by the channel member id `buyer` picks (called with the same generator at the same
 * point of every row, so a run is the same run). Ids `O00000000`… from `firstId`.
 */
export function* orderRows(count: number, buyer: (next: () => number) => string, firstId = 0, seed = 42): Generator<OrderRow> {
  const next = seededRandom(seed);
  const start = Date.UTC(2025, 0, 1);
  const span = Date.UTC(2026, 10, 1) - start;
  for (let i = 0; i < count; i++) {
    const amountFen = 100 + Math.floor(next() * 99_900);
    const refunded = next() < 0.05;
    const paid = new Date(start + Math.floor(next() * span) + 8 * 3600_000).toISOString().slice(0, 19).replace('T', ' ');
    yield {
      orderId: `O${String(firstId + i).padStart(8, '0')}`,
      channelMemberId: buyer(next),
      amountFen: String(amountFen),
      status: refunded ? 'refunded' : 'paid',
      refundFen: refunded ? String(Math.ceil(amountFen / 2)) : '',
      paidAt: paid,
      storeId: `S${(firstId + i) % 300}`,
    };
  }
}

/** Order rows written as a CSV file, header first. */
export async function writeOrdersCsv(file: string, rows: Iterable<OrderRow>): Promise<void> {
  const out = createWriteStream(file);
  const write = (line: string) => (out.write(line) ? Promise.resolve() : new Promise<void>((done) => out.once('drain', () => done())));
  await write(`${ORDER_COLUMNS.join(',')}\n`);
  let chunk = '';
  for (const row of rows) {
    chunk += `${ORDER_COLUMNS.map((c) => row[c]).join(',')}\n`;
    if (chunk.length > 1 << 16) {
      await write(chunk);
      chunk = '';
    }
  }
  await write(chunk);
  await new Promise<void>((done) => out.end(() => done()));
}
