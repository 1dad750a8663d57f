import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { CloudBaseResponder } from '../support/cloudbase-responder';
import { tempDir } from '../support/temp';

const run = promisify(execFile);
const root = resolve(__dirname, '../..');

/**
 * The deployable artifact itself: the esbuild bundle of the `member` cloud
 * function, run in its own Node process with the real wx-server-sdk, whose
 * database transport goes to a local responder and whose caller comes from
 * WeChat's context variables, as in the cloud.
 */
describe('cloud function bundles', () => {
  const out = tempDir('mc-bundle-');
  const responder = new CloudBaseResponder();

  beforeAll(async () => {
    // the brand's own terms version, from the config file the functions are built with
    writeFileSync(out.file('brand.json'), JSON.stringify({ termsVersion: '2027-01-01' }));
    await run('npx', ['tsx', 'scripts/build-functions.ts', '--out', out.file('functions')], { cwd: root, env: { ...process.env, MC_CONFIG: out.file('brand.json') } });
    await responder.start();
  }, 60_000);
  afterAll(async () => {
    await responder.stop();
    out.cleanup();
  });

  const key = () => randomBytes(32).toString('base64');
  const secrets = { MC_PHONE_HASH_KEY: key(), MC_PHONE_ENC_KEY: key(), MC_MEMBER_CODE_KEY: key(), MC_CODE_KEYS: `A:${key()}` };

  async function callMember(event: unknown, openid: string | null, env: Record<string, string | undefined> = secrets): Promise<unknown> {
    return JSON.parse((await runMember(event, openid, env)).stdout);
  }

  function runMember(event: unknown, openid: string | null, env: Record<string, string | undefined>) {
    const script = `require(${JSON.stringify(join(out.file('functions'), 'member/index.js'))}).main(${JSON.stringify(event)}, {}).then((r) => process.stdout.write(JSON.stringify(r)))`;
    return run(process.execPath, ['-e', script], {
      env: {
        PATH: process.env.PATH,
        NODE_PATH: join(root, 'node_modules'),
        TENCENTCLOUD_SECRETID: 'id', TENCENTCLOUD_SECRETKEY: 'key', TENCENTCLOUD: 'true', SILENCE: 'true',
        TCB_CONTEXT_CNFG: JSON.stringify({ URL: responder.url }),
        TCB_ENV: 'test-env', SCF_NAMESPACE: 'test-env',
        WX_CONTEXT_KEYS: 'WX_OPENID,WX_APPID',
        // set as the README once said: there is no such file in the cloud, and the built-in config is what counts (docs/operations.md, Configuration)
        MC_CONFIG: '/var/user/member-centre.json',
        ...(openid ? { WX_OPENID: openid, WX_APPID: 'wx_test' } : {}),
        ...env,
      },
    });
  }

  it('writes an index.js and a package.json that depends on wx-server-sdk, without the embedded store', () => {
    const pkg = JSON.parse(readFileSync(join(out.file('functions'), 'member/package.json'), 'utf8'));
    expect(pkg).toMatchObject({ main: 'index.js', dependencies: { 'wx-server-sdk': expect.any(String) } });
    const bundle = readFileSync(join(out.file('functions'), 'member/index.js'), 'utf8');
    expect(bundle).not.toContain('better-sqlite3');
    expect(existsSync(join(out.file('functions'), 'core'))).toBe(false);
  });

  it('declares beside the member function the WeChat open API that phone binding calls (WeChat refuses an undeclared cloud call)', () => {
    expect(JSON.parse(readFileSync(join(out.file('functions'), 'member/config.json'), 'utf8'))).toEqual({ permissions: { openapi: ['phonenumber.getPhoneNumber'] } });
  });

  it('logs the WeChat caller in through CloudBase, and finds the same member again', async () => {
    const first = await callMember({ action: 'login', userInfo: { openId: 'forged' } }, 'o_cloud_1');
    expect(first).toMatchObject({ ok: true, data: { memberId: expect.stringMatching(/^m_/), isNew: true } });
    const again = await callMember({ action: 'login' }, 'o_cloud_1');
    expect(again).toEqual({ ok: true, data: { ...(first as { data: object }).data, isNew: false } });
    expect(responder.requests.some((r) => r.action === 'database.startTransaction')).toBe(true);
  }, 30_000);

  it('runs with the brand config it was built with', async () => {
    expect(await callMember({ action: 'login' }, 'o_cloud_2')).toMatchObject({ ok: true, data: { termsVersion: '2027-01-01' } });
  }, 30_000);

  it('answers INTERNAL, logging which variable is wrong, when a deployment lacks a key', async () => {
    const { MC_PHONE_ENC_KEY: _missing, ...partial } = secrets;
    const { stdout, stderr } = await runMember({ action: 'login' }, 'o_cloud_3', partial);
    expect(JSON.parse(stdout)).toEqual({ ok: false, error: { code: 'INTERNAL', message: 'internal error' } });
    const logged = stderr.trim().split('\n').map((line) => JSON.parse(line));
    expect(logged).toContainEqual(expect.objectContaining({ event: 'instance_setup_failed', fn: 'member', error: expect.stringContaining('MC_PHONE_ENC_KEY') }));
    // nothing of the keys that are set reaches the log
    expect(stderr).not.toContain(secrets.MC_PHONE_HASH_KEY);
  }, 30_000);

  it('answers a call without a WeChat caller with UNAUTHENTICATED', async () => {
    expect(await callMember({ action: 'login' }, null)).toEqual({ ok: false, error: { code: 'UNAUTHENTICATED', message: expect.any(String) } });
  }, 30_000);
});
