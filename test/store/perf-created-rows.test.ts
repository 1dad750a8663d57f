/**
 * SQLite does not remember the indexed fields of a row it creates (an import batch creates a
 * hundred thousand ledger entries, none written again): a document created and then written
 * again in the same transaction is upserted, whole. Whatever a transaction does to a document
 * after creating it, the store must answer reads and index queries by what it ends with.
 */
import fc from 'fast-check';
import { runs, timeoutFor } from '../support/property';
import type { Doc } from '../../cloudfunctions/core/store/port';
import { SqliteStore } from '../../cloudfunctions/core/store/sqlite';
import { tempDir } from '../support/temp';
import { CONTRACT_COLLECTIONS } from './contract';

type Step = { op: 'create' | 'set'; id: string; kind: string; rank: number } | { op: 'remove' | 'get'; id: string };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ op: fc.constantFrom('create' as const, 'set' as const), id: fc.constantFrom('x', 'y'), kind: fc.constantFrom('a', 'b'), rank: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ op: fc.constantFrom('remove' as const, 'get' as const), id: fc.constantFrom('x', 'y') }),
);

describe('rows created and written again in one transaction (SQLite)', () => {
  let temp: ReturnType<typeof tempDir>;
  let store: SqliteStore;
  beforeEach(() => {
    temp = tempDir();
    store = new SqliteStore({ file: temp.file('s.db'), collections: CONTRACT_COLLECTIONS });
  });
  afterEach(async () => {
    await store.close();
    temp.cleanup();
  });

  const found = async (where: Record<string, string | number>) => (await store.query('things', { where, limit: 10 })).items.map((d) => d._id);

  it('a document created, then set with other indexed fields or the same ones, is found by those it ends with', async () => {
    await store.transaction(async (tx) => {
      await tx.create('things', { _id: 't', kind: 'a', rank: 1 });
      await tx.set('things', { _id: 't', kind: 'b', rank: 2 });
      await tx.create('things', { _id: 'u', kind: 'a', rank: 1 });
      await tx.set('things', { _id: 'u', kind: 'a', rank: 1, note: 'body only' });
    });
    expect(await found({ kind: 'a' })).toEqual(['u']);
    expect(await found({ kind: 'b' })).toEqual(['t']);
    expect(await found({ kind: 'b', rank: 2 })).toEqual(['t']);
    expect(await store.get('things', 'u')).toEqual({ _id: 'u', kind: 'a', rank: 1, note: 'body only' });
  });

  it('any sequence of creates, sets, removes and reads in one transaction leaves documents and index queries as a model says', async () => {
    let round = 0;
    await fc.assert(fc.asyncProperty(fc.array(step, { maxLength: 12 }), async (steps) => {
      const prefix = `r${round++}-`;
      const model = new Map<string, Doc>();
      await store.transaction(async (tx) => {
        for (const s of steps) {
          const id = prefix + s.id;
          if (s.op === 'get') expect(await tx.get('things', id)).toEqual(model.get(id) ?? null);
          else if (s.op === 'remove') {
            await tx.remove('things', id);
            model.delete(id);
          } else if (s.op === 'set') {
            const doc = { _id: id, kind: `${prefix}${s.kind}`, rank: s.rank };
            await tx.set('things', doc);
            model.set(id, doc);
          } else if (s.op === 'create' && !model.has(id)) {
            const doc = { _id: id, kind: `${prefix}${s.kind}`, rank: s.rank };
            await tx.create('things', doc);
            model.set(id, doc);
          }
        }
      });
      for (const kind of ['a', 'b']) {
        const expected = [...model.values()].filter((d) => d.kind === `${prefix}${kind}`).map((d) => d._id).sort();
        expect(await found({ kind: `${prefix}${kind}` })).toEqual(expected);
        for (const rank of [1, 2, 3]) {
          expect(await found({ kind: `${prefix}${kind}`, rank })).toEqual(expected.filter((id) => model.get(id)!.rank === rank));
        }
      }
      for (const id of ['x', 'y']) expect(await store.get('things', prefix + id)).toEqual(model.get(prefix + id) ?? null);
    }), { numRuns: runs(150) });
  }, timeoutFor());
});
