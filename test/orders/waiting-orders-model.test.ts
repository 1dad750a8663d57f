/**
 * The accounts `orders waiting` lists are, after any sequence of order and member imports, phone
 * bindings, operator merges and unmerges and erasures, exactly those whose points wait for a buyer:
 * a card's account of no member whose card was never imported, or a phone buyer's whose member
 * holds buyers known by phone alone (as `import orders` counts an order `pending`).
 */
import fc from 'fast-check';
import { runs, timeoutFor } from '../support/property';
import { mergeMembers, unmergeMembers } from '../../cloudfunctions/core/identity/operator';
import { listWaitingBuyers } from '../../cloudfunctions/core/orders/waiting.store';
import type { AccountDoc } from '../../cloudfunctions/core/points/types';
import { verifyPoints } from '../../cloudfunctions/core/points/verify.store';
import { importOrders } from '../codes/support';
import { boundConsumer, exportAll, importMembers, member } from '../support/members';
import { openTestServices, type TestServices } from '../support/services';

const PHONES = ['13912340001', '13912340002', '13912340003'];
const CARDS = ['T1', 'T2', 'T3'];
const CHANNELS = ['tmall', 'jd'];

type Step =
  | { kind: 'orders'; channel: string; rows: { card?: string; phone?: string; n: number }[] }
  | { kind: 'members'; channel: string; rows: { card: string; phone?: string }[] }
  | { kind: 'bind'; who: number; phone: string }
  | { kind: 'merge'; a: number; b: number }
  | { kind: 'unmerge' }
  | { kind: 'erase'; who: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    kind: fc.constant('orders' as const), channel: fc.constantFrom(...CHANNELS),
    rows: fc.array(fc.record({ card: fc.option(fc.constantFrom(...CARDS), { nil: undefined }), phone: fc.constantFrom(...PHONES), n: fc.integer({ min: 1, max: 5 }) }), { minLength: 1, maxLength: 3 }),
  }),
  fc.record({
    kind: fc.constant('members' as const), channel: fc.constantFrom(...CHANNELS),
    rows: fc.array(fc.record({ card: fc.constantFrom(...CARDS), phone: fc.option(fc.constantFrom(...PHONES), { nil: undefined }) }), { minLength: 1, maxLength: 2 }),
  }),
  fc.record({ kind: fc.constant('bind' as const), who: fc.integer({ min: 0, max: 1 }), phone: fc.constantFrom(...PHONES) }),
  fc.record({ kind: fc.constant('merge' as const), a: fc.nat(5), b: fc.nat(5) }),
  fc.constant({ kind: 'unmerge' as const }),
  fc.record({ kind: fc.constant('erase' as const), who: fc.integer({ min: 0, max: 1 }) }),
);

describe('orders waiting, through any sequence of imports and identity changes', () => {
  it('lists exactly the accounts whose points wait for a buyer', async () => {
    await fc.assert(fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 8 }), async (steps) => {
      const services: TestServices = openTestServices('2026-11-23T02:00:00Z');
      try {
        let orderNo = 0;
        const merges: string[] = [];
        const bound = new Set<number>();
        for (const s of steps) {
          services.clock.advance(60_000);
          if (s.kind === 'orders') {
            await importOrders(services, s.channel, s.rows.map((r) => ({
              orderId: `O${++orderNo}`, ...(r.card ? { channelMemberId: r.card } : { phone: r.phone }), amountFen: 100 * r.n, paidAt: '2026-11-01 10:00:00',
            })));
          } else if (s.kind === 'members') {
            await importMembers(services, s.channel, s.rows.map((r) => ({ channelMemberId: r.card, phone: r.phone })));
          } else if (s.kind === 'bind') {
            if (bound.has(s.who)) continue;
            await boundConsumer(services, `u${s.who}`, s.phone).then(() => bound.add(s.who), () => undefined);
          } else if (s.kind === 'merge') {
            const ids = (await exportAll(services)).map((l) => l.memberId);
            const [a, b] = [ids[s.a % Math.max(ids.length, 1)], ids[s.b % Math.max(ids.length, 1)]];
            if (a && b && a !== b) await mergeMembers(services, a, b).then((m) => merges.push(m._id), () => undefined);
          } else if (s.kind === 'unmerge') {
            const last = merges.pop();
            if (last) await unmergeMembers(services, last).catch(() => undefined);
          } else if (bound.has(s.who)) {
            await member(services, `u${s.who}`, { action: 'delete', confirm: true });
            bound.delete(s.who);
          }
        }
        // what waits, from the documents themselves
        const expected: string[] = [];
        for (const account of (await services.dump('accounts')) as AccountDoc[]) {
          const record = await services.store.get<{ _id: string; memberId: string | null }>('records', account._id);
          if (account._id.startsWith('buyer:')) {
            const m = record?.memberId ? await services.store.get<{ _id: string; records: string[] }>('members', record.memberId) : null;
            if (m && m.records.every((r) => r.startsWith('buyer:'))) expected.push(account._id);
          } else if (account.memberId === null && !record && !(await services.store.get('ledger', `migrate:${account._id}`))) expected.push(account._id);
        }
        const listed = (await listWaitingBuyers(services, { limit: 1000 })).buyers.map((b) => b.accountId);
        expect(listed.sort()).toEqual(expected.sort());
        expect((await verifyPoints(services)).differences).toBe(0);
      } finally {
        await services.close();
      }
    }), { numRuns: runs(40, 'MODEL_RUNS') });
  }, timeoutFor(60_000, 40, 'MODEL_RUNS'));
});
