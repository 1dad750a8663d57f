import { chmodSync, statSync, writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { COLLECTIONS, type CollectionSpecs } from '../../cloudfunctions/core/store/collections';
import { encodeCursor } from '../../cloudfunctions/core/store/cursor';
import { Doc, Page, Scalar, StoreBusyError, StoreConflictError, StoreQueryError, type QueryOptions } from '../../cloudfunctions/core/store/port';
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

  it('makes a new database, and its -wal and -shm, readable by its owner alone (it holds sealed phones and nicknames)', async () => {
    const temp = tempDir();
    const file = temp.file('private/store.db');
    const store = new SqliteStore({ file, collections: CONTRACT_COLLECTIONS });
    await store.transaction((tx) => tx.create('things', { _id: 'x', kind: 'a', rank: 1 }));
    expect([file, `${file}-wal`, `${file}-shm`].map((f) => statSync(f).mode & 0o777)).toEqual([0o600, 0o600, 0o600]);
    await store.close();
    temp.cleanup();
  });

  it('an empty file already at the path (a first run killed before SQLite wrote its header) becomes a database readable by its owner alone', async () => {
    const temp = tempDir();
    const file = temp.file('mc.db');
    writeFileSync(file, '');
    chmodSync(file, 0o644);
    const store = new SqliteStore({ file, collections: CONTRACT_COLLECTIONS });
    await store.transaction((tx) => tx.create('things', { _id: 'x', kind: 'a', rank: 1 }));
    const modes = [file, `${file}-wal`, `${file}-shm`].map((f) => statSync(f).mode & 0o777);
    await store.close();
    temp.cleanup();
    expect(modes).toEqual([0o600, 0o600, 0o600]);
  });

  it('refuses as busy, and goes on, the transactions waiting while another process holds the database', async () => {
    const temp = tempDir();
    const file = temp.file('s.db');
    const store = new SqliteStore({ file, collections: CONTRACT_COLLECTIONS, busyTimeoutMs: 50 });
    const other = new Database(file);
    other.exec('BEGIN IMMEDIATE');
    const waiting = [1, 2].map((n) => store.transaction((tx) => tx.create('things', { _id: `t${n}`, kind: 'a' })));
    for (const refused of waiting) await expect(refused).rejects.toBeInstanceOf(StoreBusyError);
    other.exec('ROLLBACK');
    other.close();
    await store.transaction((tx) => tx.create('things', { _id: 't3', kind: 'a' }));
    expect((await store.query('things', { limit: 10 })).items.map((doc) => doc._id)).toEqual(['t3']);
    await store.close();
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
    expect(indexes).toEqual(['doc_things__kind_rank__id']);
    expect((await after.query('things', { where: { kind: 'a' }, orderBy: 'rank', limit: 10 })).items).toEqual([{ _id: 'x', kind: 'a', rank: 1 }]);
    await expect(after.query('counters', { where: { kind: 'a' }, limit: 10 })).rejects.toBeInstanceOf(StoreQueryError);
    await after.close();
    temp.cleanup();
  });

  it('keeps in a sparse field\'s index the documents that carry it alone, read by its value, and makes it so on a database an earlier version indexed in full', async () => {
    const temp = tempDir();
    const file = temp.file('s.db');
    const full = new SqliteStore({ file, collections: { things: { indexes: [['kind', 'rank']] }, counters: { indexes: [] } } });
    await full.transaction(async (tx) => {
      await tx.create('things', { _id: 'x', kind: 'a', rank: 2 });
      await tx.create('things', { _id: 'y', rank: 1 });
    });
    await full.close();
    const sparse = new SqliteStore({ file, collections: { things: { indexes: [['kind', 'rank']], sparse: ['kind'] }, counters: { indexes: [] } } });
    await sparse.transaction(async (tx) => {
      await tx.create('things', { _id: 'z', kind: 'a', rank: 1 });
      await tx.create('things', { _id: 'w', rank: 3 });
    });
    const raw = new Database(file, { readonly: true });
    const indexes = raw.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'doc_things' AND sql IS NOT NULL").all() as { name: string; sql: string }[];
    const entries = raw.prepare('SELECT count(*) FROM doc_things INDEXED BY doc_things__kind_rank__id__sparse WHERE f_kind IS NOT NULL').pluck().get();
    raw.close();
    expect(indexes.map((index) => index.name)).toEqual(['doc_things__kind_rank__id__sparse']);
    expect(indexes[0]!.sql).toMatch(/WHERE f_kind IS NOT NULL$/);
    expect(entries).toBe(2);
    expect((await sparse.query('things', { where: { kind: 'a' }, orderBy: 'rank', limit: 10 })).items.map((d) => d._id)).toEqual(['z', 'x']);
    expect(sparse.explainQuery('things', { where: { kind: 'a' }, orderBy: 'rank', limit: 10, cursor: null }).join(' ')).toMatch(/USING INDEX doc_things__kind_rank__id__sparse/);
    await sparse.close();
    temp.cleanup();
  });

  it('reads every page of the queries the core makes off an index, sorting nothing (a sort per page made an export quadratic)', async () => {
    const temp = tempDir();
    const store = new SqliteStore({ file: temp.file('s.db') });
    const sorting: string[] = [];
    for (const [collection, { indexes }] of Object.entries(COLLECTIONS)) {
      for (const fields of indexes) {
        const leading = Object.fromEntries(fields.slice(0, -1).map((field) => [field, 'x']));
        const shapes: Omit<QueryOptions, 'limit'>[] = [
          { where: leading, orderBy: fields[fields.length - 1]! },
          { where: Object.fromEntries(fields.map((field) => [field, 'x'])) },
        ];
        for (const shape of shapes) {
          for (const direction of ['asc', 'desc'] as const) {
            // a later page: the cursor is where the previous one ended
            const cursor = encodeCursor({ value: 'x', id: 'x' });
            const plan = store.explainQuery(collection, { ...shape, direction, limit: 100, cursor });
            if (plan.some((step) => step.includes('TEMP B-TREE'))) sorting.push(`${collection} ${JSON.stringify({ ...shape, direction })}: ${plan.join(' | ')}`);
          }
        }
      }
    }
    expect(sorting).toEqual([]);
    await store.close();
    temp.cleanup();
  });

  it('makes again, with the id, an index an earlier version made without it', async () => {
    const temp = tempDir();
    const file = temp.file('s.db');
    const specs: CollectionSpecs = { things: { indexes: [['kind']] }, counters: { indexes: [] } };
    const first = new SqliteStore({ file, collections: specs });
    await first.transaction((tx) => tx.create('things', { _id: 'x', kind: 'a' }));
    await first.close();
    // as an earlier version left it
    const raw = new Database(file);
    raw.exec('DROP INDEX doc_things__kind__id; CREATE INDEX doc_things__kind ON doc_things (f_kind)');
    raw.close();
    const reopened = new SqliteStore({ file, collections: specs });
    const check = new Database(file, { readonly: true });
    const indexes = check.prepare("SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'doc_things' AND sql IS NOT NULL").pluck().all();
    check.close();
    expect(indexes).toEqual(['CREATE INDEX doc_things__kind__id ON doc_things (f_kind, id)']);
    expect((await reopened.query('things', { where: { kind: 'a' }, limit: 10 })).items).toEqual([{ _id: 'x', kind: 'a' }]);
    await reopened.close();
    temp.cleanup();
  });

  describe('a field indexed since its table was made', () => {
    const before: CollectionSpecs = { things: { indexes: [['kind']] }, counters: { indexes: [] } };
    const after: CollectionSpecs = { things: { indexes: [['kind'], ['tag']] }, counters: { indexes: [] } };
    // one document per kind of value the field can hold, absent included
    const docs: Doc[] = [
      { _id: 's', kind: 'a', tag: 'x' },
      { _id: 'n', kind: 'a', tag: 7 },
      // past 2^53 JSON holds it in shortest form (1152921504606847000), not the exact double
      { _id: 'big', kind: 'a', tag: 2 ** 60 },
      { _id: 't', kind: 'a', tag: true },
      { _id: 'f', kind: 'a', tag: false },
      { _id: 'z', kind: 'a', tag: null },
      { _id: 'u', kind: 'a' },
      { _id: 'o', kind: 'a', tag: { deep: ['é', 1.5, null] } },
    ];
    const ids = (page: Page<Doc>) => page.items.map((doc) => doc._id);
    /** The table as stored, with each column's storage class (better-sqlite3 reads 1 and 1.0 alike). */
    const dump = (file: string) => {
      const raw = new Database(file, { readonly: true });
      const rows = raw.prepare('SELECT id, body, f_kind, f_tag, typeof(f_tag) AS tagType FROM doc_things ORDER BY id').all();
      const schema = raw.prepare("SELECT type, name, sql FROM sqlite_master WHERE tbl_name = 'doc_things' ORDER BY name").all() as { type: string; name: string; sql: string | null }[];
      raw.close();
      return { rows, schema };
    };
    /** A database file made with `before` and holding `docs`. */
    async function oldDatabase(file: string): Promise<void> {
      const old = new SqliteStore({ file, collections: before });
      await old.transaction(async (tx) => { for (const doc of docs) await tx.create('things', doc); });
      await old.close();
    }

    it('gets its column on reopen, filled as a write would have filled it', async () => {
      const temp = tempDir();
      const file = temp.file('s.db');
      await oldDatabase(file);
      const store = new SqliteStore({ file, collections: after });
      await store.close();
      // the same documents written by a store that indexed the field from the start
      const control = new SqliteStore({ file: temp.file('control.db'), collections: after });
      await control.transaction(async (tx) => { for (const doc of docs) await tx.create('things', doc); });
      await control.close();
      expect(dump(file).rows).toEqual(dump(temp.file('control.db')).rows);
      temp.cleanup();
    });

    it('is queried and ordered on for the documents written before, for each kind of value', async () => {
      const temp = tempDir();
      const file = temp.file('s.db');
      await oldDatabase(file);
      const store = new SqliteStore({ file, collections: after });
      const where = async (tag: Scalar) => ids(await store.query('things', { where: { tag }, limit: 10 }));
      expect(await where('x')).toEqual(['s']);
      expect(await where(7)).toEqual(['n']);
      expect(await where(2 ** 60)).toEqual(['big']);
      expect(await where(true)).toEqual(['t']);
      expect(await where(false)).toEqual(['f']);
      expect(await where(null)).toEqual(['u', 'z']);
      expect(await where('y')).toEqual([]);
      // SQLite's order: NULL, then numbers (booleans as 1/0), then text (objects as their JSON)
      expect(ids(await store.query('things', { orderBy: 'tag', limit: 10 }))).toEqual(['u', 'z', 'f', 't', 'n', 'big', 's', 'o']);
      const firstPage = await store.query('things', { orderBy: 'tag', direction: 'desc', limit: 3 });
      expect(ids(firstPage)).toEqual(['o', 's', 'big']);
      expect(ids(await store.query('things', { orderBy: 'tag', direction: 'desc', limit: 3, cursor: firstPage.nextCursor! }))).toEqual(['n', 't', 'f']);
      await store.close();
      temp.cleanup();
    });

    it('takes new writes and queries after the upgrade, and a further reopen changes nothing', async () => {
      const temp = tempDir();
      const file = temp.file('s.db');
      await oldDatabase(file);
      const upgraded = new SqliteStore({ file, collections: after });
      await upgraded.transaction(async (tx) => {
        await tx.create('things', { _id: 'new', kind: 'b', tag: 'x' });
        await tx.update('things', 'n', { tag: 'x' });
        await tx.remove('things', 'z');
      });
      expect(ids(await upgraded.query('things', { where: { tag: 'x' }, limit: 10 }))).toEqual(['n', 'new', 's']);
      expect(ids(await upgraded.query('things', { where: { tag: 7 }, limit: 10 }))).toEqual([]);
      expect(ids(await upgraded.query('things', { where: { tag: null }, limit: 10 }))).toEqual(['u']);
      expect(ids(await upgraded.query('things', { where: { kind: 'b' }, limit: 10 }))).toEqual(['new']);
      await upgraded.close();
      const once = dump(file);

      const again = new SqliteStore({ file, collections: after });
      expect(ids(await again.query('things', { where: { tag: 'x' }, orderBy: 'tag', limit: 10 }))).toEqual(['n', 'new', 's']);
      await again.close();
      expect(dump(file)).toEqual(once);
      expect(once.schema.map((entry) => entry.name)).toEqual(['doc_things', 'doc_things__kind__id', 'doc_things__tag__id', 'sqlite_autoindex_doc_things_1']);
      temp.cleanup();
    });

    it('is filled again when indexed anew after a version that did not index it wrote its documents', async () => {
      const temp = tempDir();
      const file = temp.file('s.db');
      const first = new SqliteStore({ file, collections: after });
      await first.transaction(async (tx) => { for (const doc of docs) await tx.create('things', doc); });
      await first.close();
      // a version without the index (it drops it, keeps the column and no longer writes it)
      const without = new SqliteStore({ file, collections: before });
      await without.transaction(async (tx) => {
        await tx.update('things', 's', { tag: 'y' });
        await tx.create('things', { _id: 'late', kind: 'a', tag: 'x' });
      });
      await without.close();
      const again = new SqliteStore({ file, collections: after });
      expect(ids(await again.query('things', { where: { tag: 'x' }, limit: 10 }))).toEqual(['late']);
      expect(ids(await again.query('things', { where: { tag: 'y' }, limit: 10 }))).toEqual(['s']);
      await again.close();
      temp.cleanup();
    });
  });
});
