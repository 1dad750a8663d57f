import fc from 'fast-check';
import { runs, timeoutFor } from '../support/property';
import type { RecordDoc } from '../../cloudfunctions/core/identity/graph.store';
import { listLinkRequests } from '../../cloudfunctions/core/identity/link-requests';
import { mergeMembers } from '../../cloudfunctions/core/identity/operator';
import { runCliAt } from '../support/cli';
import { boundConsumer, importMembers, memberOk } from '../support/members';
import { openTestServices, type TestServices } from '../support/services';

/**
 * Review 38b: `members link-requests` (pending) passes over requests whose card joined the
 * consumer's member meanwhile. A page that filled up just before passed-over ones alone printed
 * `more: … --after …` all the same, and that command listed nothing (`0 pending requests`): a page
 * names a next one only when a request still waiting follows.
 */
const CARDS = ['C201', 'C202', 'C203', 'C204', 'C205', 'C206', 'C207', 'C208'];

/** u1 asks for every card, a minute apart; those `joined` then join u1's member by operator merges. */
async function requests(s: TestServices, joined: readonly string[]): Promise<void> {
  await importMembers(s, 'offline', CARDS.map((channelMemberId) => ({ channelMemberId })));
  const { memberId } = await boundConsumer(s, 'u1', '13912345678');
  for (const card of CARDS) {
    expect(await memberOk(s, 'u1', { action: 'linkOffline', cardNo: card })).toMatchObject({ status: 'pending' });
    s.clock.advance(60_000);
  }
  for (const card of joined) await mergeMembers(s, memberId, (await s.store.get<RecordDoc>('records', `offline:${card}`))!.memberId!);
}

describe('members link-requests: the last page names no next one', () => {
  it('a page filled just before passed-over requests alone prints no more: (the command it named listed nothing)', async () => {
    const s = openTestServices();
    try {
      await requests(s, ['C203', 'C204', 'C205', 'C206', 'C207', 'C208']);
      const run = await runCliAt(s.clock, s.dbFile, 'members', 'link-requests', '--limit', '2');
      expect(run.failed).toBe(false);
      expect([...run.out.matchAll(/card (C\d+)/g)].map((m) => m[1])).toEqual(['C201', 'C202']);
      expect(run.err).not.toMatch(/more:/);
      expect(run.err).toMatch(/^2 pending requests; decide with/);
    } finally {
      await s.close();
    }
  });

  it('every page with a cursor is followed by one listing something, and the pages list each waiting request once (property)', async () => {
    await fc.assert(fc.asyncProperty(fc.subarray(CARDS), fc.integer({ min: 1, max: 4 }), async (joined, limit) => {
      const s = openTestServices();
      try {
        await requests(s, joined);
        const listed: string[] = [];
        let cursor: string | null = null;
        for (let pages = 0; pages < 20; pages++) {
          const page: Awaited<ReturnType<typeof listLinkRequests>> = await listLinkRequests(s, 'pending', limit, cursor);
          // a page reached by a cursor lists something; the first may be empty when nothing waits
          if (cursor) expect(page.requests.length).toBeGreaterThan(0);
          listed.push(...page.requests.map((r) => r.cardNo));
          if (!page.nextCursor) break;
          expect(page.requests).toHaveLength(limit);
          cursor = page.nextCursor;
        }
        expect(listed).toEqual(CARDS.filter((c) => !joined.includes(c)));
      } finally {
        await s.close();
      }
    }), { numRuns: runs(30) });
  }, timeoutFor(120_000));
});
