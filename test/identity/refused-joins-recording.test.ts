/**
 * A refused join (member.bindPhone answered PHONE_CONFLICT) is recorded in a transaction of its own
 * after the request's rollback (identity/refused-joins.ts). When that recording meets a busy store
 * (another process holding SQLite past its busy timeout, or CloudBase refusing it as a conflict
 * five times), the consumer is still answered PHONE_CONFLICT, and the warning an operator reads
 * names the store as busy (CONFLICT, "ask again and it is recorded"), not as an internal fault.
 */
import { memberFunction } from '../../cloudfunctions/core/functions/member';
import { invoke } from '../../cloudfunctions/core/runtime/handler';
import type { LogFields, Logger } from '../../cloudfunctions/core/runtime/log';
import { StoreBusyError } from '../../cloudfunctions/core/store/port';
import { importMembers } from '../support/members';
import { openTestServices, withStepAfterRefusal, type TestServices } from '../support/services';

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
    const busyServices = { ...withStepAfterRefusal(services, async () => {
      throw new StoreBusyError(new Error('database is locked'));
    }), log };
    const call = (event: Record<string, unknown>) => invoke(memberFunction, event, { openid: 'openid_u1_xx', unionid: null, appid: 'dev' }, busyServices);
    expect(await call({ action: 'consent', version: services.config.termsVersion })).toMatchObject({ ok: true });

    expect(await call({ action: 'bindPhone', code: `dev:${PHONE}:${services.clock.now()}` })).toMatchObject({ ok: false, error: { code: 'PHONE_CONFLICT' } });
    expect(await services.dump('conflicts')).toEqual([]);
    expect(warned).toEqual([{ event: 'refused_join_not_recorded', fields: { code: 'CONFLICT', joins: 1 } }]);

    // asked again, with the store free: recorded, once
    const again = () => invoke(memberFunction, { action: 'bindPhone', code: `dev:${PHONE}:${services.clock.now()}` }, { openid: 'openid_u1_xx', unionid: null, appid: 'dev' }, services);
    expect(await again()).toMatchObject({ ok: false, error: { code: 'PHONE_CONFLICT' } });
    services.clock.advance(60_000);
    expect(await again()).toMatchObject({ ok: false, error: { code: 'PHONE_CONFLICT' } });
    expect(await services.dump('conflicts')).toHaveLength(1);
  });
});
