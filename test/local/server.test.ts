import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createLocalServer } from '../../cloudfunctions/core/local/server';
import { openTestServices, type TestServices } from '../support/services';
import { tempDir } from '../support/temp';

describe('local runtime over HTTP', () => {
  let services: TestServices;
  let server: Server;
  let base: string;
  const app = tempDir('mc-app-');

  beforeAll(() => {
    writeFileSync(app.file('index.html'), '<!doctype html><title>会员中心</title>');
    writeFileSync(app.file('app.js'), 'console.log(1)');
  });
  afterAll(() => app.cleanup());

  beforeEach(async () => {
    services = openTestServices();
    server = createLocalServer({ services, appDir: app.dir });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    await new Promise((resolve) => server.close(resolve));
    await services.close();
  });

  const call = async (path: string, body: string, headers: Record<string, string> = {}) => {
    const res = await fetch(base + path, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });
    return { status: res.status, body: (await res.json()) as { ok: boolean; data?: Record<string, unknown> } };
  };

  it('logs the dev caller in, then finds the same member again', async () => {
    const first = await call('/cloud/member', '{"action":"login"}', { 'X-WX-OPENID': 'u1' });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ ok: true, data: { memberId: expect.any(String), isNew: true, phoneBound: false, consented: false } });
    const again = await call('/cloud/member', '{"action":"login"}', { 'X-WX-OPENID': 'u1' });
    expect(again.body).toEqual({ ok: true, data: { ...first.body.data, isNew: false } });
  });

  it.each([
    ['no identity header', '/cloud/member', '{"action":"login"}', {}, 401, 'UNAUTHENTICATED'],
    ['a malformed identity header', '/cloud/member', '{"action":"login"}', { 'X-WX-OPENID': 'a b/c' }, 401, 'UNAUTHENTICATED'],
    ['a body that is not JSON', '/cloud/member', '{"action":', { 'X-WX-OPENID': 'u1' }, 400, 'INVALID_INPUT'],
    ['a body that is JSON but not an event', '/cloud/member', '[1,2]', { 'X-WX-OPENID': 'u1' }, 400, 'INVALID_INPUT'],
    ['an unknown function', '/cloud/nothing', '{"action":"login"}', { 'X-WX-OPENID': 'u1' }, 404, 'NOT_FOUND'],
    ['a body over 64 KB', '/cloud/member', JSON.stringify({ action: 'login', pad: 'x'.repeat(70_000) }), { 'X-WX-OPENID': 'u1' }, 413, 'INVALID_INPUT'],
  ])('answers %s with a 4xx error envelope and writes nothing', async (_name, path, body, headers, status, code) => {
    const answer = await call(path, body, headers);
    expect(answer).toEqual({ status, body: { ok: false, error: { code, message: expect.any(String) } } });
    expect(await services.dump('members')).toEqual([]);
  });

  it('refuses GET on a function', async () => {
    const res = await fetch(`${base}/cloud/member`);
    expect(res.status).toBe(405);
  });

  it('serves the H5 app, falls back to index.html, and never leaves its folder', async () => {
    const asset = await fetch(`${base}/app.js`);
    expect(await asset.text()).toBe('console.log(1)');
    const gone = await fetch(`${base}/js/missing.js`);
    expect(gone.status).toBe(404);
    const deep = await fetch(`${base}/pages/member/index`);
    expect(await deep.text()).toContain('会员中心');
    const escape = await fetch(`${base}/..%2f..%2fetc%2fpasswd`);
    expect(await escape.text()).toContain('会员中心');
  });

  it('`serve` on a port already in use says so in one line and exits non-zero', async () => {
    const port = (server.address() as AddressInfo).port;
    const outcome = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = execFile(process.execPath, ['scripts/member-centre.js', '--db', app.file('serve.db'), 'serve', '--port', String(port)], { timeout: 30_000 }, (_error, _stdout, stderr) =>
        resolve({ code: child.exitCode, stderr }));
    });
    expect(outcome.code).toBe(1);
    expect(outcome.stderr).toMatch(new RegExp(`^port ${port} is already in use: stop what runs there, or choose another port with --port N .*\\n$`));
    expect(outcome.stderr).not.toMatch(/at .*\.ts:\d+/);
  });

  it('`serve` with a PORT that is no port names PORT', async () => {
    const outcome = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = execFile(process.execPath, ['scripts/member-centre.js', '--db', app.file('serve.db'), 'serve'], { timeout: 30_000, env: { ...process.env, PORT: 'abc' } }, (_error, _stdout, stderr) =>
        resolve({ code: child.exitCode, stderr }));
    });
    expect(outcome.code).toBe(1);
    expect(outcome.stderr).toBe('PORT=abc must be a port number 1-65535 (or leave PORT unset for 10086)\n');
  });
});
