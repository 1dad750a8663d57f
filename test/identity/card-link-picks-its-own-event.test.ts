import type { MemberDoc, MergeDoc, RecordDoc } from '../../cloudfunctions/core/identity/graph.store';
import { liveMember } from '../../cloudfunctions/core/identity/lookup';
import { mergesOf, unmergeMembers } from '../../cloudfunctions/core/identity/operator';
import { importOrders } from '../codes/support';
import { boundConsumer, importMembers, memberOk } from '../support/members';
import { openTestServices, type TestServices } from '../support/services';

/**
 * A store-card link that sets the card's old phone aside can let a waiting buyer (an order known
 * by phone alone, whose phone the card's member and another consumer's held apart) join the other holder in
 * the same walk: the link must list and undo its own merge, not the buyer's.
 */

const P1 = '13011110001';
const P3 = '13011110003';
type S = TestServices;
const memberOf = async (s: S, recordId: string) => (await liveMember(s.store.get.bind(s.store), (await s.store.get<RecordDoc>('records', recordId))!.memberId))!._id;
const recordsOf = async (s: S, memberId: string) => (await s.store.get<MemberDoc>('members', memberId))!.records.slice().sort();

describe('a consumer links a store card whose old phone a waiting buyer carries', () => {
  let s: S;
  beforeEach(() => { s = openTestServices(); });
  afterEach(() => s.close());

  it('lists the merge that brought the consumer as the card\'s, which members unmerge undoes', async () => {
    // another consumer binds P3 and that join is undone: two members hold P3, kept apart
    await memberOk(s, 'u2', { action: 'login' });
    s.clock.advance(1000);
    await importMembers(s, 'offline', [{ channelMemberId: 'C1', phone: P3, points: 1 }]);
    s.clock.advance(1000);
    await boundConsumer(s, 'u2', P3);
    s.clock.advance(1000);
    const [binding] = (await mergesOf(s, await memberOf(s, 'offline:C1'))).merges;
    await unmergeMembers(s, binding!.mergeId);
    s.clock.advance(1000);
    // the consumer's member is older than the waiting buyer's (the walk writes its merges in that order)
    await boundConsumer(s, 'u1', P1);
    s.clock.advance(1000);
    await importOrders(s, 'tmall', [{ orderId: 'O1', phone: P3, amountFen: 10000, paidAt: '2026-11-01 10:00:00' }]);
    s.clock.advance(1000);
    const buyer = ((await s.dump('records')) as RecordDoc[]).find((r) => r._id.startsWith('buyer:'))!._id;
    expect(await recordsOf(s, await memberOf(s, buyer))).toEqual([buyer]);

    const linked = await memberOk<{ memberId: string; status: string }>(s, 'u1', { action: 'linkOffline', cardNo: 'C1', last4: P3.slice(-4) });
    expect(linked.status).toBe('linked');
    expect(await memberOf(s, 'offline:C1')).toBe(linked.memberId);
    const other = (await memberOk<{ memberId: string }>(s, 'u2', { action: 'login' })).memberId;
    // the buyer went to the one member left holding P3
    expect(await memberOf(s, buyer)).toBe(other);
    const wechat = (await recordsOf(s, linked.memberId)).find((id) => id.startsWith('wechat:'))!;
    // the merge that brought the consumer is the card's, which its unmerge takes the link away with
    const card = (await mergesOf(s, linked.memberId)).merges.filter((m) => m.by === 'card');
    expect(card.map((m) => m.records)).toEqual([[wechat]]);
    const buyers = ((await s.dump('merges')) as MergeDoc[]).filter((m) => m.records.includes(buyer));
    expect(buyers.map((m) => m.link)).toEqual([undefined]);
    await unmergeMembers(s, card[0]!.mergeId);
    expect(await memberOf(s, 'offline:C1')).not.toBe(await memberOf(s, wechat));
    // the card's old phone decides again: two members hold P3, and the buyer waits on its own
    expect(await recordsOf(s, await memberOf(s, buyer))).toEqual([buyer]);
  });
});
