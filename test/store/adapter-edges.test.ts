/**
 * Edges of the store port that the contract suite leaves to chance or does not reach, pinned on
 * both adapters (SQLite on a temp file; CloudBase through the real wx-server-sdk against the local
 * responder), then a few of each adapter's own, of TxCache and of allDocs. Each test here fails
 * for some small change to the store code that every other test lets through.
 */
import { allDocs } from '../../cloudfunctions/core/store/all-docs';
import { CloudBaseStore } from '../../cloudfunctions/core/store/cloudbase';
import type { Doc, DocStore } from '../../cloudfunctions/core/store/port';
import { StoreConflictError, StoreNotFoundError, StoreQueryError } from '../../cloudfunctions/core/store/port';
import { SqliteStore } from '../../cloudfunctions/core/store/sqlite';
import { TxCache } from '../../cloudfunctions/core/store/tx-cache';
import { responderForTests } from '../support/cloudbase-responder';
import { tempDir } from '../support/temp';
import { CONTRACT_COLLECTIONS } from './contract';

const cursorOf = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const ids = (docs: Doc[]) => docs.map((doc) => doc._id);

function portEdges(open: () => Promise<{ store: DocStore; close(): Promise<void> }>): void {
  let store: DocStore;
  let close: () => Promise<void>;
  beforeEach(async () => ({ store, close } = await open()));
  afterEach(async () => close());

  const kindOf = async (kind: string) => ids((await store.query('things', { where: { kind }, limit: 10 })).items);

  it('a document read, removed and written again with the same indexed fields in one transaction is stored and found', async () => {
    await store.transaction((tx) => tx.create('things', { _id: 'x', kind: 'a', rank: 1 }));
    await store.transaction(async (tx) => {
      await tx.get('things', 'x');
      await tx.remove('things', 'x');
      await tx.set('things', { _id: 'x', kind: 'a', rank: 1, note: 'again' });
    });
    expect(await store.get('things', 'x')).toEqual({ _id: 'x', kind: 'a', rank: 1, note: 'again' });
    expect(await kindOf('a')).toEqual(['x']);
  });

  it('a document read, then set to another indexed value and back in one transaction, is found by the value it ends with', async () => {
    await store.transaction((tx) => tx.create('things', { _id: 'x', kind: 'a', rank: 1 }));
    await store.transaction(async (tx) => {
      await tx.get('things', 'x');
      await tx.set('things', { _id: 'x', kind: 'b', rank: 1 });
      await tx.set('things', { _id: 'x', kind: 'a', rank: 1 });
    });
    expect(await kindOf('a')).toEqual(['x']);
    expect(await kindOf('b')).toEqual([]);
  });

  it('a patch leaves a field given as undefined as it is, and never moves the document to another id', async () => {
    await store.transaction((tx) => tx.create('things', { _id: 'x', kind: 'a', rank: 1, note: 'keep' }));
    await store.transaction((tx) => tx.update('things', 'x', { note: undefined, rank: 2 }));
    await store.transaction((tx) => tx.update('things', 'x', { note: undefined }));
    await store.transaction((tx) => tx.increment('things', 'x', { rank: 1 }, { note: undefined }));
    await store.transaction((tx) => tx.update('things', 'x', { _id: 'y', kind: 'b' }));
    expect(await store.get('things', 'x')).toEqual({ _id: 'x', kind: 'b', rank: 3, note: 'keep' });
    expect(await store.get('things', 'y')).toBeNull();
    // a patch with nothing to write still needs the document
    await expect(store.transaction((tx) => tx.update('things', 'ghost', { note: undefined }))).rejects.toBeInstanceOf(StoreNotFoundError);
  });

  it('refuses an increment that is not a finite number, writing nothing', async () => {
    await store.transaction((tx) => tx.create('counters', { _id: 'c', n: 1 }));
    for (const delta of [Number.NaN, Number.POSITIVE_INFINITY]) {
      await expect(store.transaction((tx) => tx.increment('counters', 'c', { n: delta }))).rejects.toThrow(/finite/);
    }
    expect(await store.get('counters', 'c')).toEqual({ _id: 'c', n: 1 });
  });

  it('gives no cursor for a page that holds exactly what is left', async () => {
    await store.transaction(async (tx) => {
      for (const id of ['t1', 't2', 't3']) await tx.create('things', { _id: id, kind: 'a', rank: 1 });
    });
    const page = await store.query('things', { where: { kind: 'a' }, orderBy: 'rank', limit: 3 });
    expect({ items: ids(page.items), nextCursor: page.nextCursor }).toEqual({ items: ['t1', 't2', 't3'], nextCursor: null });
    const first = await store.query('things', { where: { kind: 'a' }, orderBy: 'rank', limit: 2 });
    const rest = await store.query('things', { where: { kind: 'a' }, orderBy: 'rank', limit: 1, cursor: first.nextCursor });
    expect({ items: ids(rest.items), nextCursor: rest.nextCursor }).toEqual({ items: ['t3'], nextCursor: null });
  });

  it('refuses a cursor of the wrong shape and a limit that is not a whole number, before reading anything', async () => {
    for (const cursor of [cursorOf(['x', 5]), cursorOf(['x']), cursorOf([1, 'x', 2]), cursorOf([{ rank: 1 }, 'x']), cursorOf([[1], 'x'])]) {
      await expect(store.query('things', { where: { kind: 'a' }, orderBy: 'rank', limit: 2, cursor })).rejects.toBeInstanceOf(StoreQueryError);
    }
    await expect(store.query('things', { limit: 1.5 })).rejects.toBeInstanceOf(StoreQueryError);
  });

  describe('updateIf', () => {
    beforeEach(() => store.transaction((tx) => tx.create('things', { _id: 'x', kind: 'a', rank: 1 })));

    it('takes an expected null as holding for a field the document does not have', async () => {
      expect(await store.updateIf('things', 'x', { note: null }, { rank: 2 })).toBe(true);
      expect(await store.get('things', 'x')).toEqual({ _id: 'x', kind: 'a', rank: 2 });
    });

    it('answers false when the expectation fails, even though the document already holds the patch', async () => {
      expect(await store.updateIf('things', 'x', { kind: 'b' }, { rank: 1 })).toBe(false);
    });

    it('answers true when the document matches and already holds the patch, undefined fields ignored', async () => {
      expect(await store.updateIf('things', 'x', { kind: 'a' }, { rank: 1, kind: undefined })).toBe(true);
      expect(await store.updateIf('things', 'x', { kind: 'a' }, { kind: undefined, note: undefined })).toBe(true);
      expect(await store.get('things', 'x')).toEqual({ _id: 'x', kind: 'a', rank: 1 });
    });
  });
}

describe('SQLite adapter', () => {
  describe('port edges', () => {
    portEdges(async () => {
      const temp = tempDir();
      const store = new SqliteStore({ file: temp.file('s.db'), collections: CONTRACT_COLLECTIONS });
      return { store, close: async () => { await store.close(); temp.cleanup(); } };
    });
  });

  let temp: ReturnType<typeof tempDir>;
  beforeEach(() => (temp = tempDir()));
  afterEach(() => temp.cleanup());

  it('refuses to add to a field that is not a number, writing nothing', async () => {
    const store = new SqliteStore({ file: temp.file('s.db'), collections: CONTRACT_COLLECTIONS });
    await store.transaction((tx) => tx.create('counters', { _id: 'c', n: 'ten' }));
    await expect(store.transaction((tx) => tx.increment('counters', 'c', { n: 1 }))).rejects.toThrow(/non-numeric/);
    expect(await store.get('counters', 'c')).toEqual({ _id: 'c', n: 'ten' });
    await store.close();
  });

  it('close() first commits the transactions already asked for', async () => {
    const file = temp.file('s.db');
    const store = new SqliteStore({ file, collections: CONTRACT_COLLECTIONS });
    const pending = store.transaction((tx) => tx.create('things', { _id: 'x', kind: 'a', rank: 1 }));
    await store.close();
    await expect(pending).resolves.toBeUndefined();
    const reopened = new SqliteStore({ file, collections: CONTRACT_COLLECTIONS });
    expect(await reopened.get('things', 'x')).toEqual({ _id: 'x', kind: 'a', rank: 1 });
    await reopened.close();
  });

  it('a transaction asked for while another waits on something outside the store commits after it', async () => {
    const store = new SqliteStore({ file: temp.file('s.db'), collections: CONTRACT_COLLECTIONS });
    const turn = () => new Promise((resolve) => setImmediate(resolve));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const first = store.transaction(async (tx) => {
      await tx.create('things', { _id: 'a', kind: 'a', rank: 1 });
      await gate;
    });
    await turn(); // the first is running, its SQLite transaction open
    const second = store.transaction((tx) => tx.create('things', { _id: 'b', kind: 'a', rank: 2 }));
    await turn();
    release();
    await expect(Promise.all([first, second])).resolves.toEqual([undefined, undefined]);
    expect(ids((await store.query('things', { limit: 10 })).items)).toEqual(['a', 'b']);
    await store.close();
  });

  describe('TxCache on it', () => {
    let store: SqliteStore;
    beforeEach(async () => {
      store = new SqliteStore({ file: temp.file('s.db'), collections: CONTRACT_COLLECTIONS });
      await store.transaction((tx) => tx.create('counters', { _id: 'c', n: 10 }));
    });
    afterEach(() => store.close());

    it('a document created then changed in the cache is still written with create: an id taken meanwhile fails the transaction, never overwritten', async () => {
      // the caller believed `c` absent (a query outside the transaction, say); another request created it
      await expect(store.transaction(async (tx) => {
        const cache = new TxCache(tx);
        cache.create('counters', { _id: 'c', n: 1 });
        cache.put('counters', { _id: 'c', n: 2 });
        await cache.flush();
      })).rejects.toBeInstanceOf(StoreConflictError);
      expect(await store.get('counters', 'c')).toEqual({ _id: 'c', n: 10 });
    });

    it('a document incremented blind and then said to be absent still reads with the increment', async () => {
      const seen = await store.transaction(async (tx) => {
        const cache = new TxCache(tx);
        cache.increment('counters', 'c', { n: 2 });
        cache.knownAbsent('counters', 'c');
        const doc = await cache.get('counters', 'c');
        await cache.flush();
        return doc;
      });
      expect(seen).toEqual({ _id: 'c', n: 12 });
      expect(await store.get('counters', 'c')).toEqual({ _id: 'c', n: 12 });
    });
  });

  it('allDocs walks every page', async () => {
    const store = new SqliteStore({ file: temp.file('s.db'), collections: CONTRACT_COLLECTIONS });
    await store.transaction(async (tx) => {
      for (let i = 1; i <= 5; i++) await tx.create('things', { _id: `t${i}`, kind: 'a', rank: i % 2 });
    });
    const walked: string[] = [];
    for await (const doc of allDocs(store, 'things', { where: { kind: 'a' }, orderBy: 'rank', pageSize: 2 })) walked.push(doc._id);
    expect(walked).toEqual(['t2', 't4', 't1', 't3', 't5']);
    await store.close();
  });
});

describe('CloudBase adapter', () => {
  const { responder, database } = responderForTests();

  describe('port edges', () => {
    portEdges(async () => {
      responder.reset();
      return { store: new CloudBaseStore(database(), CONTRACT_COLLECTIONS), close: async () => undefined };
    });
  });

  it('runs the callback again when an operation inside it finds the transaction gone (TransactionNotExist)', async () => {
    responder.reset();
    responder.seed('counters', { _id: 'c', n: 10 });
    // the server dropped the transaction (past 30 s): wx-server-sdk keeps only the server's message
    responder.answerNext('database.modifyDocument', {
      code: 'DATABASE_TRANSACTION_FAIL',
      message: '[ResourceUnavailable.TransactionNotExist] Transaction does not exist on the server, transaction must be commit or abort in 30 seconds. Please check your request, but if the problem persists, contact us.',
    });
    const store = new CloudBaseStore(database(), CONTRACT_COLLECTIONS);
    let runs = 0;
    await store.transaction(async (tx) => {
      runs += 1;
      await tx.increment('counters', 'c', { n: 1 });
    });
    expect(runs).toBe(2);
    expect(responder.peek('counters', 'c')).toEqual({ _id: 'c', n: 11 });
  });

  it('pages past a full page of the 1,000 rows the SDK allows: every document is walked', async () => {
    responder.reset();
    for (let i = 0; i < 1001; i++) responder.seed('things', { _id: `t${String(i).padStart(4, '0')}`, kind: 'a', rank: 1 });
    const store = new CloudBaseStore(database(), CONTRACT_COLLECTIONS);
    let walked = 0;
    for await (const _doc of allDocs(store, 'things', { pageSize: 1000 })) walked++;
    expect(walked).toBe(1001);
  });

  it('drops the fields the server added from what a query answers, as get does', async () => {
    responder.reset();
    responder.seed('things', { _id: 'x', kind: 'a', rank: 1, _openid: 'o-from-miniprogram' });
    const store = new CloudBaseStore(database(), CONTRACT_COLLECTIONS);
    expect((await store.query('things', { where: { kind: 'a' }, limit: 10 })).items).toEqual([{ _id: 'x', kind: 'a', rank: 1 }]);
  });
});
