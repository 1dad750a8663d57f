/**
 * A refused join is recorded in a transaction of its own, after the request's rollback
 * (identity/refused-joins.ts). Another request may commit in that window: the refusal is recorded
 * only if it still stands then (the other side still carries the value, and the two are still two
 * members). Otherwise the CRM team would be shown, for good, a refusal that no longer holds: one
 * listed under a phone no record carries any more is never walked again by the graph, so nothing
 * would ever drop it, not even the consumer binding that phone afterwards.
 */
import type { ConflictDoc, RecordDoc, ValueDoc } from '../../cloudfunctions/core/identity/graph.store';
import { liveMember } from '../../cloudfunctions/core/identity/lookup';
import { listConflicts, mergeMembers } from '../../cloudfunctions/core/identity/operator';
import { importMembers, member, memberOk } from '../support/members';
import { openTestServices, reconfigured, withStepAfterRefusal as afterRefusal, type TestServices } from '../support/services';

describe('a refused join that no longer stands when it comes to be recorded', () => {
  let services: TestServices;
  beforeEach(() => { services = openTestServices(); });
  afterEach(() => services.close());

  const P = '13912345678';
  let taps = 0;
  const bind = (s: TestServices, openid: string, phone: string) => member(s, openid, { action: 'bindPhone', code: `dev:${phone}:${s.clock.now() - ++taps}` });
  const memberOf = async (recordId: string) =>
    (await liveMember(services.store.get.bind(services.store), (await services.store.get<RecordDoc>('records', recordId))?.memberId ?? null))?._id ?? null;

  /** The services, with `step` run (through the real ones) between a refused request's rollback and the recording of its refusal. */
  const withStepAfterRefusal = (step: () => Promise<unknown>): TestServices => afterRefusal(services, step);

  /** `tmall:T1` holds P; consumer u1's member holds another Tmall membership (T2 carries their openid). */
  const twoTmallMemberships = async () => {
    await importMembers(services, 'tmall', [{ channelMemberId: 'T1', phone: P }]);
    await importMembers(services, 'tmall', [{ channelMemberId: 'T2', openid: 'openid_u1_xx' }]);
    await memberOk(services, 'openid_u1_xx', { action: 'login' });
    await memberOk(services, 'openid_u1_xx', { action: 'consent', version: services.config.termsVersion });
  };

  it('records nothing when the holder\'s next export, imported meanwhile, no longer carries the phone; binding it then leaves nothing listed', async () => {
    await twoTmallMemberships();
    // Tmall's next export gives T1 another number, imported just after the binding is refused
    const racing = withStepAfterRefusal(() => importMembers(services, 'tmall', [{ channelMemberId: 'T1', phone: '13700000001' }]));
    expect(await bind(racing, 'openid_u1_xx', P)).toMatchObject({ ok: false, error: { code: 'PHONE_CONFLICT' } });
    // no record carries P now: nothing refuses the consumer it
    expect(((await services.dump('identifiers')) as ValueDoc[]).filter((v) => v.type === 'phone')).toHaveLength(1);
    expect((await listConflicts(services, 1000)).conflicts).toEqual([]);

    // and they bind it: the phone is theirs, and the CRM team is shown no refusal of it
    expect(await bind(services, 'openid_u1_xx', P)).toMatchObject({ ok: true });
    expect((await listConflicts(services, 1000)).conflicts).toEqual([]);
    expect(await services.dump('conflicts')).toEqual([]);
  });

  it('records nothing when an operator joins the two members meanwhile', async () => {
    await twoTmallMemberships();
    // the brand allows two Tmall memberships now, and an operator joins the two just after the binding is refused
    const roomier = reconfigured(services, (config) => { config.identity.limits.tmall = 2; });
    const racing = withStepAfterRefusal(async () => mergeMembers(roomier, (await memberOf('tmall:T1'))!, (await memberOf('tmall:T2'))!));
    expect(await bind(racing, 'openid_u1_xx', P)).toMatchObject({ ok: false, error: { code: 'PHONE_CONFLICT' } });
    expect(await memberOf('tmall:T1')).toBe(await memberOf('tmall:T2'));
    // no refusal stored between two records of one member, nor the phone flagged as refusing one
    expect(await services.dump('conflicts') as ConflictDoc[]).toEqual([]);
    expect(((await services.dump('identifiers')) as ValueDoc[]).filter((v) => v.refused)).toEqual([]);
  });
});
