/**
 * One-item-one-code at scale:
 * 1. generation: a batch of N codes (default 10,000,000) through the real
 *    `codes create` path, streamed to a temp file that is deleted afterwards;
 * 2. redemptions through the HTTP dev runtime on loopback (createLocalServer on
 *    127.0.0.1; the client in a worker thread, keep-alive, a fixed number of
 *    requests at a fixed concurrency), each a bound member scanning a fresh
 *    code, on SQLite with fsync per commit (full) and without (normal);
 * 3. store operations per redemption, counted at the store port during (2).
 *
 *   npx tsx bench/codes.ts [--codes N] [--redemptions N] [--concurrency N] [--members N]
 */
import { createWriteStream, statSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import { createBatch } from '../cloudfunctions/core/codes/create';
import { openLocalServices } from '../cloudfunctions/core/local/services';
import { createLocalServer } from '../cloudfunctions/core/local/server';
import { silentLogger } from '../cloudfunctions/core/runtime/log';
import type { Services } from '../cloudfunctions/core/runtime/services';
import { countingStore } from '../test/codes/counting-store';
import { boundConsumer } from '../test/support/members';
import { tempDir } from '../test/support/temp';
import { numberFlag } from './support';

const CODES = numberFlag('codes', 10_000_000);
const REDEMPTIONS = numberFlag('redemptions', 20_000);
const CONCURRENCY = numberFlag('concurrency', 16);
/** Bound members the scans are spread over (each scan opens a points lot on its member's account). */
const MEMBERS = numberFlag('members', 1000);
const WARMUP = 500;

const rate = (n: number, ms: number) => Math.round((n / ms) * 1000).toLocaleString('en');

async function generation(dir: ReturnType<typeof tempDir>): Promise<void> {
  const services = openLocalServices({ dbFile: dir.file('gen.db'), log: silentLogger });
  const file = dir.file('codes.txt');
  const started = performance.now();
  const batch = await createBatch(services, {
    sku: 'BENCH', name: '基准测试', points: 1, count: CODES, validTo: null, open: () => createWriteStream(file),
  });
  const ms = performance.now() - started;
  const bytes = statSync(file).size;
  console.log(`generation: ${CODES.toLocaleString('en')} codes (batch ${batch._id}) in ${(ms / 1000).toFixed(1)} s = ${rate(CODES, ms)} codes/s, ${(bytes / 1e6).toFixed(0)} MB file (deleted)`);
  await services.store.close();
}

/**
 * The client runs in a worker thread, so the server's event loop has a core
 * to itself (as it would behind WeChat): `CONCURRENCY` keep-alive connections,
 * requests spread over `MEMBERS` members, each request a fresh code.
 */
const CLIENT = `
const { parentPort, workerData } = require('node:worker_threads');
const { Agent, request } = require('node:http');
const { port, openids, codes, concurrency } = workerData;
const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
const post = (openid, body) => new Promise((resolve, reject) => {
  const req = request({ host: '127.0.0.1', port, path: '/cloud/codes', method: 'POST', agent,
    headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-wx-openid': openid } }, (res) => {
    res.resume();
    res.on('end', () => resolve(res.statusCode));
  });
  req.on('error', reject);
  req.end(body);
});
(async () => {
  const latencies = [];
  let next = 0, failed = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < codes.length) {
      const openid = openids[next % openids.length];
      const code = codes[next++];
      const t = performance.now();
      const status = await post(openid, JSON.stringify({ action: 'redeem', code }));
      latencies.push(performance.now() - t);
      if (status !== 200) failed++;
    }
  }));
  parentPort.postMessage({ ms: performance.now() - started, latencies, failed });
  agent.destroy();
})();
`;

function client(port: number, openids: string[], codes: string[]): Promise<{ ms: number; latencies: number[]; failed: number }> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(CLIENT, { eval: true, workerData: { port, openids, codes, concurrency: CONCURRENCY } });
    worker.once('message', resolve);
    worker.once('error', reject);
  });
}

async function redemptions(dir: ReturnType<typeof tempDir>, durability: 'full' | 'normal'): Promise<void> {
  // full: the WAL is fsynced on every commit (the dev runtime's default); normal: survives a process crash only
  const base = openLocalServices({ dbFile: dir.file(`redeem-${durability}.db`), log: silentLogger, durability });
  const openids = Array.from({ length: MEMBERS }, (_, i) => `bench${i}`);
  for (const [i, openid] of openids.entries()) await boundConsumer(base, openid, `139${String(20_000_000 + i)}`);
  let text = '';
  await createBatch(base, {
    sku: 'BENCH', name: '基准测试', points: 1, count: WARMUP + REDEMPTIONS, validTo: null,
    open: () => new Writable({ write(chunk: Buffer, _encoding, done) { text += chunk.toString(); done(); } }),
  });
  const codes = text.trim().split('\n').map((url) => url.slice(url.lastIndexOf('/') + 1));

  const store = countingStore(base.store);
  const services: Services = { ...base, store };
  const server = createLocalServer({ services });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await client(port, openids, codes.slice(0, WARMUP));
  store.reset();
  const { ms, latencies, failed } = await client(port, openids, codes.slice(WARMUP));
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]!.toFixed(2);
  console.log(
    `redemptions over HTTP (loopback, ${CONCURRENCY} concurrent, ${MEMBERS} members, SQLite synchronous=${durability}): ${REDEMPTIONS.toLocaleString('en')} in ${(ms / 1000).toFixed(1)} s = ` +
      `${rate(REDEMPTIONS, ms)}/s, p50 ${pct(50)} ms, p99 ${pct(99)} ms, failed ${failed}`,
  );

  const c = store.counts;
  const per = (n: number) => (n / REDEMPTIONS).toFixed(2);
  console.log(
    `store operations per redemption: ${per(c.transactions)} transactions; inside: ${per(c.txReads)} reads + ${per(c.txWrites)} writes; ` +
      `outside: ${per(c.reads)} reads, ${per(c.writes)} writes, ${per(c.queries)} queries`,
  );
  console.log(`  by operation: ${Object.entries(c.detail).map(([op, n]) => `${op} ${per(n)}`).join(', ')}`);

  await new Promise<void>((resolve) => server.close(() => resolve()));
  await base.store.close();
}

async function main(): Promise<void> {
  const dir = tempDir('mc-bench-codes-');
  try {
    await generation(dir);
    await redemptions(dir, 'full');
    await redemptions(dir, 'normal');
  } finally {
    dir.cleanup();
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
