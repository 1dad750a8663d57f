/**
 * What a store card brings when it is linked, all of both members or nothing (identity/offline-link.ts:
 * joinCard, joinedToCard), and a refused join recorded only while it still stands
 * (identity/refused-joins.ts), as a consumer or the CRM team sees them.
 */
import type { RecordDoc } from '../../cloudfunctions/core/identity/graph.store';
import { liveMember } from '../../cloudfunctions/core/identity/lookup';
import { confirmLinkRequest } from '../../cloudfunctions/core/identity/link-requests';
import { listConflicts, mergeMembers, unmergeMembers } from '../../cloudfunctions/core/identity/operator';
import { recordRefusedJoins, type AskedJoin } from '../../cloudfunctions/core/identity/refused-joins';
import { boundConsumer, exportAll, importMembers, member, memberOk } from '../support/members';
import { openTestServices, withStepAfterRefusal, type TestServices } from '../support/services';

describe('store-card links: what the card brings, and refusals recorded only while they stand', () => {
  let services: TestServices;
  beforeEach(() => { services = openTestServices(); });
  afterEach(() => services.close());

  const MINE = '13912345678';
  const OLD = '13011112222';
  const memberOf = async (s: TestServices, id: string) =>
    (await liveMember(s.store.get.bind(s.store), (await s.store.get<RecordDoc>('records', id))?.memberId ?? null))?._id ?? null;
  const channelIds = async (s: TestServices, memberId: string) =>
    (await exportAll(s)).find((l) => l.memberId === memberId)!.identifiers.filter((i) => ['tmall', 'offline', 'jd'].includes(i.type)).map((i) => `${i.type}:${i.value}`).sort();

  it('a card whose member holds others only through its old phone and an email shared by many cards links alone, not refused', async () => {
    // C1's member: T2 by the old phone, J1 through T2's unionid; C1 and J1 also share an email that
    // four store cards carry (set aside as shared: it joins no one)
    const SHARED = 'front-desk@shop.cn';
    await importMembers(services, 'tmall', [{ channelMemberId: 'T2', phone: OLD, unionid: 'union_t2_aaaa', points: 20 }]);
    await importMembers(services, 'jd', [{ channelMemberId: 'J1', unionid: 'union_t2_aaaa', email: SHARED, points: 40 }]);
    await importMembers(services, 'offline', [
      { channelMemberId: 'C1', phone: OLD, email: SHARED, points: 30 },
      ...['C7', 'C8', 'C9'].map((id) => ({ channelMemberId: id, email: SHARED })),
    ]);
    const cardMember = (await memberOf(services, 'offline:C1'))!;
    expect(await channelIds(services, cardMember)).toEqual(['jd:J1', 'offline:C1', 'tmall:T2']);
    await boundConsumer(services, 'u1', MINE);

    // the old phone set aside, the card's own identifiers join it to no one: it comes alone
    const { memberId } = await memberOk<{ memberId: string }>(services, 'u1', { action: 'linkOffline', cardNo: 'C1', last4: '2222' });
    expect(await channelIds(services, memberId)).toEqual(['offline:C1']);
    expect(await channelIds(services, (await memberOf(services, 'tmall:T2'))!)).toEqual(['jd:J1', 'tmall:T2']);
    expect((await listConflicts(services, 10)).conflicts).toEqual([]);
  });

  it('a card whose member holds a record an operator kept apart from the consumer\'s is refused, and not listed as a limit refusal', async () => {
    // an operator merged J1 into the member of T1 (the consumer's phone) and undid it: kept apart since
    await importMembers(services, 'tmall', [{ channelMemberId: 'T1', phone: MINE }]);
    await importMembers(services, 'jd', [{ channelMemberId: 'J1', email: 'c1@brand.cn' }]);
    const { _id: mergeId } = await mergeMembers(services, (await memberOf(services, 'tmall:T1'))!, (await memberOf(services, 'jd:J1'))!);
    await unmergeMembers(services, mergeId);
    // then the store's card, joined to J1 by its email (no phone on file: staff confirm it)
    await importMembers(services, 'offline', [{ channelMemberId: 'C1', email: 'c1@brand.cn' }]);
    expect(await memberOf(services, 'offline:C1')).toBe(await memberOf(services, 'jd:J1'));
    const me = await boundConsumer(services, 'u1', MINE);
    expect(await memberOk(services, 'u1', { action: 'linkOffline', cardNo: 'C1' })).toMatchObject({ status: 'pending' });
    const [request] = await services.dump('linkRequests');
    await expect(confirmLinkRequest(services, request!._id)).rejects.toMatchObject({ code: 'CONFLICT', details: { reason: 'cannot_join' } });
    expect(await channelIds(services, me.memberId)).toEqual(['tmall:T1']);
    expect(await channelIds(services, (await memberOf(services, 'offline:C1'))!)).toEqual(['jd:J1', 'offline:C1']);
    // the operator's own unmerge keeps them apart, as they know: no limit was broken, none is listed
    expect((await listConflicts(services, 10)).conflicts).toEqual([]);
  });

  /** The services, with `step` run (through the real ones) between a refused request's rollback and the recording of its refusal. */
  const stepAfterRefusal = (step: () => Promise<unknown>): TestServices => withStepAfterRefusal(services, step);

  it('a phone refused against a store card is not recorded when the card is linked meanwhile and no longer goes by that phone', async () => {
    // C1 (old phone) shares a unionid with Tmall member T6; consumer u2's member holds Tmall T5
    await importMembers(services, 'tmall', [{ channelMemberId: 'T6', unionid: 'union_c1_aaaa' }, { channelMemberId: 'T5', openid: 'openid_u2_xx' }]);
    await importMembers(services, 'offline', [{ channelMemberId: 'C1', phone: OLD, unionid: 'union_c1_aaaa' }]);
    await memberOk(services, 'openid_u2_xx', { action: 'login' });
    await memberOk(services, 'openid_u2_xx', { action: 'consent', version: services.config.termsVersion });
    await boundConsumer(services, 'u1', MINE);

    // u2 binds the card's old phone: two Tmall memberships, refused; just then u1 links the card
    const racing = stepAfterRefusal(() => memberOk(services, 'u1', { action: 'linkOffline', cardNo: 'C1', last4: '2222' }));
    const answer = await member(racing, 'openid_u2_xx', { action: 'bindPhone', code: `dev:${OLD}:${services.clock.now()}` });
    expect(answer).toMatchObject({ ok: false, error: { code: 'PHONE_CONFLICT' } });
    expect(await memberOf(services, 'offline:C1')).toBe(await memberOf(services, 'tmall:T6'));
    expect((await services.store.get<RecordDoc>('records', 'offline:C1'))!.ignored).toHaveLength(1);

    // the card no longer goes by the old phone: nothing refused stands, none is listed
    expect((await listConflicts(services, 100)).conflicts).toEqual([]);
    expect(await services.dump('conflicts')).toEqual([]);
  });

  it('a refused join whose other side was erased meanwhile is skipped; the others in the same list are still recorded', async () => {
    // T1 holds the phone; u1's member holds another Tmall membership (T2 carries their openid)
    const P = '13700001111';
    await importMembers(services, 'tmall', [{ channelMemberId: 'T1', phone: P }, { channelMemberId: 'T2', openid: 'openid_u1_xx' }]);
    await memberOk(services, 'openid_u1_xx', { action: 'login' });
    await memberOk(services, 'openid_u1_xx', { action: 'consent', version: services.config.termsVersion });
    // the refusal the request answers, kept aside and not recorded (as when recording found the store busy)
    let refused: AskedJoin[] = [];
    const capturing = withStepAfterRefusal(services, async (error) => {
      refused = error.refused;
    });
    expect(await member(capturing, 'openid_u1_xx', { action: 'bindPhone', code: `dev:${P}:${services.clock.now()}` })).toMatchObject({ ok: false, error: { code: 'PHONE_CONFLICT' } });
    expect(refused).toHaveLength(1);
    await services.store.transaction(async (tx) => { for (const doc of await services.dump('conflicts')) await tx.remove('conflicts', doc._id); });
    expect(await services.dump('conflicts')).toEqual([]);

    // recorded again with one more join before it, whose other record is gone (erased since)
    await recordRefusedJoins(services, [{ ...refused[0]!, other: 'tmall:ERASED' }, refused[0]!]);
    expect((await listConflicts(services, 100)).conflicts).toMatchObject([{ type: 'phone', askedBy: refused[0]!.askedBy }]);
  });
});
