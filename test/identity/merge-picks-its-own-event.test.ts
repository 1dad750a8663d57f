import type { MemberDoc, RecordDoc } from '../../cloudfunctions/core/identity/graph.store';
import { liveMember } from '../../cloudfunctions/core/identity/lookup';
import { mergeMembers, mergesOf, unmergeMembers } from '../../cloudfunctions/core/identity/operator';
import { importOrders } from '../codes/support';
import { boundConsumer, importMembers, memberOk } from '../support/members';
import { openTestServices, reconfigured, type TestServices } from '../support/services';

/**
 * A join that lets a waiting buyer (an order known by phone alone, whose phone two members held
 * apart) join too writes two merge events in one walk: the join asked for, and the buyer's. The
 * operator's `members merge` and a consumer's store-card link must keep theirs, not the buyer's:
 * a retried merge answers it, `members merges` lists it as the operator's (or the card's), and
 * undoing it separates what was joined. When the buyer's member is the oldest, the walk keeps the
 * buyer's member id and merges both sides asked for into it: the merge is still made, and is the
 * one undone.
 */

const P3 = '13011110003';
type S = TestServices;
const memberOf = async (s: S, recordId: string) => (await liveMember(s.store.get.bind(s.store), (await s.store.get<RecordDoc>('records', recordId))!.memberId))!._id;
const recordsOf = async (s: S, memberId: string) => (await s.store.get<MemberDoc>('members', memberId))!.records.slice().sort();

describe('an operator merges two members an unmerge kept apart, whose phone a waiting buyer carries', () => {
  let s: S;
  beforeEach(() => { s = openTestServices(); });
  afterEach(() => s.close());

  /** T1 and u1 share P3; their join undone; a Tmall order by P3 alone then waits (two members hold P3). */
  async function apart() {
    await importMembers(s, 'tmall', [{ channelMemberId: 'T1', phone: P3, points: 1 }]);
    s.clock.advance(1000);
    await boundConsumer(s, 'u1', P3);
    s.clock.advance(1000);
    const tmall = await memberOf(s, 'tmall:T1');
    const [binding] = (await mergesOf(s, tmall)).merges;
    await unmergeMembers(s, binding!.mergeId);
    s.clock.advance(1000);
    await importOrders(s, 'tmall', [{ orderId: 'O1', phone: P3, amountFen: 10000, paidAt: '2026-11-01 10:00:00' }]);
    s.clock.advance(1000);
    const consumer = (await memberOk<{ memberId: string }>(s, 'u1', { action: 'login' })).memberId;
    const wechat = (await recordsOf(s, consumer)).find((id) => id.startsWith('wechat:'))!;
    const buyer = ((await s.dump('records')) as RecordDoc[]).find((r) => r._id.startsWith('buyer:'))!._id;
    // the buyer waits on a member of its own
    expect(await recordsOf(s, await memberOf(s, buyer))).toEqual([buyer]);
    return { tmall: await memberOf(s, 'tmall:T1'), consumer, wechat, buyer };
  }

  it('answers a retried merge with the merge it made', async () => {
    const { tmall, consumer, buyer } = await apart();
    const made = await mergeMembers(s, tmall, consumer);
    // the buyer joined too, the phone now being one member's
    expect(await recordsOf(s, tmall)).toContain(buyer);
    expect([made.survivor, made.absorbed]).toEqual([tmall, consumer]);
    const again = await mergeMembers(s, tmall, consumer);
    expect([again._id, again.repeated]).toEqual([made._id, true]);
  });

  it('lists the operator\'s merge as the one that brought the consumer, and undoing it separates them', async () => {
    const { tmall, consumer, wechat } = await apart();
    await mergeMembers(s, tmall, consumer);
    s.clock.advance(1000);
    const views = (await mergesOf(s, tmall)).merges;
    const mine = views.filter((v) => v.by === 'operator');
    expect(mine.map((v) => v.records)).toEqual([[wechat]]);
    await unmergeMembers(s, mine[0]!.mergeId);
    expect(await memberOf(s, wechat)).not.toBe(await memberOf(s, 'tmall:T1'));
  });
});

describe('an operator merges two members whose phone a buyer waiting since before them carries', () => {
  let s: S;
  beforeEach(() => { s = openTestServices(); });
  afterEach(() => s.close());

  it('joins the two, with the buyer, and undoing it parts the two again', async () => {
    await importOrders(s, 'tmall', [{ orderId: 'O1', phone: P3, amountFen: 10000, paidAt: '2026-11-01 10:00:00' }]);
    const buyer = ((await s.dump('records')) as RecordDoc[]).find((r) => r._id.startsWith('buyer:'))!._id;
    const waiting = await memberOf(s, buyer);
    s.clock.advance(1000);
    // two Tmall memberships with the buyer's phone: one member may hold one, so they stay apart, and so does the buyer
    await importMembers(s, 'tmall', [{ channelMemberId: 'T1', phone: P3 }, { channelMemberId: 'T2', phone: P3 }]);
    const [t1, t2] = [await memberOf(s, 'tmall:T1'), await memberOf(s, 'tmall:T2')];
    expect(new Set([t1, t2, waiting]).size).toBe(3);
    expect(await recordsOf(s, waiting)).toEqual([buyer]);

    const roomier = reconfigured(s, (config) => { config.identity.limits.tmall = 2; });
    const made = await mergeMembers(roomier, t1, t2);
    const joined = await memberOf(s, 'tmall:T1');
    expect(await memberOf(s, 'tmall:T2')).toBe(joined);
    expect(await memberOf(s, buyer)).toBe(joined);
    expect(made.requested).toEqual([t1, t2]);
    expect([t1, t2]).toContain(made.absorbed);

    await unmergeMembers(roomier, made._id);
    expect(await memberOf(s, 'tmall:T1')).not.toBe(await memberOf(s, 'tmall:T2'));
  });
});
