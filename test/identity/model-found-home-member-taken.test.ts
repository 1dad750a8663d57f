import type { MemberDoc, RecordDoc } from '../../cloudfunctions/core/identity/graph.store';
import { loadConfig } from '../../cloudfunctions/core/runtime/config';
import { boundConsumer, importMembers, memberOk } from '../support/members';
import { MODEL_PHONES, MODEL_START, MODEL_USERS } from '../support/model-scenarios';
import { openTestServices, type TestServices } from '../support/services';

/**
 * Found by the cross-capability model (refusal steps, seed 23, shipped rules): two consumers split off
 * together from a Tmall member share the new member as their home. Each later went to another member,
 * and one of them, alone again, took that home member back. When the other was left alone too, in a
 * change that did not reach the first (no value, no member in common), it took the same home member:
 * the member was written with its records alone, dropping the first consumer's record, which still
 * pointed at it. Both consumers were then shown one member, the other consumer's. (The walk now reads
 * a record's home member whole, graph.store.ts, so the member's own records are regrouped with it.)
 */
describe('a home member another consumer took back', () => {
  let services: TestServices;
  beforeEach(() => {
    services = openTestServices(MODEL_START, { identity: loadConfig({}).identity });
  });
  afterEach(() => services.close());

  const [U1, U2] = MODEL_USERS;
  const [P1, P2, P3, P4] = MODEL_PHONES;

  /** Records that point at a member that does not list them (or at none that is live). */
  async function unlisted(s: TestServices): Promise<string[]> {
    const members = new Map(((await s.dump('members')) as MemberDoc[]).map((m) => [m._id, m]));
    return ((await s.dump('records')) as RecordDoc[])
      .filter((r) => r.memberId && !(members.get(r.memberId)?.status === 'active' && members.get(r.memberId)!.records.includes(r._id)))
      .map((r) => `${r._id} -> ${r.memberId}`);
  }

  it('is not given to a consumer whose change did not reach the member\'s records', async () => {
    const s = services;
    const step = () => s.clock.advance(1000);
    // the partner knows U1's openid on T1
    await importMembers(s, 'tmall', [{ channelMemberId: 'T1', phone: P1, openid: U1 }, { channelMemberId: 'T2', phone: P4 }]);
    step();
    await boundConsumer(s, U1, P1); step();
    await boundConsumer(s, U2, P1); step();
    // T1's phone changes: both consumers, who share P1, leave T1 for a member of their own
    await importMembers(s, 'tmall', [{ channelMemberId: 'T1', phone: P2, openid: U1 }]); step();
    const theirs = (await memberOk<{ memberId: string }>(s, U2, { action: 'login' })).memberId;
    expect((await memberOk<{ memberId: string }>(s, U1, { action: 'login' })).memberId).toBe(theirs);
    // and back: the three are one, their member merged away
    await importMembers(s, 'tmall', [{ channelMemberId: 'T1', phone: P1, openid: U1 }]); step();
    // U2 binds T2's phone; U1 binds P2, which T1 no longer has: U1 alone takes the member back
    await boundConsumer(s, U2, P4); step();
    await boundConsumer(s, U1, P2); step();
    expect((await memberOk<{ memberId: string }>(s, U1, { action: 'login' })).memberId).toBe(theirs);
    // U2 binds a phone nobody has: alone too, its change reaching neither U1 nor U1's member
    await boundConsumer(s, U2, P3); step();

    expect(await unlisted(s)).toEqual([]);
    const one = (await memberOk<{ memberId: string }>(s, U1, { action: 'login' })).memberId;
    const two = (await memberOk<{ memberId: string }>(s, U2, { action: 'login' })).memberId;
    expect(one).not.toBe(two);
    // each is shown their own phone
    expect((await memberOk<{ phoneMasked: string }>(s, U1, { action: 'profile' })).phoneMasked).toBe('139****0002');
    expect((await memberOk<{ phoneMasked: string }>(s, U2, { action: 'profile' })).phoneMasked).toBe('139****0003');
  });
});
