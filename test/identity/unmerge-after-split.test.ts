import type { MemberDoc, MergeDoc } from '../../cloudfunctions/core/identity/graph.store';
import { liveMember } from '../../cloudfunctions/core/identity/lookup';
import { mergesOf, unmergeMembers, type MergeView } from '../../cloudfunctions/core/identity/operator';
import { boundConsumer, exportAll, importMembers, memberOk } from '../support/members';
import { openTestServices, type TestServices } from '../support/services';

/**
 * ARCHITECTURE §5: a merge is an event an operator can review (`members merges`) and undo
 * (`members unmerge`). A member the walk leaves with no records because its records went to
 * members that were not live before (a consumer's WeChat records taking their own member's id
 * back when a re-import moves the card they had joined to another member) was not merged into
 * anyone: no merge event names it. The merges still in force that were made into it are listed,
 * and undone, under the member that holds their records now.
 */

const P2 = '13011110002';
const P3 = '13011110003';

type S = TestServices;
const memberOf = async (s: S, recordId: string) => {
  const member = (await s.dump('members') as MemberDoc[]).find((m) => m.status === 'active' && m.records.includes(recordId))!;
  return member._id;
};
const recordsOf = async (s: S, memberId: string) => (await liveMember(s.store.get.bind(s.store), memberId))!.records.slice().sort();
async function listed(s: S): Promise<(MergeView & { holder: string; whole: boolean })[]> {
  const all = [];
  for (const m of (await s.dump('members') as MemberDoc[]).filter((x) => x.status === 'active')) {
    for (const view of (await mergesOf(s, m._id)).merges) all.push({ ...view, holder: m._id, whole: view.records.length === m.records.length });
  }
  return all;
}

describe('a re-import moves the card two consumers joined by their phone to another member', () => {
  let s: S;
  beforeEach(() => { s = openTestServices(); });
  afterEach(() => s.close());

  /** J1 carries P2, which both consumers bind; a re-import gives J1 the store card C1's phone P3. */
  async function moved() {
    await importMembers(s, 'offline', [{ channelMemberId: 'C1', phone: P3, points: 2 }]);
    s.clock.advance(1000);
    await importMembers(s, 'jd', [{ channelMemberId: 'J1', phone: P2, points: 4 }]);
    s.clock.advance(1000);
    await boundConsumer(s, 'u1', P2);
    s.clock.advance(1000);
    await boundConsumer(s, 'u2', P2);
    s.clock.advance(1000);
    await importMembers(s, 'jd', [{ channelMemberId: 'J1', phone: P3, points: 4 }]);
    const w1 = (await memberOk<{ memberId: string }>(s, 'u1', { action: 'login' })).memberId;
    const wechat1 = (await recordsOf(s, w1))[0]!;
    const wechat2 = (await recordsOf(s, w1))[1]!;
    return { wechat1, wechat2 };
  }

  it('writes no merge event of the consumers\' member into theirs: none listed covers a whole member', async () => {
    const { wechat1, wechat2 } = await moved();
    const consumers = await memberOf(s, wechat1);
    expect(await recordsOf(s, consumers)).toEqual([wechat1, wechat2]);
    expect(await recordsOf(s, await memberOf(s, 'jd:J1'))).toEqual(['jd:J1', 'offline:C1']);
    const at = new Date(s.clock.now()).toISOString();
    const written = (await s.dump('merges') as MergeDoc[]).filter((m) => m.kind === 'merge' && m.at === at);
    // the one real join: J1 joined C1's member
    expect(written.map((m) => [m.survivor, m.records])).toEqual([[await memberOf(s, 'offline:C1'), ['jd:J1']]]);
    expect((await listed(s)).filter((v) => v.whole)).toEqual([]);
  });

  it('lists the re-import\'s join of J1 under C1\'s member, and undoing it gives J1 its points back', async () => {
    await moved();
    const card = await memberOf(s, 'offline:C1');
    const views = (await mergesOf(s, card)).merges;
    expect(views.map((v) => [v.by, v.records])).toEqual([['shared', ['jd:J1']]]);
    await unmergeMembers(s, views[0]!.mergeId);
    expect(await recordsOf(s, await memberOf(s, 'jd:J1'))).toEqual(['jd:J1']);
    expect(await recordsOf(s, card)).toEqual(['offline:C1']);
  });

  it('lists both consumers\' bindings under the member the two are in, and undoing either separates them', async () => {
    for (const which of [0, 1]) {
      if (which) { await s.close(); s = openTestServices(); }
      const { wechat1, wechat2 } = await moved();
      const consumers = await memberOf(s, wechat1);
      const views = (await mergesOf(s, consumers)).merges;
      expect(views.map((v) => [v.by, v.records])).toEqual([['shared', [wechat2]], ['shared', [wechat1]]]);
      await unmergeMembers(s, views[which]!.mergeId);
      expect(await recordsOf(s, await memberOf(s, wechat1))).toEqual([wechat1]);
      expect(await recordsOf(s, await memberOf(s, wechat2))).toEqual([wechat2]);
      // what is left listed is the re-import's join of J1 to C1
      expect((await listed(s)).map((v) => v.records)).toEqual([['jd:J1']]);
    }
  });
});

describe('a re-import moves the card a consumer bound their phone to, after they linked a store card', () => {
  let s: S;
  beforeEach(() => { s = openTestServices(); });
  afterEach(() => s.close());

  it('lists the card link under the member holding the consumer and the card, and undoing it takes the card away', async () => {
    const P1 = '13011110001';
    await importMembers(s, 'tmall', [{ channelMemberId: 'T1', phone: P2, points: 1 }]);
    await importMembers(s, 'offline', [{ channelMemberId: 'C1', phone: P3, points: 2 }]);
    await importMembers(s, 'jd', [{ channelMemberId: 'J1', phone: P1, points: 4 }]);
    s.clock.advance(1000);
    await boundConsumer(s, 'u1', P1);
    s.clock.advance(1000);
    expect(await memberOk(s, 'u1', { action: 'linkOffline', cardNo: 'C1', last4: P3.slice(-4) })).toMatchObject({ status: 'linked' });
    s.clock.advance(1000);
    // J1 now has T1's phone: it joins T1, and leaves the consumer with their card
    await importMembers(s, 'jd', [{ channelMemberId: 'J1', phone: P2, points: 4 }]);
    const mine = (await memberOk<{ memberId: string }>(s, 'u1', { action: 'login' })).memberId;
    const wechat = (await recordsOf(s, mine)).find((id) => id.startsWith('wechat:'))!;
    expect(await recordsOf(s, mine)).toEqual(['offline:C1', wechat]);
    expect(await recordsOf(s, await memberOf(s, 'tmall:T1'))).toEqual(['jd:J1', 'tmall:T1']);
    expect((await listed(s)).filter((v) => v.whole)).toEqual([]);
    // (the card's member was the older: the link brought the consumer's side into it)
    const link = (await mergesOf(s, mine)).merges.find((v) => v.by === 'card')!;
    expect(link.records).toEqual([wechat]);
    await unmergeMembers(s, link.mergeId);
    expect(await recordsOf(s, await memberOf(s, wechat))).toEqual([wechat]);
    expect(await recordsOf(s, await memberOf(s, 'offline:C1'))).toEqual(['offline:C1']);
    const card = await memberOf(s, 'offline:C1');
    expect((await exportAll(s)).find((l) => l.memberId === card)?.points.available).toBe(2);
  });
});
