import type { MemberDoc, MergeDoc } from '../../cloudfunctions/core/identity/graph.store';
import { mergeMembers, mergesOf, unmergeMembers } from '../../cloudfunctions/core/identity/operator';
import { boundConsumer, importMembers, memberOk } from '../support/members';
import { openTestServices, type TestServices } from '../support/services';

/**
 * Undoing a merge after what came later (operator.ts: `mergeTree`, `holderOf`, `sidesOf`): the
 * merge undone and made again, a re-import that took the card a lone consumer bound their phone to,
 * a survivor merged into another member since.
 */

type S = TestServices;
const memberOf = async (s: S, recordId: string) =>
  ((await s.dump('members')) as MemberDoc[]).find((m) => m.status === 'active' && m.records.includes(recordId))!._id;
const cards = async (s: S, ...ids: string[]) => {
  for (const id of ids) {
    await importMembers(s, 'offline', [{ channelMemberId: id, name: id.toLowerCase() }]);
    s.clock.advance(1000);
  }
};

describe('a merge undone and then made again', () => {
  let s: S;
  beforeEach(() => { s = openTestServices(); });
  afterEach(() => s.close());

  it('leaves the merge made before it listed and undoable: the undone one is no path to it', async () => {
    await cards(s, 'O1', 'O2', 'O3');
    const [a, b, c] = [await memberOf(s, 'offline:O1'), await memberOf(s, 'offline:O2'), await memberOf(s, 'offline:O3')];
    const bc = await mergeMembers(s, b, c);
    s.clock.advance(1000);
    const ab = await mergeMembers(s, a, b);
    s.clock.advance(1000);
    await unmergeMembers(s, ab._id);
    s.clock.advance(1000);
    const again = await mergeMembers(s, a, await memberOf(s, 'offline:O2'));
    s.clock.advance(1000);
    const listed = (await mergesOf(s, a)).merges.map((m) => [m.mergeId, m.records]);
    expect(listed.sort()).toEqual([[bc._id, ['offline:O3']], [again._id, ['offline:O2', 'offline:O3']]].sort());
    await unmergeMembers(s, bc._id);
    expect(await memberOf(s, 'offline:O2')).toBe(await memberOf(s, 'offline:O1'));
    expect(await memberOf(s, 'offline:O3')).not.toBe(await memberOf(s, 'offline:O1'));
  });
});

describe('a re-import takes the card a lone consumer bound their phone to into another member', () => {
  let s: S;
  beforeEach(() => { s = openTestServices(); });
  afterEach(() => s.close());

  it('lists no binding of the consumer, now on their own again, once an operator merges them with a card', async () => {
    const P2 = '13011110002';
    const P3 = '13011110003';
    await importMembers(s, 'offline', [{ channelMemberId: 'C1', phone: P3 }]);
    await importMembers(s, 'jd', [{ channelMemberId: 'J1', phone: P2 }]);
    s.clock.advance(1000);
    await boundConsumer(s, 'u1', P2);
    s.clock.advance(1000);
    // J1 takes C1's phone: it joins C1's member, and the consumer's WeChat record is on its own again
    await importMembers(s, 'jd', [{ channelMemberId: 'J1', phone: P3 }]);
    s.clock.advance(1000);
    const mine = (await memberOk<{ memberId: string }>(s, 'u1', { action: 'login' })).memberId;
    const wechat = ((await s.dump('members')) as MemberDoc[]).find((m) => m._id === mine)!.records[0]!;
    await cards(s, 'O9');
    const made = await mergeMembers(s, mine, await memberOf(s, 'offline:O9'));
    const holder = await memberOf(s, wechat);
    expect(await memberOf(s, 'offline:O9')).toBe(holder);
    // the binding's join of the consumer into J1's member is over: only the operator's merge is theirs
    expect((await mergesOf(s, holder)).merges.map((m) => m.mergeId)).toEqual([made._id]);
    // nor can it be undone: it would take the consumer from the card the operator merged them with
    const binding = ((await s.dump('merges')) as MergeDoc[]).find((m) => m.kind === 'merge' && m.absorbed === mine && m.records.includes(wechat))!;
    await expect(unmergeMembers(s, binding._id)).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(await memberOf(s, 'offline:O9')).toBe(await memberOf(s, wechat));
    await unmergeMembers(s, made._id);
    expect(await memberOf(s, 'offline:O9')).not.toBe(await memberOf(s, wechat));
  });

  it('undoes a binding under the consumers\' member when most of the records went to the card\'s member', async () => {
    const P2 = '13011110002';
    const P3 = '13011110003';
    await importMembers(s, 'offline', [{ channelMemberId: 'C1', phone: P3 }]);
    await importMembers(s, 'jd', [{ channelMemberId: 'J1', phone: P2 }, { channelMemberId: 'J2', phone: P2 }, { channelMemberId: 'J3', phone: P2 }]);
    s.clock.advance(1000);
    await boundConsumer(s, 'u1', P2);
    s.clock.advance(1000);
    await boundConsumer(s, 'u2', P2);
    s.clock.advance(1000);
    // the three cards take C1's phone: more of the member's records go to C1's member than stay with the consumers
    await importMembers(s, 'jd', [{ channelMemberId: 'J1', phone: P3 }, { channelMemberId: 'J2', phone: P3 }, { channelMemberId: 'J3', phone: P3 }]);
    s.clock.advance(1000);
    const mine = (await memberOk<{ memberId: string }>(s, 'u1', { action: 'login' })).memberId;
    const [w1, w2] = ((await s.dump('members')) as MemberDoc[]).find((m) => m._id === mine)!.records;
    expect(await memberOf(s, w2!)).toBe(mine);
    const views = (await mergesOf(s, mine)).merges;
    expect(views.map((v) => v.records).sort()).toEqual([[w1], [w2]].sort());
    await unmergeMembers(s, views[0]!.mergeId);
    expect(await memberOf(s, w1!)).not.toBe(await memberOf(s, w2!));
    expect(await memberOf(s, 'jd:J1')).toBe(await memberOf(s, 'offline:C1'));
  });
});

describe('undoing a merge whose survivor was merged into another member since', () => {
  let s: S;
  beforeEach(() => { s = openTestServices(); });
  afterEach(() => s.close());

  it('sends a record of that other member with the side it shares a phone with, not with the survivor by default', async () => {
    const P9 = '13011110009';
    await importMembers(s, 'offline', [{ channelMemberId: 'O1', phone: P9 }]);
    s.clock.advance(1000);
    await cards(s, 'O2', 'O3');
    const [a, b, c] = [await memberOf(s, 'offline:O1'), await memberOf(s, 'offline:O2'), await memberOf(s, 'offline:O3')];
    const bc = await mergeMembers(s, b, c);
    s.clock.advance(1000);
    await mergeMembers(s, a, b);
    s.clock.advance(1000);
    // O3 gets O1's phone: nothing to join (one member already), but now O1 and O3 share it
    await importMembers(s, 'offline', [{ channelMemberId: 'O3', phone: P9 }]);
    s.clock.advance(1000);
    await unmergeMembers(s, bc._id);
    // O1 was not B's when C was merged into it: it goes with what it shares a phone with
    expect(await memberOf(s, 'offline:O1')).toBe(await memberOf(s, 'offline:O3'));
    expect(await memberOf(s, 'offline:O2')).not.toBe(await memberOf(s, 'offline:O3'));
  });
});
