/**
 * A refused join (member.bindPhone answered PHONE_CONFLICT) is recorded in a transaction of its own
 * after the request's rollback (identity/refused-joins.ts). When that recording meets a busy store
 * (another process holding SQLite past its busy timeout, or CloudBase refusing it as a conflict
 * five times), the consumer is still answered PHONE_CONFLICT, and the warning an operator reads
 * names the store as busy (CONFLICT, "ask again and it is recorded"), not as an internal fault.
 */
import { RefusedJoinError } from '../../cloudfunctions/core/identity/refused-joins';
import { memberFunction } from '../../cloudfunctions/core/functions/member';
import { invoke } from '../../cloudfunctions/core/runtime/handler';
import type { LogFields, Logger } from '../../cloudfunctions/core/runtime/log';
import { StoreBusyError, type DocStore } from '../../cloudfunctions/core/store/port';
import { importMembers } from '../support/members';
import { openTestServices, type TestServices } from '../support/services';

const PHONE = '13912345678';

describe('a refused join whose recording meets a busy store', () => {
  let services: TestServices;
  beforeEach(() => { services = openTestServices(); });
  afterEach(() => services.close());

  it('answers PHONE_CONFLICT, warns with CONFLICT (not INTERNAL), and records the refusal once when asked again', async () => {
    await importMembers(services, 'tmall', [{ channelMemberId: 'T1', phone: PHONE }]);
    await importMembers(services, 'tmall', [{ channelMemberId: 'T2', openid: 'openid_u1_xx' }]);
    const warned: { event: string; fields?: LogFields }[] = [];
    const log: Logger = { ...services.log, warn: (event, fields) => warned.push({ event, fields }) };
    // the store as it is, but busy for the one transaction after a refusal: the recording's
    let busyNext = false;
    const real = services.store;
    const store: DocStore = {
      transaction: async (fn) => {
        if (busyNext) {
          busyNext = false;
          throw new StoreBusyError(new Error('database is locked'));
        }
        try {
          return await real.transaction(fn);
        } catch (error) {
          if (error instanceof RefusedJoinError) busyNext = true;
          throw error;
        }
      },
      get: (collection, id) => real.get(collection, id),
      updateIf: (collection, id, expected, patch) => real.updateIf(collection, id, expected, patch),
      query: (collection, options) => real.query(collection, options),
      close: () => real.close(),
    };
    const busyServices = { ...services, store, log };
    const call = (event: Record<string, unknown>) => invoke(memberFunction, event, { openid: 'openid_u1_xx', unionid: null, appid: 'dev' }, busyServices);
    expect(await call({ action: 'consent', version: services.config.termsVersion })).toMatchObject({ ok: true });

    expect(await call({ action: 'bindPhone', code: `dev:${PHONE}:${services.clock.now()}` })).toMatchObject({ ok: false, error: { code: 'PHONE_CONFLICT' } });
    expect(await services.dump('conflicts')).toEqual([]);
    expect(warned).toEqual([{ event: 'refused_join_not_recorded', fields: { code: 'CONFLICT', joins: 1 } }]);

    // asked again, with the store free: recorded, once
    busyNext = false;
    const again = () => invoke(memberFunction, { action: 'bindPhone', code: `dev:${PHONE}:${services.clock.now()}` }, { openid: 'openid_u1_xx', unionid: null, appid: 'dev' }, services);
    expect(await again()).toMatchObject({ ok: false, error: { code: 'PHONE_CONFLICT' } });
    services.clock.advance(60_000);
    expect(await again()).toMatchObject({ ok: false, error: { code: 'PHONE_CONFLICT' } });
    expect(await services.dump('conflicts')).toHaveLength(1);
  });
});
