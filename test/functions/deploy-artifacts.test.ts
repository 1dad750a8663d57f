import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { cloudFunctions } from '../../cloudfunctions/core/functions';
import { CloudBaseResponder } from '../support/cloudbase-responder';
import { tempDir } from '../support/temp';

const run = promisify(execFile);
const root = resolve(__dirname, '../..');
const rootPackage = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };

/** The function folders a developer uploads: every cloudfunctions/<name>/index.ts but the core. */
const functionNames = readdirSync(join(root, 'cloudfunctions')).filter((name) => name !== 'core' && existsSync(join(root, 'cloudfunctions', name, 'index.ts')));

/** Bare package names a bundle requires (what the cloud must install), node's own modules left out. */
function requiredPackages(bundle: string): string[] {
  const names = new Set<string>();
  for (const [, spec] of bundle.matchAll(/\brequire\(\s*["'`]([^"'`]+)["'`]\s*\)/g)) {
    if (spec!.startsWith('.') || spec!.startsWith('/') || spec!.startsWith('node:') || builtinModules.includes(spec!)) continue;
    const parts = spec!.split('/');
    names.add(spec!.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!);
  }
  return [...names].sort();
}

/**
 * What WeChat DevTools uploads with 上传并部署：云端安装依赖, folder by folder, checked as a brand's
 * developer would before deploying: each folder stands alone (its package.json names what its bundle
 * requires, and the cloud installs only that), loads in plain node with nothing of this repository
 * but its own node_modules, and answers the envelope through wx-server-sdk's WeChat context.
 */
describe('deployable cloud function folders', () => {
  const out = tempDir('mc-deploy-');
  const functions = out.file('functions');
  const responder = new CloudBaseResponder();

  beforeAll(async () => {
    await run('npx', ['tsx', 'scripts/build-functions.ts', '--out', functions], { cwd: root, env: { ...process.env, MC_CONFIG: '' } });
    // as the cloud installs the package.json's dependencies beside index.js
    for (const name of functionNames) symlinkSync(join(root, 'node_modules'), join(functions, name, 'node_modules'), 'dir');
    await responder.start();
  }, 120_000);
  afterAll(async () => {
    await responder.stop();
    out.cleanup();
  });

  const key = () => randomBytes(32).toString('base64');
  const secrets = { MC_PHONE_HASH_KEY: key(), MC_PHONE_ENC_KEY: key(), MC_MEMBER_CODE_KEY: key(), MC_CODE_KEYS: `A:${key()}` };

  /** One cold instance: `main(event, context)` required from the folder alone, the caller from WeChat's context variables. */
  async function call(name: string, event: Record<string, unknown>, openid: string): Promise<{ answer: unknown; stderr: string }> {
    const { answers, stderr } = await callEach(name, [event], openid);
    return { answer: answers[0], stderr };
  }

  /** One instance answering the events one after another, as a warm instance does. */
  async function callEach(name: string, events: Record<string, unknown>[], openid: string): Promise<{ answers: unknown[]; stderr: string }> {
    const wechatEvents = events.map((event) => ({ ...event, userInfo: { appId: 'wx_test', openId: openid } }));
    const script = `const { main } = require('./index.js'); (async () => { const answers = []; for (const event of ${JSON.stringify(wechatEvents)}) answers.push(await main(event, { function_name: ${JSON.stringify(name)} })); process.stdout.write(JSON.stringify(answers)); })()`;
    const { stdout, stderr } = await run(process.execPath, ['-e', script], {
      cwd: join(functions, name),
      env: {
        PATH: process.env.PATH,
        TENCENTCLOUD_SECRETID: 'id', TENCENTCLOUD_SECRETKEY: 'key', TENCENTCLOUD: 'true', SILENCE: 'true',
        TCB_CONTEXT_CNFG: JSON.stringify({ URL: responder.url }),
        TCB_ENV: 'test-env', SCF_NAMESPACE: 'test-env',
        WX_CONTEXT_KEYS: 'WX_OPENID,WX_APPID', WX_OPENID: openid, WX_APPID: 'wx_test',
        ...secrets,
      },
    });
    return { answers: JSON.parse(stdout) as unknown[], stderr };
  }

  it('builds one folder per cloud function, each uploadable alone', () => {
    expect(functionNames.sort()).toEqual(['codes', 'member', 'points', 'scenes']);
    for (const name of functionNames) {
      const files = readdirSync(join(functions, name)).filter((file) => file !== 'node_modules').sort();
      const withConfig = existsSync(join(root, 'cloudfunctions', name, 'config.json'));
      expect({ name, files }).toEqual({ name, files: withConfig ? ['config.json', 'index.js', 'package.json'] : ['index.js', 'package.json'] });
    }
  });

  it.each(functionNames)('%s: package.json lists exactly the packages its bundle requires, at the versions tested here', (name) => {
    const bundle = readFileSync(join(functions, name, 'index.js'), 'utf8');
    const pkg = JSON.parse(readFileSync(join(functions, name, 'package.json'), 'utf8')) as { name: string; main: string; dependencies: Record<string, string> };
    expect(pkg.main).toBe('index.js');
    expect(Object.keys(pkg.dependencies ?? {}).sort()).toEqual(requiredPackages(bundle));
    for (const [dependency, version] of Object.entries(pkg.dependencies)) {
      // the version the cloud installs is the one this repository installs and tests against
      expect({ dependency, version }).toEqual({ dependency, version: rootPackage.dependencies[dependency] });
      const installed = JSON.parse(readFileSync(join(root, 'node_modules', dependency, 'package.json'), 'utf8')) as { version: string };
      expect({ dependency, installed: installed.version }).toEqual({ dependency, installed: version.replace(/^[~^]/, '') });
    }
    expect(requiredPackages(bundle)).toContain('wx-server-sdk');
  });

  it.each(functionNames)('%s: bundles nothing of the embedded store, the local runtime or the repository paths', (name) => {
    const bundle = readFileSync(join(functions, name, 'index.js'), 'utf8');
    expect(bundle).not.toMatch(/better-sqlite3|core\/local|core\/store\/sqlite/);
    expect(bundle).not.toContain(root);
  });

  it.each(functionNames)('%s: exports main and answers the envelope from its own folder', async (name) => {
    const { answers } = await callEach(name, [{}, { action: 'nope' }], `o_${name}_1`);
    expect(answers).toEqual([
      { ok: false, error: { code: 'INVALID_INPUT', message: expect.any(String) } },
      { ok: false, error: { code: 'UNKNOWN_ACTION', message: expect.any(String) } },
    ]);
  }, 60_000);

  it('builds the functions the pages call and the local runtime serves, each entry answering its own actions', async () => {
    expect(functionNames.sort()).toEqual(Object.keys(cloudFunctions).sort());
    for (const name of functionNames) {
      const actions = Object.keys(cloudFunctions[name]!.actions);
      const { answers } = await callEach(name, actions.map((action) => ({ action })), `o_${name}_actions`);
      const codes = answers.map((answer) => (answer as { ok: boolean; error?: { code: string } }).error?.code ?? 'ok');
      // a bare action is refused for what it lacks, never as an action this function does not have
      expect({ name, unknown: actions.filter((_, i) => codes[i] === 'UNKNOWN_ACTION') }).toEqual({ name, unknown: [] });
    }
  }, 60_000);

  it('answers each function\'s actions over CloudBase for a consumer who has only logged in', async () => {
    expect((await call('points', { action: 'summary' }, 'o_deploy_1')).answer).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect((await call('member', { action: 'login' }, 'o_deploy_1')).answer).toMatchObject({ ok: true, data: { isNew: true, phoneBound: false } });
    expect((await call('points', { action: 'summary' }, 'o_deploy_1')).answer).toMatchObject({ ok: true, data: { available: 0, level: { code: 'normal' } } });
    expect((await call('points', { action: 'history' }, 'o_deploy_1')).answer).toEqual({ ok: true, data: { entries: [], nextCursor: null } });
    expect((await call('scenes', { action: 'resolve', scene: 'g=G001' }, 'o_deploy_1')).answer).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect((await call('scenes', { action: 'join', scene: 'g=G001' }, 'o_deploy_1')).answer).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect((await call('codes', { action: 'redeem', code: 'AAAAAAAAAAAAAAAAAAAAAAAA' }, 'o_deploy_1')).answer).toMatchObject({ ok: false, error: { code: 'CODE_INVALID' } });
  }, 60_000);

  it('logs which CloudBase refusal failed a call, so a collection not created yet can be told from a bug', async () => {
    // CloudBase's answer for a collection that was never created in the console (docs/operations.md, Deploying to WeChat cloud, step 4)
    responder.answerNext('database.getDocument', { code: 'DATABASE_COLLECTION_NOT_EXIST', message: '[ResourceNotFound] Db or Table not exist. Please check your request, but if the problem persists, contact us.' });
    const { answer, stderr } = await call('member', { action: 'login' }, 'o_deploy_2');
    expect(answer).toEqual({ ok: false, error: { code: 'INTERNAL', message: 'internal error' } });
    const logged = stderr.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(logged).toContainEqual(expect.objectContaining({ event: 'action_failed', fn: 'member', action: 'login', errCode: -502005 }));
    expect(stderr).not.toContain('o_deploy_2');
  }, 30_000);
});
