/**
 * The function edge (runtime/handler.ts and what it leans on) where no other test looks: action
 * names Object already has, the service getting the event as validated rather than as sent, store
 * errors escaping a service, and the masking and keys the edge's logs and setup rely on.
 */
import * as z from 'zod/mini';
import { cloudFunctions } from '../../cloudfunctions/core/functions';
import { action, invoke, type CloudFunction } from '../../cloudfunctions/core/runtime/handler';
import { maskOpenid, silentLogger } from '../../cloudfunctions/core/runtime/log';
import { secretsFromEnv } from '../../cloudfunctions/core/runtime/secrets';
import { anonymous, callerOpenid, type Services } from '../../cloudfunctions/core/runtime/services';
import { StoreConflictError, StoreNotFoundError, StoreQueryError } from '../../cloudfunctions/core/store/port';
import { boundConsumer, memberOk } from '../support/members';
import { callerOf, openTestServices, type TestServices } from '../support/services';

let services: TestServices;
beforeEach(() => (services = openTestServices()));
afterEach(() => services.close());

describe('action names', () => {
  it.each(['toString', 'constructor', '__proto__', 'hasOwnProperty', 'valueOf'])('%s, which every object has, is an unknown action of every function, answered with the envelope', async (name) => {
    for (const fn of Object.values(cloudFunctions)) {
      await expect(invoke(fn, { action: name }, callerOf('o-alice'), services)).resolves.toEqual({
        ok: false, error: { code: 'UNKNOWN_ACTION', message: expect.any(String) },
      });
    }
  });

  it('echoes at most 40 characters of an unknown action', async () => {
    const envelope = await invoke(cloudFunctions.member!, { action: 'x'.repeat(5000) }, callerOf('o-alice'), services);
    expect(envelope).toMatchObject({ ok: false, error: { code: 'UNKNOWN_ACTION' } });
    expect(envelope.ok || envelope.error.message.length < 100).toBe(true);
  });
});

it('hands the service the event as the schema gave it back: a nickname sent with spaces around it is kept trimmed', async () => {
  await boundConsumer(services, 'o-alice', '13912345678');
  await memberOk(services, 'o-alice', { action: 'updateProfile', nickname: '  小明  ' });
  expect(await memberOk(services, 'o-alice', { action: 'profile' })).toMatchObject({ nickname: '小明' });
});

describe('a store error escaping a service', () => {
  const probe = (error: Error): CloudFunction => ({
    name: 'probe',
    actions: { go: action({ input: z.object({ action: z.string() }), run: () => Promise.reject(error) }) },
  });
  const call = (error: Error) => invoke(probe(error), { action: 'go' }, callerOf('o-alice'), { log: silentLogger } as unknown as Services);

  it('an id taken by a concurrent request answers CONFLICT (retry), naming neither the collection nor the id', async () => {
    const envelope = await call(new StoreConflictError('ledger', 'scan:SECRETCODE'));
    expect(envelope).toEqual({ ok: false, error: { code: 'CONFLICT', message: expect.any(String) } });
    expect(JSON.stringify(envelope)).not.toMatch(/ledger|SECRETCODE/);
  });

  it.each([
    ['a missing document', new StoreNotFoundError('members', 'm_000001')],
    ['a refused query', new StoreQueryError('members.phone is not indexed')],
  ])('%s is INTERNAL, with nothing of the store in the answer', async (_name, error) => {
    expect(await call(error)).toEqual({ ok: false, error: { code: 'INTERNAL', message: 'internal error' } });
  });
});

describe('what the edge relies on', () => {
  it('a service never runs for a caller without an openid, even past the handler', () => {
    expect(() => callerOpenid(anonymous)).toThrow();
    expect(() => callerOpenid({ ...anonymous, openid: '' })).toThrow();
  });

  it('logs no short openid in full', () => {
    expect(['a', 'abcdef'].map(maskOpenid)).toEqual(['***', '***']);
    expect(maskOpenid('oAbcdefghijklmnopqrstuvwxyz1')).toBe('oAb…yz1');
    expect([null, undefined, ''].map(maskOpenid)).toEqual([null, null, null]);
  });

  describe('production keys', () => {
    const key = (bytes = 32, fill = 1) => Buffer.alloc(bytes, fill).toString('base64');
    const env = { MC_PHONE_HASH_KEY: key(32, 1), MC_PHONE_ENC_KEY: key(32, 2), MC_MEMBER_CODE_KEY: key(32, 3), MC_CODE_KEYS: `A:${key(32, 4)}` };

    it.each(['MC_PHONE_HASH_KEY', 'MC_PHONE_ENC_KEY', 'MC_MEMBER_CODE_KEY'] as const)('refuses a %s that is not 32 bytes, naming it', (name) => {
      for (const bytes of [16, 31, 33]) expect(() => secretsFromEnv({ ...env, [name]: key(bytes, 9) })).toThrow(name);
    });

    it('refuses a product-code key that is not 32 bytes, and a key id listed twice', () => {
      expect(() => secretsFromEnv({ ...env, MC_CODE_KEYS: `B:${key(16, 5)},A:${key(32, 4)}` })).toThrow(/MC_CODE_KEYS B/);
      expect(() => secretsFromEnv({ ...env, MC_CODE_KEYS: `A:${key(32, 5)},A:${key(32, 4)}` })).toThrow(/listed twice/);
    });
  });
});
