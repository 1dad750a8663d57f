import { batchSigner } from '../../cloudfunctions/core/codes/code';
import { boundConsumer } from '../support/members';
import { openTestServices, type TestServices } from '../support/services';
import { countingStore } from './counting-store';
import { makeBatch, redeem } from './support';

let services: TestServices;
beforeEach(() => {
  services = openTestServices();
});
afterEach(() => services.close());

/**
 * What one redemption costs at the store port, pinned so a change shows up
 * here. Its one transaction reads the account and the member's balance (which
 * says whether the member owes points the scan repays, points/ledger.ts) and
 * writes three documents: the ledger entry `scan:<code>`, created blind (it is
 * the claim: a second create fails, so no replay read either), the account,
 * and the balance. Outside it: the caller's openid identifier and `wechat:`
 * record before (identity/lookup.ts); after it, the member, their accounts
 * and balance, read as points.summary reads them for the answer's available
 * points (points due but not yet swept left out); the batch comes from the
 * instance's cache.
 */
describe('store operations per redemption', () => {
  test('one transaction with 2 reads + 3 writes; 2 identity reads before it, 2 reads for the answer after it (the member and its account)', async () => {
    await boundConsumer(services, 'u1', '13912345678');
    const { codes } = await makeBatch(services, { count: 30 });
    const store = countingStore(services.store);
    const counted = { ...services, store };
    await redeem(counted, 'u1', { code: codes[0] }); // warms the batch cache and opens the account
    store.reset();
    const n = 20;
    for (const code of codes.slice(1, 1 + n)) expect(await redeem(counted, 'u1', { code })).toMatchObject({ ok: true });
    const c = store.counts;
    expect({ transactions: c.transactions / n, txReads: c.txReads / n, txWrites: c.txWrites / n, reads: c.reads / n, writes: c.writes, queries: c.queries })
      .toEqual({ transactions: 1, txReads: 2, txWrites: 3, reads: 4, writes: 0, queries: 0 });
    expect(c.detail).toMatchObject({ 'tx.get accounts': n, 'tx.get balances': n, 'tx.create ledger': n, 'tx.set accounts': n, 'tx.set balances': n, 'get members': n, 'get accounts': n });
    expect(c.detail['get balances']).toBeUndefined();
    expect(c.detail['get codeBatches']).toBeUndefined();
    // and the books still balance
    const [balance] = await services.dump('balances');
    expect(balance).toMatchObject({ points: 21 * 20 });
  });

  test('a forged code costs no store operation at all; an unknown batch one read', async () => {
    await boundConsumer(services, 'u1', '13912345678');
    const { codes } = await makeBatch(services);
    const store = countingStore(services.store);
    const counted = { ...services, store };
    await redeem(counted, 'u1', { code: `${codes[0]!.slice(0, -1)}${codes[0]!.endsWith('Z') ? 'Y' : 'Z'}` });
    expect(store.counts).toMatchObject({ transactions: 0, txReads: 0, txWrites: 0, reads: 0, writes: 0, queries: 0 });
    // signed under our key for a batch that was never recorded: the batch read, then nothing (cached)
    const orphan = batchSigner(services.secrets.codeKeys[0]!, 'ZZZZ', 12);
    expect(await redeem(counted, 'u1', { code: orphan(1) })).toMatchObject({ ok: false, error: { code: 'CODE_INVALID' } });
    expect(await redeem(counted, 'u1', { code: orphan(2) })).toMatchObject({ ok: false, error: { code: 'CODE_INVALID' } });
    expect(store.counts).toMatchObject({ transactions: 0, txReads: 0, txWrites: 0, reads: 1, writes: 0, queries: 0, detail: { 'get codeBatches': 1 } });
  });
});
