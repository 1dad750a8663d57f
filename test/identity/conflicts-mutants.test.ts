/**
 * Refused joins asked for (a phone binding refused), pinned where hand-made mutants of the walk's
 * `askedStanding` (identity/graph.store.ts) went unnoticed: a refusal whose two sides became one
 * member since is no refusal any more; and two refusals of one phone whose sides are now the same
 * two members are one, whichever side each names first.
 */
import { refusalsOf, type ConflictDoc, type RecordDoc, type ValueDoc } from '../../cloudfunctions/core/identity/graph.store';
import { liveMember } from '../../cloudfunctions/core/identity/lookup';
import { listConflicts, mergeMembers } from '../../cloudfunctions/core/identity/operator';
import { importMembers, member, memberOk } from '../support/members';
import { openTestServices, reconfigured, type TestServices } from '../support/services';

describe('a refused phone binding whose two sides an operator joins afterwards', () => {
  let services: TestServices;
  beforeEach(() => { services = openTestServices(); });
  afterEach(() => services.close());

  const P = '13912345678';
  const memberOf = async (recordId: string) =>
    (await liveMember(services.store.get.bind(services.store), (await services.store.get<RecordDoc>('records', recordId))?.memberId ?? null))?._id ?? null;

  it('is listed no more once the two members are one, and the phone no longer marked as refusing', async () => {
    await importMembers(services, 'tmall', [{ channelMemberId: 'T1', phone: P }]);
    await importMembers(services, 'tmall', [{ channelMemberId: 'T2', openid: 'openid_u1_xx' }]);
    await memberOk(services, 'openid_u1_xx', { action: 'login' });
    await memberOk(services, 'openid_u1_xx', { action: 'consent', version: services.config.termsVersion });
    expect(await member(services, 'openid_u1_xx', { action: 'bindPhone', code: `dev:${P}:${services.clock.now()}` })).toMatchObject({ ok: false, error: { code: 'PHONE_CONFLICT' } });
    expect((await listConflicts(services, 1000)).conflicts).toHaveLength(1);

    // the brand allows two Tmall memberships now, and an operator joins the two
    const roomier = reconfigured(services, (config) => { config.identity.limits.tmall = 2; });
    await mergeMembers(roomier, (await memberOf('tmall:T1'))!, (await memberOf('tmall:T2'))!);
    expect(await memberOf('tmall:T1')).toBe(await memberOf('tmall:T2'));
    expect((await listConflicts(roomier, 1000)).conflicts).toEqual([]);
    expect((await services.dump('conflicts')) as ConflictDoc[]).toEqual([]);
    expect(((await services.dump('identifiers')) as ValueDoc[]).filter((v) => v.refused)).toEqual([]);
  });
});

describe('a consumer\'s phone binding refused twice, against two members that become one', () => {
  let s: TestServices;
  beforeEach(() => { s = openTestServices(); });
  afterEach(() => s.close());

  const P = '13912345678';
  let taps = 0;
  const bind = (openid: string) => member(s, openid, { action: 'bindPhone', code: `dev:${P}:${s.clock.now() - ++taps}` });
  const onboard = async (openid: string) => {
    await memberOk(s, openid, { action: 'login' });
    await memberOk(s, openid, { action: 'consent', version: s.config.termsVersion });
  };
  const recordOf = async (id: string) => (await s.store.get<RecordDoc>('records', id))!;

  it('is listed once, the first refusal kept, though one names the asker first and the other names it second', async () => {
    // u1 and u2 each hold a Tmall membership (by openid): one member may hold one
    await importMembers(s, 'tmall', [{ channelMemberId: 'T6', openid: 'openid_u1_xx' }, { channelMemberId: 'T5', openid: 'openid_u2_xx' }]);
    await onboard('openid_u1_xx');
    await onboard('openid_u2_xx');
    expect(await bind('openid_u2_xx')).toMatchObject({ ok: true });
    // u1 asks for the phone u2 holds: refused (between u1's WeChat record and u2's, u1's named first)
    expect(await bind('openid_u1_xx')).toMatchObject({ ok: false, error: { code: 'PHONE_CONFLICT' } });
    s.clock.advance(1000);
    // a Tmall member with the phone arrives, kept from u2's member by the same limit; u1 asks again:
    // refused against it too (between T2 and u1's WeChat record, u1's named second)
    await importMembers(s, 'tmall', [{ channelMemberId: 'T2', phone: P }]);
    expect(await bind('openid_u1_xx')).toMatchObject({ ok: false, error: { code: 'PHONE_CONFLICT' } });
    const [conflict] = (await s.dump('conflicts')) as ConflictDoc[];
    const asker = (await s.dump('records') as RecordDoc[]).find((r) => r.identifiers.some((i) => i.value === 'openid_u1_xx' && r._id.startsWith('wechat:')))!._id;
    const asked = () => refusalsOf(conflict!).filter((r) => r.askedBy === asker);
    expect(asked().map((r) => r.between.indexOf(asker)).sort()).toEqual([0, 1]);

    // Tmall's next export drops u2's openid from T5: u2 joins T2 by the phone both carry
    await importMembers(s, 'tmall', [{ channelMemberId: 'T5' }]);
    const u2 = asked()[0]!.between.find((id) => id !== asker)!;
    expect((await recordOf(u2)).memberId).toBe((await recordOf('tmall:T2')).memberId);
    expect((await recordOf(asker)).memberId).not.toBe((await recordOf('tmall:T2')).memberId);
    const [after] = (await s.dump('conflicts')) as ConflictDoc[];
    const standing = refusalsOf(after!).filter((r) => r.askedBy === asker);
    expect(standing).toEqual([asked()[0]]);
  });
});
