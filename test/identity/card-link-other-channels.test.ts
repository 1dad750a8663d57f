import fc from 'fast-check';
import { runs, timeoutFor } from '../support/property';
import type { MemberDoc, RecordDoc } from '../../cloudfunctions/core/identity/graph.store';
import { confirmLinkRequest } from '../../cloudfunctions/core/identity/link-requests';
import { liveMember } from '../../cloudfunctions/core/identity/lookup';
import { phoneSha256 } from '../../cloudfunctions/core/identity/normalize';
import { listConflicts, mergesOf, unmergeMembers } from '../../cloudfunctions/core/identity/operator';
import { boundConsumer, exportAll, importMembers, member, memberOk } from '../support/members';
import { openTestServices, type TestServices } from '../support/services';

/**
 * ARCHITECTURE §5 for a store card a consumer links (member.linkOffline, or staff's link-confirm):
 * the link joins the consumer's member and the card's, all of both or nothing. A limit refuses the
 * link (cannot_join, recorded for the CRM team); it never tears a record off either side, least of
 * all the consumer's own Tmall membership joined by their phone.
 */
describe('linking a store card and the consumer\'s other channel memberships', () => {
  let services: TestServices;
  beforeEach(() => { services = openTestServices(); });
  afterEach(() => services.close());

  const MINE = '13912345678';
  const OLD = '13011112222';
  const memberOf = async (id: string) => (await liveMember(services.store.get.bind(services.store), (await services.store.get<RecordDoc>('records', id))!.memberId))!._id;
  const lineOf = async (memberId: string) => (await exportAll(services)).find((l) => l.memberId === memberId)!;
  const channelIds = async (memberId: string) => (await lineOf(memberId)).identifiers.filter((i) => ['tmall', 'offline', 'jd'].includes(i.type)).map((i) => `${i.type}:${i.value}`).sort();
  /** Members, records (without the refusals a consumer's record notes for erasure), merges and points. */
  const graph = async () => Object.fromEntries(await Promise.all(['members', 'records', 'merges', 'balances', 'accounts'].map(async (c) =>
    [c, (await services.dump(c)).map((doc) => { const { refusedJoins: _noted, ...rest } = doc as { refusedJoins?: unknown }; return rest; })] as const)));

  it('refuses a card whose member holds another Tmall membership by a unionid, rather than moving the consumer\'s own Tmall membership out', async () => {
    await importMembers(services, 'tmall', [{ channelMemberId: 'T1', phone: MINE, points: 10 }, { channelMemberId: 'T2', unionid: 'union_other_2', points: 20 }]);
    // the store's card shares a unionid with T2: one member, {C1, T2}
    await importMembers(services, 'offline', [{ channelMemberId: 'C1', phone: OLD, unionid: 'union_other_2', points: 30 }]);
    const me = await boundConsumer(services, 'u1', MINE);
    expect(await memberOf('tmall:T1')).toBe(me.memberId);
    const before = await graph();

    const answer = await member(services, 'u1', { action: 'linkOffline', cardNo: 'C1', last4: '2222' });
    expect(answer).toMatchObject({ ok: false, error: { code: 'CONFLICT', details: { reason: 'cannot_join' } } });
    // nothing moved: the consumer keeps T1 and its points, the card stays with T2
    expect(await graph()).toEqual(before);
    expect(await channelIds(me.memberId)).toEqual(['tmall:T1']);
    expect((await lineOf(me.memberId)).points.available).toBe(10);
    expect(await memberOk(services, 'u1', { action: 'channels' })).toMatchObject({ tmall: true, offline: false });
    // recorded for the CRM team under the card, with the limit that refused it
    expect((await listConflicts(services, 10)).conflicts).toMatchObject([{ type: 'offline', value: 'C1', limitType: 'tmall', askedBy: expect.stringMatching(/^wechat:/) }]);
  });

  it('staff confirming a card without a phone that shares a unionid with another Tmall member is refused the same way', async () => {
    await importMembers(services, 'tmall', [{ channelMemberId: 'T1', phone: MINE, points: 10 }, { channelMemberId: 'T2', unionid: 'union_other_2', points: 20 }]);
    await importMembers(services, 'offline', [{ channelMemberId: 'C2', unionid: 'union_other_2', points: 30 }]);
    const me = await boundConsumer(services, 'u1', MINE);
    expect(await memberOk(services, 'u1', { action: 'linkOffline', cardNo: 'C2' })).toMatchObject({ status: 'pending' });
    const before = await graph();
    const [request] = await services.dump('linkRequests');
    await expect(confirmLinkRequest(services, request!._id)).rejects.toMatchObject({ code: 'CONFLICT', details: { reason: 'cannot_join' } });
    expect(await graph()).toEqual(before);
    expect(await channelIds(me.memberId)).toEqual(['tmall:T1']);
    expect((await services.dump('linkRequests'))[0]).toMatchObject({ status: 'pending' });
  });

  it('refuses a card joined to a Tmall member by a unionid as well as by its old phone, rather than tearing that Tmall member off the card', async () => {
    await importMembers(services, 'tmall', [{ channelMemberId: 'T1', phone: MINE }, { channelMemberId: 'T2', phone: OLD, unionid: 'union_other_2', points: 20 }]);
    await importMembers(services, 'offline', [{ channelMemberId: 'C1', phone: OLD, unionid: 'union_other_2', points: 30 }]);
    const cardMember = await memberOf('offline:C1');
    expect(await memberOf('tmall:T2')).toBe(cardMember);
    const me = await boundConsumer(services, 'u1', MINE);
    const before = await graph();
    expect(await member(services, 'u1', { action: 'linkOffline', cardNo: 'C1', last4: '2222' })).toMatchObject({ ok: false, error: { code: 'CONFLICT', details: { reason: 'cannot_join' } } });
    expect(await graph()).toEqual(before);
    expect(await channelIds(cardMember)).toEqual(['offline:C1', 'tmall:T2']);
    expect(await channelIds(me.memberId)).toEqual(['tmall:T1']);
  });

  it('a card joined to a Tmall member by its old phone alone comes without it; the consumer keeps their own', async () => {
    await importMembers(services, 'tmall', [{ channelMemberId: 'T1', phone: MINE, points: 10 }, { channelMemberId: 'T2', phone: OLD, points: 20 }]);
    await importMembers(services, 'offline', [{ channelMemberId: 'C1', phone: OLD, points: 30 }]);
    await boundConsumer(services, 'u1', MINE);
    const { memberId } = await memberOk<{ memberId: string }>(services, 'u1', { action: 'linkOffline', cardNo: 'C1', last4: '2222' });
    expect(await channelIds(memberId)).toEqual(['offline:C1', 'tmall:T1']);
    expect((await lineOf(memberId)).points.available).toBe(40);
    expect(await channelIds(await memberOf('tmall:T2'))).toEqual(['tmall:T2']);
    expect((await listConflicts(services, 10)).conflicts).toEqual([]);
    // the export shows the old phone on T2's member only
    const phoneOnMine = (await lineOf(memberId)).identifiers.filter((i) => i.type === 'phone');
    expect(phoneOnMine).toHaveLength(1);
  });

  it('a card that leaves a Tmall member behind (its old phone) is linked by a merge that members unmerge undoes, card and points back', async () => {
    await importMembers(services, 'tmall', [{ channelMemberId: 'T1', phone: MINE, points: 10 }, { channelMemberId: 'T2', phone: OLD, points: 20 }]);
    await importMembers(services, 'offline', [{ channelMemberId: 'C1', phone: OLD, email: 'c1@example.com', points: 30 }]);
    await importMembers(services, 'jd', [{ channelMemberId: 'J1', email: 'c1@example.com', points: 40 }]);
    const cardMember = await memberOf('offline:C1');
    expect(await channelIds(cardMember)).toEqual(['jd:J1', 'offline:C1', 'tmall:T2']);
    const me = await boundConsumer(services, 'u1', MINE);
    const exportBefore = await exportAll(services);
    const { memberId } = await memberOk<{ memberId: string }>(services, 'u1', { action: 'linkOffline', cardNo: 'C1', last4: '2222' });
    // the card brings J1 (joined to it by email, not by the old phone), not T2
    expect(await channelIds(memberId)).toEqual(['jd:J1', 'offline:C1', 'tmall:T1']);
    expect(await channelIds(cardMember)).toEqual(['tmall:T2']);
    // the link is listed as a store card's merge, for the operator to undo
    const { merges } = await mergesOf(services, memberId);
    const link = merges.find((m) => m.by === 'card');
    expect({ ...link, records: [...link!.records].sort() }).toMatchObject({ absorbed: cardMember, records: ['jd:J1', 'offline:C1'] });
    await unmergeMembers(services, link!.mergeId);
    // everything as before the link: the card and J1 back with T2, with their points
    expect(await memberOf('tmall:T1')).toBe(me.memberId);
    expect(await memberOf('offline:C1')).toBe(cardMember);
    const byChannels = (lines: Awaited<ReturnType<typeof exportAll>>) => lines.map((l) => ({ memberId: l.memberId, ids: l.identifiers.map((i) => `${i.type}:${i.value}`).sort(), points: l.points.available })).sort((a, b) => (a.memberId < b.memberId ? -1 : 1));
    expect(byChannels(await exportAll(services))).toEqual(byChannels(exportBefore));
    expect(await memberOk(services, 'u1', { action: 'channels' })).toMatchObject({ tmall: true, offline: false, jd: false });
  });

  it('staff confirming a card whose hashed phone a Tmall member shares answers a merge id that members unmerge takes', async () => {
    await importMembers(services, 'tmall', [{ channelMemberId: 'T1', phone: MINE }, { channelMemberId: 'T2', phone: OLD, points: 20 }]);
    await importMembers(services, 'offline', [{ channelMemberId: 'C2', phoneSha256: phoneSha256(OLD), points: 30 }]);
    const cardMember = await memberOf('offline:C2');
    await boundConsumer(services, 'u1', MINE);
    expect(await memberOk(services, 'u1', { action: 'linkOffline', cardNo: 'C2' })).toMatchObject({ status: 'pending' });
    const [request] = await services.dump('linkRequests');
    const { memberId, mergeId } = await confirmLinkRequest(services, request!._id);
    expect(await channelIds(memberId)).toEqual(['offline:C2', 'tmall:T1']);
    expect(mergeId).toEqual(expect.any(String));
    await unmergeMembers(services, mergeId!);
    expect(await memberOf('offline:C2')).toBe(cardMember);
    expect(await channelIds(cardMember)).toEqual(['offline:C2', 'tmall:T2']);
    expect(await channelIds(memberId)).toEqual(['tmall:T1']);
  });

  it('a card whose old phone is shared waits for staff; confirmed, it joins without touching the consumer\'s Tmall membership', async () => {
    await importMembers(services, 'tmall', [{ channelMemberId: 'T1', phone: MINE, points: 10 }]);
    const SHOP = '13055556666';
    await importMembers(services, 'offline', ['C1', 'C2', 'C3', 'C4'].map((id) => ({ channelMemberId: id, phone: SHOP, points: 5 })));
    const me = await boundConsumer(services, 'u1', MINE);
    expect(await memberOk(services, 'u1', { action: 'linkOffline', cardNo: 'C2', last4: '6666' })).toMatchObject({ status: 'pending' });
    const [request] = await services.dump('linkRequests');
    const { memberId } = await confirmLinkRequest(services, request!._id);
    expect(memberId).toBe(await memberOf('tmall:T1'));
    expect(await channelIds(memberId)).toEqual(['offline:C2', 'tmall:T1']);
    expect(await memberOk(services, 'u1', { action: 'channels' })).toMatchObject({ tmall: true, offline: true });
    for (const other of ['C1', 'C3', 'C4']) expect(await channelIds(await memberOf(`offline:${other}`))).toEqual([`offline:${other}`]);
    expect(me.memberId).toBeTruthy();
  });

  /**
   * Random Tmall and store records over a few phones and unionids, one consumer bound to a phone
   * that a Tmall member has, then card links: whatever the link answers, every record is in exactly
   * one live member, nothing of the consumer's member before the try leaves it, and what
   * member.channels says agrees with the export.
   */
  it('a link try never takes a record out of the consumer\'s member, and channels agree with the export (property)', async () => {
    const phones = ['13011110001', '13011110002', '13011110003', MINE];
    const optional = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
    const row = (prefix: string) => fc.record({ n: fc.integer({ min: 1, max: 3 }), phone: optional(fc.constantFrom(...phones)), unionid: optional(fc.constantFrom('union_aaaaaa', 'union_bbbbbb')), email: optional(fc.constantFrom('a@x.cn', 'b@x.cn')) })
      .map(({ n, ...rest }) => ({ channelMemberId: `${prefix}${n}`, ...rest, points: n }));
    await fc.assert(fc.asyncProperty(
      fc.array(row('T'), { maxLength: 3 }), fc.array(row('C'), { minLength: 1, maxLength: 3 }), fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 3 }),
      async (tmall, cards, links) => {
        const s = openTestServices();
        try {
          const unique = <T extends { channelMemberId: string }>(rows: T[]) => [...new Map(rows.map((r) => [r.channelMemberId, r])).values()];
          await importMembers(s, 'tmall', [{ channelMemberId: 'T0', phone: MINE, points: 100 }, ...unique(tmall)]);
          await importMembers(s, 'offline', unique(cards));
          const { termsVersion } = await memberOk<{ termsVersion: string }>(s, 'u1', { action: 'login' });
          await memberOk(s, 'u1', { action: 'consent', version: termsVersion });
          // T0 holds the phone; a record joined to it may hold a limit the consumer breaks (PHONE_CONFLICT)
          if (!(await member(s, 'u1', { action: 'bindPhone', code: `dev:${MINE}:${s.clock.now()}` })).ok) return;
          for (const n of links) {
            const { memberId: mineBefore } = await memberOk<{ memberId: string }>(s, 'u1', { action: 'login' });
            const held = (await s.store.get<MemberDoc>('members', mineBefore))!.records;
            const card = unique(cards).find((c) => c.channelMemberId === `C${n}`);
            const answer = await member(s, 'u1', { action: 'linkOffline', cardNo: `C${n}`, last4: card?.phone?.slice(-4) ?? '0000' });
            const { memberId } = await memberOk<{ memberId: string }>(s, 'u1', { action: 'login' });
            const now = (await s.store.get<MemberDoc>('members', memberId))!.records;
            for (const id of held) expect([answer.ok, id, now.includes(id)]).toEqual([answer.ok, id, true]);
            if (!answer.ok) expect(memberId).toBe(mineBefore);
            // every record in exactly one live member, pointing at it
            const live = ((await s.dump('members')) as MemberDoc[]).filter((m) => m.status === 'active');
            const seen = new Map<string, string>();
            for (const m of live) for (const id of m.records) { expect(seen.has(id)).toBe(false); seen.set(id, m._id); }
            for (const r of (await s.dump('records')) as RecordDoc[]) expect(seen.get(r._id)).toBe(r.memberId);
            // channels and the export agree
            const line = (await exportAll(s)).find((l) => l.memberId === memberId)!;
            const channels = await memberOk<Record<string, boolean>>(s, 'u1', { action: 'channels' });
            for (const type of ['tmall', 'offline', 'jd']) expect([type, channels[type]]).toEqual([type, line.identifiers.some((i) => i.type === type)]);
          }
        } finally {
          await s.close();
        }
      },
    ), {
      numRuns: runs(40, 'LINKCARD_RUNS'),
      // a Tmall member the card shares a unionid with, while the consumer's own Tmall membership is joined by their phone
      examples: [[[{ channelMemberId: 'T1', phone: undefined, unionid: 'union_aaaaaa', email: undefined, points: 1 }], [{ channelMemberId: 'C1', phone: '13011110001', unionid: 'union_aaaaaa', email: undefined, points: 1 }], [1]]],
    });
  }, timeoutFor(60_000, 40, 'LINKCARD_RUNS'));
});
