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
 * here. Inside its one transaction: the claim is created blind (no read), which
 * also proves its ledger entry is new (no replay read); the points ledger
 * (points/ledger.ts) reads the account and the balance, and writes entry,
 * account and balance. Outside:
 * the caller's openid identifier and `wechat:` record (identity/lookup.ts);
 * the batch comes from the instance's cache.
 */
describe('store operations per redemption', () => {
  test('one transaction; 2 reads + 4 writes in it, 2 identity reads outside, no batch read once warm', async () => {
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
      .toEqual({ transactions: 1, txReads: 2, txWrites: 4, reads: 2, writes: 0, queries: 0 });
    expect(c.detail['tx.create codeClaims']).toBe(n);
    expect(c.detail['get codeBatches']).toBeUndefined();
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
