import { openTestServices, type TestServices } from '../../../test/support/services';
import { account, balance, entry, pointsState, seedMember, source } from '../../../test/points/support';
import { AppError } from '../runtime/errors';
import { syncMemberAccounts } from './accounts.store';
import { verifyPoints } from './verify.store';
import { expireAccount, openingHash, postAdjust, postEarn, postOpeningBalance, postOpeningBalances, postRedeem, postReverse } from './ledger';
import type { LedgerEntry } from './types';

describe('points ledger', () => {
  let services: TestServices;
  beforeEach(() => { services = openTestServices('2026-11-23T02:00:00Z'); });
  afterEach(() => services.close());

  const tx = <R>(fn: Parameters<TestServices['store']['transaction']>[0] extends (tx: infer T) => Promise<unknown> ? (tx: T) => Promise<R> : never) =>
    services.store.transaction(fn);
  const earn = (key: string, accountId: string, points: number, at = '2026-03-01T04:00:00.000Z', growth = points) =>
    tx((t) => postEarn(t, services, { key, accountId, points, growth, at, source: source(key.split(':').pop()!) }));
  const redeem = (key: string, memberId: string, points: number) =>
    tx((t) => postRedeem(t, services, { key, memberId, points, at: new Date(services.clock.now()).toISOString(), source: { channel: 'reward', ref: 'cup' } }));
  const reverse = (key: string, of: string, points: number, growth = points) =>
    tx((t) => postReverse(t, services, { key, of, points, growth, at: '2026-04-01T00:00:00.000Z', source: source(of.split(':').pop()!) }));
  const codeOf = (promise: Promise<unknown>) => promise.then(() => 'ok', (e: unknown) => (e instanceof AppError ? e.code : String(e)));

  describe('earning', () => {
    beforeEach(() => seedMember(services, 'm1', ['tmall:T1', 'offline:C1']));

    it('credits the account and the member balance, and opens a lot expiring at the end of next year', async () => {
      const { entry: posted, replayed } = await earn('order:tmall:1', 'tmall:T1', 125);
      expect(replayed).toBe(false);
      expect(posted).toMatchObject({ _id: 'order:tmall:1', accountId: 'tmall:T1', memberId: 'm1', kind: 'earn', points: 125, growth: 125, lot: { id: 'order:tmall:1', points: 125, expiresAt: '2027-12-31T15:59:59.000Z' } });
      expect(await account(services, 'tmall:T1')).toMatchObject({ memberId: 'm1', points: 125, growth: 125, nextExpiry: '2027-12-31T15:59:59.000Z', entries: 1 });
      expect(await balance(services, 'm1')).toMatchObject({ points: 125, growth: 125, owed: 0, level: 'normal' });
    });

    it('replays a retry with the same content and writes nothing', async () => {
      await earn('order:tmall:1', 'tmall:T1', 125);
      const before = await pointsState(services);
      services.clock.advance(60_000);
      const again = await earn('order:tmall:1', 'tmall:T1', 125);
      expect(again.replayed).toBe(true);
      expect(again.entry.points).toBe(125);
      expect(await pointsState(services)).toEqual(before);
    });

    it('refuses the same key with other content and writes nothing', async () => {
      await earn('order:tmall:1', 'tmall:T1', 125);
      const before = await pointsState(services);
      expect(await codeOf(earn('order:tmall:1', 'tmall:T1', 126))).toBe('IDEMPOTENCY_MISMATCH');
      expect(await codeOf(earn('order:tmall:1', 'offline:C1', 125))).toBe('IDEMPOTENCY_MISMATCH');
      expect(await pointsState(services)).toEqual(before);
    });

    it.each([
      ['a key without a kind', { key: 'tmall-1' }],
      ['a key with a space', { key: 'order:tmall 1' }],
      ['negative points', { points: -1 }],
      ['fractional points', { points: 1.5 }],
      ['an account that is not a record id', { accountId: 'T1' }],
      ['a time that is not ISO', { at: 'yesterday' }],
      ['a source without a channel', { source: { channel: '', ref: '1' } }],
    ])('refuses %s with INVALID_INPUT and writes nothing', async (_name, patch) => {
      const input = { key: 'order:tmall:1', accountId: 'tmall:T1', points: 10, growth: 10, at: '2026-03-01T00:00:00Z', source: source('1'), ...patch };
      const seeded = await pointsState(services);
      expect(await codeOf(tx((t) => postEarn(t, services, input)))).toBe('INVALID_INPUT');
      expect(await pointsState(services)).toEqual(await seeded);
    });

    it('a member whose balance document is missing gets it rebuilt from the ledger by the next change', async () => {
      await earn('order:tmall:1', 'tmall:T1', 100);
      await services.store.transaction((t) => t.remove('balances', 'm1'));
      await earn('scan:A1', 'offline:C1', 7, '2026-03-02T04:00:00.000Z', 0);
      expect(await balance(services, 'm1')).toMatchObject({ points: 107, growth: 100, owed: 0 });
      expect((await verifyPoints(services)).differences).toBe(0);
    });

    it('levels follow growth', async () => {
      await earn('order:tmall:1', 'tmall:T1', 600);
      await earn('order:offline:2', 'offline:C1', 500);
      expect((await balance(services, 'm1'))!.level).toBe('silver');
    });
  });

  describe('accounts whose record is not imported yet', () => {
    it('keeps the points on the account until identity attaches it to a member', async () => {
      await earn('order:tmall:9', 'tmall:T9', 300);
      expect(await account(services, 'tmall:T9')).toMatchObject({ memberId: null, points: 300 });
      expect(await services.dump('balances')).toEqual([]);

      await seedMember(services, 'm9', ['tmall:T9']);
      await tx((t) => syncMemberAccounts(t, services, [{ memberId: 'm9', recordIds: ['tmall:T9'] }]));
      expect(await account(services, 'tmall:T9')).toMatchObject({ memberId: 'm9', points: 300 });
      expect(await balance(services, 'm9')).toMatchObject({ points: 300, growth: 300 });
    });
  });

  describe('merges and splits move pointers only', () => {
    it('a merge adds the balances up and a split gives each side its accounts back', async () => {
      await seedMember(services, 'm1', ['tmall:T1']);
      await seedMember(services, 'm2', ['offline:C2']);
      await earn('order:tmall:1', 'tmall:T1', 100);
      await earn('order:offline:2', 'offline:C2', 250);
      await tx((t) => syncMemberAccounts(t, services, [{ memberId: 'm1', recordIds: ['tmall:T1', 'offline:C2'] }, { memberId: 'm2', recordIds: [] }]));
      expect(await balance(services, 'm1')).toMatchObject({ points: 350, growth: 350 });
      expect(await balance(services, 'm2')).toMatchObject({ points: 0, growth: 0 });

      await tx((t) => syncMemberAccounts(t, services, [{ memberId: 'm1', recordIds: ['tmall:T1'] }, { memberId: 'm2', recordIds: ['offline:C2'] }]));
      expect(await balance(services, 'm1')).toMatchObject({ points: 100 });
      expect(await balance(services, 'm2')).toMatchObject({ points: 250 });
    });

    it('detaches erased records from any member', async () => {
      await seedMember(services, 'm1', ['tmall:T1']);
      await earn('order:tmall:1', 'tmall:T1', 100);
      await tx((t) => syncMemberAccounts(t, services, [{ memberId: 'm1', recordIds: [] }, { memberId: null, recordIds: ['tmall:T1'] }]));
      expect(await account(services, 'tmall:T1')).toMatchObject({ memberId: null, points: 100 });
      expect(await balance(services, 'm1')).toMatchObject({ points: 0 });
    });
  });

  describe('redemption', () => {
    beforeEach(async () => {
      await seedMember(services, 'm1', ['tmall:T1', 'offline:C1']);
      await earn('order:tmall:2025', 'tmall:T1', 100, '2025-06-01T00:00:00Z'); // expires end of 2026
      await earn('order:offline:2026', 'offline:C1', 100, '2026-06-01T00:00:00Z'); // expires end of 2027
      await earn('order:tmall:2026', 'tmall:T1', 100, '2026-07-01T00:00:00Z');
    });

    it('spends the oldest-expiring lots first, across accounts, one entry per account', async () => {
      const { entries, replayed } = await redeem('redeem:r1', 'm1', 150);
      expect(replayed).toBe(false);
      expect(entries.map((e) => [e._id, e.accountId, e.points, e.allocations])).toEqual([
        ['redeem:r1', 'tmall:T1', -100, [{ accountId: 'tmall:T1', lotId: 'order:tmall:2025', points: 100 }]],
        ['redeem:r1#2', 'offline:C1', -50, [{ accountId: 'offline:C1', lotId: 'order:offline:2026', points: 50 }]],
      ]);
      expect(entries[0]!.parts).toEqual(['redeem:r1#2']);
      expect(await balance(services, 'm1')).toMatchObject({ points: 150 });
      expect((await account(services, 'offline:C1'))!.lots).toEqual([expect.objectContaining({ id: 'order:offline:2026', remaining: 50 })]);
    });

    it('replays a retried redemption', async () => {
      const first = await redeem('redeem:r1', 'm1', 150);
      const before = await pointsState(services);
      const again = await redeem('redeem:r1', 'm1', 150);
      expect(again).toEqual({ entries: first.entries, replayed: true });
      expect(await pointsState(services)).toEqual(before);
      expect(await codeOf(redeem('redeem:r1', 'm1', 10))).toBe('IDEMPOTENCY_MISMATCH');
    });

    it('never goes below zero', async () => {
      const before = await pointsState(services);
      await expect(redeem('redeem:r2', 'm1', 301)).rejects.toMatchObject({ code: 'INSUFFICIENT_POINTS', message: 'not enough points: 301 asked, 300 available', details: { available: 300 } });
      expect(await pointsState(services)).toEqual(before);
    });

    it('expires what is due before spending, so expired points cannot be spent', async () => {
      services.clock.set('2027-01-05T00:00:00Z');
      expect(await codeOf(redeem('redeem:r3', 'm1', 201))).toBe('INSUFFICIENT_POINTS');
      const { entries } = await redeem('redeem:r3', 'm1', 200);
      expect(entries.map((e) => e.points)).toEqual([-100, -100]);
      expect(await entry(services, 'expire:order:tmall:2025')).toMatchObject({ kind: 'expire', points: -100, at: '2026-12-31T15:59:59.000Z' });
      expect(await balance(services, 'm1')).toMatchObject({ points: 0 });
    });

    it('answers NOT_FOUND for a member that does not exist', async () => {
      expect(await codeOf(redeem('redeem:r4', 'nobody', 1))).toBe('NOT_FOUND');
    });
  });

  describe('reversal (refunds)', () => {
    beforeEach(() => seedMember(services, 'm1', ['tmall:T1']));

    it('takes back from the order’s own lot first', async () => {
      await earn('order:tmall:old', 'tmall:T1', 50, '2025-01-01T00:00:00Z');
      await earn('order:tmall:1', 'tmall:T1', 100, '2026-03-01T00:00:00Z');
      const { entry: reversal } = await reverse('refund:tmall:1', 'order:tmall:1', 40);
      expect(reversal).toMatchObject({ kind: 'reverse', of: 'order:tmall:1', points: -40, growth: -40, owed: 0, allocations: [{ accountId: 'tmall:T1', lotId: 'order:tmall:1', points: 40 }] });
      expect((await account(services, 'tmall:T1'))!.lots.map((l) => [l.id, l.remaining])).toEqual([['order:tmall:old', 50], ['order:tmall:1', 60]]);
    });

    it('leaves points already spent owed, and later earnings repay them first', async () => {
      await earn('order:tmall:1', 'tmall:T1', 100);
      await redeem('redeem:r1', 'm1', 80);
      await reverse('refund:tmall:1', 'order:tmall:1', 100);
      expect(await account(services, 'tmall:T1')).toMatchObject({ points: -80, growth: 0, lots: [] });
      expect(await balance(services, 'm1')).toMatchObject({ points: -80, owed: 80 });
      const { entry: repay } = await earn('order:tmall:2', 'tmall:T1', 100);
      expect(repay.lot).toMatchObject({ points: 20 });
      expect(await balance(services, 'm1')).toMatchObject({ points: 20, owed: 0 });
    });

    it('never takes back more than the credit brought, nor what already expired from it', async () => {
      await earn('order:tmall:1', 'tmall:T1', 100, '2024-05-01T00:00:00Z');
      await earn('order:tmall:2', 'tmall:T1', 100, '2026-05-01T00:00:00Z');
      await tx((t) => expireAccount(t, services, 'tmall:T1', '2026-01-01T00:00:00Z'));
      const { entry: reversal } = await reverse('refund:tmall:1', 'order:tmall:1', 100);
      expect(reversal).toMatchObject({ points: 0, growth: -100 });
      const partial = await reverse('refund:tmall:2a', 'order:tmall:2', 70);
      const rest = await reverse('refund:tmall:2b', 'order:tmall:2', 70);
      expect([partial.entry.points, rest.entry.points]).toEqual([-70, -30]);
      expect(await account(services, 'tmall:T1')).toMatchObject({ points: 0, growth: 0 });
    });

    it('never takes points already due on another lot, whether or not the expiry job ran first', async () => {
      const refundAfterExpiry = async (sweepFirst: boolean, refundAt = '2026-01-10T02:00:00Z') => {
        const s = openTestServices('2025-06-01T02:00:00Z');
        try {
          await seedMember(s, 'm1', ['tmall:T1']);
          const post = (key: string, points: number, at: string) =>
            s.store.transaction((t) => postEarn(t, s, { key, accountId: 'tmall:T1', points, growth: points, at, source: source(key.split(':').pop()!) }));
          await post('order:tmall:B', 100, '2025-03-01T00:00:00Z');
          await s.store.transaction((t) => postRedeem(t, s, { key: 'redeem:r1', memberId: 'm1', points: 60, at: '2025-06-01T02:00:00Z', source: { channel: 'reward', ref: 'cup' } }));
          // an old order imported late: its lot is due at the end of 2025
          await post('order:tmall:A', 50, '2024-03-01T00:00:00Z');
          s.clock.set('2026-01-10T02:00:00Z');
          if (sweepFirst) await s.store.transaction((t) => expireAccount(t, s, 'tmall:T1', '2026-01-10T02:00:00Z'));
          await s.store.transaction((t) => postReverse(t, s, { key: 'refund:tmall:B', of: 'order:tmall:B', points: 100, growth: 100, at: refundAt, source: source('B') }));
          await s.store.transaction((t) => expireAccount(t, s, 'tmall:T1', '2026-01-10T02:00:00Z'));
          expect((await verifyPoints(s)).differences).toBe(0);
          return await balance(s, 'm1');
        } finally {
          await s.close();
        }
      };
      // A's 50 points expired on 31 December: the refund takes B's 40 left and owes the 60 spent
      expect(await refundAfterExpiry(false)).toMatchObject({ points: -60, owed: 60, growth: 50 });
      expect(await refundAfterExpiry(true)).toMatchObject({ points: -60, owed: 60, growth: 50 });
      // a refund dated back before A's expiry, recorded after it: the same, swept first or not
      expect(await refundAfterExpiry(false, '2025-11-01T02:00:00Z')).toMatchObject({ points: -60, owed: 60, growth: 50 });
      expect(await refundAfterExpiry(true, '2025-11-01T02:00:00Z')).toMatchObject({ points: -60, owed: 60, growth: 50 });
    });

    it('answers NOT_FOUND for a credit never posted and writes nothing', async () => {
      const seeded = await pointsState(services);
      expect(await codeOf(reverse('refund:tmall:x', 'order:tmall:x', 10))).toBe('NOT_FOUND');
      expect(await pointsState(services)).toEqual(await seeded);
    });
  });

  describe('owed points across a member\'s accounts', () => {
    beforeEach(() => seedMember(services, 'm1', ['tmall:T1', 'wechat:o1']));
    // a scan in the mini-program: it repays what the member owes anywhere
    const scan = (key: string, points: number, at = '2026-03-02T04:00:00.000Z') =>
      tx((t) => postEarn(t, services, { key, accountId: 'wechat:o1', points, growth: 0, at, source: { channel: 'code', ref: key } }, { settle: true }));
    const expireAll = (asOf: string) => tx(async (t) => {
      await expireAccount(t, services, 'tmall:T1', asOf);
      await expireAccount(t, services, 'wechat:o1', asOf);
    });
    const settleEntries = async () => ((await services.dump('ledger')) as LedgerEntry[]).filter((e) => e.kind === 'settle');
    /** Tmall order 1 earned, its points spent, then refunded: the Tmall account owes 100. */
    const owing = async () => {
      await earn('order:tmall:1', 'tmall:T1', 100);
      await redeem('redeem:r1', 'm1', 100);
      await reverse('refund:tmall:1', 'order:tmall:1', 100);
    };

    it('a scan repays what another account owes, once, however often it is retried', async () => {
      await owing();
      expect(await balance(services, 'm1')).toMatchObject({ points: -100, owed: 100 });
      const { entry: earned } = await scan('scan:c1', 300);
      expect(earned).toMatchObject({ points: 300, lot: { points: 300 }, group: 'scan:c1', parts: ['scan:c1#s1', 'scan:c1#s2'] });
      expect((await settleEntries()).map((e) => [e.accountId, e.points])).toEqual([['tmall:T1', 100], ['wechat:o1', -100]]);
      expect(await account(services, 'tmall:T1')).toMatchObject({ points: 0 });
      expect(await account(services, 'wechat:o1')).toMatchObject({ points: 200, lots: [{ id: 'scan:c1', remaining: 200 }] });
      expect(await balance(services, 'm1')).toMatchObject({ points: 200, owed: 0 });
      const settled = await pointsState(services);
      expect((await scan('scan:c1', 300)).replayed).toBe(true);
      expect(await pointsState(services)).toEqual(settled);
      expect((await verifyPoints(services)).differences).toBe(0);
      // what is left expires, and the member owes nothing (owing 100 while 300 expired took 100 twice)
      await expireAll('2028-01-01T00:00:00.000Z');
      expect(await balance(services, 'm1')).toMatchObject({ points: 0, owed: 0 });
    });

    it('an operator\'s credit repays it too; an imported order repays only its own account', async () => {
      await owing();
      await seedMember(services, 'm1', ['tmall:T1', 'wechat:o1', 'jd:J1']);
      await earn('order:jd:1', 'jd:J1', 50);
      expect(await balance(services, 'm1')).toMatchObject({ points: -50, owed: 100 });
      await tx((t) => postAdjust(t, services, { key: 'adjust:a1', memberId: 'm1', points: 30, reason: '补偿', operator: 'alice', at: '2026-11-23T02:00:00.000Z' }));
      // the JD lot, earned first, repays first
      expect(await account(services, 'tmall:T1')).toMatchObject({ points: -20 });
      expect(await account(services, 'jd:J1')).toMatchObject({ points: 0 });
      expect(await balance(services, 'm1')).toMatchObject({ points: -20, owed: 20 });
    });

    it('repays from lots still to come only: points already due are gone, swept or not', async () => {
      await owing();
      await tx((t) => postEarn(t, services, { key: 'scan:old', accountId: 'wechat:o1', points: 50, growth: 0, at: '2025-01-05T00:00:00.000Z', source: { channel: 'code', ref: 'old' } })); // due at the end of 2026
      services.clock.set('2027-01-10T02:00:00Z');
      await scan('scan:c1', 30, '2027-01-10T02:00:00.000Z');
      expect(await balance(services, 'm1')).toMatchObject({ points: -70, owed: 70 });
      expect(await account(services, 'wechat:o1')).toMatchObject({ points: 0, lots: [] });
    });

    it('a refund leaves owed what its own account cannot cover, the member\'s other points untouched until its next scan', async () => {
      await earn('order:tmall:1', 'tmall:T1', 100);
      await scan('scan:c1', 300);
      await redeem('redeem:r1', 'm1', 100); // the Tmall lot, earned first
      await reverse('refund:tmall:1', 'order:tmall:1', 100);
      expect(await account(services, 'tmall:T1')).toMatchObject({ points: -100 });
      expect(await balance(services, 'm1')).toMatchObject({ points: 200, owed: 100 });
      await scan('scan:c2', 10);
      expect(await account(services, 'tmall:T1')).toMatchObject({ points: 0 });
      expect(await balance(services, 'm1')).toMatchObject({ points: 210, owed: 0 });
    });

    it('a member made of two leaves what one side owes until its next scan', async () => {
      await seedMember(services, 'm2', ['offline:C1']);
      await owing();
      await earn('order:offline:1', 'offline:C1', 70);
      await tx(async (t) => {
        await t.update('members', 'm2', { status: 'merged', mergedInto: 'm1', records: [] });
        await t.update('members', 'm1', { records: ['tmall:T1', 'wechat:o1', 'offline:C1'] });
        await t.update('records', 'offline:C1', { memberId: 'm1' });
        await syncMemberAccounts(t, services, [{ memberId: 'm1', recordIds: ['tmall:T1', 'wechat:o1', 'offline:C1'] }, { memberId: 'm2', recordIds: [] }]);
      });
      expect(await balance(services, 'm1')).toMatchObject({ points: -30, owed: 100 });
      await scan('scan:c1', 10);
      expect(await balance(services, 'm1')).toMatchObject({ points: -20, owed: 20 });
      expect(await account(services, 'offline:C1')).toMatchObject({ points: 0, lots: [] });
    });
  });

  describe('expiry', () => {
    it('expires whole lots as of a date, once', async () => {
      await seedMember(services, 'm1', ['tmall:T1']);
      await earn('order:tmall:1', 'tmall:T1', 100, '2025-02-01T00:00:00Z');
      await earn('order:tmall:2', 'tmall:T1', 70, '2026-02-01T00:00:00Z');
      const early = await tx((t) => expireAccount(t, services, 'tmall:T1', '2026-12-31T15:59:58.999Z'));
      expect(early).toEqual([]);
      const due = await tx((t) => expireAccount(t, services, 'tmall:T1', '2026-12-31T15:59:59.000Z'));
      expect(due.map((e) => [e._id, e.points, e.at])).toEqual([['expire:order:tmall:1', -100, '2026-12-31T15:59:59.000Z']]);
      const before = await pointsState(services);
      expect(await tx((t) => expireAccount(t, services, 'tmall:T1', '2026-12-31T15:59:59.000Z'))).toEqual([]);
      expect(await pointsState(services)).toEqual(before);
      expect(await balance(services, 'm1')).toMatchObject({ points: 70, growth: 170 });
    });
  });

  describe('adjustments and opening balances', () => {
    beforeEach(() => seedMember(services, 'm1', ['tmall:T1', 'wechat:o1']));
    const adjust = (key: string, points: number, reason = '补偿') =>
      tx((t) => postAdjust(t, services, { key, memberId: 'm1', points, reason, operator: 'alice', at: '2026-11-23T02:00:00.000Z' }));

    it('credits the home (WeChat) account and records reason and operator', async () => {
      const { entries } = await adjust('adjust:a1', 30);
      expect(entries[0]).toMatchObject({ accountId: 'wechat:o1', kind: 'adjust', points: 30, reason: '补偿', operator: 'alice' });
      expect((await adjust('adjust:a1', 30)).replayed).toBe(true);
      expect(await codeOf(adjust('adjust:a1', 31))).toBe('IDEMPOTENCY_MISMATCH');
    });

    it('credits a channel account, not the stand-in record of a buyer known only by phone, when the member has no WeChat', async () => {
      await seedMember(services, 'm2', ['buyer:tmall-5f3a', 'offline:C9']);
      const { entries } = await tx((t) => postAdjust(t, services, { key: 'adjust:b1', memberId: 'm2', points: 5, reason: '补偿', operator: 'alice', at: '2026-11-23T02:00:00.000Z' }));
      expect(entries[0]).toMatchObject({ accountId: 'offline:C9' });
    });

    it('takes points away like a spend, never below zero', async () => {
      await adjust('adjust:a1', 30);
      expect(await codeOf(adjust('adjust:a2', -31))).toBe('INSUFFICIENT_POINTS');
      const { entries } = await adjust('adjust:a2', -30);
      expect(entries[0]).toMatchObject({ points: -30, reason: '补偿' });
      expect(await codeOf(adjust('adjust:a3', 0))).toBe('INVALID_INPUT');
      expect(await codeOf(adjust('adjust:a4', 5, '  '))).toBe('INVALID_INPUT');
    });

    it('enters an opening balance once per record, even imported again another day', async () => {
      const open = (at: string, points = 500) => tx((t) => postOpeningBalance(t, services, { recordId: 'tmall:T1', points, growth: 1200, at }));
      const first = await open('2026-11-23T02:00:00.000Z');
      expect(first.entry).toMatchObject({ _id: 'migrate:tmall:T1', kind: 'migrate', points: 500, growth: 1200, source: { channel: 'tmall', ref: 'T1' } });
      expect((await open('2026-11-24T02:00:00.000Z')).replayed).toBe(true);
      expect(await codeOf(open('2026-11-24T02:00:00.000Z', 400))).toBe('IDEMPOTENCY_MISMATCH');
      expect(await balance(services, 'm1')).toMatchObject({ points: 500, growth: 1200, level: 'silver' });
    });

    it('posts a batch of opening balances with hashes computed beforehand as one at a time would, and replays it', async () => {
      const inputs = [{ recordId: 'tmall:T1', points: 500, growth: 1200 }, { recordId: 'wechat:o1', points: -20, growth: 0 }];
      const at = '2026-11-23T02:00:00.000Z';
      await tx((t) => postOpeningBalances(t, services, inputs.map((input) => ({ ...input, at, hash: openingHash(input) }))));
      // the stored hashes are those the one-at-a-time path checks against: posting one again replays it
      expect((await tx((t) => postOpeningBalance(t, services, { ...inputs[0]!, at }))).replayed).toBe(true);
      expect(await codeOf(tx((t) => postOpeningBalance(t, services, { ...inputs[1]!, points: -30, at })))).toBe('IDEMPOTENCY_MISMATCH');
      const again = await pointsState(services);
      await tx((t) => postOpeningBalances(t, services, inputs.map((input) => ({ ...input, at }))));
      expect(await pointsState(services)).toEqual(again);
      // imported openings settle nothing: the store's 20 stay owed beside the Tmall points
      expect(await balance(services, 'm1')).toMatchObject({ points: 480, owed: 20, growth: 1200 });
    });

    it('a negative opening balance never takes points already due, whether or not the expiry job ran first', async () => {
      const openingAfterExpiry = async (sweepFirst: boolean) => {
        const s = openTestServices('2026-11-23T02:00:00Z');
        try {
          await seedMember(s, 'm1', ['tmall:T1']);
          await s.store.transaction((t) => postEarn(t, s, { key: 'order:tmall:1', accountId: 'tmall:T1', points: 10, growth: 10, at: '2026-11-13T02:00:00Z', source: source('1') }));
          s.clock.set('2028-01-10T02:00:00Z'); // the lot was due at the end of 2027
          if (sweepFirst) await s.store.transaction((t) => expireAccount(t, s, 'tmall:T1', '2028-01-10T02:00:00Z'));
          await s.store.transaction((t) => postOpeningBalance(t, s, { recordId: 'tmall:T1', points: -4, growth: 0, at: '2028-01-10T02:00:00Z' }));
          await s.store.transaction((t) => expireAccount(t, s, 'tmall:T1', '2028-01-10T02:00:00Z'));
          expect((await verifyPoints(s)).differences).toBe(0);
          return await balance(s, 'm1');
        } finally {
          await s.close();
        }
      };
      expect(await openingAfterExpiry(true)).toMatchObject({ points: -4, owed: 4 });
      expect(await openingAfterExpiry(false)).toMatchObject({ points: -4, owed: 4 });
    });

    it('a negative opening balance is owed', async () => {
      await tx((t) => postOpeningBalance(t, services, { recordId: 'tmall:T1', points: -20, growth: 0, at: '2026-11-23T02:00:00.000Z' }));
      expect(await balance(services, 'm1')).toMatchObject({ points: -20, owed: 20 });
    });
  });
});
