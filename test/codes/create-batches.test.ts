/**
 * `codes create` as a brand's packaging operator runs it (ARCHITECTURE §4, §7): the printer's file,
 * what the store keeps per batch, reruns, and the codes of a run scanned through codes.redeem.
 */
import { spawnSync } from 'node:child_process';
import fs, { existsSync, lstatSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { runs, timeoutFor } from '../support/property';
import { CODE_ALPHABET, decodeNumber } from '../../cloudfunctions/core/codes/code';
import { openLocalServices } from '../../cloudfunctions/core/local/services';
import { silentLogger } from '../../cloudfunctions/core/runtime/log';
import { cliOnFreshDatabase, runCli, runCliAt } from '../support/cli';
import { boundConsumer } from '../support/members';
import { redeem } from './support';

const ROOT = join(__dirname, '../..');
const LINE = /^https:\/\/mc\.example\.com\/c\/A[2-9A-HJ-NP-Z]{21}$/;

/** Another operator's `member-centre codes create` on the same database, in a process of its own, run to its end. */
function otherProcess(db: string, ...args: string[]) {
  return spawnSync(process.execPath, ['scripts/member-centre.js', '--db', db, 'codes', 'create', ...args], { cwd: ROOT, encoding: 'utf8' });
}

/**
 * Runs `during` once while this process's codes create writes: when it makes the stream of its
 * part-file (opened, its batch recorded and pending, nothing activated or renamed yet).
 */
function whileWriting(part: string, during: () => void) {
  const real = fs.createWriteStream;
  let done = false;
  return jest.spyOn(fs, 'createWriteStream').mockImplementation(((path: fs.PathLike, options?: Parameters<typeof fs.createWriteStream>[1]) => {
    if (!done && existsSync(part)) {
      done = true;
      during();
    }
    return real(path, options);
  }) as typeof fs.createWriteStream);
}

/** Rows of every document table: what a run wrote to the store. */
function documentCounts(db: string): Record<string, number> {
  const store = new Database(db, { readonly: true });
  try {
    const tables = store.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'doc_%' ORDER BY name").pluck().all() as string[];
    return Object.fromEntries(tables.map((table) => [table, store.prepare(`SELECT count(*) FROM "${table}"`).pluck().get() as number]));
  } finally {
    store.close();
  }
}

/** `codes list` as rows: id, status, sku, name, points, count. */
const listed = (out: string) => out.trim().split('\n').filter(Boolean).map((line) => line.split('\t').slice(0, 6));

describe('codes create: two runs given the same --out', () => {
  const fresh = cliOnFreshDatabase();
  const { cli, run } = fresh;
  afterEach(() => jest.restoreAllMocks());

  test('a second run started while the first writes: the file at --out is one run\'s whole, and the other run\'s batch is withdrawn, not active with its codes missing', async () => {
    const out = fresh.temp.file('print.txt');
    const part = `${out}.part`;
    await cli('codes', 'create', '--sku', 'WARMUP', '--name', '预热', '--points', '1', '--count', '1', '--out', fresh.temp.file('warmup.txt'));
    let other: ReturnType<typeof otherProcess> | undefined;
    whileWriting(part, () => {
      other = otherProcess(fresh.db, '--sku', 'MASK-1', '--name', '面膜', '--points', '5', '--count', '5', '--out', out);
    });
    const first = await run('codes', 'create', '--sku', 'CREAM-50', '--name', '面霜 50ml', '--points', '30', '--count', '3', '--out', out);
    jest.restoreAllMocks();

    expect(other).toMatchObject({ status: 0 });
    const otherBatch = /^batch (\w{4}):/.exec(other!.stdout)![1]!;
    // the file is the other run's, whole, as it said
    const lines = readFileSync(out, 'utf8').split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(5);
    for (const line of lines) expect(line.slice(26, 30)).toBe(otherBatch);
    // this run says it failed, and its batch scans for nothing
    expect(first.failed).toBe(true);
    expect(first.err).toMatch(/print\.txt\.part was replaced while this run wrote it \(another codes create with --out .*print\.txt\?\)/);
    expect(first.err).toMatch(/batch \w{4} withdrawn; none of its codes will scan/);
    const batches = listed((await cli('codes', 'list')).out);
    expect(batches.filter(([, , sku]) => sku === 'CREAM-50')).toEqual([[expect.any(String), 'revoked', 'CREAM-50', '面霜 50ml', '30 pts', '3 codes']]);
    expect(batches.filter(([, , sku]) => sku === 'MASK-1')).toEqual([[otherBatch, 'active', 'MASK-1', '面膜', '5 pts', '5 codes']]);
    expect(existsSync(part)).toBe(false);
  });

  test('a second run that takes the part-file after the first activated its batch, before the rename: the first says its codes are in no file and to withdraw the batch, not that a file is kept', async () => {
    const out = fresh.temp.file('print.txt');
    const part = `${out}.part`;
    await cli('codes', 'create', '--sku', 'WARMUP', '--name', '预热', '--points', '1', '--count', '1', '--out', fresh.temp.file('warmup.txt'));
    let other: ReturnType<typeof otherProcess> | undefined;
    // the clock is read as the batch is activated (the part-file whole), and not while it is written
    const clock = { now: () => {
      if (!other && existsSync(part) && lstatSync(part).size === 3 * 48) other = otherProcess(fresh.db, '--sku', 'MASK-1', '--name', '面膜', '--points', '5', '--count', '5', '--out', out);
      return Date.now();
    } };
    const first = await runCliAt(clock, fresh.db, 'codes', 'create', '--sku', 'CREAM-50', '--name', '面霜 50ml', '--points', '30', '--count', '3', '--out', out);
    expect(other).toMatchObject({ status: 0 });
    const otherBatch = /^batch (\w{4}):/.exec(other!.stdout)![1]!;
    expect(readFileSync(out, 'utf8').trim().split('\n').map((line) => line.slice(26, 30))).toEqual(Array(5).fill(otherBatch));
    const firstBatch = listed((await cli('codes', 'list')).out).find(([, , sku]) => sku === 'CREAM-50')![0]!;
    expect(first.failed).toBe(true);
    expect(first.err).toContain(`batch ${firstBatch} is active, but another run replaced ${part} before it was renamed: its codes are in no file; withdraw it with codes revoke-batch ${firstBatch}`);
    expect(first.err).not.toMatch(/is kept and its codes scan/);
  });

  test('a file that appears at --out while a run writes (another run\'s, finished) is kept unless --force, and the run is withdrawn', async () => {
    const out = fresh.temp.file('print.txt');
    const part = `${out}.part`;
    whileWriting(part, () => writeFileSync(out, 'https://mc.example.com/c/another-run\n'));
    const answer = await run('codes', 'create', '--sku', 'CREAM-50', '--name', '面霜 50ml', '--points', '30', '--count', '3', '--out', out);
    jest.restoreAllMocks();
    expect(answer.failed).toBe(true);
    expect(answer.err).toMatch(/print\.txt appeared while this run wrote its codes \(another codes create with the same --out\?\): choose another --out, or add --force to replace it/);
    expect(readFileSync(out, 'utf8')).toBe('https://mc.example.com/c/another-run\n');
    expect(existsSync(part)).toBe(false);
    expect(listed((await cli('codes', 'list')).out)).toEqual([[expect.any(String), 'revoked', 'CREAM-50', '面霜 50ml', '30 pts', '3 codes']]);

    // given --force, the run replaces it as asked
    whileWriting(part, () => writeFileSync(out, 'https://mc.example.com/c/another-run\n'));
    expect((await run('codes', 'create', '--sku', 'CREAM-50', '--name', '面霜 50ml', '--points', '30', '--count', '3', '--out', out, '--force')).failed).toBe(false);
    jest.restoreAllMocks();
    expect(readFileSync(out, 'utf8').trim().split('\n')).toEqual([expect.stringMatching(LINE), expect.stringMatching(LINE), expect.stringMatching(LINE)]);
  });
});

describe('codes create: the printer\'s file, the store, reruns and scanning', () => {
  const fresh = cliOnFreshDatabase();
  const { cli, run } = fresh;

  test('one URL per line (LF, a final newline, no CR), codes unique and free of 0 O 1 I; one batch document for the run and nothing per code; listed; a rerun is refused and keeps the file; another --out makes a new batch sharing no code', async () => {
    await cli('codes', 'create', '--sku', 'WARMUP', '--name', '预热', '--points', '1', '--count', '1', '--out', fresh.temp.file('warmup.txt'));
    const before = documentCounts(fresh.db);
    const out = fresh.temp.file('print.txt');
    const args = ['codes', 'create', '--sku', 'CREAM-50', '--name', '玫瑰精华水, 100ml', '--points', '30', '--count', '20000', '--valid-to', '2099-12-31', '--out', out];
    const created = await cli(...args);
    expect(created.out).toMatch(/^batch (\w{4}): 20,000 codes for CREAM-50 \(玫瑰精华水, 100ml\), 30 points each, valid to 2099-12-31 23:59:59 Beijing, key A; written to /);
    const batchId = /^batch (\w{4}):/.exec(created.out)![1]!;

    const text = readFileSync(out, 'utf8');
    expect(text.includes('\r')).toBe(false);
    expect(text.endsWith('\n')).toBe(true);
    const lines = text.slice(0, -1).split('\n');
    expect(lines).toHaveLength(20000);
    expect(new Set(lines).size).toBe(20000);
    for (const line of lines) expect(line).toMatch(LINE);
    expect(lines.every((line) => line.slice(26, 30) === batchId)).toBe(true);
    // serials 1..N in order, across the chunks the file is written in
    expect(lines.every((line, i) => decodeNumber(line.slice(30, 35)) === i + 1)).toBe(true);
    expect(/[01IO]/.test(lines.map((line) => line.slice(25)).join(''))).toBe(false);

    // one batch document; no document per code
    const after = documentCounts(fresh.db);
    expect(after).toEqual({ ...before, doc_codeBatches: before.doc_codeBatches! + 1 });
    expect(listed((await cli('codes', 'list')).out)).toContainEqual([batchId, 'active', 'CREAM-50', '玫瑰精华水, 100ml', '30 pts', '20000 codes']);

    // the same command again: refused, the file (this batch's only copy) kept, nothing written
    const again = await run(...args);
    expect(again).toMatchObject({ failed: true, err: expect.stringMatching(/print\.txt exists \(an earlier batch's codes\?\): choose another --out, or add --force/) });
    expect(readFileSync(out, 'utf8')).toBe(text);
    expect(documentCounts(fresh.db)).toEqual(after);

    // to another file: a second batch of its own, no code in common
    const second = fresh.temp.file('print-2.txt');
    await cli('codes', 'create', '--sku', 'CREAM-50', '--name', '玫瑰精华水, 100ml', '--points', '30', '--count', '20000', '--out', second);
    const secondLines = readFileSync(second, 'utf8').trim().split('\n');
    const codesOf = (urls: string[]) => new Set(urls.map((url) => url.slice(25)));
    const firstCodes = codesOf(lines);
    expect([...codesOf(secondLines)].filter((code) => firstCodes.has(code))).toEqual([]);
    expect(secondLines[0]!.slice(26, 30)).not.toBe(batchId);
  });

  /** Runs `fn` under the brand's own config (MC_CONFIG naming a file with its brandDomain), as a real deployment does. */
  async function withBrandDomain<T>(brandDomain: string, fn: () => Promise<T>): Promise<T> {
    const saved = process.env.MC_CONFIG;
    process.env.MC_CONFIG = fresh.temp.file('brand.json');
    writeFileSync(process.env.MC_CONFIG, JSON.stringify({ brandDomain }));
    try {
      return await fn();
    } finally {
      if (saved === undefined) delete process.env.MC_CONFIG;
      else process.env.MC_CONFIG = saved;
    }
  }

  test('a run on the shipped example brandDomain (mc.example.com) warns before it writes, since no phone opens those links; the brand\'s own domain prints without a word', async () => {
    const example = await run('codes', 'create', '--sku', 'CREAM-50', '--name', '面霜 50ml', '--points', '30', '--count', '2', '--out', fresh.temp.file('print.txt'));
    expect(example).toMatchObject({ failed: false, err: expect.stringContaining("warning: brandDomain is mc.example.com, an example domain (config/member-centre.json as shipped): a phone's WeChat scanner opens nothing at these links, which only this runtime's own app reads; set the brand's domain (brandDomain, with MC_CONFIG) before a printer gets them\n") });
    for (const domain of ['shop.test', 'localhost.localdomain.example', 'mc.example.org']) {
      await withBrandDomain(domain, async () => {
        expect((await run('codes', 'create', '--sku', 'CREAM-50', '--name', '面霜 50ml', '--points', '30', '--count', '1', '--out', fresh.temp.file(`${domain}.txt`))).err).toContain(`warning: brandDomain is ${domain}, an example domain`);
      });
    }
    await withBrandDomain('mc.brand.cn', async () => {
      const own = await run('codes', 'create', '--sku', 'CREAM-50', '--name', '面霜 50ml', '--points', '30', '--count', '2', '--out', fresh.temp.file('brand.txt'));
      expect(own).toMatchObject({ failed: false, err: '' });
      expect(readFileSync(fresh.temp.file('brand.txt'), 'utf8')).toMatch(/^https:\/\/mc\.brand\.cn\/c\/A\w{21}\nhttps:\/\/mc\.brand\.cn\/c\/A\w{21}\n$/);
    });
    // a domain that merely contains the word is the brand's
    await withBrandDomain('example-cosmetics.cn', async () => {
      expect((await run('codes', 'create', '--sku', 'CREAM-50', '--name', '面霜 50ml', '--points', '30', '--count', '1', '--out', fresh.temp.file('word.txt'))).err).toBe('');
    });
  });

  test('a run that starts a new database (from another folder than usual, a mistyped --db) says so: its codes scan nowhere else', async () => withBrandDomain('mc.brand.cn', async () => {
    const elsewhere = fresh.temp.file('elsewhere/mc.db');
    const first = await runCli(elsewhere, 'codes', 'create', '--sku', 'CREAM-50', '--name', '面霜 50ml', '--points', '30', '--count', '2', '--out', fresh.temp.file('print.txt'));
    expect(first).toMatchObject({ failed: false, err: expect.stringMatching(/^note: .*elsewhere\/mc\.db is a new database, started by this run: these codes scan only where it serves, with the secrets\.json beside it \(another database refuses them as not valid\); for the one the server uses, give its --db \(or MC_DB\), or run from the folder that holds its \.data\/\n$/) });
    // the database the server uses refuses them
    await cli('codes', 'create', '--sku', 'WARMUP', '--name', '预热', '--points', '1', '--count', '1', '--out', fresh.temp.file('warmup.txt'));
    const services = openLocalServices({ dbFile: fresh.db, log: silentLogger });
    try {
      await boundConsumer(services, 'u1', '13912345678');
      const code = readFileSync(fresh.temp.file('print.txt'), 'utf8').split('\n')[0]!.slice(25);
      expect(await redeem(services, 'u1', { code })).toMatchObject({ ok: false, error: { code: 'CODE_INVALID' } });
    } finally {
      await services.store.close();
    }
    // a later run on it, or on a database that was there, says nothing of the kind
    expect((await runCli(elsewhere, 'codes', 'create', '--sku', 'CREAM-50', '--name', '面霜 50ml', '--points', '30', '--count', '2', '--out', fresh.temp.file('print-2.txt'))).err).toBe('');
    expect((await cli('codes', 'create', '--sku', 'CREAM-50', '--name', '面霜 50ml', '--points', '30', '--count', '2', '--out', fresh.temp.file('print-3.txt'))).err).toBe('');
  }));

  test('codes of the file redeem through codes.redeem, each once; a code one character off is CODE_INVALID and writes nothing', async () => {
    const out = fresh.temp.file('print.txt');
    await cli('codes', 'create', '--sku', 'CREAM-50', '--name', '面霜 50ml', '--points', '30', '--count', '5000', '--out', out);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    const services = openLocalServices({ dbFile: fresh.db, log: silentLogger });
    try {
      await boundConsumer(services, 'u1', '13912345678');
      let available = 0;
      const redeemed = new Set<number>();
      await fc.assert(fc.asyncProperty(fc.integer({ min: 0, max: lines.length - 1 }), fc.boolean(), async (index, asLink) => {
        const answer = await redeem(services, 'u1', asLink ? { q: encodeURIComponent(lines[index]!) } : { code: lines[index]!.slice(25).toLowerCase() });
        if (redeemed.has(index)) {
          expect(answer).toMatchObject({ ok: true, data: { repeated: true, available } });
          return;
        }
        redeemed.add(index);
        available += 30;
        expect(answer).toEqual({ ok: true, data: { sku: 'CREAM-50', name: '面霜 50ml', points: 30, available, redeemedAt: expect.any(String), repeated: false } });
      }), { numRuns: runs(60), examples: [[0, false], [lines.length - 1, true]] });

      const before = documentCounts(fresh.db);
      let caller = 0;
      await fc.assert(fc.asyncProperty(
        fc.integer({ min: 0, max: lines.length - 1 }), fc.integer({ min: 0, max: 21 }), fc.constantFrom(...CODE_ALPHABET),
        async (index, at, char) => {
          const code = lines[index]!.slice(25);
          fc.pre(code[at] !== char);
          const typo = code.slice(0, at) + char + code.slice(at + 1);
          // a caller each: the invalid-scan limit is not what is tested here
          expect(await redeem(services, `typo-${caller++}`, { code: typo })).toMatchObject({ ok: false, error: { code: 'CODE_INVALID' } });
        },
      ), { numRuns: runs(200) });
      expect(documentCounts(fresh.db)).toEqual(before);
    } finally {
      await services.store.close();
    }
  }, timeoutFor());
});
