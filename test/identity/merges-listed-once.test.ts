import type { MemberDoc, RecordDoc } from '../../cloudfunctions/core/identity/graph.store';
import { mergeMembers, mergesOf, unmergeMembers, type MergeView } from '../../cloudfunctions/core/identity/operator';
import { importMembers, member, memberOk } from '../support/members';
import { openTestServices, type TestServices } from '../support/services';

/**
 * `members merges` lists a merge in force once, under the one member `members unmerge` undoes it
 * in. A member an unmerge (or a split) brings back to life lists the merges made into it itself:
 * a merge that absorbed it earlier, still in force under another member, leads there no more.
 * (Both cases were found by the property of after-merges-and-links-property.test.ts with raised runs.)
 */

const [P1, P2, P3] = ['13011110001', '13011110002', '13011110003'];

type S = TestServices;
const live = async (s: S) => ((await s.dump('members')) as MemberDoc[]).filter((m) => m.status === 'active').sort((a, b) => (a._id < b._id ? -1 : 1));
const memberOf = async (s: S, recordId: string) => (await live(s)).find((m) => m.records.includes(recordId))!._id;
const wechatOf = async (s: S, openid: string) =>
  ((await s.dump('records')) as RecordDoc[]).find((r) => r.identifiers.some((i) => i.type === 'openid' && i.value === openid))!._id;
async function listed(s: S): Promise<(MergeView & { holder: string })[]> {
  const all = [];
  for (const m of await live(s)) for (const view of (await mergesOf(s, m._id)).merges) all.push({ ...view, holder: m._id });
  return all;
}
async function bind(s: S, openid: string, phone: string) {
  const { termsVersion } = await memberOk<{ termsVersion: string }>(s, openid, { action: 'login' });
  await memberOk(s, openid, { action: 'consent', version: termsVersion });
  await memberOk(s, openid, { action: 'bindPhone', code: `dev:${phone}:${s.clock.now()}` });
}
/** Each merge listed once, naming records its member holds and not the whole of it; each can be undone. */
async function listedOnceAndUndoable(s: S, again: () => Promise<S>) {
  const views = await listed(s);
  const ids = views.map((v) => v.mergeId);
  expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([]);
  for (const view of views) {
    const held = (await s.store.get<MemberDoc>('members', view.holder))!.records;
    expect([view.mergeId, view.records.every((id) => held.includes(id)), view.records.length < held.length]).toEqual([view.mergeId, true, true]);
  }
  for (const view of views) {
    const t = await again();
    try {
      await unmergeMembers(t, view.mergeId);
      const holder = new Map<string, string>();
      for (const m of await live(t)) for (const id of m.records) { expect([id, holder.get(id)]).toEqual([id, undefined]); holder.set(id, m._id); }
      for (const r of (await t.dump('records')) as RecordDoc[]) expect([r._id, holder.get(r._id)]).toEqual([r._id, r.memberId]);
    } finally {
      await t.close();
    }
  }
}

describe('a merge in force is listed once', () => {
  let s: S;
  beforeEach(() => { s = openTestServices(); });
  afterEach(() => s.close());

  /** Two consumers bound J2's phone; J1 joins them by a unionid; u1 links the older card C2; u1's binding is undone. */
  async function bindingUndoneAfterCardLink(t: S) {
    await importMembers(t, 'offline', [{ channelMemberId: 'C2', phone: P2, points: 1 }]);
    t.clock.advance(1000);
    await importMembers(t, 'jd', [{ channelMemberId: 'J1', points: 2 }, { channelMemberId: 'J2', phone: P1, points: 4 }]);
    t.clock.advance(1000);
    await bind(t, 'u1', P1);
    t.clock.advance(1000);
    await bind(t, 'u2', P1);
    t.clock.advance(1000);
    await importMembers(t, 'jd', [{ channelMemberId: 'J1', phone: P1, unionid: 'union_bbbbbb', points: 2 }, { channelMemberId: 'J2', unionid: 'union_bbbbbb', points: 4 }]);
    t.clock.advance(1000);
    expect(await memberOk(t, 'u1', { action: 'linkOffline', cardNo: 'C2', last4: P2.slice(-4) })).toMatchObject({ status: 'linked' });
    t.clock.advance(1000);
    const w1 = await wechatOf(t, 'u1');
    const binding = (await mergesOf(t, await memberOf(t, w1))).merges.find((v) => v.by === 'shared' && v.records.length === 1 && v.records[0] === w1)!;
    await unmergeMembers(t, binding.mergeId);
    t.clock.advance(1000);
    return t;
  }

  it('after a consumer\'s binding is undone beside a card they linked', async () => {
    await bindingUndoneAfterCardLink(s);
    // the consumer keeps the card they linked; the other consumer stays with the JD cards
    expect(await memberOf(s, 'offline:C2')).toBe(await memberOf(s, await wechatOf(s, 'u1')));
    expect(await memberOf(s, 'jd:J2')).toBe(await memberOf(s, await wechatOf(s, 'u2')));
    await listedOnceAndUndoable(s, () => bindingUndoneAfterCardLink(openTestServices()));
  });

  /** u2's binding to C3 undone; an operator merges J2's member (u1 bound its phone) with T1's; J2 gets C3's phone; u1 links C3. */
  async function operatorMergeThenCardLink(t: S) {
    await importMembers(t, 'tmall', [{ channelMemberId: 'T1', points: 1 }]);
    await importMembers(t, 'offline', [{ channelMemberId: 'C3', phone: P2, points: 2 }]);
    await importMembers(t, 'jd', [{ channelMemberId: 'J2', phone: P3, points: 4 }]);
    t.clock.advance(1000);
    await bind(t, 'u1', P3);
    t.clock.advance(1000);
    await bind(t, 'u2', P2);
    t.clock.advance(1000);
    const w2 = await wechatOf(t, 'u2');
    await unmergeMembers(t, (await mergesOf(t, await memberOf(t, w2))).merges[0]!.mergeId);
    t.clock.advance(1000);
    await mergeMembers(t, await memberOf(t, 'jd:J2'), await memberOf(t, 'tmall:T1'));
    t.clock.advance(1000);
    await importMembers(t, 'jd', [{ channelMemberId: 'J2', phone: P2, points: 4 }, { channelMemberId: 'J1', points: 8 }]);
    t.clock.advance(1000);
    const linked = await member(t, 'u1', { action: 'linkOffline', cardNo: 'C3', last4: P2.slice(-4) });
    expect(linked.ok).toBe(true);
    t.clock.advance(1000);
    return t;
  }

  it('after an operator\'s merge, a re-import and a card link', async () => {
    await operatorMergeThenCardLink(s);
    await listedOnceAndUndoable(s, () => operatorMergeThenCardLink(openTestServices()));
  });
});
