import { StoreNotFoundError } from '../../cloudfunctions/core/store/port';
import { SqliteStore } from '../../cloudfunctions/core/store/sqlite';
import { TxCache } from '../../cloudfunctions/core/store/tx-cache';
import { countingStore } from '../codes/counting-store';
import { tempDir } from '../support/temp';
import { CONTRACT_COLLECTIONS } from './contract';

describe('TxCache increments', () => {
  let temp: ReturnType<typeof tempDir>;
  let sqlite: SqliteStore;
  let store: ReturnType<typeof countingStore>;
  beforeEach(async () => {
    temp = tempDir();
    sqlite = new SqliteStore({ file: temp.file('s.db'), collections: CONTRACT_COLLECTIONS });
    store = countingStore(sqlite);
    await store.transaction((tx) => tx.create('counters', { _id: 'c', n: 10, at: 'then' }));
    store.reset();
  });
  afterEach(async () => {
    await sqlite.close();
    temp.cleanup();
  });

  const inTx = (fn: (cache: TxCache) => Promise<unknown> | void) => store.transaction(async (tx) => {
    const cache = new TxCache(tx);
    await fn(cache);
    await cache.flush();
  });

  it('an unread document is moved by one blind increment at flush, several increments summed', async () => {
    await inTx((cache) => {
      cache.increment('counters', 'c', { n: 2 }, { at: 'a' });
      cache.increment('counters', 'c', { n: 3 }, { at: 'b' });
    });
    expect(store.counts).toMatchObject({ txReads: 0, txWrites: 1, detail: { 'tx.increment counters': 1 } });
    expect(await store.get('counters', 'c')).toEqual({ _id: 'c', n: 15, at: 'b' });
  });

  it('a read after an increment sees it, and the document is written once', async () => {
    await inTx(async (cache) => {
      cache.increment('counters', 'c', { n: 2 });
      expect(await cache.get('counters', 'c')).toMatchObject({ n: 12 });
      cache.increment('counters', 'c', { n: 1 });
      expect(await cache.get('counters', 'c')).toMatchObject({ n: 13 });
    });
    expect(store.counts).toMatchObject({ txReads: 1, txWrites: 1, detail: { 'tx.set counters': 1 } });
    expect(await store.get('counters', 'c')).toMatchObject({ n: 13 });
  });

  it('a whole document written after an increment supersedes it (no double count)', async () => {
    await inTx((cache) => {
      cache.increment('counters', 'c', { n: 2 });
      cache.put('counters', { _id: 'c', n: 100 });
    });
    expect(await store.get('counters', 'c')).toEqual({ _id: 'c', n: 100 });
  });

  it('incrementing a document known to be absent, or absent at flush, fails and writes nothing', async () => {
    await expect(inTx(async (cache) => {
      expect(await cache.get('counters', 'ghost')).toBeNull();
      cache.increment('counters', 'ghost', { n: 1 });
    })).rejects.toBeInstanceOf(StoreNotFoundError);
    await expect(inTx((cache) => {
      cache.put('counters', { _id: 'other', n: 1 });
      cache.increment('counters', 'ghost', { n: 1 });
    })).rejects.toBeInstanceOf(StoreNotFoundError);
    expect(await store.get('counters', 'other')).toBeNull();
    expect(await store.get('counters', 'ghost')).toBeNull();
  });

  it('a missing document with a rebuild is written whole instead, at flush or at the next read', async () => {
    const rebuilt = async () => ({ _id: 'fresh', n: 42 });
    await inTx((cache) => cache.increment('counters', 'fresh', { n: 1 }, {}, rebuilt));
    expect(await store.get('counters', 'fresh')).toEqual({ _id: 'fresh', n: 42 });
    await inTx(async (cache) => {
      expect(await cache.get('counters', 'other')).toBeNull();
      cache.increment('counters', 'other', { n: 1 }, {}, async () => ({ _id: 'other', n: 7 }));
      expect(await cache.get('counters', 'other')).toEqual({ _id: 'other', n: 7 });
    });
    expect(await store.get('counters', 'other')).toEqual({ _id: 'other', n: 7 });
  });

  it('two reads at once of an incremented document fold the increment once', async () => {
    await inTx(async (cache) => {
      cache.increment('counters', 'c', { n: 5 });
      const [a, b] = await Promise.all([cache.get('counters', 'c'), cache.get('counters', 'c')]);
      expect([a, b]).toEqual([expect.objectContaining({ n: 15 }), expect.objectContaining({ n: 15 })]);
    });
    expect(await store.get('counters', 'c')).toMatchObject({ n: 15 });
  });

  it('refuses to move and set the same field, on the cache and on the adapter', async () => {
    await expect(inTx((cache) => cache.increment('counters', 'c', { n: 1 }, { n: 3 }))).rejects.toThrow(/cannot also set/);
    await expect(store.transaction((tx) => tx.increment('counters', 'c', { n: 1 }, { n: 3 }))).rejects.toThrow(/cannot also set/);
    expect(await store.get('counters', 'c')).toMatchObject({ n: 10 });
  });
});
