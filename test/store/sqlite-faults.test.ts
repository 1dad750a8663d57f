import Database from 'better-sqlite3';
import fc from 'fast-check';
import { runs, timeoutFor } from '../support/property';
import { memberFunction } from '../../cloudfunctions/core/functions/member';
import { invoke } from '../../cloudfunctions/core/runtime/handler';
import { StoreBusyError } from '../../cloudfunctions/core/store/port';
import { SqliteStore } from '../../cloudfunctions/core/store/sqlite';
import { callerOf, openTestServices } from '../support/services';
import { tempDir } from '../support/temp';
import { CONTRACT_COLLECTIONS } from './contract';

/**
 * The SQLite store failing in ways other than another process's lock: a connection that may not
 * write (a read-only file or disk), a full disk. The faults are real SQLite conditions on the
 * store's own writer connection (PRAGMA query_only, PRAGMA max_page_count), not stand-ins.
 */
const writerOf = (store: SqliteStore) => (store as unknown as { writer: Database.Database }).writer;

/** Every transaction settled, each as it ended. */
const settle = <T>(promises: Promise<T>[]) => Promise.allSettled(promises);

describe('SQLite store faults other than busy', () => {
  let temp: ReturnType<typeof tempDir>;
  let store: SqliteStore;
  beforeEach(() => {
    temp = tempDir();
    store = new SqliteStore({ file: temp.file('faults.db'), collections: CONTRACT_COLLECTIONS, durability: 'normal' });
  });
  afterEach(async () => {
    await store.close();
    temp.cleanup();
  });

  it('a BEGIN IMMEDIATE refused for another reason than a lock (the database may not be written) is answered as that error, not as busy', async () => {
    writerOf(store).pragma('query_only = 1');
    const refused = await settle([1, 2].map((n) => store.transaction((tx) => tx.create('things', { _id: `t${n}`, kind: 'a', rank: n }))));
    for (const outcome of refused) {
      expect(outcome.status).toBe('rejected');
      const reason = (outcome as PromiseRejectedResult).reason as { code?: string };
      // busy means "another process holds it: try again", which no retry would ever get past here
      expect(reason).not.toBeInstanceOf(StoreBusyError);
      expect(reason.code).toBe('SQLITE_READONLY');
    }
    writerOf(store).pragma('query_only = 0');
    await store.transaction((tx) => tx.create('things', { _id: 't3', kind: 'a', rank: 3 }));
    expect(await store.get('things', 't1')).toBeNull();
    expect(await store.get('things', 't3')).toMatchObject({ rank: 3 });
  });

  it('a full disk in a write SQLite cannot undo alone rolls back its transaction, and the store answers every caller and goes on', async () => {
    // an UPDATE of one row keeps no statement journal: on SQLITE_FULL SQLite rolls back the whole
    // transaction itself, and the ROLLBACK that followed found none and threw out of the writer loop
    await store.transaction(async (tx) => {
      for (let i = 0; i < 8; i++) await tx.create('things', { _id: `t${i}`, kind: 'a', rank: i, note: 'x' });
    });
    const writer = writerOf(store);
    writer.pragma(`max_page_count = ${writer.pragma('page_count', { simple: true }) as number}`);
    const big = 'y'.repeat(64 * 1024);
    const alone = await settle([store.transaction((tx) => tx.update('things', 't0', { note: big }))]);
    expect(alone[0]).toMatchObject({ status: 'rejected', reason: { code: 'SQLITE_FULL' } });
    // the same in the middle of a group: the transactions before it in the group lost their writes too
    const group = await settle([
      store.transaction((tx) => tx.update('things', 't1', { note: 'first' })),
      store.transaction((tx) => tx.update('things', 't2', { note: big })),
      store.transaction((tx) => tx.update('things', 't3', { note: 'after' })),
    ]);
    expect(group[1]).toMatchObject({ status: 'rejected', reason: { code: 'SQLITE_FULL' } });
    for (const [i, outcome] of group.entries()) {
      const note = (await store.get<{ _id: string; note: string }>('things', `t${i + 1}`))!.note;
      // whatever was answered is what is stored: no caller told "done" for a write that is not there
      expect(note).toBe(outcome.status === 'fulfilled' ? ['first', big, 'after'][i] : 'x');
    }
    writer.pragma('max_page_count = 1073741823');
    await store.transaction((tx) => tx.update('things', 't2', { note: big }));
    expect((await store.get<{ _id: string; note: string }>('things', 't2'))!.note).toBe(big);
  });

  it('property: with the disk filling up, every transaction is answered, and a write is stored exactly when it was answered done', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ size: fc.constantFrom(10, 3000, 40_000), create: fc.boolean() }), { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 0, max: 3 }),
        async (writes, room) => {
          const run = tempDir();
          const s = new SqliteStore({ file: run.file('p.db'), collections: CONTRACT_COLLECTIONS, durability: 'normal' });
          try {
            await s.transaction(async (tx) => {
              for (let i = 0; i < writes.length; i++) await tx.create('things', { _id: `t${i}`, kind: 'a', rank: i, note: '' });
            });
            const w = writerOf(s);
            w.pragma(`max_page_count = ${(w.pragma('page_count', { simple: true }) as number) + room}`);
            // all asked for at once: they run as one group, as a server's concurrent requests do
            const outcomes = await settle(writes.map(({ size, create }, i) => s.transaction(async (tx) => {
              if (create) await tx.create('things', { _id: `n${i}`, kind: 'b', rank: i, note: 'z'.repeat(size) });
              await tx.update('things', `t${i}`, { note: 'z'.repeat(size) });
            })));
            for (const [i, outcome] of outcomes.entries()) {
              if (outcome.status === 'rejected') expect((outcome.reason as { code?: string }).code).toBe('SQLITE_FULL');
              const done = outcome.status === 'fulfilled';
              expect((await s.get<{ _id: string; note: string }>('things', `t${i}`))!.note).toBe(done ? 'z'.repeat(writes[i]!.size) : '');
              expect(await s.get('things', `n${i}`)).toEqual(done && writes[i]!.create ? expect.objectContaining({ rank: i }) : null);
            }
          } finally {
            await s.close();
            run.cleanup();
          }
        },
      ),
      { numRuns: runs(25) },
    );
  }, timeoutFor());
});

describe('a consumer action when the store fails for another reason than busy', () => {
  it('answers INTERNAL (no retry loop on CONFLICT), with no SQLite message or stack in the envelope', async () => {
    const services = openTestServices();
    try {
      const login = await invoke(memberFunction, { action: 'login' }, callerOf('o_fault'), services);
      const { termsVersion } = (login as { data: { termsVersion: string } }).data;
      const writer = writerOf(services.store as SqliteStore);
      writer.pragma('query_only = 1');
      const answer = await invoke(memberFunction, { action: 'consent', version: termsVersion }, callerOf('o_fault'), services);
      writer.pragma('query_only = 0');
      expect(answer).toEqual({ ok: false, error: { code: 'INTERNAL', message: 'internal error' } });
    } finally {
      await services.close();
    }
  });
});
