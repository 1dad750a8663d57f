import type { MemberDoc, MergeDoc } from '../../cloudfunctions/core/identity/graph.store';
import { importMembers } from '../support/members';
import { openTestServices, type TestServices } from '../support/services';

/**
 * The merge events a walk writes (graph.store.ts, after `reconcile`):
 * one event per member records left and member they went to, naming where they went.
 */

type S = TestServices;
const live = async (s: S) => ((await s.dump('members')) as MemberDoc[]).filter((m) => m.status === 'active');
const memberOf = async (s: S, recordId: string) => (await live(s)).find((m) => m.records.includes(recordId))!._id;
const events = async (s: S) => (await s.dump('merges')) as MergeDoc[];

describe('merge events a walk writes', () => {
  let s: S;
  beforeEach(() => { s = openTestServices(); });
  afterEach(() => s.close());

  it('an import joining two members writes one merge of the one into the other, and no split beside it', async () => {
    await importMembers(s, 'offline', [{ channelMemberId: 'C1', email: 'a@example.com' }]);
    s.clock.advance(1000);
    await importMembers(s, 'jd', [{ channelMemberId: 'J1', phone: '13011112222' }]);
    s.clock.advance(1000);
    const [c1, j1] = [await memberOf(s, 'offline:C1'), await memberOf(s, 'jd:J1')];
    await importMembers(s, 'jd', [{ channelMemberId: 'J1', phone: '13011112222', email: 'a@example.com' }]);
    expect(await memberOf(s, 'offline:C1')).toBe(await memberOf(s, 'jd:J1'));
    const written = await events(s);
    expect(written.map((m) => [m.kind, [m.survivor, m.absorbed].sort(), m.records])).toEqual([['merge', [c1, j1].sort(), [await memberOf(s, 'offline:C1') === c1 ? 'jd:J1' : 'offline:C1']]]);
  });

  it('a phone found shared late sends a member\'s records to two new members: a split to each, naming the records that went there', async () => {
    const P = '13011112222';
    await importMembers(s, 'offline', ['C1', 'C2', 'C3'].map((id) => ({ channelMemberId: id, phone: P })));
    s.clock.advance(1000);
    const kept = await memberOf(s, 'offline:C1');
    expect(await memberOf(s, 'offline:C3')).toBe(kept);
    // a fourth card with the number: more than the threshold of one channel, a shop's phone
    await importMembers(s, 'offline', [{ channelMemberId: 'C4', phone: P }]);
    const [c2, c3] = [await memberOf(s, 'offline:C2'), await memberOf(s, 'offline:C3')];
    expect(new Set([kept, c2, c3]).size).toBe(3);
    const splits = (await events(s)).filter((m) => m.kind === 'split');
    expect(splits.map((m) => [m.survivor, m.absorbed, m.records]).sort()).toEqual([[kept, c2, ['offline:C2']], [kept, c3, ['offline:C3']]].sort());
  });
});
