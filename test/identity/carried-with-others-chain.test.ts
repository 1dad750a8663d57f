import type { MemberDoc, RecordDoc } from '../../cloudfunctions/core/identity/graph.store';
import { confirmLinkRequest } from '../../cloudfunctions/core/identity/link-requests';
import { mergesOf } from '../../cloudfunctions/core/identity/operator';
import { runCliAt } from '../support/cli';
import { boundConsumer, importMembers, memberOk } from '../support/members';
import { openTestServices, type TestServices } from '../support/services';

/**
 * `members merges` after a split, through `carriedWithOthers` (identity/operator.ts): a card C1
 * joined card C0's member by a shared unionid (a merge of no link); the consumer u1 then linked C1
 * and a second card through staff. A re-import takes C1's unionid away: C1 leaves C0's member, and
 * u1 and the second card, joined to C1 by the card links, go with it. The unionid merge is then no
 * longer in force anywhere (its card left C0 and is alone nowhere): the records that left with C1
 * are its own side, the second card joined to C1 only through u1, who linked both. That chain must
 * be followed whichever order the split names its records in, the card before the consumer too.
 */
describe('a split carrying a card, the consumer who linked it and a second card linked by that consumer', () => {
  let s: TestServices;
  beforeEach(() => { s = openTestServices(); });
  afterEach(() => {
    process.exitCode = undefined;
    return s.close();
  });

  const memberOfRecord = async (id: string) => (await s.store.get<RecordDoc>('records', id))!.memberId!;
  const link = async (cardNo: string) => {
    expect(await memberOk(s, 'u1', { action: 'linkOffline', cardNo })).toMatchObject({ status: 'pending' });
    const request = (await s.dump('linkRequests')).find((r) => r.cardRecordId === `offline:${cardNo}`)!;
    expect(await confirmLinkRequest(s, request._id)).toMatchObject({ status: 'confirmed' });
    s.clock.advance(1000);
  };

  // the second card's number sorting after the first's, and before it
  for (const second of ['C2', 'A2']) {
    it(`lists only the two card links under the member the three left in (second card ${second}), the unionid merge nowhere`, async () => {
      await importMembers(s, 'offline', [{ channelMemberId: 'C0', unionid: 'union_aaaaaa' }]);
      s.clock.advance(1000);
      await importMembers(s, 'offline', [{ channelMemberId: 'C1' }, { channelMemberId: second }]);
      s.clock.advance(1000);
      // C1 gets C0's unionid: it joins C0's member (a merge of the shared value, no link)
      await importMembers(s, 'offline', [{ channelMemberId: 'C1', unionid: 'union_aaaaaa' }]);
      s.clock.advance(1000);
      expect(await memberOfRecord('offline:C1')).toBe(await memberOfRecord('offline:C0'));
      const shared = (await s.dump('merges')).find((m) => m.kind === 'merge' && !m.link)!._id;
      await boundConsumer(s, 'u1', '13911112222');
      s.clock.advance(1000);
      await link('C1');
      await link(second);
      const w1 = (await s.dump('records')).find((r) => r._id.startsWith('wechat:'))!._id;
      // C1 gets another unionid: it leaves C0, the consumer and the second card with it
      await importMembers(s, 'offline', [{ channelMemberId: 'C1', unionid: 'union_bbbbbb' }]);
      s.clock.advance(1000);
      const theirs = await memberOfRecord('offline:C1');
      expect((await s.store.get<MemberDoc>('members', theirs))!.records.slice().sort()).toEqual([`offline:${second}`, 'offline:C1', w1].sort());
      expect((await mergesOf(s, await memberOfRecord('offline:C0'))).merges).toEqual([]);

      const listed = (await mergesOf(s, theirs)).merges;
      expect(listed.map((m) => [m.by, m.records])).toEqual([['card', [`offline:${second}`]], ['card', [w1]]]);
      expect(listed.map((m) => m.mergeId)).not.toContain(shared);
      const run = await runCliAt(s.clock, s.dbFile, 'members', 'merges', theirs);
      expect(run.out).toContain(listed[0]!.mergeId);
      expect(run.out).not.toContain(shared);
    });
  }
});
