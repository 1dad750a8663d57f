/**
 * `members merge` picks its own merge event among those its walk writes (identity/operator.ts),
 * pinned where a hand-made mutant went unnoticed: when a waiting buyer known by phone alone joins
 * too and its member is the oldest, the walk keeps the buyer's member id, and both sides asked
 * for are merged into it. The merge is still made, and is the one undone.
 */
import type { MemberDoc, RecordDoc } from '../../cloudfunctions/core/identity/graph.store';
import { liveMember } from '../../cloudfunctions/core/identity/lookup';
import { mergeMembers, unmergeMembers } from '../../cloudfunctions/core/identity/operator';
import { importOrders } from '../codes/support';
import { importMembers } from '../support/members';
import { openTestServices, reconfigured, type TestServices } from '../support/services';

const P3 = '13011110003';

describe('an operator merges two members whose phone a buyer waiting since before them carries', () => {
  let s: TestServices;
  beforeEach(() => { s = openTestServices(); });
  afterEach(() => s.close());

  const memberOf = async (recordId: string) => (await liveMember(s.store.get.bind(s.store), (await s.store.get<RecordDoc>('records', recordId))!.memberId))!._id;
  const recordsOf = async (memberId: string) => (await s.store.get<MemberDoc>('members', memberId))!.records.slice().sort();

  it('joins the two, with the buyer, and undoing it parts the two again', async () => {
    await importOrders(s, 'tmall', [{ orderId: 'O1', phone: P3, amountFen: 10000, paidAt: '2026-11-01 10:00:00' }]);
    const buyer = ((await s.dump('records')) as RecordDoc[]).find((r) => r._id.startsWith('buyer:'))!._id;
    const waiting = await memberOf(buyer);
    s.clock.advance(1000);
    // two Tmall memberships with the buyer's phone: one member may hold one, so they stay apart, and so does the buyer
    await importMembers(s, 'tmall', [{ channelMemberId: 'T1', phone: P3 }, { channelMemberId: 'T2', phone: P3 }]);
    const [t1, t2] = [await memberOf('tmall:T1'), await memberOf('tmall:T2')];
    expect(new Set([t1, t2, waiting]).size).toBe(3);
    expect(await recordsOf(waiting)).toEqual([buyer]);

    const roomier = reconfigured(s, (config) => { config.identity.limits.tmall = 2; });
    const made = await mergeMembers(roomier, t1, t2);
    const joined = await memberOf('tmall:T1');
    expect(await memberOf('tmall:T2')).toBe(joined);
    expect(await memberOf(buyer)).toBe(joined);
    expect(made.requested).toEqual([t1, t2]);
    expect([t1, t2]).toContain(made.absorbed);

    await unmergeMembers(roomier, made._id);
    expect(await memberOf('tmall:T1')).not.toBe(await memberOf('tmall:T2'));
  });
});
