import type { MemberDoc, RecordDoc } from '../../cloudfunctions/core/identity/graph.store';
import { liveMember } from '../../cloudfunctions/core/identity/lookup';
import { mergeMembers, mergesOf, unmergeMembers, type MergeView } from '../../cloudfunctions/core/identity/operator';
import { boundConsumer, exportAll, importMembers, memberOk } from '../support/members';
import { openTestServices, type TestServices } from '../support/services';

/**
 * ARCHITECTURE §5 (`members merges` / `members unmerge`): consumers who bound the phone of a store
 * card were each merged into the card's member. A re-import gives the card another phone: the card
 * keeps its member and the consumers, still joined by that phone, leave it together (a split). Their
 * bindings are still in force, and are listed and undone under the member the consumers are in, as
 * when the card joins another card's member instead (unmerge-after-split.test.ts).
 */

const P2 = '13011110002';
const P3 = '13011110003';

type S = TestServices;
const memberOf = async (s: S, recordId: string) =>
  ((await s.dump('members')) as MemberDoc[]).find((m) => m.status === 'active' && m.records.includes(recordId))!._id;
const recordsOf = async (s: S, memberId: string) => (await liveMember(s.store.get.bind(s.store), memberId))!.records.slice().sort();
const wechatOf = async (s: S, openid: string) =>
  ((await s.dump('records')) as RecordDoc[]).find((r) => r.identifiers.some((i) => i.type === 'openid' && i.value === openid))!._id;
/** Every record in exactly one live member, the one it points at. */
async function consistent(s: S) {
  const holder = new Map<string, string>();
  for (const m of ((await s.dump('members')) as MemberDoc[]).filter((x) => x.status === 'active')) {
    for (const id of m.records) { expect([id, holder.get(id)]).toEqual([id, undefined]); holder.set(id, m._id); }
  }
  for (const r of (await s.dump('records')) as RecordDoc[]) expect([r._id, holder.get(r._id)]).toEqual([r._id, r.memberId]);
}
/** Everything listed under every live member, with the member it is listed under. */
async function listed(s: S): Promise<(MergeView & { holder: string })[]> {
  const all = [];
  for (const m of ((await s.dump('members')) as MemberDoc[]).filter((x) => x.status === 'active')) {
    for (const view of (await mergesOf(s, m._id)).merges) all.push({ ...view, holder: m._id });
  }
  return all;
}

describe('a re-import takes a card two consumers bound their phone to away from them, the card keeping its member', () => {
  let s: S;
  beforeEach(() => { s = openTestServices(); });
  afterEach(() => s.close());

  /** J1 carries P2, which the consumers bind one after another; a re-import gives J1 the phone P3. */
  async function cardMoved(consumers: string[]) {
    await importMembers(s, 'jd', [{ channelMemberId: 'J1', phone: P2, points: 4 }]);
    s.clock.advance(1000);
    for (const u of consumers) {
      await boundConsumer(s, u, P2);
      s.clock.advance(1000);
    }
    const card = await memberOf(s, 'jd:J1');
    await importMembers(s, 'jd', [{ channelMemberId: 'J1', phone: P3, points: 4 }]);
    s.clock.advance(1000);
    const wechat = await Promise.all(consumers.map((u) => wechatOf(s, u)));
    return { card, wechat, mine: await memberOf(s, wechat[0]!) };
  }

  it('lists both bindings under the consumers\' member, as when the card joins another member, and undoing one separates them', async () => {
    await importMembers(s, 'jd', [{ channelMemberId: 'J1', phone: P2 }]);
    s.clock.advance(1000);
    await boundConsumer(s, 'u1', P2);
    s.clock.advance(1000);
    await boundConsumer(s, 'u2', P2);
    s.clock.advance(1000);
    // J1 gets another phone: its member lives on with J1 alone, the two consumers (one phone) leave it
    await importMembers(s, 'jd', [{ channelMemberId: 'J1', phone: P3 }]);
    s.clock.advance(1000);
    const mine = (await memberOk<{ memberId: string }>(s, 'u1', { action: 'login' })).memberId;
    const [w1, w2] = ((await s.dump('members')) as MemberDoc[]).find((m) => m._id === mine)!.records;
    expect(await memberOf(s, 'jd:J1')).not.toBe(mine);
    const views = (await mergesOf(s, mine)).merges;
    expect(views.map((v) => v.records).sort()).toEqual([[w1], [w2]].sort());
    expect((await mergesOf(s, await memberOf(s, 'jd:J1'))).merges).toEqual([]);
    await unmergeMembers(s, views[0]!.mergeId);
    expect(await memberOf(s, w1!)).not.toBe(await memberOf(s, w2!));
  });

  it('undoes either binding alone: each consumer gets a member of their own, the card\'s member keeps the card and its points', async () => {
    for (const which of [0, 1]) {
      if (which) { await s.close(); s = openTestServices(); }
      const { card, wechat: [w1, w2], mine } = await cardMoved(['u1', 'u2']);
      expect(await recordsOf(s, card)).toEqual(['jd:J1']);
      expect(await recordsOf(s, mine)).toEqual([w1, w2].sort());
      const views = (await mergesOf(s, mine)).merges;
      // newest first: u2's binding, then u1's
      expect(views.map((v) => [v.by, v.records])).toEqual([['shared', [w2]], ['shared', [w1]]]);
      const outcome = await unmergeMembers(s, views[which]!.mergeId);
      await consistent(s);
      expect(await recordsOf(s, await memberOf(s, w1!))).toEqual([w1]);
      expect(await recordsOf(s, await memberOf(s, w2!))).toEqual([w2]);
      expect(await memberOf(s, 'jd:J1')).toBe(card);
      expect(await recordsOf(s, card)).toEqual(['jd:J1']);
      // the side the undone binding brought is the one restored
      expect(outcome.restored).toBe(await memberOf(s, which ? w1! : w2!));
      expect((await exportAll(s)).find((l) => l.memberId === card)?.points.available).toBe(4);
      // nothing of it is left to separate
      expect(await listed(s)).toEqual([]);
    }
  });

  it('with three consumers, lists the three bindings and undoes them one by one until each consumer is alone', async () => {
    const { card, wechat, mine } = await cardMoved(['u1', 'u2', 'u3']);
    expect(await recordsOf(s, mine)).toEqual([...wechat].sort());
    const views = (await mergesOf(s, mine)).merges;
    expect(views.map((v) => v.records)).toEqual([[wechat[2]], [wechat[1]], [wechat[0]]]);
    // u2's, in the middle: u1 and u3 stay together
    await unmergeMembers(s, views[1]!.mergeId);
    await consistent(s);
    expect(await recordsOf(s, await memberOf(s, wechat[1]!))).toEqual([wechat[1]]);
    const rest = await memberOf(s, wechat[0]!);
    expect(await recordsOf(s, rest)).toEqual([wechat[0], wechat[2]].sort());
    const left = await listed(s);
    expect(left.map((v) => [v.holder, v.records]).sort()).toEqual([[rest, [wechat[0]]], [rest, [wechat[2]]]].sort());
    await unmergeMembers(s, left[0]!.mergeId);
    await consistent(s);
    for (const w of wechat) expect(await recordsOf(s, await memberOf(s, w))).toEqual([w]);
    expect(await recordsOf(s, card)).toEqual(['jd:J1']);
    expect(await listed(s)).toEqual([]);
  });

  it('when the card gets the consumers\' phone back, lists the join that brought them back; undone, their bindings are listed again', async () => {
    const { card, wechat: [w1, w2] } = await cardMoved(['u1', 'u2']);
    await importMembers(s, 'jd', [{ channelMemberId: 'J1', phone: P2, points: 4 }]);
    s.clock.advance(1000);
    expect(await memberOf(s, w1!)).toBe(card);
    expect(await recordsOf(s, card)).toEqual(['jd:J1', w1, w2].sort());
    // the two bindings' records came back with the later join, which accounts for them
    const back = (await mergesOf(s, card)).merges;
    expect(back.map((v) => v.records.slice().sort())).toEqual([[w1, w2].sort()]);
    await unmergeMembers(s, back[0]!.mergeId);
    s.clock.advance(1000);
    await consistent(s);
    const mine = await memberOf(s, w1!);
    expect(mine).not.toBe(card);
    expect(await recordsOf(s, mine)).toEqual([w1, w2].sort());
    const views = (await mergesOf(s, mine)).merges;
    expect(views.map((v) => v.records)).toEqual([[w2], [w1]]);
    await unmergeMembers(s, views[0]!.mergeId);
    await consistent(s);
    expect(await recordsOf(s, await memberOf(s, w1!))).toEqual([w1]);
    expect(await recordsOf(s, await memberOf(s, w2!))).toEqual([w2]);
    expect(await recordsOf(s, card)).toEqual(['jd:J1']);
  });

  it('after an operator merges the consumers\' member with a store card, lists all three and undoes a binding without taking the card', async () => {
    const { wechat: [w1, w2], mine } = await cardMoved(['u1', 'u2']);
    await importMembers(s, 'offline', [{ channelMemberId: 'O1', name: 'o1', points: 2 }]);
    s.clock.advance(1000);
    const merged = await mergeMembers(s, mine, await memberOf(s, 'offline:O1'));
    s.clock.advance(1000);
    const one = await memberOf(s, w1!);
    expect(await recordsOf(s, one)).toEqual(['offline:O1', w1, w2].sort());
    const views = (await mergesOf(s, one)).merges;
    expect(views.map((v) => [v.by, v.records])).toEqual([['operator', ['offline:O1']], ['shared', [w2]], ['shared', [w1]]]);
    expect(views[0]!.mergeId).toBe(merged._id);
    // u2's binding: u2 alone, u1 keeps the card the operator merged in
    await unmergeMembers(s, views[1]!.mergeId);
    await consistent(s);
    expect(await recordsOf(s, await memberOf(s, w2!))).toEqual([w2]);
    expect(await recordsOf(s, await memberOf(s, w1!))).toEqual(['offline:O1', w1].sort());
    // and the operator's merge is still listed, and undone, under u1's member (u1's binding is too,
    // as when the card joins another member: the split left its records with others)
    const left = (await mergesOf(s, await memberOf(s, w1!))).merges;
    expect(left.find((v) => v.mergeId === merged._id)?.records).toEqual(['offline:O1']);
    await unmergeMembers(s, merged._id);
    await consistent(s);
    const o1 = await memberOf(s, 'offline:O1');
    expect(await recordsOf(s, o1)).toEqual(['offline:O1']);
    expect((await exportAll(s)).find((l) => l.memberId === o1)?.points.available).toBe(2);
  });
});

describe('a limit takes a consumer and the card they linked out of the member their phone binding joined', () => {
  let s: S;
  beforeEach(() => { s = openTestServices(); });
  afterEach(() => s.close());

  it('lists the card link under the member the two are in, not the binding (the card would go back with the consumer)', async () => {
    const P1 = '13011110001';
    await importMembers(s, 'offline', [{ channelMemberId: 'C2', phone: P3, unionid: 'union_aaaaaa', points: 16 }, { channelMemberId: 'C1', phone: P1, points: 8 }]);
    s.clock.advance(1000);
    await boundConsumer(s, 'u1', P1);
    s.clock.advance(1000);
    await boundConsumer(s, 'u2', P1);
    s.clock.advance(1000);
    expect(await memberOk(s, 'u1', { action: 'linkOffline', cardNo: 'C2', last4: P3.slice(-4) })).toMatchObject({ status: 'linked' });
    s.clock.advance(1000);
    // J1 joins C1's member by the phone with another unionid than the card's: u1 and the card leave it
    await importMembers(s, 'jd', [{ channelMemberId: 'J1', phone: P1, unionid: 'union_bbbbbb', points: 64 }]);
    s.clock.advance(1000);
    const w1 = await wechatOf(s, 'u1');
    const mine = await memberOf(s, w1);
    expect(await recordsOf(s, mine)).toEqual(['offline:C2', w1]);
    expect(await memberOf(s, 'offline:C1')).not.toBe(mine);
    const views = (await mergesOf(s, mine)).merges;
    expect(views.map((v) => [v.by, v.records])).toEqual([['card', ['offline:C2']]]);
    await unmergeMembers(s, views[0]!.mergeId);
    await consistent(s);
    expect(await recordsOf(s, await memberOf(s, 'offline:C2'))).toEqual(['offline:C2']);
    expect(await memberOf(s, w1)).not.toBe(await memberOf(s, 'offline:C2'));
  });
});
