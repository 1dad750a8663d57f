import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { openLocalServices } from '../../cloudfunctions/core/local/services';
import { createLocalServer } from '../../cloudfunctions/core/local/server';
import { silentLogger } from '../../cloudfunctions/core/runtime/log';
import type { Services } from '../../cloudfunctions/core/runtime/services';
import { cliOnFreshDatabase } from '../support/cli';

/** The operator's commands in-process, then a consumer in the dev runtime over HTTP, on one fresh database. */
describe('codes, stores, guides and campaigns from the CLI', () => {
  const fresh = cliOnFreshDatabase();

  const cli = fresh.run;

  async function devRuntime<T>(fn: (call: (fn: string, openid: string, event: object) => Promise<{ ok: boolean; data?: any; error?: any }>, services: Services) => Promise<T>): Promise<T> {
    const services = openLocalServices({ dbFile: fresh.db, log: silentLogger });
    const server: Server = createLocalServer({ services });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const call = async (name: string, openid: string, event: object) => {
      const res = await fetch(`${base}/cloud/${name}`, { method: 'POST', body: JSON.stringify(event), headers: { 'X-WX-OPENID': openid } });
      return (await res.json()) as { ok: boolean; data?: any; error?: any };
    };
    try {
      return await fn(call, services);
    } finally {
      await new Promise((resolve) => server.close(resolve));
      await services.store.close();
    }
  }

  it('an operator creates a batch; a bound member redeems a line of the file in the dev runtime and sees the points', async () => {
    const file = fresh.temp.file('print.txt');
    const created = await cli('codes', 'create', '--sku', 'CREAM-50', '--name', '面霜 50ml', '--points', '30', '--count', '1000', '--valid-to', '2099-12-31', '--out', file);
    expect(created).toMatchObject({ failed: false, out: expect.stringMatching(/^batch [2-9A-HJ-NP-Z]{4}: 1,000 codes for CREAM-50 \(面霜 50ml\), 30 points each, valid to 2099-12-31 23:59:59 Beijing, key A/) });
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(1000);
    expect(new Set(lines).size).toBe(1000);
    for (const line of lines) expect(line).toMatch(/^https:\/\/mc\.example\.com\/c\/A[2-9A-HJ-NP-Z]{21}$/);
    expect(await cli('codes', 'list')).toMatchObject({ out: expect.stringMatching(/\tactive\tCREAM-50\t面霜 50ml\t30 pts\t1000 codes\tkey A\t/), err: '1 batch\n' });
    // every line scans for points: readable by its owner alone, as the secrets are, also when --force replaces a file
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const otherFile = fresh.temp.file('print-2.txt');
    writeFileSync(otherFile, 'an old file\n', { mode: 0o644 });
    await cli('codes', 'create', '--sku', 'MASK-1', '--name', '面膜', '--points', '5', '--count', '3', '--out', otherFile, '--force');
    expect(statSync(otherFile).mode & 0o777).toBe(0o600);
    const otherLines = readFileSync(otherFile, 'utf8').trim().split('\n');

    await devRuntime(async (call) => {
      const { data: login } = await call('member', 'dev-u1', { action: 'login' });
      expect(await call('codes', 'dev-u1', { action: 'redeem', q: encodeURIComponent(lines[7]!) })).toMatchObject({ ok: false, error: { code: 'NOT_BOUND' } });
      await call('member', 'dev-u1', { action: 'consent', version: login.termsVersion });
      expect(await call('member', 'dev-u1', { action: 'bindPhone', code: 'dev:13912345678' })).toMatchObject({ ok: true });
      expect(await call('codes', 'dev-u1', { action: 'redeem', q: encodeURIComponent(lines[7]!) })).toEqual({ ok: true, data: { sku: 'CREAM-50', name: '面霜 50ml', points: 30, available: 30, redeemedAt: expect.any(String), repeated: false } });
      expect(await call('points', 'dev-u1', { action: 'summary' })).toMatchObject({ ok: true, data: { available: 30 } });
      expect(await call('codes', 'dev-u2', { action: 'redeem', q: lines[8] })).toMatchObject({ ok: false, error: { code: 'NOT_BOUND' } });
      // a second consumer scanning the used code: refused, and counted on the code
      const { data: other } = await call('member', 'dev-u3', { action: 'login' });
      await call('member', 'dev-u3', { action: 'consent', version: other.termsVersion });
      await call('member', 'dev-u3', { action: 'bindPhone', code: 'dev:13912345677' });
      expect(await call('codes', 'dev-u3', { action: 'redeem', q: lines[7] })).toMatchObject({ ok: false, error: { code: 'CODE_ALREADY_REDEEMED' } });
      expect(await call('codes', 'dev-u3', { action: 'redeem', q: otherLines[0] })).toMatchObject({ ok: true });
    });
    expect((await cli('codes', 'signals', lines[0]!.slice(-21, -17))).out).toMatch(/1 code redeemed, 1 repeat scan of redeemed codes\n  serial 8: 1 repeat, last 20/);
    expect((await cli('codes', 'signals', otherLines[0]!.slice(-21, -17))).out).toMatch(/1 code redeemed, 0 repeat scans/);
  });

  it('a bad batch request is refused before anything is written', async () => {
    const file = fresh.temp.file('bad.txt');
    const answer = await cli('codes', 'create', '--sku', 'X', '--name', 'N', '--points', '0', '--count', '5', '--out', file);
    expect(answer.failed).toBe(true);
    expect(answer.err).toMatch(/INVALID_INPUT: points must be/);
    expect(existsSync(file)).toBe(false);
    expect((await cli('codes', 'list')).out).toBe('');
    expect((await cli('codes', 'create', '--sku', 'X', '--name', 'N', '--points', '5', '--count', '5', '--valid-to', '2027-02-30', '--out', file)).failed).toBe(true);
  });

  it('signals and revoke-batch find a batch whose id is typed in lower case, as codes are read in any case', async () => {
    const created = await cli('codes', 'create', '--sku', 'S1', '--name', '面霜', '--points', '5', '--count', '3', '--out', fresh.temp.file('lower.txt'));
    const batchId = /^batch ([2-9A-Z]{4}):/.exec(created.out)![1]!;
    expect(await cli('codes', 'signals', ` ${batchId.toLowerCase()}`)).toMatchObject({ failed: false, out: `batch ${batchId}: 0 codes redeemed, 0 repeat scans of redeemed codes\n` });
    expect(await cli('codes', 'revoke-batch', batchId.toLowerCase())).toMatchObject({ failed: false, out: `batch ${batchId} revoked\n` });
    expect((await cli('codes', 'revoke-batch', 'zzzz')).err).toMatch(/no batch ZZZZ/);
  });

  it('revoke-key revokes the batches it signed', async () => {
    await cli('codes', 'create', '--sku', 'X', '--name', 'N', '--points', '5', '--count', '3', '--out', fresh.temp.file('a.txt'));
    expect((await cli('codes', 'revoke-key', 'A')).out).toMatch(/key A revoked .* 1 batch revoked/);
    expect((await cli('codes', 'list')).out).toMatch(/\trevoked\t/);
    // run again (the first answer lost): says what this run did, which is nothing
    expect((await cli('codes', 'revoke-key', 'A')).out).toMatch(/^key A was revoked already \(since .*\); no batch revoked now\n$/);
    expect((await cli('codes', 'create', '--sku', 'X', '--name', 'N', '--points', '5', '--count', '3', '--out', fresh.temp.file('b.txt'))).err).toMatch(/UNAVAILABLE: no code key can sign/);
    // rotated as docs/codes-and-scenes.md (Keys) says, a new key first in MC_CODE_KEYS (the dev runtime's other keys stay in secrets.json)
    const { MC_CODE_KEYS: old } = JSON.parse(readFileSync(fresh.temp.file('secrets.json'), 'utf8')) as { MC_CODE_KEYS: string };
    process.env.MC_CODE_KEYS = `B:${randomBytes(32).toString('base64')},${old}`;
    try {
      expect((await cli('codes', 'create', '--sku', 'X', '--name', 'N', '--points', '5', '--count', '3', '--out', fresh.temp.file('c.txt'))).out).toMatch(/key B/);
    } finally {
      delete process.env.MC_CODE_KEYS;
    }
  });

  it('stores, guides and campaigns print their scenes; the report counts recruits per guide and store', async () => {
    expect((await cli('stores', 'add', '--id', 'SH001', '--name', '南京西路店', '--city', '上海')).out).toBe('store SH001 added: 南京西路店 (上海)\nscene s=SH001\nlink  https://mc.example.com/s/SH001\n');
    // a database with no batch says so, where a script reading the list sees nothing
    expect(await cli('codes', 'list')).toMatchObject({ out: '', err: 'no batches yet (codes create makes one)\n' });
    expect((await cli('stores', 'add', '--id', 'SH001', '--name', '南京西路店', '--city', '上海')).out).toMatch(/^store SH001 exists already \(unchanged\): 南京西路店 \(上海\)\nscene s=SH001\n/);
    const generated = await cli('stores', 'add', '--name', '静安店');
    expect((await cli('stores', 'add', '--name', '静安店')).out).toBe(generated.out.replace('added', 'exists already (unchanged)'));
    expect((await cli('stores', 'add', '--id', 'SH001', '--name', '静安店')).err).toMatch(/CONFLICT: store SH001 already exists: 南京西路店 \(上海\)/);
    expect((await cli('guides', 'add', '--store', 'SH001', '--name', '小林', '--id', 'G001')).out).toMatch(/guide G001 added to store SH001: 小林\nscene g=G001\n/);
    expect((await cli('guides', 'scene', 'G001')).out).toBe('scene g=G001\nlink  https://mc.example.com/g/G001\n');
    await cli('guides', 'add', '--store', 'SH001', '--name', '小王', '--id', 'G009');
    expect((await cli('guides', 'left', 'G009')).out).toBe('guide G009 marked as left; their scene now joins store SH001\n');
    expect((await cli('guides', 'left', 'G009')).out).toBe('guide G009 had left already (unchanged); their scene joins store SH001\n');
    expect((await cli('stores', 'scene', 'SH001')).out).toMatch(/^scene s=SH001\n/);
    // by default, orders paid from 30 days before the campaign is added (parcels still in the warehouse)
    const thirtyDaysAgo = new Date(Date.now() + 8 * 3600_000 - 30 * 86400_000).toISOString().slice(0, 10);
    expect((await cli('campaigns', 'add', '--bonus', '50', '--name', '双11包裹卡', '--id', 'P11')).out).toMatch(new RegExp(`campaign P11 added: 双11包裹卡, 50 points per tmall order paid from ${thirtyDaysAgo}, no end date\nscene p=P11\n`));
    expect((await cli('campaigns', 'add', '--bonus', '30', '--name', '年货节包裹卡', '--valid-to', '2099-02-28', '--orders-from', '2099-01-01', '--id', 'P12')).out).toMatch(/campaign P12 added: 年货节包裹卡, 30 points per tmall order paid from 2099-01-01, until 2099-02-28 23:59:59 Beijing\n/);
    expect((await cli('campaigns', 'add', '--bonus', '30', '--name', 'x', '--orders-from', '2099-1-1')).err).toMatch(/INVALID_INPUT: orders-from 2099-1-1 is not a date \(YYYY-MM-DD\)/);
    expect((await cli('campaigns', 'add', '--bonus', '30', '--name', 'x', '--orders-from', '2099-03-01', '--valid-to', '2099-02-28')).err).toMatch(/INVALID_INPUT: orders-from 2099-03-01 is after valid-to 2099-02-28/);
    // a mistyped platform would print cards whose orders can never be imported or bound
    expect((await cli('campaigns', 'add', '--bonus', '50', '--name', 'x', '--id', 'P13', '--platform', 'tmal')).err).toMatch(/INVALID_INPUT: unknown channel "tmal": this brand's channels are tmall, offline, jd/);
    expect((await cli('campaigns', 'scene', 'P13')).err).toMatch(/NOT_FOUND/);
    expect((await cli('campaigns', 'add', '--bonus', '20', '--name', '京东包裹卡', '--id', 'P14', '--platform', 'jd')).out).toMatch(/20 points per jd order/);
    expect((await cli('guides', 'scene', 'NOPE')).err).toMatch(/NOT_FOUND: no guide NOPE/);
    expect((await cli('campaigns', 'scene', 'P99')).err).toMatch(/NOT_FOUND: no campaign P99/);
    expect((await cli('stores', 'add', '--name', '店', '--city', ' ')).err).toMatch(/option '--city <city>' argument ' ' is invalid\. it needs a value, not one of spaces alone/);
    // a direction override would reorder the name on the landing page and in the report
    expect((await cli('guides', 'add', '--store', 'SH001', '--name', '小\u202e林')).err).toMatch(/INVALID_INPUT: name must be 1-40 visible characters, without control or direction characters/);
    expect((await cli('codes', 'create', '--sku', 'S1', '--name', '面\u202e霜', '--points', '5', '--count', '1', '--out', fresh.temp.file('rtl.txt'))).err).toMatch(/INVALID_INPUT: name must be 1-60 visible characters/);
    expect((await cli('guides', 'add', '--store', 'NOPE', '--name', 'x')).err).toMatch(/NOT_FOUND/);
    expect((await cli('stores', 'add', '--id', 'S'.repeat(31), '--name', 'x')).err).toMatch(/INVALID_INPUT/);
    // `--id --help` would otherwise make a store named by the option it swallowed
    expect((await cli('stores', 'add', '--id', '--help', '--name', 'x')).err).toMatch(/option '--id <id>' argument '--help' is invalid\. it needs a value, not the option --help/);
    expect((await cli('--db', '--help', 'report', 'guides')).err).toMatch(/option '--db <path>' argument '--help' is invalid/);
    expect((await cli('import', 'members', '--channel', '--file', 'm.csv')).err).toMatch(/option '--channel <channel>' argument '--file' is invalid/);
    // an option with a default given twice, the first time as its default
    expect((await cli('campaigns', 'add', '--bonus', '5', '--name', 'X', '--platform', 'tmall', '--platform', 'jd')).err).toMatch(/--platform is given twice/);
    // given twice, the last would win without a word: offline members imported as tmall
    expect((await cli('import', 'members', '--channel', 'offline', '--file', 'm.csv', '--channel', 'tmall')).err).toMatch(/option '--channel <channel>' argument 'tmall' is invalid\. --channel is given twice: give it once\./);
    expect((await cli('points', 'adjust', 'm_1', '5', '--reason', '--request-id', 'abc12345')).err).toMatch(/option '--reason <reason>' argument '--request-id' is invalid/);
    expect((await cli('guides', 'add', '--store', 'SH001', '--name', 'x', '--id', '-G1')).err).toMatch(/INVALID_INPUT: id must start with a letter or digit/);

    await devRuntime(async (call) => {
      const { data: login } = await call('member', 'shopper', { action: 'login' });
      await call('member', 'shopper', { action: 'consent', version: login.termsVersion });
      await call('member', 'shopper', { action: 'bindPhone', code: 'dev:13912345678' });
      expect(await call('scenes', 'shopper', { action: 'resolve', scene: 'g%3DG001' })).toMatchObject({ ok: true, data: { kind: 'guide', guideName: '小林', storeName: '南京西路店' } });
      expect(await call('scenes', 'shopper', { action: 'join', scene: 'g=G001' })).toMatchObject({ ok: true, data: { attributed: true } });
    });
    const generatedId = /^store (\S+) added/.exec(generated.out)![1];
    expect((await cli('report', 'guides')).out).toBe(`store\tguide\tname\trecruited\talready members\nSH001\t\t南京西路店\t1\t0\n\tG001\t小林\t1\t0\n\tG009\t小王 (left)\t0\t0\n${generatedId}\t\t静安店\t0\t0\ntotal\t\t\t1\t0\n`);
    expect(JSON.parse((await cli('report', 'guides', '--json')).out)).toMatchObject({ total: 1, stores: [{ storeId: 'SH001', recruited: 1 }, { storeId: generatedId, recruited: 0 }] });
  });

  it('lists the stores, guides (all, or one store\'s) and campaigns, one per line for a script, with the count on stderr', async () => {
    expect(await cli('stores', 'list')).toMatchObject({ err: expect.stringMatching(/no database at/) });
    await cli('stores', 'add', '--id', 'SH001', '--name', '南京西路店', '--city', '上海');
    expect(await cli('guides', 'list')).toMatchObject({ out: '', err: 'no guides yet (guides add makes one)\n' });
    expect(await cli('campaigns', 'list')).toMatchObject({ out: '', err: 'no campaigns yet (campaigns add makes one)\n' });
    await cli('stores', 'add', '--id', 'BJ01', '--name', '三里屯店');
    await cli('guides', 'add', '--store', 'SH001', '--name', '小林', '--id', 'G001');
    await cli('guides', 'add', '--store', 'BJ01', '--name', '小赵', '--id', 'G002');
    await cli('guides', 'add', '--store', 'SH001', '--name', '小王', '--id', 'G009');
    await cli('guides', 'left', 'G009');
    await cli('campaigns', 'add', '--bonus', '30', '--name', '年货节包裹卡', '--valid-to', '2099-02-28', '--orders-from', '2099-01-01', '--id', 'P12');
    await cli('campaigns', 'add', '--bonus', '20', '--name', '京东包裹卡', '--orders-from', '2026-01-01', '--id', 'P14', '--platform', 'jd');

    const stores = await cli('stores', 'list');
    expect(stores.out).toMatch(/^BJ01\t三里屯店\t-\tadded \d{4}-\d\d-\d\d \d\d:\d\d:\d\d Beijing\nSH001\t南京西路店\t上海\tadded .* Beijing\n$/);
    expect(stores.err).toBe('2 stores\n');
    expect(await cli('guides', 'list')).toMatchObject({ out: 'G001\tSH001\t小林\tactive\nG002\tBJ01\t小赵\tactive\nG009\tSH001\t小王\tleft\n', err: '3 guides\n' });
    expect(await cli('guides', 'list', '--store', 'SH001')).toMatchObject({ out: 'G001\tSH001\t小林\tactive\nG009\tSH001\t小王\tleft\n', err: '2 guides\n' });
    expect((await cli('guides', 'list', '--store', 'NOPE')).err).toMatch(/NOT_FOUND: no store NOPE/);
    expect(await cli('campaigns', 'list')).toMatchObject({
      out: 'P12\t年货节包裹卡\ttmall\t30 points\torders from 2099-01-01\tuntil 2099-02-28 23:59:59 Beijing\n'
        + 'P14\t京东包裹卡\tjd\t20 points\torders from 2026-01-01\tno end date\n',
      err: '2 campaigns\n',
    });
  });
});
