import fc from 'fast-check';
import { runs, timeoutFor } from '../support/property';
import { isDeepStrictEqual } from 'node:util';
import type { CollectionSpecs } from '../../cloudfunctions/core/store/collections';
import { Doc, DocStore, StoreBusyError, StoreConflictError, StoreNotFoundError, StoreQueryError } from '../../cloudfunctions/core/store/port';

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

/** Every order of the items (few: a handful of transactions). */
function orderings<T>(items: T[]): T[][] {
  if (items.length <= 1) return [items];
  return items.flatMap((item, i) => orderings([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]));
}

/** How an adapter lets transactions that write the same documents at once go through. */
export type Concurrency =
  /** One after another, in the order they were asked for; none refused (SQLite). */
  | 'queued'
  /**
   * Optimistically: colliding runs are rerun, and a transaction still colliding after its last run
   * is refused as busy (StoreBusyError), having written nothing (CloudBase). The committed ones
   * must still read as if they ran one after another, in some order.
   */
  | 'optimistic';

/**
 * The behaviour every DocStore adapter must show. `open` gives a fresh, empty
 * store for each test.
 */
export function storeContract(
  open: () => Promise<{ store: DocStore; close(): Promise<void> }>,
  { concurrency = 'queued', propertyRuns = 150 }: { concurrency?: Concurrency; propertyRuns?: number } = {},
): void {
  let store: DocStore;
  let close: () => Promise<void>;
  beforeEach(async () => ({ store, close } = await open()));
  afterEach(async () => close());

  const thing = (id: string, kind = 'a', rank = 1): Thing => ({ _id: id, kind, rank });

  /**
   * Runs transactions at once and answers how many committed. A queued store commits every one;
   * an optimistic one may refuse some as busy, but no other way, and commits at least one.
   */
  async function committedOf(runs: Promise<unknown>[]): Promise<number> {
    const outcomes = await Promise.allSettled(runs);
    const refused = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected').map((o) => o.reason);
    if (concurrency === 'queued') expect(refused).toEqual([]);
    for (const reason of refused) expect(reason).toBeInstanceOf(StoreBusyError);
    expect(refused.length).toBeLessThan(runs.length);
    return runs.length - refused.length;
  }

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
      const committed = await committedOf(Array.from({ length: 20 }, () => store.transaction((tx) => tx.increment('counters', 'c1', { n: 1 }))));
      expect(await store.get('counters', 'c1')).toEqual({ _id: 'c1', n: committed });
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
      const committed = await committedOf(Array.from({ length: 50 }, () => store.transaction(async (tx) => {
        const counter = await tx.get<Doc & { n: number }>('counters', 'c');
        await tx.update('counters', 'c', { n: counter!.n + 1 });
      })));
      expect(await store.get('counters', 'c')).toEqual({ _id: 'c', n: committed });
    });

    it('lets two creators of one id race: one document, the other refused as a conflict', async () => {
      const outcomes = await Promise.allSettled(['a', 'b'].map((kind) => store.transaction((tx) => tx.create('things', thing('race', kind)))));
      const created = outcomes.findIndex((o) => o.status === 'fulfilled');
      expect(outcomes.map((o) => o.status).sort()).toEqual(['fulfilled', 'rejected']);
      expect((outcomes[1 - created] as PromiseRejectedResult).reason).toBeInstanceOf(StoreConflictError);
      expect(await store.get('things', 'race')).toEqual(thing('race', created === 0 ? 'a' : 'b'));
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

    it('every committed write lands and queries follow it, whatever was read before (property)', async () => {
      // Transactions of reads and writes on two documents, some run together (one commit
      // group), some failing on purpose or on a conflict. A model applies the same
      // transactions in the same order, each all or nothing; afterwards every document
      // and every query by an indexed field must agree with it.
      const ids = ['x0', 'x1'];
      const kinds = ['a', 'b'];
      const step = fc.oneof(
        fc.record({ op: fc.constant('get' as const), id: fc.constantFrom(...ids) }),
        fc.record({ op: fc.constant('set' as const), id: fc.constantFrom(...ids), kind: fc.constantFrom(...kinds), rank: fc.integer({ min: 0, max: 3 }), note: fc.string({ maxLength: 2 }) }),
        fc.record({ op: fc.constant('create' as const), id: fc.constantFrom(...ids), kind: fc.constantFrom(...kinds), rank: fc.integer({ min: 0, max: 3 }) }),
        fc.record({ op: fc.constant('update' as const), id: fc.constantFrom(...ids), kind: fc.option(fc.constantFrom(...kinds), { nil: undefined }), note: fc.string({ maxLength: 2 }) }),
        fc.record({ op: fc.constant('increment' as const), id: fc.constantFrom(...ids), rank: fc.integer({ min: -1, max: 1 }), kind: fc.option(fc.constantFrom(...kinds), { nil: undefined }) }),
        fc.record({ op: fc.constant('remove' as const), id: fc.constantFrom(...ids) }),
      );
      type Step = typeof step extends fc.Arbitrary<infer S> ? S : never;
      const transaction = fc.record({ steps: fc.array(step, { minLength: 1, maxLength: 5 }), fails: fc.boolean() });
      let run = 0;
      await fc.assert(fc.asyncProperty(fc.array(fc.array(transaction, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 5 }), async (rounds) => {
        run++;
        const id = (name: string) => `r${run}-${name}`;
        const kind = (name: string) => `r${run}-${name}`;
        // the whole document each step leaves, or null; throws where the store refuses
        const apply = (current: Thing | null, s: Step): Thing | null => {
          if (s.op === 'get') return current;
          if (s.op === 'remove') return null;
          if (s.op === 'set') return { _id: id(s.id), kind: kind(s.kind), rank: s.rank, note: s.note };
          if (s.op === 'create') {
            if (current) throw new Error('exists');
            return { _id: id(s.id), kind: kind(s.kind), rank: s.rank };
          }
          if (!current) throw new Error('missing');
          const kindPatch = s.kind === undefined ? {} : { kind: kind(s.kind) };
          return s.op === 'update' ? { ...current, ...kindPatch, note: s.note } : { ...current, ...kindPatch, rank: current.rank + s.rank };
        };
        type Transaction = { steps: Step[]; fails: boolean };
        type State = Map<string, Thing | null>;
        /** The documents after this transaction, or null where it fails (refused or rolled back). */
        const tryApply = (state: State, { steps, fails }: Transaction): State | null => {
          const next = new Map(state);
          try {
            for (const s of steps) next.set(id(s.id), apply(next.get(id(s.id)) ?? null, s));
          } catch {
            return null;
          }
          return fails ? null : next;
        };
        let model: State = new Map();
        for (const together of rounds) {
          const outcomes = await Promise.allSettled(together.map(({ steps, fails }) => store.transaction(async (tx) => {
            for (const s of steps) {
              const key = id(s.id);
              if (s.op === 'get') await tx.get('things', key);
              else if (s.op === 'set') await tx.set('things', apply(null, s)!);
              else if (s.op === 'create') await tx.create('things', apply(null, s)!);
              else if (s.op === 'update') await tx.update('things', key, { ...(s.kind === undefined ? {} : { kind: kind(s.kind) }), note: s.note });
              else if (s.op === 'increment') await tx.increment('things', key, { rank: s.rank }, s.kind === undefined ? {} : { kind: kind(s.kind) });
              else await tx.remove('things', key);
            }
            if (fails) throw new Error('rolled back on purpose');
          })));
          // a transaction fails only by its own doing, or (optimistic) as busy
          for (const outcome of outcomes) {
            if (outcome.status === 'fulfilled') continue;
            const reason = outcome.reason as Error;
            const expected = reason.message === 'rolled back on purpose' || reason instanceof StoreConflictError || reason instanceof StoreNotFoundError
              || (concurrency === 'optimistic' && reason instanceof StoreBusyError);
            expect({ reason, expected }).toEqual({ reason, expected: true });
          }
          if (concurrency === 'queued') {
            // the store runs a group's transactions one after another, in the order they were asked for
            together.forEach((t, i) => {
              const next = tryApply(model, t);
              expect(outcomes[i]!.status).toBe(next ? 'fulfilled' : 'rejected');
              model = next ?? model;
            });
            continue;
          }
          // An optimistic store commits the ones that went through in an order of its own: the
          // documents must be what some order of exactly those gives, each succeeding in its turn.
          const committed = together.filter((_, i) => outcomes[i]!.status === 'fulfilled');
          const stored = await Promise.all(ids.map((name) => store.get<Thing>('things', id(name))));
          const serial = orderings(committed)
            .map((order) => order.reduce<State | null>((state, t) => state && tryApply(state, t), model))
            .find((state) => state && isDeepStrictEqual(ids.map((name) => state.get(id(name)) ?? null), stored));
          expect({ together, outcomes, stored, serial: serial ? 'found' : 'none' }).toEqual({ together, outcomes, stored, serial: 'found' });
          model = serial!;
        }
        const expectedDocs = ids.map((name) => model.get(id(name)) ?? null);
        expect(await Promise.all(ids.map((name) => store.get<Thing>('things', id(name))))).toEqual(expectedDocs);
        for (const k of kinds) {
          const expected = expectedDocs.filter((doc): doc is Thing => doc?.kind === kind(k)).sort((a, b) => a.rank - b.rank || (a._id < b._id ? -1 : 1)).map((doc) => doc._id);
          const page = await store.query<Thing>('things', { where: { kind: kind(k) }, orderBy: 'rank', direction: 'asc', limit: 10 });
          expect(page.items.map((doc) => doc._id)).toEqual(expected);
        }
      }), {
        numRuns: runs(propertyRuns),
        examples: [
          // read, removed and written again in one transaction, same indexed fields
          [[[{ steps: [{ op: 'create', id: 'x0', kind: 'a', rank: 1 }], fails: false }], [{ steps: [{ op: 'get', id: 'x0' }, { op: 'remove', id: 'x0' }, { op: 'set', id: 'x0', kind: 'a', rank: 2, note: '' }], fails: false }]]],
          // one transaction of a group changes an indexed field and is rolled back; the next writes the same change blind
          [[[{ steps: [{ op: 'create', id: 'x0', kind: 'a', rank: 1 }], fails: false }], [{ steps: [{ op: 'get', id: 'x0' }], fails: false }, { steps: [{ op: 'set', id: 'x0', kind: 'b', rank: 1, note: '' }], fails: true }, { steps: [{ op: 'set', id: 'x0', kind: 'b', rank: 1, note: 'y' }], fails: false }]]],
          // each removes (absent) what the other writes: under snapshot isolation both could commit
          [[[{ steps: [{ op: 'set', id: 'x0', kind: 'a', rank: 0, note: '' }, { op: 'remove', id: 'x1' }], fails: false }, { steps: [{ op: 'remove', id: 'x0' }, { op: 'set', id: 'x1', kind: 'a', rank: 0, note: '' }], fails: false }, { steps: [{ op: 'update', id: 'x0', kind: undefined, note: '' }], fails: false }]]],
        ],
      });
    }, timeoutFor());

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
      }), { numRuns: runs(20) });
    }, timeoutFor());
  });
}
