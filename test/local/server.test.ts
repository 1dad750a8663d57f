import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createLocalServer } from '../../cloudfunctions/core/local/server';
import { openTestServices, type TestServices } from '../support/services';
import { importMembers } from '../support/members';
import { importOrders, makeBatch } from '../codes/support';
import { addCampaign, addGuide, addStore } from '../../cloudfunctions/core/scenes/places.store';
import { verifyPoints } from '../../cloudfunctions/core/points/verify.store';
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

  describe('a consumer action sent twice, at once (a double tap, WeChat\'s retry) and one after the other', () => {
    const as = (openid: string) => async (fn: string, event: Record<string, unknown>) => {
      const answer = await call(`/cloud/${fn}`, JSON.stringify(event), { 'X-WX-OPENID': openid });
      return { status: answer.status, body: answer.body as { ok: boolean; data?: Record<string, unknown>; error?: { code: string; details?: Record<string, unknown> } } };
    };
    const atOnce = (send: ReturnType<typeof as>, fn: string, event: Record<string, unknown>) => Promise.all([send(fn, event), send(fn, event)]);
    const inTurn = async (send: ReturnType<typeof as>, fn: string, event: Record<string, unknown>) => {
      const first = await send(fn, event);
      return [first, await send(fn, event)] as const;
    };

    it.each([['at once', atOnce], ['one after the other', inTurn]] as const)('every consumer action answers the second send as the first, doubles nothing and leaves the points clean (%s)', async (_how, twice) => {
      await addStore(services, { id: 'SH001', name: '南京西路店' });
      await addGuide(services, { id: 'G001', storeId: 'SH001', name: '小林' });
      await addCampaign(services, { id: 'P11', name: '双11包裹卡', platform: 'tmall', bonus: 50 });
      await importMembers(services, 'offline', [{ channelMemberId: 'C100', phone: '13700001111', points: 30 }, { channelMemberId: 'C101', phone: '13700002222' }]);
      const { codes } = await makeBatch(services);
      const send = as('u1');
      const both = async (fn: string, event: Record<string, unknown>) => {
        const answers = await twice(send, fn, event);
        for (const answer of answers) expect(answer.status).toBeLessThan(500);
        return answers;
      };
      const [login, loginAgain] = await both('member', { action: 'login' });
      expect(loginAgain).toEqual({ ...login, body: { ...login.body, data: { ...login.body.data, isNew: false } } });
      for (const event of [
        { action: 'consent', version: services.config.termsVersion },
        { action: 'bindPhone', code: `dev:13912345678:${services.clock.now()}` },
        { action: 'linkOffline', cardNo: 'C100', last4: '1111' },
        { action: 'linkOffline', cardNo: 'C101', last4: '0000' },
        { action: 'updateProfile', nickname: '小明', birthday: '1990-01-02' },
        { action: 'memberCode' },
      ]) {
        const [first, second] = await both('member', event);
        expect({ event, second }).toEqual({ event, second: first });
      }
      // a double tap of the wrong digits is one try
      expect((await send('member', { action: 'linkOffline', cardNo: 'C101', last4: '0000' })).body.error).toEqual(expect.objectContaining({ code: 'CARD_MISMATCH', details: { triesLeft: 4 } }));
      const [scan, scanAgain] = await both('codes', { action: 'redeem', code: codes[0] });
      expect(scan.body).toMatchObject({ ok: true, data: { points: 20, repeated: false } });
      expect(scanAgain).toEqual({ ...scan, body: { ...scan.body, data: { ...scan.body.data, repeated: true } } });
      const [join, joinAgain] = await both('scenes', { action: 'join', scene: 'g=G001' });
      expect(join.body).toMatchObject({ ok: true, data: { attributed: true, guideId: 'G001' } });
      expect(joinAgain).toEqual({ ...join, body: { ...join.body, data: { ...join.body.data, attributed: false } } });
      for (const [fn, event] of [['points', { action: 'summary' }], ['points', { action: 'history', limit: 1 }]] as const) {
        const [first, second] = await both(fn, event);
        expect({ event, second }).toEqual({ event, second: first });
      }
      expect((await services.dump('ledger')).map((entry) => String(entry._id).replace(/^scan:.*/, 'scan')).sort()).toEqual(['migrate:offline:C100', 'scan']);
      expect(await verifyPoints(services)).toMatchObject({ differences: 0 });
      const [erased, erasedAgain] = await both('member', { action: 'delete', confirm: true });
      expect(erased).toEqual({ status: 200, body: { ok: true, data: { deleted: true } } });
      expect(erasedAgain).toEqual(erased);
      expect(await verifyPoints(services)).toMatchObject({ differences: 0 });
    });

    it('package card: a join and an order binding sent twice at once bind once', async () => {
      await addCampaign(services, { id: 'P11', name: '双11包裹卡', platform: 'tmall', bonus: 50 });
      const send = as('u2');
      await send('member', { action: 'login' });
      await send('member', { action: 'consent', version: services.config.termsVersion });
      await send('member', { action: 'bindPhone', code: `dev:13912340000:${services.clock.now()}` });
      const [join, joinAgain] = await atOnce(send, 'scenes', { action: 'join', scene: 'p=P11' });
      expect(join.body).toMatchObject({ ok: true, data: { attributed: true, kind: 'packageCard', campaignId: 'P11' } });
      expect(joinAgain).toEqual({ ...join, body: { ...join.body, data: { ...join.body.data, attributed: false } } });
      expect(await services.dump('attributions')).toHaveLength(1);
      await importOrders(services, 'tmall', [{ orderId: '1001', phone: '13912340000', amountFen: 10000, status: 'paid', paidAt: '2026-11-20 10:00:00' }]);
      const [bound, boundAgain] = await atOnce(send, 'scenes', { action: 'bindOrder', platform: 'tmall', orderId: '1001' });
      expect(bound.body).toMatchObject({ ok: true, data: { orderId: '1001', campaignId: 'P11', points: 50, repeated: false } });
      expect(boundAgain).toEqual({ ...bound, body: { ...bound.body, data: { ...bound.body.data, repeated: true } } });
      expect((await services.dump('ledger')).map((entry) => entry._id).sort()).toEqual(['card:tmall:1001', 'order:tmall:1001']);
      expect(await verifyPoints(services)).toMatchObject({ differences: 0 });
    });
  });
});
