import Database from 'better-sqlite3';
import fc from 'fast-check';
import type { MemberDoc, RecordDoc } from '../../cloudfunctions/core/identity/graph.store';
import { listConflicts, mergeMembers, mergesOf, unmergeMembers, type MergeView } from '../../cloudfunctions/core/identity/operator';
import { listWaitingBuyers, markEarlierWaiting } from '../../cloudfunctions/core/orders/waiting.store';
import type { AccountDoc } from '../../cloudfunctions/core/points/types';
import { AppError } from '../../cloudfunctions/core/runtime/errors';
import { importOrders } from '../codes/support';
import { importMembers, member, memberOk } from '../support/members';
import { openTestServices, type TestServices } from '../support/services';

/**
 * Review 38: `orders waiting` after what identity does next (card links, operator merges and
 * unmerges, erasure, re-imports): the accounts listed are those whose points wait for a buyer,
 * every page with --after lists each once, and a database of the version before (no account
 * marked) lists the same once its first listing marked it.
 */

type S = TestServices;
const PHONES = ['13011110001', '13011110002', '13011110003'];
const IDS: Record<string, string[]> = { tmall: ['T1', 'T2'], offline: ['C1', 'C2'], jd: ['J1', 'J2'] };
const optional = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });

type Op =
  | { kind: 'import'; channel: string; rows: { channelMemberId: string; phone?: string }[] }
  | { kind: 'bind'; u: string; phone: string }
  | { kind: 'link'; u: string; card: string }
  | { kind: 'merge'; a: number; b: number }
  | { kind: 'unmerge'; pick: number }
  | { kind: 'erase'; u: string }
  | { kind: 'order'; channel: string; phone?: string; card?: string };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('tmall', 'offline', 'jd').chain((channel) => fc.array(fc.record({ channelMemberId: fc.constantFrom(...IDS[channel]!), phone: optional(fc.constantFrom(...PHONES)) }), { minLength: 1, maxLength: 2 }).map((rows) => ({ kind: 'import' as const, channel, rows }))) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('bind' as const), u: fc.constantFrom('u1', 'u2'), phone: fc.constantFrom(...PHONES) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('link' as const), u: fc.constantFrom('u1', 'u2'), card: fc.constantFrom(...IDS.offline!) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('merge' as const), a: fc.nat(20), b: fc.nat(20) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('unmerge' as const), pick: fc.nat(20) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('erase' as const), u: fc.constantFrom('u1', 'u2') }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('order' as const), channel: fc.constantFrom('tmall', 'jd', 'offline'), phone: optional(fc.constantFrom(...PHONES)), card: optional(fc.constantFrom('T1', 'T2', 'J1', 'C1')) }) },
);

const expectedError = (error: unknown) => error instanceof AppError && ['CONFLICT', 'NOT_FOUND', 'INVALID_INPUT'].includes(error.code);

async function liveMembers(s: S): Promise<MemberDoc[]> {
  return ((await s.dump('members')) as MemberDoc[]).filter((m) => m.status === 'active').sort((a, b) => (a._id < b._id ? -1 : 1));
}
async function listedMerges(s: S): Promise<MergeView[]> {
  const all = [];
  for (const m of await liveMembers(s)) all.push(...(await mergesOf(s, m._id)).merges);
  return all.sort((a, b) => (a.mergeId < b.mergeId ? -1 : 1));
}

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

async function snapshot(s: S): Promise<string> {
  const parts = [];
  for (const collection of ['members', 'records', 'identifiers', 'merges', 'conflicts', 'accounts', 'balances', 'ledger', 'linkRequests', 'linkAttempts']) parts.push(JSON.stringify(await s.dump(collection)));
  return parts.join('\n');
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
      const consumers = new Set<string>();
      const cardPhones = new Map<string, string | undefined>();
      let orders = 0;
      try {
        for (const step of steps) {
          s.clock.advance(1000);
          if (step.kind === 'import') {
            const rows = [...new Map(step.rows.map((r) => [r.channelMemberId, r])).values()];
            await importMembers(s, step.channel, rows.map((r) => ({ ...r, points: 1 })));
            // the same file again (the operator was not sure it ran) changes nothing
            const before = await snapshot(s);
            await importMembers(s, step.channel, rows.map((r) => ({ ...r, points: 1 })));
            expect(await snapshot(s)).toBe(before);
            if (step.channel === 'offline') for (const r of rows) cardPhones.set(r.channelMemberId, r.phone);
          } else if (step.kind === 'bind') {
            if (consumers.has(step.u)) continue;
            const { termsVersion } = await memberOk<{ termsVersion: string }>(s, step.u, { action: 'login' });
            await memberOk(s, step.u, { action: 'consent', version: termsVersion });
            if ((await member(s, step.u, { action: 'bindPhone', code: `dev:${step.phone}:${s.clock.now()}` })).ok) consumers.add(step.u);
          } else if (step.kind === 'link') {
            if (!consumers.has(step.u)) continue;
            const event = { action: 'linkOffline', cardNo: step.card, last4: cardPhones.get(step.card)?.slice(-4) };
            const first = await member(s, step.u, event);
            if (!first.ok) expect(first.error.code).not.toBe('INTERNAL');
            else {
              // sent again (the answer lost): the same answer, nothing written
              const before = await snapshot(s);
              expect(await member(s, step.u, event)).toEqual(first);
              expect(await snapshot(s)).toBe(before);
            }
          } else if (step.kind === 'erase') {
            if (!consumers.has(step.u)) continue;
            await memberOk(s, step.u, { action: 'delete', confirm: true });
            consumers.delete(step.u);
          } else if (step.kind === 'order') {
            orders++;
            const buyer = step.card && step.channel !== 'offline' ? { channelMemberId: step.card } : { phone: step.phone ?? PHONES[0] };
            await importOrders(s, step.channel, [{ orderId: `O${orders}`, ...buyer, amountFen: 10000, paidAt: '2026-11-01 10:00:00' }]);
          } else if (step.kind === 'merge') {
            const live = await liveMembers(s);
            if (live.length < 2) continue;
            await mergeMembers(s, live[step.a % live.length]!._id, live[step.b % live.length]!._id).catch((e) => { if (!expectedError(e)) throw e; });
          } else {
            const listed = await listedMerges(s);
            if (listed.length) await unmergeMembers(s, listed[step.pick % listed.length]!.mergeId).catch((e) => { if (!expectedError(e)) throw e; });
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
    }), { numRuns: Number(process.env.WAITING_RUNS ?? 40) });
  }, 900_000);
});
