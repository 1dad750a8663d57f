import { mergeMembers } from '../../cloudfunctions/core/identity/operator';
import { postAdjust, type AdjustInput } from '../../cloudfunctions/core/points/ledger';
import { verifyPoints } from '../../cloudfunctions/core/points/verify.store';
import { boundConsumer, exportAll, importMembers, memberOk } from '../support/members';
import { openTestServices, type TestServices } from '../support/services';

/**
 * Mutation-testing gaps in `points adjust --growth` taking growth away (ledger.ts, growthMoves):
 * the order the member's accounts give it up in, with points 0 too, and no entry for an account
 * that gives nothing.
 */

describe('growth taken away from a merged member, points 0', () => {
  let services: TestServices;
  beforeEach(() => { services = openTestServices(); });
  afterEach(() => services.close());

  const now = () => new Date(services.clock.now()).toISOString();
  const adjust = (input: Partial<AdjustInput> & Pick<AdjustInput, 'key' | 'memberId' | 'points'>) =>
    services.store.transaction((tx) => postAdjust(tx, services, { reason: '迁移修正', operator: 'ops', at: now(), ...input }));
  const growthOf = async (memberId: string) => (await exportAll(services)).find((l) => l.memberId === memberId)!.growth;

  it('takes from the named member\'s own account first, then its other records, then the survivor\'s; an account giving nothing gets no entry', async () => {
    // B: a Tmall member, the oldest, so it survives the merge
    await importMembers(services, 'tmall', [{ channelMemberId: 'T1', growth: 1000 }]);
    services.clock.advance(1000);
    // W: a consumer's WeChat record (its own account, the member's home) and a store card joined by the phone
    const { memberId: w } = await boundConsumer(services, 'u1', '13011112222');
    services.clock.advance(1000);
    await importMembers(services, 'offline', [{ channelMemberId: 'C1', phone: '13011112222', growth: 100 }]);
    services.clock.advance(1000);
    await adjust({ key: 'adjust:g0', memberId: w, points: 0, growth: 300 });
    const b = (await exportAll(services)).find((l) => l.identifiers.some((i) => i.type === 'tmall'))!.memberId;
    expect(b).not.toBe(w);
    const wechat = (await memberOk<{ memberId: string }>(services, 'u1', { action: 'login' }));
    expect(wechat.memberId).toBe(w);
    await mergeMembers(services, b, w);
    services.clock.advance(1000);
    expect(await growthOf(b)).toBe(1400);

    // named as W: its WeChat record's 300, then its card's 50; the Tmall card gives nothing, and has no entry
    const first = await adjust({ key: 'adjust:g1', memberId: w, points: 0, growth: -350 });
    expect(first.entries.map((e) => [e.accountId.replace(/^wechat:.*/, 'wechat'), e.points, e.growth])).toEqual([
      ['wechat', 0, -300],
      ['offline:C1', 0, -50],
    ]);
    services.clock.advance(1000);
    // named as B: the Tmall card's own growth goes first
    const second = await adjust({ key: 'adjust:g2', memberId: b, points: 0, growth: -200 });
    expect(second.entries.map((e) => [e.accountId, e.growth])).toEqual([['tmall:T1', -200]]);
    expect(await growthOf(b)).toBe(850);
    services.clock.advance(1000);
    // named as W again, its WeChat record has nothing left: only the card gives, one entry
    const third = await adjust({ key: 'adjust:g3', memberId: w, points: 0, growth: -50 });
    expect(third.entries.map((e) => [e.accountId, e.growth])).toEqual([['offline:C1', -50]]);
    expect(await growthOf(b)).toBe(800);
    expect((await verifyPoints(services)).details).toEqual([]);
  });
});
