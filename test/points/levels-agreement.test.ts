import fc from 'fast-check';
import { runs, timeoutFor } from '../support/property';
import { mergeMembers, unmergeMembers } from '../../cloudfunctions/core/identity/operator';
import { levelFor, nextLevelFor } from '../../cloudfunctions/core/levels/rules';
import { importOrdersFile } from '../../cloudfunctions/core/orders/import.store';
import type { MemberRef } from '../../cloudfunctions/core/points/accounts.store';
import { expirePoints } from '../../cloudfunctions/core/points/expire.store';
import { postAdjust } from '../../cloudfunctions/core/points/ledger';
import { relevel } from '../../cloudfunctions/core/points/relevel.store';
import { pointsSummary } from '../../cloudfunctions/core/points/summary.store';
import type { BalanceDoc } from '../../cloudfunctions/core/points/types';
import { verifyPoints } from '../../cloudfunctions/core/points/verify.store';
import { AppError } from '../../cloudfunctions/core/runtime/errors';
import { exportAll, importMembers, writeRows } from '../support/members';
import { openTestServices, reconfigured, type TestServices } from '../support/services';

/**
 * Levels as the consumer (points.summary), the operator (members export, the stored balance) and
 * the checker (points verify) see them, after random orders, refunds, adjustments, merges,
 * unmerges, expiry runs and a change of thresholds: all three agree, and each is the level the
 * configured thresholds give the member's growth. Thresholds are small, so a few yuan cross them
 * both ways (a refund drops a member back).
 */

const LEVELS = [
  { code: 'normal', name: '普通会员', minGrowth: 0 },
  { code: 'silver', name: '银卡', minGrowth: 3 },
  { code: 'gold', name: '金卡', minGrowth: 7 },
  { code: 'diamond', name: '钻石卡', minGrowth: 12 },
];
const MOVED = [
  { code: 'normal', name: '普通会员', minGrowth: 0 },
  { code: 'gold', name: '金牌会员', minGrowth: 5 },
  { code: 'black', name: '黑卡', minGrowth: 9 },
];
const CARDS = [['tmall', 'T1'], ['tmall', 'T2'], ['offline', 'C1'], ['offline', 'C2']] as const;
const DAY = 86_400_000;

type Op =
  | { op: 'order'; card: number; order: number; yuan: number }
  | { op: 'refund'; order: number; yuan: number }
  | { op: 'merge'; a: number; b: number }
  | { op: 'unmerge' }
  | { op: 'adjust'; card: number; points: number }
  | { op: 'expire' }
  | { op: 'advance'; days: number }
  | { op: 'thresholds' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ op: fc.constant('order' as const), card: fc.nat(3), order: fc.nat(9), yuan: fc.integer({ min: 0, max: 8 }) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('refund' as const), order: fc.nat(9), yuan: fc.integer({ min: 1, max: 8 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('merge' as const), a: fc.nat(3), b: fc.nat(3) }) },
  { weight: 2, arbitrary: fc.constant({ op: 'unmerge' as const }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('adjust' as const), card: fc.nat(3), points: fc.integer({ min: -5, max: 5 }).filter((n) => n !== 0) }) },
  { weight: 1, arbitrary: fc.constant({ op: 'expire' as const }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('advance' as const), days: fc.integer({ min: 1, max: 400 }) }) },
  { weight: 1, arbitrary: fc.constant({ op: 'thresholds' as const }) },
);

describe('levels: points.summary, members export, the stored balance and points verify agree', () => {
  it('after any sequence of orders, refunds, adjustments, merges, unmerges, expiry runs and a change of thresholds', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 4, maxLength: 4 }), fc.array(opArb, { minLength: 1, maxLength: 14 }), async (openings, ops) => {
        const base = openTestServices('2026-03-01T02:00:00Z', { levels: LEVELS });
        let services: TestServices = base;
        try {
          for (const [i, [channel, id]] of CARDS.entries()) await importMembers(services, channel, [{ channelMemberId: id, points: 1, growth: openings[i]! }]);
          const orders = new Map<number, { card: number; yuan: number; paidAt: string }>();
          const merges: string[] = [];
          let n = 0;
          let moved = false;
          const memberOf = async (card: number) => (await exportAll(services)).find((l) => l.identifiers.some((i) => i.type === CARDS[card]![0] && i.value === CARDS[card]![1]))!.memberId;
          const importOrders = (channel: string, rows: Record<string, unknown>[]) => {
            const file = writeRows(rows);
            return importOrdersFile(services, { channel, file, rejectsFile: `${file}.rejects.jsonl` });
          };
          const now = () => new Date(services.clock.now()).toISOString();
          for (const op of ops) {
            n++;
            try {
              switch (op.op) {
                case 'order': {
                  const known = orders.get(op.order);
                  const order = known ?? { card: op.card, yuan: op.yuan, paidAt: now() };
                  orders.set(op.order, order);
                  const [channel, id] = CARDS[order.card]!;
                  await importOrders(channel, [{ orderId: `o${op.order}`, channelMemberId: id, amountFen: order.yuan * 100, paidAt: order.paidAt }]);
                  break;
                }
                case 'refund': {
                  const order = orders.get(op.order);
                  if (!order) break;
                  const [channel, id] = CARDS[order.card]!;
                  await importOrders(channel, [{ orderId: `o${op.order}`, channelMemberId: id, amountFen: order.yuan * 100, paidAt: order.paidAt, refundFen: Math.min(op.yuan, order.yuan) * 100 }]);
                  break;
                }
                case 'merge': {
                  const [a, b] = [await memberOf(op.a), await memberOf(op.b)];
                  if (a !== b) merges.push((await mergeMembers(services, a, b))._id);
                  break;
                }
                case 'unmerge':
                  if (merges.length) await unmergeMembers(services, merges.pop()!);
                  break;
                case 'adjust': {
                  const memberId = await memberOf(op.card);
                  await services.store.transaction((tx) => postAdjust(tx, services, { key: `adjust:r${n}`, memberId, points: op.points, reason: '测试', operator: 'ops', at: now() }));
                  break;
                }
                case 'expire':
                  await expirePoints(services, now());
                  break;
                case 'advance':
                  services.clock.advance(op.days * DAY);
                  break;
                case 'thresholds':
                  moved = !moved;
                  services = reconfigured(base, (config) => { config.levels = moved ? MOVED : LEVELS; });
                  await relevel(services);
                  break;
              }
            } catch (error) {
              // refused operations (an adjustment past the balance, an unmerge a later merge overlaps) write nothing
              if (!(error instanceof AppError)) throw error;
            }
          }

          const levels = services.config.levels;
          const report = await verifyPoints(services);
          expect(report.details).toEqual([]);
          for (const line of await exportAll(services)) {
            const member = (await services.store.get<MemberRef>('members', line.memberId))!;
            const summary = await pointsSummary(services, member);
            const stored = (await services.store.get<BalanceDoc>('balances', line.memberId))!;
            expect({ growth: summary.growth, level: summary.level.code }).toEqual({ growth: line.growth, level: line.level });
            expect({ growth: stored.growth, level: stored.level }).toEqual({ growth: line.growth, level: line.level });
            expect(summary.level).toEqual(levelFor(summary.growth, levels));
            expect(summary.level.name).toBe(levels.find((l) => l.code === summary.level.code)!.name);
            expect(summary.available).toBe(line.points.available);
            const next = nextLevelFor(summary.growth, levels);
            expect(summary.nextLevel).toEqual(next);
            if (next) {
              expect(next.growthNeeded).toBeGreaterThan(0);
              expect(summary.growth + next.growthNeeded).toBe(next.minGrowth);
            } else expect(summary.level.code).toBe(levels[levels.length - 1]!.code);
            const listed = summary.expiring.reduce((sum, e) => sum + e.points, 0);
            expect(listed).toBeLessThanOrEqual(Math.max(0, summary.available));
            expect(summary.expiring.every((e) => e.points > 0 && e.at > now())).toBe(true);
          }
        } finally {
          await base.close();
        }
      }),
      { numRuns: runs(40) },
    );
  }, timeoutFor(240_000));
});
