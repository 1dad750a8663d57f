import { expirePoints } from '../../cloudfunctions/core/points/expire.store';
import { postEarn, postRedeem, postReverse } from '../../cloudfunctions/core/points/ledger';
import type { AccountDoc, LedgerEntry } from '../../cloudfunctions/core/points/types';
import { verifyPoints } from '../../cloudfunctions/core/points/verify.store';
import type { Doc } from '../../cloudfunctions/core/store/port';
import { openTestServices, type TestServices } from '../support/services';
import { account, entry, seedMember, source } from './support';

/**
 * `points verify` and the expiry job on stores that went wrong (edited by hand, restored from a
 * copy): each difference named, each a check a second round of hand-made mutants of
 * points/verify.store.ts, rules.ts (entryProblems, stateProblems) and expire.store.ts removed
 * without the suite noticing. And a consistent store with a member that owes reports nothing.
 */
describe('points verify and expiry on a tampered store', () => {
  let services: TestServices;
  beforeEach(async () => {
    services = openTestServices('2026-11-23T02:00:00Z');
    await seedMember(services, 'm1', ['tmall:T1']);
    await seedMember(services, 'm2', ['tmall:T2']);
    await services.store.transaction((t) => postEarn(t, services, { key: 'order:tmall:1', accountId: 'tmall:T1', points: 100, growth: 100, at: '2026-03-01T00:00:00.000Z', source: source('1') }));
  });
  afterEach(() => services.close());

  const problems = async () => (await verifyPoints(services)).details.map((d) => `${d.kind} ${d.id}: ${d.problem}`);
  const tamper = (collection: string, id: string, change: (doc: Record<string, unknown>) => Record<string, unknown>) =>
    services.store.transaction(async (t) => {
      const doc = (await t.get<Doc>(collection, id))!;
      await t.set(collection, change(doc as Record<string, unknown>) as Doc);
    });
  const lots = (doc: Record<string, unknown>) => (doc as unknown as AccountDoc).lots;

  it('a member who owes after a refund of spent points is consistent', async () => {
    await services.store.transaction((t) => postRedeem(t, services, { key: 'redeem:r1', memberId: 'm1', points: 100, at: '2026-11-23T02:00:00.000Z', source: { channel: 'reward', ref: 'cup' } }));
    await services.store.transaction((t) => postReverse(t, services, { key: 'refund:tmall:1', of: 'order:tmall:1', points: 100, growth: 100, at: '2026-11-23T02:00:00.000Z', source: source('1') }));
    expect(await problems()).toEqual([]);
  });

  it.each([-20, -1])('names an account whose growth is below zero (%i), stored and ledger alike', async (growth) => {
    await services.store.transaction(async (t) => {
      const earn = (await t.get<LedgerEntry>('ledger', 'order:tmall:1'))!;
      await t.set('ledger', { ...earn, growth });
      await t.set('accounts', { ...(await t.get<AccountDoc>('accounts', 'tmall:T1'))!, growth });
      await t.set('balances', { ...(await t.get<Doc & { growth: number }>('balances', 'm1'))!, growth });
    });
    expect(await problems()).toEqual([`account tmall:T1: growth is ${growth}, below zero`]);
  });

  it('names an account whose next expiry is not its earliest lot\'s', async () => {
    await tamper('accounts', 'tmall:T1', (doc) => ({ ...doc, nextExpiry: '2030-12-31T15:59:59.000Z' }));
    expect(await problems()).toEqual(['account tmall:T1: nextExpiry is 2030-12-31T15:59:59.000Z, the ledger says 2027-12-31T15:59:59.000Z']);
  });

  it('names an account attached to a member that does not hold its record', async () => {
    await tamper('accounts', 'tmall:T1', (doc) => ({ ...doc, memberId: 'm2' }));
    expect(await problems()).toContainEqual('pointer tmall:T1: attached to m2, but m1 holds its record');
  });

  it('names an active member without a balance document', async () => {
    await services.store.transaction((t) => t.remove('balances', 'm1'));
    expect(await problems()).toEqual(['balance m1: no balance document; the ledger says 100 points']);
  });

  it('names an account whose refunds-so-far record is not the ledger\'s', async () => {
    await tamper('accounts', 'tmall:T1', (doc) => ({ ...doc, reversed: { 'order:tmall:1': { points: 5, growth: 5 } } }));
    expect(await problems()).toEqual(['account tmall:T1: reversed is {"order:tmall:1":{"growth":5,"points":5}}, the ledger says {}']);
  });

  it('names an entry whose lot is larger than its credit, and one whose allocations and owed do not add up', async () => {
    await tamper('ledger', 'order:tmall:1', (doc) => ({ ...doc, lot: { ...(doc as unknown as LedgerEntry).lot!, points: 101 } }));
    await services.store.transaction((t) => postRedeem(t, services, { key: 'redeem:r1', memberId: 'm1', points: 10, at: '2026-11-23T02:00:00.000Z', source: { channel: 'reward', ref: 'cup' } }));
    await tamper('ledger', 'redeem:r1', (doc) => ({ ...doc, owed: 3 }));
    const found = await problems();
    expect(found).toContainEqual('entry order:tmall:1: lot larger than the credit');
    expect(found).toContainEqual('entry redeem:r1: allocations and owed do not add up to the debit');
  });

  it('names an account state that cannot be: a spent lot kept, lots that are not the balance, lots beside a debt', async () => {
    await tamper('accounts', 'tmall:T1', (doc) => ({ ...doc, lots: [...lots(doc), { ...lots(doc)[0]!, id: 'order:tmall:x', remaining: 0 }] }));
    expect(await problems()).toContainEqual('account tmall:T1: a lot with nothing left (or less) is kept');
    await tamper('accounts', 'tmall:T1', (doc) => ({ ...doc, points: 0, lots: lots(doc).slice(0, 1) }));
    expect(await problems()).toContainEqual('account tmall:T1: lots sum to 100, balance is 0');
    await tamper('accounts', 'tmall:T1', (doc) => ({ ...doc, points: -5 }));
    expect(await problems()).toContainEqual('account tmall:T1: owed balance with lots left');
  });

  it('the expiry job stops, naming the fault, on an account listing an expiry it has no lot for', async () => {
    await tamper('accounts', 'tmall:T1', (doc) => ({ ...doc, nextExpiry: '2026-01-01T00:00:00.000Z' }));
    await expect(expirePoints(services, '2026-11-23T02:00:00.000Z')).rejects.toThrow(/expiry made no progress/);
    expect((await account(services, 'tmall:T1'))!.points).toBe(100);
    expect(await entry(services, 'expire:order:tmall:1')).toBeNull();
  });
});
