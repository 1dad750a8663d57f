import Database from 'better-sqlite3';
import fc from 'fast-check';
import { runs, timeoutFor } from '../support/property';
import type { MemberDoc, RecordDoc } from '../../cloudfunctions/core/identity/graph.store';
import { listConflicts, unmergeMembers } from '../../cloudfunctions/core/identity/operator';
import { listWaitingBuyers, markEarlierWaiting } from '../../cloudfunctions/core/orders/waiting.store';
import type { AccountDoc } from '../../cloudfunctions/core/points/types';
import { expectEachRecordInOneLiveMember, expectRefusedJoinsListed, operatorRefusal, snapshot, StepRunner, stepArbitraries, type Step } from '../support/identity-steps';
import { importMembers, member } from '../support/members';
import { openTestServices, type TestServices } from '../support/services';

/**
 * `orders waiting` after what identity does next (card links, operator merges and
 * unmerges, erasure, re-imports): the accounts listed are those whose points wait for a buyer,
 * every page with --after lists each once, and a database of the version before (no account
 * marked) lists the same once its first listing marked it.
 */

type S = TestServices;
// two ids a channel, rows with a phone (or none) only
const arb = stepArbitraries({ ids: { tmall: ['T1', 'T2'], offline: ['C1', 'C2'], jd: ['J1', 'J2'] }, sharedValues: false });
const op: fc.Arbitrary<Step> = fc.oneof(
  { weight: 3, arbitrary: arb.import(2) },
  { weight: 2, arbitrary: arb.bind() },
  { weight: 2, arbitrary: arb.link() },
  { weight: 2, arbitrary: arb.merge() },
  { weight: 2, arbitrary: arb.unmerge() },
  { weight: 1, arbitrary: arb.erase() },
  { weight: 3, arbitrary: arb.order(['tmall', 'jd', 'offline'], ['T1', 'T2', 'J1', 'C1']) },
);

/** What waits, from the documents themselves (as the waiting-orders model says it). */
async function waitingFromDocuments(s: S): Promise<string[]> {
  const expected: string[] = [];
  for (const account of (await s.dump('accounts')) as AccountDoc[]) {
    if (account._id.startsWith('wechat:')) continue;
    const record = await s.store.get<RecordDoc>('records', account._id);
    if (account._id.startsWith('buyer:')) {
      const m = record?.memberId ? await s.store.get<MemberDoc>('members', record.memberId) : null;
      if (m && m.records.every((r) => r.startsWith('buyer:'))) expected.push(account._id);
    } else if (account.memberId === null && !record && !(await s.store.get('ledger', `migrate:${account._id}`))) expected.push(account._id);
  }
  return expected.sort();
}

async function listedPaged(s: S, limit: number): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  for (let pages = 0; pages < 50; pages++) {
    const page = await listWaitingBuyers(s, { limit, cursor });
    ids.push(...page.buyers.map((b) => b.accountId));
    if (!page.nextCursor) return ids;
    cursor = page.nextCursor;
  }
  throw new Error('more than 50 pages');
}

describe('orders waiting after links, merges, unmerges and erasure (property)', () => {
  it('lists what waits, once across pages, the same on a database of the version before', async () => {
    await fc.assert(fc.asyncProperty(fc.array(op, { minLength: 2, maxLength: 12 }), async (steps) => {
      const s = openTestServices();
      const run = new StepRunner(s);
      try {
        for (const step of steps) {
          s.clock.advance(1000);
          if (step.kind === 'import') {
            await run.import(step);
            // the same file again (the operator was not sure it ran) changes nothing
            const before = await snapshot(s);
            await importMembers(s, step.channel, run.rowsOf(step).map((r) => ({ ...r, points: 1 })));
            expect(await snapshot(s)).toBe(before);
          } else if (step.kind === 'bind') {
            await run.bind(step);
          } else if (step.kind === 'link') {
            const sent = await run.link(step);
            if (sent && !sent.answer.ok) expect(sent.answer.error.code).not.toBe('INTERNAL');
            else if (sent) {
              // sent again (the answer lost): the same answer, nothing written
              const before = await snapshot(s);
              expect(await member(s, step.u, sent.event)).toEqual(sent.answer);
              expect(await snapshot(s)).toBe(before);
            }
          } else if (step.kind === 'erase') {
            await run.erase(step);
          } else if (step.kind === 'order') {
            await run.order(step);
          } else if (step.kind === 'merge') {
            await run.merge(step);
          } else if (step.kind === 'unmerge') {
            const view = await run.pick(step);
            if (view) await unmergeMembers(s, view.mergeId).catch((e) => { if (!operatorRefusal(e)) throw e; });
          }
          const expected = await waitingFromDocuments(s);
          expect((await listWaitingBuyers(s, { limit: 1000 })).buyers.map((b) => b.accountId).sort()).toEqual(expected);
          const paged = await listedPaged(s, 1);
          expect([...paged].sort()).toEqual(expected);
          // members conflicts a value a page lists each refusal once
          const all = (await listConflicts(s, 1000)).conflicts;
          const pages = [];
          for (let cursor: string | null = null, n = 0; n < 50; n++) {
            const page: Awaited<ReturnType<typeof listConflicts>> = await listConflicts(s, 1, cursor);
            pages.push(...page.conflicts);
            if (!page.nextCursor) break;
            cursor = page.nextCursor;
          }
          expect(pages).toEqual(all);
          // and lists every join a limit (or an operator's unmerge) stops while it stands, and only then
          await expectRefusedJoinsListed(s, await expectEachRecordInOneLiveMember(s));
        }
        // the same database as the version before left it: nothing marked, no listing run yet
        const before = await waitingFromDocuments(s);
        const db = new Database(s.dbFile);
        db.prepare("UPDATE doc_accounts SET body = json_remove(body, '$.waitingChannel', '$.waitingSince'), f_waitingChannel = NULL, f_waitingSince = NULL").run();
        db.prepare("DELETE FROM doc_settings WHERE id = 'waitingMarked'").run();
        db.close();
        await markEarlierWaiting(s);
        expect((await listWaitingBuyers(s, { limit: 1000 })).buyers.map((b) => b.accountId).sort()).toEqual(before);
      } finally {
        await s.close();
      }
    }), { numRuns: runs(40, 'WAITING_RUNS') });
  }, timeoutFor(900_000, 40, 'WAITING_RUNS'));
});
