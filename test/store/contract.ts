import fc from 'fast-check';
import type { CollectionSpecs } from '../../cloudfunctions/core/store/collections';
import { Doc, DocStore, StoreConflictError, StoreNotFoundError, StoreQueryError } from '../../cloudfunctions/core/store/port';

/** Collections the contract suite uses; each adapter under test is opened with these. */
export const CONTRACT_COLLECTIONS: CollectionSpecs = {
  things: { indexes: [['kind', 'rank'], ['kind']] },
  counters: { indexes: [] },
};

interface Thing extends Doc {
  kind: string;
  rank: number;
  note?: string | null;
}

/**
 * The behaviour every DocStore adapter must show. `open` gives a fresh, empty
 * store for each test.
 */
export function storeContract(open: () => Promise<{ store: DocStore; close(): Promise<void> }>): void {
  let store: DocStore;
  let close: () => Promise<void>;
  beforeEach(async () => ({ store, close } = await open()));
  afterEach(async () => close());

  const thing = (id: string, kind = 'a', rank = 1): Thing => ({ _id: id, kind, rank });

  describe('create-if-absent', () => {
    it('creates a document that reads back exactly as written', async () => {
      const doc = { _id: 't1', kind: 'a', rank: 3, nested: { list: [1, 'x', null] }, flag: true, note: null };
      await store.transaction((tx) => tx.create('things', doc));
      expect(await store.get('things', 't1')).toEqual(doc);
    });

    it('refuses a second create of the same id with a typed conflict and keeps the first', async () => {
      await store.transaction((tx) => tx.create('things', thing('t1', 'a', 1)));
      await expect(store.transaction((tx) => tx.create('things', thing('t1', 'b', 2)))).rejects.toBeInstanceOf(StoreConflictError);
      expect(await store.get('things', 't1')).toEqual(thing('t1', 'a', 1));
    });

    it('answers null for a missing document, inside and outside a transaction', async () => {
      expect(await store.get('things', 'nope')).toBeNull();
      expect(await store.transaction((tx) => tx.get('things', 'nope'))).toBeNull();
    });
  });

  describe('writes by id', () => {
    it('set replaces the whole document; update replaces only the given fields', async () => {
      await store.transaction((tx) => tx.set('things', { _id: 't1', kind: 'a', rank: 1, note: 'x' }));
      await store.transaction((tx) => tx.set('things', thing('t1', 'b', 2)));
      expect(await store.get('things', 't1')).toEqual(thing('t1', 'b', 2));
      await store.transaction((tx) => tx.update('things', 't1', { rank: 5, note: null }));
      expect(await store.get('things', 't1')).toEqual({ _id: 't1', kind: 'b', rank: 5, note: null });
    });

    it('update of a missing document fails with a typed not-found and writes nothing', async () => {
      await expect(store.transaction((tx) => tx.update('things', 'ghost', { rank: 1 }))).rejects.toBeInstanceOf(StoreNotFoundError);
      expect(await store.get('things', 'ghost')).toBeNull();
    });

    it('increment adds to numeric fields (absent counts as 0) and sets the patch, keeping the rest', async () => {
      await store.transaction((tx) => tx.create('counters', { _id: 'c1', points: 10, owed: 0, label: 'x', nested: { a: 1 } }));
      await store.transaction((tx) => tx.increment('counters', 'c1', { points: 5, owed: -2, fresh: 3 }, { label: 'y' }));
      await store.transaction((tx) => tx.increment('counters', 'c1', { points: -20 }));
      expect(await store.get('counters', 'c1')).toEqual({ _id: 'c1', points: -5, owed: -2, fresh: 3, label: 'y', nested: { a: 1 } });
    });

    it('increments from concurrent transactions all count', async () => {
      await store.transaction((tx) => tx.create('counters', { _id: 'c1', n: 0 }));
      await Promise.all(Array.from({ length: 20 }, () => store.transaction((tx) => tx.increment('counters', 'c1', { n: 1 }))));
      expect(await store.get('counters', 'c1')).toEqual({ _id: 'c1', n: 20 });
    });

    it('increment of a missing document fails with a typed not-found and writes nothing', async () => {
      await expect(store.transaction((tx) => tx.increment('counters', 'ghost', { n: 1 }))).rejects.toBeInstanceOf(StoreNotFoundError);
      expect(await store.get('counters', 'ghost')).toBeNull();
    });

    it('remove deletes, and removing again is harmless', async () => {
      await store.transaction((tx) => tx.create('things', thing('t1')));
      await store.transaction((tx) => tx.remove('things', 't1'));
      await store.transaction((tx) => tx.remove('things', 't1'));
      expect(await store.get('things', 't1')).toBeNull();
    });
  });

  describe('conditional update', () => {
    it('applies the patch only when every expected field holds', async () => {
      await store.transaction((tx) => tx.create('things', { ...thing('t1', 'a', 1), note: null }));
      expect(await store.updateIf('things', 't1', { kind: 'b' }, { rank: 9 })).toBe(false);
      expect(await store.updateIf('things', 't1', { kind: 'a', note: null }, { rank: 9 })).toBe(true);
      expect(await store.updateIf('things', 't1', { rank: 1 }, { rank: 10 })).toBe(false);
      expect(await store.get('things', 't1')).toEqual({ ...thing('t1', 'a', 9), note: null });
    });

    it('answers false for a missing document and creates nothing', async () => {
      expect(await store.updateIf('things', 'ghost', { kind: 'a' }, { rank: 1 })).toBe(false);
      expect(await store.get('things', 'ghost')).toBeNull();
    });
  });

  describe('transactions', () => {
    it('rolls back every write when the callback throws, and rethrows', async () => {
      await store.transaction((tx) => tx.create('things', thing('keep', 'a', 1)));
      const boom = new Error('boom');
      await expect(store.transaction(async (tx) => {
        await tx.create('things', thing('t2'));
        await tx.update('things', 'keep', { rank: 99 });
        throw boom;
      })).rejects.toBe(boom);
      expect(await store.get('things', 't2')).toBeNull();
      expect(await store.get('things', 'keep')).toEqual(thing('keep', 'a', 1));
    });

    it('rolls back earlier writes when a later create conflicts', async () => {
      await store.transaction((tx) => tx.create('things', thing('dup')));
      await expect(store.transaction(async (tx) => {
        await tx.create('things', thing('fresh'));
        await tx.create('things', thing('dup'));
      })).rejects.toBeInstanceOf(StoreConflictError);
      expect(await store.get('things', 'fresh')).toBeNull();
    });

    it('returns the callback result and sees its own writes', async () => {
      const seen = await store.transaction(async (tx) => {
        await tx.create('things', thing('t1', 'a', 7));
        return (await tx.get<Thing>('things', 't1'))?.rank;
      });
      expect(seen).toBe(7);
    });

    it('runs concurrent read-modify-write transactions without losing an update', async () => {
      await store.transaction((tx) => tx.create('counters', { _id: 'c', n: 0 }));
      await Promise.all(Array.from({ length: 50 }, () => store.transaction(async (tx) => {
        const counter = await tx.get<Doc & { n: number }>('counters', 'c');
        await tx.update('counters', 'c', { n: counter!.n + 1 });
      })));
      expect(await store.get('counters', 'c')).toEqual({ _id: 'c', n: 50 });
    });
  });

  describe('indexed queries', () => {
    beforeEach(async () => {
      await store.transaction(async (tx) => {
        for (const [id, kind, rank] of [['t1', 'a', 3], ['t2', 'a', 1], ['t3', 'b', 2], ['t4', 'a', 3], ['t5', 'a', 2]] as const) {
          await tx.create('things', thing(id, kind, rank));
        }
      });
    });

    it('filters by equality and orders by a field with ties broken by id', async () => {
      const page = await store.query<Thing>('things', { where: { kind: 'a' }, orderBy: 'rank', direction: 'desc', limit: 10 });
      expect(page.items.map((t) => t._id)).toEqual(['t4', 't1', 't5', 't2']);
      expect(page.nextCursor).toBeNull();
    });

    it('pages with a cursor, each item exactly once', async () => {
      const first = await store.query<Thing>('things', { where: { kind: 'a' }, orderBy: 'rank', direction: 'asc', limit: 3 });
      expect(first.items.map((t) => t._id)).toEqual(['t2', 't5', 't1']);
      const second = await store.query<Thing>('things', { where: { kind: 'a' }, orderBy: 'rank', direction: 'asc', limit: 3, cursor: first.nextCursor });
      expect(second.items.map((t) => t._id)).toEqual(['t4']);
      expect(second.nextCursor).toBeNull();
    });

    it('refuses undeclared fields, bad limits and malformed cursors', async () => {
      await expect(store.query('things', { where: { note: 'x' }, limit: 10 })).rejects.toBeInstanceOf(StoreQueryError);
      await expect(store.query('things', { limit: 0 })).rejects.toBeInstanceOf(StoreQueryError);
      await expect(store.query('things', { limit: 10, cursor: 'not-a-cursor' })).rejects.toBeInstanceOf(StoreQueryError);
    });

    it('any page size walks the same sequence as one big page (property)', async () => {
      const all = await store.query<Thing>('things', { orderBy: 'rank', direction: 'desc', limit: 100 });
      await fc.assert(fc.asyncProperty(fc.integer({ min: 1, max: 6 }), async (size) => {
        const walked: string[] = [];
        let cursor: string | null = null;
        do {
          const page: { items: Thing[]; nextCursor: string | null } = await store.query<Thing>('things', { orderBy: 'rank', direction: 'desc', limit: size, cursor });
          walked.push(...page.items.map((t) => t._id));
          cursor = page.nextCursor;
        } while (cursor);
        expect(walked).toEqual(all.items.map((t) => t._id));
      }), { numRuns: 20 });
    });
  });
}
