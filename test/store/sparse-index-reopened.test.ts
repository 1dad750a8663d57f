/**
 * The `sparse` index option (store/collections.ts, the SQLite adapter's partial index):
 * a database opened again by the same version is left as it is,
 * its sparse index neither dropped and made again nor its rows refilled on every start.
 */
import Database from 'better-sqlite3';
import { COLLECTIONS, type CollectionSpecs } from '../../cloudfunctions/core/store/collections';
import { SqliteStore } from '../../cloudfunctions/core/store/sqlite';
import { tempDir } from '../support/temp';

/** What a raw connection sees of the file: its schema's version, and whether another connection changed it since the last look. */
function watch(file: string) {
  const raw = new Database(file);
  const schema = () => raw.pragma('schema_version', { simple: true });
  const data = () => raw.pragma('data_version', { simple: true });
  return { schema, data, close: () => raw.close() };
}

describe('a sparse index on a database opened again', () => {
  it('is kept as it is, and no row is written, when nothing about it changed', async () => {
    const temp = tempDir();
    const file = temp.file('s.db');
    const specs: CollectionSpecs = { things: { indexes: [['kind', 'rank'], ['rank']], sparse: ['kind'] }, counters: { indexes: [] } };
    const first = new SqliteStore({ file, collections: specs });
    await first.transaction(async (tx) => {
      await tx.create('things', { _id: 'x', kind: 'a', rank: 2 });
      await tx.create('things', { _id: 'y', rank: 1 });
    });
    await first.close();

    const seen = watch(file);
    const [schema, data] = [seen.schema(), seen.data()];
    const again = new SqliteStore({ file, collections: specs });
    expect((await again.query('things', { where: { kind: 'a' }, orderBy: 'rank', limit: 10 })).items.map((d) => d._id)).toEqual(['x']);
    await again.close();
    expect(seen.schema()).toBe(schema);
    expect(seen.data()).toBe(data);
    seen.close();
    temp.cleanup();
  });

  it('the core\'s own collections: a database opened again is not written as it opens', async () => {
    const temp = tempDir();
    const file = temp.file('s.db');
    const first = new SqliteStore({ file, collections: COLLECTIONS });
    await first.transaction(async (tx) => {
      await tx.create('accounts', { _id: 'tmall:T1', nextExpiry: '9999', waitingChannel: 'tmall', waitingSince: '2026-11-23T02:00:00.000Z' });
      await tx.create('accounts', { _id: 'tmall:T2', nextExpiry: '9999' });
    });
    await first.close();
    const seen = watch(file);
    const [schema, data] = [seen.schema(), seen.data()];
    await new SqliteStore({ file, collections: COLLECTIONS }).close();
    expect(seen.schema()).toBe(schema);
    expect(seen.data()).toBe(data);
    seen.close();
    temp.cleanup();
  });
});
