// The dev runtime (local/server.ts, the `serve` command, the dev secrets file) against requests
// and circumstances that must not take it down, leak a file or let a web page act as a member.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { request, type IncomingHttpHeaders, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createLocalServer } from '../../cloudfunctions/core/local/server';
import { devSecrets } from '../../cloudfunctions/core/runtime/secrets';
import { SqliteStore } from '../../cloudfunctions/core/store/sqlite';
import { StoreBusyError } from '../../cloudfunctions/core/store/port';
import { CONTRACT_COLLECTIONS } from '../store/contract';
import { runCli } from '../support/cli';
import { openTestServices, type TestServices } from '../support/services';
import { tempDir } from '../support/temp';

const ROOT = join(__dirname, '..', '..');

interface Answer { status: number; headers: IncomingHttpHeaders; body: string }

/** One raw HTTP request (the path exactly as given, no client-side normalising). */
function raw(port: number, path: string, options: { method?: string; headers?: Record<string, string>; body?: string; timeoutMs?: number } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: { connection: 'close', ...options.headers } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.setTimeout(options.timeoutMs ?? 10_000, () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end(options.body);
  });
}

async function freePort(): Promise<number> {
  const probe = createNetServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

interface Served { child: ChildProcess; port: number; stderr: () => string; exited: Promise<number | null>; alive: () => boolean; stop: () => Promise<void> }

/** `member-centre --db DB serve --port P [--app DIR]` as its own process, once it says it is running. */
async function serve(db: string, app?: string): Promise<Served> {
  const port = await freePort();
  const child = spawn(process.execPath, ['scripts/member-centre.js', '--db', db, 'serve', '--port', String(port), ...(app ? ['--app', app] : [])], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve((exitCode = code))));
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk;
      if (out.includes('running at')) resolve();
    });
    void exited.then(() => reject(new Error(`serve exited: ${err}`)));
  });
  return {
    child,
    port,
    stderr: () => err,
    exited,
    alive: () => exitCode === undefined,
    stop: async () => {
      if (exitCode === undefined) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}

describe('dev runtime: requests that must not take the server down', () => {
  const temp = tempDir('mc-review-h-');
  let served: Served | undefined;
  let sockets: NetServer | undefined;

  beforeAll(() => {
    mkdirSync(temp.file('app'));
    writeFileSync(temp.file('app/index.html'), '<!doctype html><title>会员中心</title>');
  });
  afterEach(async () => {
    await served?.stop();
    served = undefined;
    if (sockets) await new Promise((resolve) => sockets!.close(resolve));
    sockets = undefined;
  });
  afterAll(() => temp.cleanup());

  it('answers a path with a malformed percent-escape (/%E0%A4%A) with a 400 and keeps serving', async () => {
    served = await serve(temp.file('a.db'), temp.file('app'));
    const answer = await raw(served.port, '/%E0%A4%A').catch((error: Error) => ({ status: 0, headers: {}, body: error.message }));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect({ alive: served.alive(), crash: /URIError/.test(served.stderr()) }).toEqual({ alive: true, crash: false });
    expect(answer.status).toBe(400);
    expect((await raw(served.port, '/')).status).toBe(200);
  });

  it('answers a request-target that is no URL (//[) with a 400 and keeps serving, also with no app folder', async () => {
    served = await serve(temp.file('b.db'));
    const answer = await raw(served.port, '//[').catch((error: Error) => ({ status: 0, headers: {}, body: error.message }));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect({ alive: served.alive(), crash: /Invalid URL/.test(served.stderr()) }).toEqual({ alive: true, crash: false });
    expect(answer.status).toBe(400);
    const login = await raw(served.port, '/cloud/member', { method: 'POST', body: '{"action":"login"}', headers: { 'x-wx-openid': 'u1' } });
    expect(login.status).toBe(200);
  });

  it('answers a file in the app folder that cannot be read with an error status and keeps serving', async () => {
    // a file the server may not open (here a socket: open() gives ENXIO; a root-owned 600 file gives EACCES)
    sockets = createNetServer();
    await new Promise<void>((resolve) => sockets!.listen(temp.file('app/locked.js'), resolve));
    served = await serve(temp.file('c.db'), temp.file('app'));
    const answer = await raw(served.port, '/locked.js').catch((error: Error) => ({ status: 0, headers: {}, body: error.message }));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect({ alive: served.alive(), crash: /Emitted 'error' event on ReadStream/.test(served.stderr()) }).toEqual({ alive: true, crash: false });
    expect(answer.status).toBeGreaterThanOrEqual(400);
  });
});

describe('dev runtime: static files stay inside the app folder', () => {
  const temp = tempDir('mc-review-h-static-');
  let services: TestServices;
  let server: Server;
  let port: number;

  beforeAll(async () => {
    mkdirSync(temp.file('app'));
    mkdirSync(temp.file('app-private'));
    writeFileSync(temp.file('app/index.html'), '<!doctype html><title>会员中心</title>');
    writeFileSync(temp.file('app-private/secrets.json'), '{"MC_PHONE_HASH_KEY":"not-for-the-web"}');
    services = openTestServices();
    server = createLocalServer({ services, appDir: temp.file('app') });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await services.close();
    temp.cleanup();
  });

  it.each(['/..%2Fapp-private%2Fsecrets.json', '/%2e%2e%2fapp-private%2fsecrets.json'])(
    'never serves a sibling folder whose name starts with the app folder\'s name (%s)',
    async (path) => {
      const answer = await raw(port, path);
      expect(answer.body).not.toContain('not-for-the-web');
    },
  );
});

describe('dev runtime: request bodies and hosts', () => {
  let services: TestServices;
  let server: Server;
  let port: number;

  beforeEach(async () => {
    services = openTestServices();
    server = createLocalServer({ services });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterEach(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await services.close();
  });

  it('answers a body over 64 KB with 413 as soon as it passes the limit, not once the client has sent all of it', async () => {
    const answer = await new Promise<{ status: number; body: string } | 'no answer'>((resolve) => {
      const req = request({ host: '127.0.0.1', port, path: '/cloud/member', method: 'POST', headers: { 'x-wx-openid': 'u1', 'content-type': 'application/json' } }, (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      });
      req.on('error', () => undefined);
      // 100 KB of an endless body, then nothing more: a client that never stops would be drained forever
      req.write(`{"action":"login","pad":"${'x'.repeat(100_000)}`);
      setTimeout(() => {
        resolve('no answer');
        req.destroy();
      }, 3000);
    });
    expect(answer).toEqual({ status: 413, body: expect.stringContaining('"INVALID_INPUT"') });
    expect(await services.dump('members')).toEqual([]);
  });

  it('refuses a request whose Host is not the loopback address it serves (DNS rebinding would make a web page the dev caller)', async () => {
    const answer = await raw(port, '/cloud/member', { method: 'POST', body: '{"action":"login"}', headers: { host: `evil.example:${port}`, 'x-wx-openid': 'victim' } });
    expect(answer.status).toBeGreaterThanOrEqual(400);
    expect(await services.dump('members')).toEqual([]);
  });
});

describe('dev runtime: another process on the same database, and shutdown', () => {
  const temp = tempDir('mc-review-h-busy-');
  let served: Served | undefined;
  afterEach(async () => {
    await served?.stop();
    served = undefined;
  });
  afterAll(() => temp.cleanup());

  it('keeps answering other requests promptly while a write waits for another process\'s lock, and answers the write CONFLICT', async () => {
    mkdirSync(temp.file('app'));
    writeFileSync(temp.file('app/index.html'), '<!doctype html><title>会员中心</title>');
    const db = temp.file('busy.db');
    served = await serve(db, temp.file('app'));
    // the CLI importing into the same database holds its write lock
    const other = new Database(db);
    other.exec('BEGIN IMMEDIATE');
    try {
      const order: string[] = [];
      const write = raw(served.port, '/cloud/member', { method: 'POST', body: '{"action":"login"}', headers: { 'x-wx-openid': 'u1' }, timeoutMs: 30_000 })
        .then((answer) => (order.push('write'), answer));
      await new Promise((resolve) => setTimeout(resolve, 300));
      // the page is answered while the write still waits for the lock (it waits up to 5 s), not after it
      const page = await raw(served.port, '/', { timeoutMs: 30_000 }).then((answer) => (order.push('page'), answer));
      const answer = await write;
      expect(JSON.parse(answer.body)).toMatchObject({ ok: false, error: { code: 'CONFLICT' } });
      expect(page.status).toBe(200);
      expect(order).toEqual(['page', 'write']);
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
  });

  it('ends on SIGTERM within a few seconds even while a client holds a request half-sent', async () => {
    served = await serve(temp.file('term.db'));
    const req = request({ host: '127.0.0.1', port: served.port, path: '/cloud/member', method: 'POST', headers: { 'x-wx-openid': 'u1', 'content-type': 'application/json' } });
    req.on('error', () => undefined);
    req.write('{"action":');
    try {
      await new Promise((resolve) => setTimeout(resolve, 300));
      served.child.kill('SIGTERM');
      const outcome = await Promise.race([served.exited.then(() => 'exited'), new Promise((resolve) => setTimeout(() => resolve('still running after 10 s'), 10_000))]);
      expect(outcome).toBe('exited');
    } finally {
      req.destroy();
    }
  });
});

describe('dev secrets file', () => {
  const temp = tempDir('mc-review-h-secrets-');
  afterAll(() => temp.cleanup());

  it.each([
    ['JSON cut short', '{"MC_PHONE_HASH_KEY": "abc",'],
    ['null', 'null'],
    ['an object without the keys', '{}'],
    ['a key cut short', '{"MC_PHONE_HASH_KEY":"abc"}'],
  ])('refuses a corrupt secrets.json (%s) naming that file, not as a database that cannot be opened', async (_name, text) => {
    const dir = temp.file(`db-${Buffer.from(text).toString('hex')}`);
    mkdirSync(dir);
    writeFileSync(join(dir, 'secrets.json'), text);
    const file = temp.write(`members-${Buffer.from(text).toString('hex')}.csv`, 'channelMemberId,phone\nT1,13912345678\n');
    const run = await runCli(join(dir, 'member-centre.db'), 'import', 'members', '--channel', 'tmall', '--file', file);
    expect(run.failed).toBe(true);
    expect(run.err).toContain(join(dir, 'secrets.json'));
  });
});

describe('the store waiting for another process\'s lock', () => {
  const temp = tempDir('mc-busy-queue-');
  afterAll(() => temp.cleanup());

  it('gives a transaction that arrives while an earlier one waits for the lock its own busy timeout, not the earlier one\'s', async () => {
    // each waits its own busy timeout from when it was asked for: a second write asked for while the
    // first waits is not refused with it (the wait no longer blocks the event loop, so it queues meanwhile)
    const file = temp.file('late.db');
    const store = new SqliteStore({ file, collections: CONTRACT_COLLECTIONS, busyTimeoutMs: 1000 });
    const other = new Database(file);
    other.exec('BEGIN IMMEDIATE'); // the CLI importing into the same database holds the write lock
    try {
      const outcomes: string[] = [];
      // the first write waits for the lock; once it is refused, the other process lets go at once
      const first = store.transaction(async (tx) => tx.set('counters', { _id: 'first' }))
        .then(() => outcomes.push('first written'), (error) => {
          outcomes.push(error instanceof StoreBusyError ? 'first busy' : `first ${String(error)}`);
          other.exec('ROLLBACK');
        });
      // a second write, a few hundred ms into the first one's wait: its own wait would end long after the lock is free
      await new Promise((resolve) => setTimeout(resolve, 300));
      const second = store.transaction(async (tx) => tx.set('counters', { _id: 'second' }))
        .then(() => outcomes.push('second written'), (error) => outcomes.push(error instanceof StoreBusyError ? 'second busy' : `second ${String(error)}`));
      await Promise.all([first, second]);
      expect(outcomes).toEqual(['first busy', 'second written']);
      expect(await store.get('counters', 'second')).toEqual({ _id: 'second' });
    } finally {
      if (other.inTransaction) other.exec('ROLLBACK');
      other.close();
      await store.close();
    }
  });

  it('goes on with 200,000 queued transactions once the lock is free, rather than the group loop dying of a RangeError (an unhandled rejection that ends the process)', () => {
    // run apart: the store's group loop runs detached (void this.runGroups()), so what it throws
    // ends the process, as it would end the dev server or the CLI
    const script = temp.write('many.ts', `
      const Database = require(${JSON.stringify(require.resolve('better-sqlite3'))});
      const { SqliteStore } = require(${JSON.stringify(join(__dirname, '../../cloudfunctions/core/store/sqlite.ts'))});
      const { CONTRACT_COLLECTIONS } = require(${JSON.stringify(join(__dirname, '../store/contract.ts'))});
      (async () => {
        const file = ${JSON.stringify(temp.file('many.db'))};
        // a busy timeout far longer than the run: no transaction is refused, each waits for the lock
        const store = new SqliteStore({ file, collections: CONTRACT_COLLECTIONS, busyTimeoutMs: 600000, durability: 'normal' });
        const other = new Database(file);
        other.exec('BEGIN IMMEDIATE'); // another process (the CLI importing) holds the write lock
        const count = 200000;
        const all = Promise.all(Array.from({ length: count }, (_, i) => store.transaction(async (tx) => tx.set('counters', { _id: 'c' + i }))));
        // the group loop starts on the next turn and finds the lock taken; then the other process lets go
        await new Promise((resolve) => setImmediate(resolve));
        await new Promise((resolve) => setImmediate(resolve));
        other.exec('ROLLBACK');
        other.close();
        const written = await all;
        process.stdout.write('written ' + written.length + '\\n');
        await store.close();
      })();
    `);
    const run = spawnSync(process.execPath, ['--require', 'tsx/cjs', script], { cwd: join(__dirname, '../..'), encoding: 'utf8' });
    expect(run.stderr).not.toMatch(/RangeError/);
    if (!run.stdout) process.stderr.write(`child: ${run.status} ${run.error ?? ''} ${run.stderr.slice(-1500)}\n`);
    expect(run.stdout).toContain('written 200000');
    expect(run.status).toBe(0);
  }, 120_000);
});

describe('dev secrets: MC_CODE_KEYS in the environment replaces the file\'s code keys', () => {
  const temp = tempDir('mc-code-keys-');
  const key = () => randomBytes(32).toString('base64');
  afterAll(() => temp.cleanup());

  it('uses the environment\'s code keys when the file\'s own code keys are unusable (they are replaced, never read)', () => {
    const dir = temp.file('db');
    mkdirSync(dir);
    const file = join(dir, 'secrets.json');
    // the three keys that find the members are sound; the code keys the operator replaces in the environment are not
    writeFileSync(file, JSON.stringify({ MC_PHONE_HASH_KEY: key(), MC_PHONE_ENC_KEY: key(), MC_MEMBER_CODE_KEY: key(), MC_CODE_KEYS: 'a:short' }));
    const fromEnv = `B:${key()}`;
    const secrets = devSecrets(file, { MC_CODE_KEYS: fromEnv });
    expect(secrets.codeKeys.map((k) => k.id)).toEqual(['B']);
  });

  it('uses the environment\'s code keys when the file lists none', () => {
    const dir = temp.file('db2');
    mkdirSync(dir);
    const file = join(dir, 'secrets.json');
    writeFileSync(file, JSON.stringify({ MC_PHONE_HASH_KEY: key(), MC_PHONE_ENC_KEY: key(), MC_MEMBER_CODE_KEY: key() }));
    const secrets = devSecrets(file, { MC_CODE_KEYS: `B:${key()}` });
    expect(secrets.codeKeys.map((k) => k.id)).toEqual(['B']);
  });

  it('refuses two keys with one id: a code is checked against the first key of its id alone, so the old batches would read as fakes', () => {
    const dir = temp.file('db3');
    mkdirSync(dir);
    const file = join(dir, 'secrets.json');
    writeFileSync(file, JSON.stringify({ MC_PHONE_HASH_KEY: key(), MC_PHONE_ENC_KEY: key(), MC_MEMBER_CODE_KEY: key(), MC_CODE_KEYS: `A:${key()}` }));
    expect(() => devSecrets(file, { MC_CODE_KEYS: `A:${key()},A:${key()}` })).toThrow(/MC_CODE_KEYS: key id A is listed twice; give a new key a new id/);
    expect(() => devSecrets(file, { MC_CODE_KEYS: `B:${key()},A:${key()}` })).not.toThrow();
    // rotated in the file itself, as docs/codes-and-scenes.md (Keys) allows: the file named, and what to do, not a backup to restore
    writeFileSync(file, JSON.stringify({ MC_PHONE_HASH_KEY: key(), MC_PHONE_ENC_KEY: key(), MC_MEMBER_CODE_KEY: key(), MC_CODE_KEYS: `A:${key()},A:${key()}` }));
    expect(() => devSecrets(file, {})).toThrow(/secrets\.json: MC_CODE_KEYS: key id A is listed twice; give a new key a new id$/);
  });
});
