import type { MemberDoc, MergeDoc, RecordDoc } from '../../cloudfunctions/core/identity/graph.store';
import { phoneKey } from '../../cloudfunctions/core/identity/normalize';
import { mergeMembers, mergesOf, unmergeMembers } from '../../cloudfunctions/core/identity/operator';
import { boundConsumer, importMembers, memberOk } from '../support/members';
import { openTestServices, withStepBeforeTransaction, type TestServices } from '../support/services';

/**
 * Which side each record goes back to when a merge is undone (the unmerge transaction and
 * `sidesOf`, operator.ts): two linked cards, a later merge whose records went to both sides, a
 * placeholder phone both sides carry, a linked card beside another.
 */

type S = TestServices;
const memberOf = async (s: S, recordId: string) =>
  ((await s.dump('members')) as MemberDoc[]).find((m) => m.status === 'active' && m.records.includes(recordId))?._id;
const record = async (s: S, id: string) => (await s.store.get<RecordDoc>('records', id))!;
/** The card links' merges, in the order they were made. */
const linkMerges = async (s: S) => ((await s.dump('merges')) as MergeDoc[]).filter((m) => m.kind === 'merge' && m.link).sort((a, b) => (a.at < b.at ? -1 : 1));

describe('a consumer who linked two store cards', () => {
  let s: S;
  beforeEach(() => { s = openTestServices(); });
  afterEach(() => s.close());

  it('undoing one card\'s link gives that card its old phone back and keeps the other card\'s old phone set aside', async () => {
    const A = '13011112222';
    const B = '13022223333';
    await importMembers(s, 'offline', [{ channelMemberId: 'C1', phone: A, points: '100' }, { channelMemberId: 'C2', phone: B, points: '200' }]);
    s.clock.advance(1000);
    await boundConsumer(s, 'u1', '13912345678');
    s.clock.advance(1000);
    expect(await memberOk(s, 'u1', { action: 'linkOffline', cardNo: 'C1', last4: '2222' })).toMatchObject({ status: 'linked' });
    s.clock.advance(1000);
    expect(await memberOk(s, 'u1', { action: 'linkOffline', cardNo: 'C2', last4: '3333' })).toMatchObject({ status: 'linked' });
    s.clock.advance(1000);
    expect((await record(s, 'offline:C2')).ignored).toEqual([`phone:${phoneKey(s.secrets.phoneHashKey, B)}`]);
    const [first, second] = await linkMerges(s);
    expect(second).toBeDefined();
    await unmergeMembers(s, first!._id);
    s.clock.advance(1000);
    // C1 is as before its link; C2 is still the consumer's, its old phone still set aside
    expect((await record(s, 'offline:C1')).ignored ?? []).toEqual([]);
    expect((await record(s, 'offline:C2')).ignored).toEqual([`phone:${phoneKey(s.secrets.phoneHashKey, B)}`]);
    const mine = (await memberOk<{ memberId: string }>(s, 'u1', { action: 'login' })).memberId;
    expect(await memberOf(s, 'offline:C2')).toBe(mine);
    expect(await memberOf(s, 'offline:C1')).not.toBe(mine);
    // whoever holds C2's old number binds it and gets a member of their own, not the card
    const other = await boundConsumer(s, 'u2', B);
    expect(other.memberId).not.toBe(mine);
    expect(await memberOf(s, 'offline:C2')).toBe(mine);
    // while C1's old number brings C1 to its holder
    const holder = await boundConsumer(s, 'u3', A);
    expect(await memberOf(s, 'offline:C1')).toBe(holder.memberId);
    // and the other link, listed under the consumer's member now, still undoes: C2 takes its phone back
    const views = (await mergesOf(s, mine)).merges;
    expect(views.map((v) => [v.mergeId, v.records])).toEqual([[second!._id, ['offline:C2']]]);
    await unmergeMembers(s, second!._id);
    expect((await record(s, 'offline:C2')).ignored ?? []).toEqual([]);
    expect(await memberOf(s, 'offline:C2')).toBe((await memberOk<{ memberId: string }>(s, 'u2', { action: 'login' })).memberId);
    expect(await memberOf(s, 'offline:C2')).not.toBe((await memberOk<{ memberId: string }>(s, 'u1', { action: 'login' })).memberId);
  });
});

describe('undoing a merge that splits the records of a later merge between the two sides', () => {
  let s: S;
  beforeEach(() => { s = openTestServices(); });
  afterEach(() => s.close());

  it('leaves that later merge listed under its survivor: its records went to both sides, so to no one new', async () => {
    const row = (id: string, email?: string) => ({ channelMemberId: id, name: id.toLowerCase(), ...(email ? { email } : {}) });
    for (const id of ['S1', 'X1', 'B1', 'B2']) {
      await importMembers(s, 'offline', [row(id)]);
      s.clock.advance(1000);
    }
    const x = await mergeMembers(s, (await memberOf(s, 'offline:S1'))!, (await memberOf(s, 'offline:X1'))!);
    s.clock.advance(1000);
    const p = await mergeMembers(s, (await memberOf(s, 'offline:B1'))!, (await memberOf(s, 'offline:B2'))!);
    s.clock.advance(1000);
    const o = await mergeMembers(s, (await memberOf(s, 'offline:S1'))!, (await memberOf(s, 'offline:B1'))!);
    s.clock.advance(1000);
    // files since: B1 shares an email with X1, B2 one with S1 (one member already, nothing moves)
    await importMembers(s, 'offline', [row('X1', 'x@example.com'), row('B1', 'x@example.com'), row('S1', 's@example.com'), row('B2', 's@example.com')]);
    s.clock.advance(1000);
    expect(new Set(await Promise.all(['S1', 'X1', 'B1', 'B2'].map((id) => memberOf(s, `offline:${id}`)))).size).toBe(1);

    await unmergeMembers(s, x._id);
    const back = (await memberOf(s, 'offline:X1'))!;
    const stay = (await memberOf(s, 'offline:S1'))!;
    expect(await memberOf(s, 'offline:B1')).toBe(back);
    expect(await memberOf(s, 'offline:B2')).toBe(stay);
    // the merge that brought B1 and B2 in stays where it was
    const views = await mergesOf(s, stay);
    expect(views.merges.find((m) => m.mergeId === o._id)).toMatchObject({ records: ['offline:B2'] });
    expect((await s.store.get<MergeDoc>('merges', o._id))!.survivor).toBe(o.survivor);
    // as does the one that joined B1 and B2, whose record left is all with S1's side: still listed
    // with the member it was made into, the one the operator named then
    expect(views.merges.find((m) => m.mergeId === p._id)).toMatchObject({ survivor: p.survivor, records: ['offline:B2'] });
  });
});

describe('undoing a merge when a record joined since carries a placeholder phone the survivor carries too', () => {
  let s: S;
  beforeEach(() => { s = openTestServices(); });
  afterEach(() => s.close());

  it('sends that record back with the side it shares a real value with: the placeholder ties it to neither', async () => {
    const PLACEHOLDER = '13800138000';
    await importMembers(s, 'offline', [{ channelMemberId: 'S1', phone: PLACEHOLDER }]);
    s.clock.advance(1000);
    await importMembers(s, 'jd', [{ channelMemberId: 'X1', email: 'x@example.com' }]);
    s.clock.advance(1000);
    const x = await mergeMembers(s, (await memberOf(s, 'offline:S1'))!, (await memberOf(s, 'jd:X1'))!);
    s.clock.advance(1000);
    // a card typed in since with the walk-in placeholder, and X1's email: it joins the member by the email
    await importMembers(s, 'offline', [{ channelMemberId: 'R1', phone: PLACEHOLDER, email: 'x@example.com' }]);
    s.clock.advance(1000);
    expect(await memberOf(s, 'offline:R1')).toBe(await memberOf(s, 'offline:S1'));

    await unmergeMembers(s, x._id);
    expect(await memberOf(s, 'jd:X1')).not.toBe(await memberOf(s, 'offline:S1'));
    expect(await memberOf(s, 'offline:R1')).toBe(await memberOf(s, 'jd:X1'));
  });
});

describe('undoing a merge that brought a store card the consumer linked, beside another card they linked', () => {
  let s: S;
  beforeEach(() => { s = openTestServices(); });
  afterEach(() => s.close());

  it('sends both cards back with the consumer, also the one that shares an email with the survivor', async () => {
    await importMembers(s, 'jd', [{ channelMemberId: 'S1', name: 's1' }]);
    s.clock.advance(1000);
    await importMembers(s, 'offline', [{ channelMemberId: 'C1', phone: '13011112222' }, { channelMemberId: 'C2', phone: '13022223333' }]);
    s.clock.advance(1000);
    await boundConsumer(s, 'u1', '13912345678');
    s.clock.advance(1000);
    expect(await memberOk(s, 'u1', { action: 'linkOffline', cardNo: 'C2', last4: '3333' })).toMatchObject({ status: 'linked' });
    s.clock.advance(1000);
    // the operator merges C1 into S1's member; the consumer then links C1 too
    const x = await mergeMembers(s, (await memberOf(s, 'jd:S1'))!, (await memberOf(s, 'offline:C1'))!);
    s.clock.advance(1000);
    expect(await memberOk(s, 'u1', { action: 'linkOffline', cardNo: 'C1', last4: '2222' })).toMatchObject({ status: 'linked' });
    s.clock.advance(1000);
    // files since give S1 and C2 one email (one member already: nothing moves)
    await importMembers(s, 'jd', [{ channelMemberId: 'S1', name: 's1', email: 'shared@example.com' }]);
    await importMembers(s, 'offline', [{ channelMemberId: 'C2', phone: '13022223333', email: 'shared@example.com' }]);
    s.clock.advance(1000);
    const mine = (await memberOk<{ memberId: string }>(s, 'u1', { action: 'login' })).memberId;
    const all = ((await s.dump('members')) as MemberDoc[]).find((m) => m._id === mine)!.records;
    expect([all.length, all.filter((id) => !id.startsWith('wechat:')).sort()]).toEqual([4, ['jd:S1', 'offline:C1', 'offline:C2']]);

    // the operator's merge was wrong: C1 goes back, with the consumer who linked it, and with it the
    // other card the consumer linked (the email it shares with S1 does not take it from them)
    await unmergeMembers(s, x._id);
    const now = (await memberOk<{ memberId: string }>(s, 'u1', { action: 'login' })).memberId;
    expect(await memberOf(s, 'offline:C1')).toBe(now);
    expect(await memberOf(s, 'offline:C2')).toBe(now);
    expect(await memberOf(s, 'jd:S1')).not.toBe(now);
  });
});

describe('undoing a merge while imports change its member', () => {
  let s: S;
  beforeEach(() => { s = openTestServices(); });
  afterEach(() => s.close());

  /** S1 and X1 merged by an operator; R1, a card of its own member from before, whose next export may give it X1's email. */
  const mergedBeside = async () => {
    await importMembers(s, 'offline', [{ channelMemberId: 'S1', email: 's@example.com' }]);
    s.clock.advance(1000);
    await importMembers(s, 'jd', [{ channelMemberId: 'X1', email: 'x@example.com' }]);
    s.clock.advance(1000);
    await importMembers(s, 'tmall', [{ channelMemberId: 'R1', email: 'r@example.com' }]);
    s.clock.advance(1000);
    const merge = await mergeMembers(s, (await memberOf(s, 'offline:S1'))!, (await memberOf(s, 'jd:X1'))!);
    s.clock.advance(1000);
    return merge;
  };

  it('sends a card joined to the absorbed side meanwhile back with the side it shares its email with, as when the import came first', async () => {
    const x = await mergedBeside();
    // the import commits after the unmerge's queries read the member, before its transaction
    const joinsX1 = withStepBeforeTransaction(s, () => importMembers(s, 'tmall', [{ channelMemberId: 'R1', email: 'x@example.com' }]));
    await unmergeMembers(joinsX1, x._id);
    expect(await memberOf(s, 'jd:X1')).not.toBe(await memberOf(s, 'offline:S1'));
    expect(await memberOf(s, 'tmall:R1')).toBe(await memberOf(s, 'jd:X1'));
    expect((await record(s, 'tmall:R1')).apart).not.toContain('jd:X1');
  });

  it('goes through once the member is left alone after changing before each of four tries, and answers CONFLICT, undoing nothing, when it changes before every try', async () => {
    const x = await mergedBeside();
    let imports = 0;
    // between the unmerge's queries and its transaction, each import joins the card R1 to the member
    // by X1's email, or takes it away again
    const movesR1 = () => importMembers(s, 'tmall', [{ channelMemberId: 'R1', email: ++imports % 2 ? 'x@example.com' : 'r@example.com' }]);
    await expect(unmergeMembers(withStepBeforeTransaction(s, movesR1, 5), x._id)).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(imports).toBe(5);
    expect((await s.store.get<MergeDoc>('merges', x._id))!.undoneAt).toBeFalsy();
    expect(await memberOf(s, 'jd:X1')).toBe(await memberOf(s, 'offline:S1'));
    await unmergeMembers(withStepBeforeTransaction(s, movesR1, 4), x._id);
    expect(imports).toBe(9);
    expect(await memberOf(s, 'jd:X1')).not.toBe(await memberOf(s, 'offline:S1'));
    expect(await memberOf(s, 'tmall:R1')).toBe(await memberOf(s, 'jd:X1'));
  });
});

describe('undoing a merge while imports take a card away from its member and join another', () => {
  let s: S;
  beforeEach(() => { s = openTestServices(); });
  afterEach(() => s.close());

  it('sends the card that joined back with the side it shares its email with', async () => {
    await importMembers(s, 'offline', [{ channelMemberId: 'S1', email: 's@example.com' }]);
    await importMembers(s, 'tmall', [{ channelMemberId: 'R1', email: 's@example.com' }, { channelMemberId: 'R2', email: 'r@example.com' }]);
    s.clock.advance(1000);
    await importMembers(s, 'jd', [{ channelMemberId: 'X1', email: 'x@example.com' }]);
    s.clock.advance(1000);
    const x = await mergeMembers(s, (await memberOf(s, 'offline:S1'))!, (await memberOf(s, 'jd:X1'))!);
    s.clock.advance(1000);
    // the member keeps as many records: R1 leaves it, then R2 joins it by X1's email
    const swaps = withStepBeforeTransaction(s, async () => {
      await importMembers(s, 'tmall', [{ channelMemberId: 'R1', email: 'q@example.com' }]);
      await importMembers(s, 'tmall', [{ channelMemberId: 'R2', email: 'x@example.com' }]);
    });
    expect((await s.store.get<MemberDoc>('members', (await memberOf(s, 'jd:X1'))!))!.records).toHaveLength(3);
    await unmergeMembers(swaps, x._id);
    expect(await memberOf(s, 'jd:X1')).not.toBe(await memberOf(s, 'offline:S1'));
    expect(await memberOf(s, 'tmall:R2')).toBe(await memberOf(s, 'jd:X1'));
    expect(await memberOf(s, 'tmall:R1')).not.toBe(await memberOf(s, 'offline:S1'));
  });
});
