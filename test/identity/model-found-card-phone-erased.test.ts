import type { MemberDoc, RecordDoc, ValueDoc } from '../../cloudfunctions/core/identity/graph.store';
import { boundConsumer, importMembers, member, memberOk } from '../support/members';
import { MODEL_PHONES, MODEL_START, MODEL_USERS, twoPhonesAMember } from '../support/model-scenarios';
import { openTestServices, type TestServices } from '../support/services';

/**
 * Found by the cross-capability model (refusal steps, seed 2, two phones a member): a store card's
 * old phone, which the card ignores once a consumer linked it, is not walked when the card moves to
 * another member, so the phone's document kept naming the member the card left. When that member
 * was then erased, the phone (a number its consumer had bound once) still led to the erased member.
 */
describe('a linked store card\'s old phone follows the card', () => {
  let services: TestServices;
  beforeEach(() => {
    services = openTestServices(MODEL_START, { identity: twoPhonesAMember() });
  });
  afterEach(() => services.close());

  const [U1, U2, U3] = MODEL_USERS;
  const [P1, P2, P3] = MODEL_PHONES;

  /** Each phone document leads to a live member (or none), never one merged away without a survivor or erased. */
  async function leadsNowhereDead(s: TestServices): Promise<string[]> {
    const members = new Map(((await s.dump('members')) as MemberDoc[]).map((m) => [m._id, m]));
    const live = (id: string) => {
      let m = members.get(id);
      for (let hops = 0; m?.status === 'merged' && m.mergedInto && hops < 32; hops++) m = members.get(m.mergedInto);
      return m?.status === 'active';
    };
    return ((await s.dump('identifiers')) as ValueDoc[]).filter((v) => v.memberId && !live(v.memberId)).map((v) => `${v.type} -> ${v.memberId} (${members.get(v.memberId!)?.status})`);
  }

  it('after the member the card left is erased, no phone leads to the erased member', async () => {
    const s = services;
    const step = () => s.clock.advance(1000);
    await importMembers(s, 'tmall', [{ channelMemberId: 'T3', phone: P1, openid: U1 }, { channelMemberId: 'T1', phone: P2, openid: U3 }]);
    step();
    await importMembers(s, 'offline', [{ channelMemberId: 'C4', phone: P1 }]);
    step();
    await boundConsumer(s, U1, P1); step();
    await boundConsumer(s, U2, P1); step();
    await boundConsumer(s, U2, P2); step();
    await boundConsumer(s, U1, P3); step();
    await importMembers(s, 'tmall', [{ channelMemberId: 'T3', phone: P2, unionid: 'oUnionAAAA01', openid: U2 }]);
    step();
    // U2 proves the card theirs by its phone's last four: the card's old phone P1 no longer decides anything
    expect(await memberOk(s, U2, { action: 'linkOffline', cardNo: 'C4', last4: P1.slice(-4) })).toMatchObject({ status: 'linked' });
    step();
    // T3 now carries U1's openid: the members are drawn again, and the card goes with U2's records to another member id
    await importMembers(s, 'tmall', [{ channelMemberId: 'T3', phone: P2, unionid: 'oUnionAAAA01', openid: U1 }]);
    step();
    const card = (await s.store.get<RecordDoc>('records', 'offline:C4'))!.memberId;
    const p1 = ((await s.dump('identifiers')) as ValueDoc[]).find((v) => v.type === 'phone' && v.records.includes('offline:C4'))!;
    expect(p1.memberId).toBe(card);

    const erasing = (await memberOk<{ memberId: string }>(s, U1, { action: 'login' })).memberId;
    expect(erasing).not.toBe(card);
    expect(await member(s, U1, { action: 'delete', confirm: true })).toMatchObject({ ok: true });
    expect(((await s.dump('identifiers')) as ValueDoc[]).filter((v) => v.memberId === erasing).map((v) => v.type)).toEqual([]);
    expect(await leadsNowhereDead(s)).toEqual([]);
  });
});
