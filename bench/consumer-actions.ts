/**
 * Every consumer-facing action on a big store against the same on a small one: an action whose
 * latency, or whose count of store operations, grows with the size of the store scans something.
 *
 * Each store is built once in a temp dir (not timed): channel member records over three channels
 * imported through the real member import (bench/support.ts's generator), orders through the real
 * order import (among them ~5,000 for one consumer's Tmall card, the same in both stores), WeChat
 * consumers who bound a phone (joining their imported cards: merges), a batch of product codes,
 * stores, guides, a package-card campaign, and pending store-card requests from other consumers.
 * Then each action is called through the function edge (`invoke`, with the dev runtime's trusted
 * caller), one call after another, once per consumer, and its p50/p99 printed beside the same on
 * the small store, with the store operations one call makes (at the port) and every query's plan
 * (EXPLAIN QUERY PLAN): a SCAN of a table, or a temp B-tree, is flagged.
 *
 * SQLite at synchronous=NORMAL, so that a commit's fsync (the disk's time, the same at any size)
 * does not hide a read's.
 *
 *   npx tsx bench/consumer-actions.ts [--records 200000] [--orders 300000] [--consumers 300]
 *     [--small-records 2000] [--small-orders 3000] [--codes 10000] [--heavy 5000]
 */
import { Writable } from 'node:stream';
import { createBatch } from '../cloudfunctions/core/codes/create';
import type { Envelope } from '../cloudfunctions/core/contracts/errors';
import { cloudFunctions } from '../cloudfunctions/core/functions';
import { importMembersFile } from '../cloudfunctions/core/identity/import';
import { openLocalServices } from '../cloudfunctions/core/local/services';
import { importOrdersFile } from '../cloudfunctions/core/orders/import.store';
import { invoke } from '../cloudfunctions/core/runtime/handler';
import { silentLogger } from '../cloudfunctions/core/runtime/log';
import type { Caller, Services } from '../cloudfunctions/core/runtime/services';
import { addCampaign, addGuide, addStore } from '../cloudfunctions/core/scenes/places.store';
import type { DocStore, QueryOptions } from '../cloudfunctions/core/store/port';
import type { SqliteStore } from '../cloudfunctions/core/store/sqlite';
import { countingStore } from '../test/codes/counting-store';
import { tempDir } from '../test/support/temp';
import { MEMBER_CHANNELS, numberFlag, orderRows, seededRandom, writeMemberFiles, writeOrdersCsv, type GeneratedCard, type OrderRow } from './support';

const BIG = { records: numberFlag('records', 200_000), orders: numberFlag('orders', 300_000) };
const SMALL = { records: numberFlag('small-records', 2000), orders: numberFlag('small-orders', 3000) };
/** Consumers, each making one call of each action (bindPhone: as many others, who bind then). */
const CONSUMERS = numberFlag('consumers', 300);
const CODES = numberFlag('codes', 10_000);
/** Ledger entries of the one consumer whose history is paged through to its end. */
const HEAVY = numberFlag('heavy', 5000);
const GUIDES = 10;
const HISTORY_PAGE = 20;

const caller = (openid: string): Caller => ({ openid, unionid: null, appid: 'dev' });

/** The people of the generator with a Tmall card, an offline card and their own phone (for linking, binding and ordering). */
interface Person {
  phone: string;
  tmall?: string;
  offline?: string;
  offlinePhone?: string;
}

interface Timing {
  latencies: number[];
  outcomes: Map<string, number>;
  ops: number;
  plans: Map<string, string>;
}

interface Built {
  services: Services & { store: ReturnType<typeof countingStore> };
  inner: SqliteStore;
  consumers: { openid: string; person: Person }[];
  /** Store cards carrying a shop's phone, shared by many: linking one waits for staff. */
  shopCards: string[];
  binders: { openid: string; phone: string }[];
  heavy: string;
  codes: string[];
  orderOf: Map<string, string>;
  scale: string;
}

/** The store, built: nothing here is timed. */
async function build(dir: ReturnType<typeof tempDir>, name: string, size: { records: number; orders: number }): Promise<Built> {
  const t0 = Date.now();
  const people = new Map<number, Person>();
  const tmallIds: string[] = [];
  const shopCards: string[] = [];
  const { files } = await writeMemberFiles(dir.dir, size.records, (card: GeneratedCard) => {
    const person = people.get(card.person) ?? { phone: card.phone };
    if (card.channel === 'tmall') {
      person.tmall = card.channelMemberId;
      tmallIds.push(card.channelMemberId);
    }
    if (card.channel === 'offline') {
      person.offline = card.channelMemberId;
      person.offlinePhone = card.phone;
    }
    if (card.shared) shopCards.push(card.channelMemberId);
    else person.phone = card.phone;
    people.set(card.person, person);
  });
  const base = openLocalServices({ dbFile: dir.file(`${name}.db`), log: silentLogger, durability: 'normal' });
  for (const channel of MEMBER_CHANNELS) {
    await importMembersFile(base, { channel, file: files[channel]!, rejectsFile: dir.file(`${name}-${channel}.rejects.jsonl`) });
  }

  // consumers: people with a Tmall card (their orders), spread over the whole file; others to bind a phone, and one heavy buyer
  const withTmall = [...people.values()].filter((p) => p.tmall && !p.offlinePhone?.startsWith('1580000'));
  const step = Math.max(1, Math.floor(withTmall.length / (2 * CONSUMERS + 1)));
  const picked = Array.from({ length: 2 * CONSUMERS + 1 }, (_, i) => withTmall[(i * step) % withTmall.length]!);
  const consumers = picked.slice(0, CONSUMERS).map((person, i) => ({ openid: `c${i}`, person }));
  const binders = picked.slice(CONSUMERS, 2 * CONSUMERS).map((person, i) => ({ openid: `n${i}`, phone: person.phone }));
  const heavyPerson = picked[2 * CONSUMERS]!;

  // orders: spread over every Tmall card, ~HEAVY for the heavy buyer, one recent one for each consumer (bindOrder)
  const orderOf = new Map<string, string>();
  const random = seededRandom(9);
  function* rows(): Generator<OrderRow> {
    yield* orderRows(size.orders, (next) => tmallIds[Math.floor(next() * tmallIds.length)]!);
    yield* orderRows(HEAVY, () => heavyPerson.tmall!, size.orders, 43);
    let id = size.orders + HEAVY;
    for (const { openid, person } of consumers) {
      const orderId = `B${String(id++).padStart(8, '0')}`;
      orderOf.set(openid, orderId);
      yield { orderId, channelMemberId: person.tmall!, amountFen: String(1000 + Math.floor(random() * 9000)), status: 'paid', refundFen: '', paidAt: '2026-10-20 12:00:00', storeId: 'S1' };
    }
  }
  const csv = dir.file(`${name}-orders.csv`);
  await writeOrdersCsv(csv, rows());
  await importOrdersFile(base, { channel: 'tmall', file: csv, rejectsFile: dir.file(`${name}-orders.rejects.jsonl`), batchSize: 20_000 });

  for (let s = 1; s <= 3; s++) await addStore(base, { id: `S${s}`, name: `门店${s}` });
  for (let g = 0; g < GUIDES; g++) await addGuide(base, { id: `G${g}`, storeId: `S${1 + (g % 3)}`, name: `导购${g}` });
  await addCampaign(base, { id: 'P1', name: '包裹卡', platform: 'tmall', bonus: 50, ordersFrom: '2025-01-01' });
  let text = '';
  await createBatch(base, {
    sku: 'BENCH', name: '基准测试', points: 10, count: CODES, validTo: null,
    open: () => new Writable({ write(chunk: Buffer, _encoding, done) { text += chunk.toString(); done(); } }),
  });
  const codes = text.trim().split('\n').map((url) => url.slice(url.lastIndexOf('/') + 1));

  // store-card requests of other consumers, waiting for staff (as linkOffline leaves them): one per 20 records
  const at = new Date().toISOString();
  const requests = Math.floor(size.records / 20);
  for (let from = 0; from < requests; from += 5000) {
    await base.store.transaction(async (tx) => {
      for (let i = from; i < Math.min(requests, from + 5000); i++) {
        await tx.create('linkRequests', { _id: `offline:X${i}>wechat:w${i}`, status: i % 10 === 0 ? 'refused' : 'pending', cardRecordId: `offline:X${i}`, wechatRecordId: `wechat:w${i}`, at });
      }
    });
  }

  // the consumers: logged in, agreed, bound their phone (joining their cards)
  const ok = async (fn: string, openid: string, event: Record<string, unknown>) => {
    const answer = await invoke(cloudFunctions[fn]!, event, caller(openid), base);
    if (!answer.ok) throw new Error(`${fn}.${String(event.action)} for ${openid}: ${answer.error.code} ${answer.error.message}`);
    return answer.data as Record<string, unknown>;
  };
  const bind = async (openid: string, phone: string) => {
    const { termsVersion } = await ok('member', openid, { action: 'login' });
    await ok('member', openid, { action: 'consent', version: termsVersion });
    await ok('member', openid, { action: 'bindPhone', code: `dev:${phone}:${base.clock.now()}` });
  };
  for (const { openid, person } of consumers) await bind(openid, person.phone);
  await bind('heavy', heavyPerson.phone);
  const scale = `${size.records.toLocaleString('en')} records, ${(size.orders + HEAVY + CONSUMERS).toLocaleString('en')} orders`;
  console.log(`${name} store (${scale}, ${requests} store-card requests, ${CODES} codes) built in ${((Date.now() - t0) / 1000).toFixed(0)} s`);

  const store = countingStore(base.store);
  return { services: { ...base, store }, inner: base.store as SqliteStore, consumers, shopCards, binders, heavy: 'heavy', codes, orderOf, scale };
}

/** Plans of the queries an action made, keyed by their shape; a shape seen once is explained once. */
function planning(inner: SqliteStore, store: DocStore, plans: Map<string, string>): DocStore {
  return {
    ...store,
    transaction: (fn) => store.transaction(fn),
    get: (collection, id) => store.get(collection, id),
    updateIf: (collection, id, expected, patch) => store.updateIf(collection, id, expected, patch),
    query: (collection, options: QueryOptions) => {
      const shape = `${collection} ${JSON.stringify({ where: Object.keys(options.where ?? {}).sort(), orderBy: options.orderBy, direction: options.direction, cursor: !!options.cursor })}`;
      if (!plans.has(shape)) plans.set(shape, inner.explainQuery(collection, options).join(' | '));
      return store.query(collection, options);
    },
    close: () => store.close(),
  };
}

async function measure(built: Built, label: string, calls: (() => [string, Record<string, unknown>, string])[], results: Map<string, Timing>): Promise<void> {
  const { services, inner } = built;
  const timing: Timing = { latencies: [], outcomes: new Map(), ops: 0, plans: new Map() };
  const planned: Services = { ...services, store: planning(inner, services.store, timing.plans) };
  services.store.reset();
  for (const call of calls) {
    const [fn, event, openid] = call();
    const t = process.hrtime.bigint();
    const answer: Envelope<unknown> = await invoke(cloudFunctions[fn]!, event, caller(openid), planned);
    timing.latencies.push(Number(process.hrtime.bigint() - t) / 1e6);
    const outcome = answer.ok ? 'ok' : answer.error.code;
    timing.outcomes.set(outcome, (timing.outcomes.get(outcome) ?? 0) + 1);
  }
  const c = services.store.counts;
  timing.ops = (c.txReads + c.txWrites + c.reads + c.writes + c.queries) / calls.length;
  results.set(label, timing);
}

/** Every consumer action, once per consumer (history's deep pages: the heavy buyer's, to the end). */
async function run(built: Built): Promise<Map<string, Timing>> {
  const results = new Map<string, Timing>();
  const { consumers, shopCards, binders, codes, orderOf, services } = built;
  const each = (f: (c: Built['consumers'][number], i: number) => [string, Record<string, unknown>, string]) => consumers.map((c, i) => () => f(c, i));
  const ok = async (fn: string, openid: string, event: Record<string, unknown>) => {
    const answer = await invoke(cloudFunctions[fn]!, event, caller(openid), services);
    if (!answer.ok) throw new Error(`${fn}.${String(event.action)}: ${answer.error.code}`);
    return answer.data as Record<string, unknown>;
  };

  await measure(built, 'member.login', each((c) => ['member', { action: 'login' }, c.openid]), results);
  // the binders: first seen (a new record and member), then consent and bindPhone
  const terms = services.config.termsVersion;
  await measure(built, 'member.login (first)', binders.map((b) => () => ['member', { action: 'login' }, b.openid]), results);
  await measure(built, 'member.consent', binders.map((b) => () => ['member', { action: 'consent', version: terms }, b.openid]), results);
  await measure(built, 'member.bindPhone', binders.map((b) => () => ['member', { action: 'bindPhone', code: `dev:${b.phone}:${services.clock.now()}` }, b.openid]), results);
  await measure(built, 'member.channels', each((c) => ['member', { action: 'channels' }, c.openid]), results);
  await measure(built, 'member.profile', each((c) => ['member', { action: 'profile' }, c.openid]), results);
  await measure(built, 'member.updateProfile', each((c, i) => ['member', { action: 'updateProfile', nickname: `昵称${i}` }, c.openid]), results);
  await measure(built, 'member.memberCode', each((c) => ['member', { action: 'memberCode' }, c.openid]), results);
  // another consumer's store card, with its right last four digits
  await measure(built, 'member.linkOffline', each((c, i) => {
    const other = consumers[(i + 1) % consumers.length]!.person;
    const card = other.offline ?? 'NOSUCH';
    return ['member', { action: 'linkOffline', cardNo: card.slice(0), last4: (other.offlinePhone ?? '0000').slice(-4) }, c.openid];
  }), results);
  await measure(built, 'member.linkOffline (shop-phone card)', each((c, i) => ['member', { action: 'linkOffline', cardNo: shopCards[i % shopCards.length]!, last4: '0000' }, c.openid]), results);
  await measure(built, 'member.channels (card pending)', each((c) => ['member', { action: 'channels' }, c.openid]), results);
  await measure(built, 'points.summary', each((c) => ['points', { action: 'summary' }, c.openid]), results);
  await measure(built, 'points.history (1st page)', each((c) => ['points', { action: 'history', limit: HISTORY_PAGE }, c.openid]), results);
  await measure(built, 'codes.redeem', each((c, i) => ['codes', { action: 'redeem', code: codes[i]! }, c.openid]), results);
  await measure(built, 'scenes.resolve', each((_c, i) => ['scenes', { action: 'resolve', scene: `g=G${i % GUIDES}` }, consumers[i]!.openid]), results);
  await measure(built, 'scenes.join', each((c, i) => ['scenes', { action: 'join', scene: `g=G${i % GUIDES}` }, c.openid]), results);
  await measure(built, 'codes.redeem (same code again)', each((c, i) => ['codes', { action: 'redeem', code: codes[i]! }, c.openid]), results);
  await measure(built, 'scenes.join (package card, later)', each((c) => ['scenes', { action: 'join', scene: 'p=P1' }, c.openid]), results);
  // the campaign: the package card the member joined through last
  await measure(built, 'scenes.bindOrder', each((c) => ['scenes', { action: 'bindOrder', platform: 'tmall', orderId: orderOf.get(c.openid)! }, c.openid]), results);

  // the heavy buyer's history, page after page to its end
  const cursors: (string | null)[] = [null];
  for (let cursor: string | null = null; ;) {
    const data = await ok('points', built.heavy, { action: 'history', limit: HISTORY_PAGE, ...(cursor ? { cursor } : {}) });
    cursor = data.nextCursor as string | null;
    if (!cursor) break;
    cursors.push(cursor);
  }
  await measure(built, `points.history (heavy, 1st page)`, Array.from({ length: 50 }, () => () => ['points', { action: 'history', limit: HISTORY_PAGE }, built.heavy]), results);
  const deep = cursors.slice(Math.floor(cursors.length / 2));
  await measure(built, `points.history (heavy, pages ${cursors.length - deep.length + 1}-${cursors.length})`, deep.map((cursor) => () => ['points', { action: 'history', limit: HISTORY_PAGE, ...(cursor ? { cursor } : {}) }, built.heavy]), results);
  // the heavy buyer's other reads and credits: its Tmall account holds a lot per order still unspent
  await measure(built, 'points.summary (heavy)', Array.from({ length: 50 }, () => () => ['points', { action: 'summary' }, built.heavy]), results);
  await measure(built, 'codes.redeem (heavy)', Array.from({ length: 50 }, (_, i) => () => ['codes', { action: 'redeem', code: codes[consumers.length + i]! }, built.heavy]), results);
  await measure(built, 'member.delete', each((c) => ['member', { action: 'delete', confirm: true }, c.openid]), results);
  return results;
}

const pct = (latencies: number[], q: number) => {
  const sorted = [...latencies].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
};

async function main(): Promise<void> {
  const dir = tempDir('mc-bench-consumer-');
  try {
    const small = await build(dir, 'small', SMALL);
    const smallResults = await run(small);
    await small.services.store.close();
    const big = await build(dir, 'big', BIG);
    const bigResults = await run(big);
    await big.services.store.close();

    const fmt = (n: number) => n.toFixed(2).padStart(7);
    console.log(`\nconsumer actions through invoke (ms; ops = store operations per call at the port), small store: ${small.scale}; big: ${big.scale}`);
    console.log(`${'action'.padEnd(36)} ${'calls'.padStart(5)} | ${'small p50'.padStart(9)} ${'p99'.padStart(7)} ${'ops'.padStart(6)} | ${'big p50'.padStart(9)} ${'p99'.padStart(7)} ${'ops'.padStart(6)} | big outcomes`);
    for (const [label, b] of bigResults) {
      const s = smallResults.get(label) ?? [...smallResults.entries()].find(([l]) => l.split(' (')[0] === label.split(' (')[0] && l.includes('pages'))?.[1];
      const outcomes = [...b.outcomes].map(([o, n]) => `${o} ${n}`).join(', ');
      console.log(`${label.padEnd(36)} ${String(b.latencies.length).padStart(5)} | ${s ? `${fmt(pct(s.latencies, 0.5)).padStart(9)} ${fmt(pct(s.latencies, 0.99))} ${s.ops.toFixed(1).padStart(6)}` : ' '.repeat(24)} | ${fmt(pct(b.latencies, 0.5)).padStart(9)} ${fmt(pct(b.latencies, 0.99))} ${b.ops.toFixed(1).padStart(6)} | ${outcomes}`);
    }
    console.log('\nquery plans on the big store (SCAN of a table or a TEMP B-TREE flagged !!):');
    const seen = new Set<string>();
    for (const [label, b] of bigResults) {
      for (const [shape, plan] of b.plans) {
        if (seen.has(shape)) continue;
        seen.add(shape);
        const bad = /\bSCAN\b(?! .* USING (COVERING )?INDEX)|TEMP B-TREE/.test(plan);
        console.log(`${bad ? '!!' : '  '} ${label}: ${shape}\n     ${plan}`);
      }
    }
  } finally {
    dir.cleanup();
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
