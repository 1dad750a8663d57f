import Database from 'better-sqlite3';
import { StoreConflictError, StoreQueryError } from '../../cloudfunctions/core/store/port';
import { SqliteStore } from '../../cloudfunctions/core/store/sqlite';
import { tempDir } from '../support/temp';
import { CONTRACT_COLLECTIONS, storeContract } from './contract';

describe('SQLite adapter', () => {
  storeContract(async () => {
    const temp = tempDir();
    const store = new SqliteStore({ file: temp.file('store.db'), collections: CONTRACT_COLLECTIONS });
    return { store, close: async () => { await store.close(); temp.cleanup(); } };
  });

  it('keeps committed documents across a reopen of the file', async () => {
    const temp = tempDir();
    const file = temp.file('nested/dir/store.db');
    const first = new SqliteStore({ file, collections: CONTRACT_COLLECTIONS });
    await first.transaction((tx) => tx.create('things', { _id: 'x', kind: 'a', rank: 1 }));
    await first.close();
    const second = new SqliteStore({ file, collections: CONTRACT_COLLECTIONS });
    expect(await second.get('things', 'x')).toEqual({ _id: 'x', kind: 'a', rank: 1 });
    await second.close();
    temp.cleanup();
  });

  it('reads outside a transaction never see another caller\'s uncommitted writes', async () => {
    const temp = tempDir();
    const store = new SqliteStore({ file: temp.file('s.db'), collections: CONTRACT_COLLECTIONS });
    let seenDuring: unknown = 'unset';
    await store.transaction(async (tx) => {
      await tx.create('things', { _id: 'x', kind: 'a', rank: 1 });
      seenDuring = await store.get('things', 'x');
    });
    expect(seenDuring).toBeNull();
    expect(await store.get('things', 'x')).not.toBeNull();
    await store.close();
    temp.cleanup();
  });

  it('commits concurrent transactions in groups, each rolled back on its own', async () => {
    const temp = tempDir();
    const store = new SqliteStore({ file: temp.file('s.db'), collections: CONTRACT_COLLECTIONS });
    const boom = new Error('boom');
    const [a, b, c, d] = await Promise.allSettled([
      store.transaction((tx) => tx.create('things', { _id: 'x', kind: 'a', rank: 1 })),
      store.transaction(async (tx) => {
        await tx.create('things', { _id: 'y', kind: 'a', rank: 2 });
        throw boom;
      }),
      store.transaction((tx) => tx.create('things', { _id: 'x', kind: 'b', rank: 3 })),
      store.transaction(async (tx) => (await tx.get('things', 'x')) !== null),
    ]);
    expect(a).toEqual({ status: 'fulfilled', value: undefined });
    expect(b).toEqual({ status: 'rejected', reason: boom });
    expect(c).toMatchObject({ status: 'rejected', reason: expect.any(StoreConflictError) });
    expect(d).toEqual({ status: 'fulfilled', value: true });
    expect(await store.get('things', 'x')).toEqual({ _id: 'x', kind: 'a', rank: 1 });
    expect(await store.get('things', 'y')).toBeNull();
    await store.close();
    temp.cleanup();
  });

  it('drops an index a database still has from an earlier version once it is no longer declared, and keeps the rest', async () => {
    const temp = tempDir();
    const file = temp.file('s.db');
    const before = new SqliteStore({ file, collections: { things: { indexes: [['kind', 'rank'], ['kind']] }, counters: { indexes: [] } } });
    await before.transaction((tx) => tx.create('things', { _id: 'x', kind: 'a', rank: 1 }));
    await before.close();
    const after = new SqliteStore({ file, collections: { things: { indexes: [['kind', 'rank']] }, counters: { indexes: [] } } });
    const raw = new Database(file, { readonly: true });
    const indexes = raw.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'doc_things' AND sql IS NOT NULL").pluck().all();
    raw.close();
    expect(indexes).toEqual(['doc_things__kind_rank']);
    expect((await after.query('things', { where: { kind: 'a' }, orderBy: 'rank', limit: 10 })).items).toEqual([{ _id: 'x', kind: 'a', rank: 1 }]);
    await expect(after.query('counters', { where: { kind: 'a' }, limit: 10 })).rejects.toBeInstanceOf(StoreQueryError);
    await after.close();
    temp.cleanup();
  });
});
