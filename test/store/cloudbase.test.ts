/**
 * The CloudBase adapter through the real wx-server-sdk, its HTTP transport pointed at a local
 * responder: we assert what the SDK sends for each port operation and how the adapter reads the
 * documented answers. Nothing of ours is mocked.
 *
 * Unhandled rejections: the adapter and these tests await every SDK call, so a failed request is a
 * rejected test, not a stray rejection; should one slip through anyway, Jest 30 fails the running
 * test with it rather than losing the worker (checked by hand with an unawaited Promise.reject).
 */
import { CloudBaseStore } from '../../cloudfunctions/core/store/cloudbase';
import { StoreBusyError, StoreConflictError, StoreNotFoundError, StoreQueryError } from '../../cloudfunctions/core/store/port';
import { CloudBaseResponder } from '../support/cloudbase-responder';
import { CONTRACT_COLLECTIONS, storeContract } from './contract';

const responder = new CloudBaseResponder();
let cloud: typeof import('wx-server-sdk');
let store: CloudBaseStore;
/** A store whose specs allow ordering the `ledger` collection by time. */
let ledgerStore: CloudBaseStore;

beforeAll(async () => {
  await responder.start();
  cloud = responder.sdk();
  store = new CloudBaseStore(cloud.database());
  ledgerStore = new CloudBaseStore(cloud.database(), { ledger: { indexes: [['memberId', 'at']] } });
});

afterAll(async () => {
  await responder.stop();
});

beforeEach(() => responder.clearRequests());

describe('the store contract, through the SDK against a responder with MongoDB\'s write conflicts', () => {
  storeContract(async () => {
    responder.reset();
    return { store: new CloudBaseStore(cloud.database(), CONTRACT_COLLECTIONS), close: async () => undefined };
  }, { concurrency: 'optimistic', propertyRuns: 60 });
});

const member = (id: string, extra: Record<string, unknown> = {}) => ({
  _id: id, status: 'active', points: 12, ratio: 1.5, tags: ['a', 'b'], profile: { city: 'Shanghai', age: null }, ...extra,
});

describe('get outside a transaction', () => {
  it('reads one document by id and drops fields the server added', async () => {
    responder.seed('members', { ...member('m1'), _openid: 'o-from-miniprogram' });
    await expect(store.get('members', 'm1')).resolves.toEqual(member('m1'));
    expect(responder.requests).toEqual([
      expect.objectContaining({ action: 'database.getDocument', collection: 'members', query: { _id: 'm1' }, transactionId: undefined }),
    ]);
    expect(responder.requests[0]!.body).toMatchObject({ queryType: 'DOC', multi: false });
  });

  it('answers null for a missing document', async () => {
    await expect(store.get('members', 'nobody')).resolves.toBeNull();
    expect(responder.actions()).toEqual(['database.getDocument']);
  });

  it('refuses an undeclared collection before calling the service', async () => {
    await expect(store.get('nope', 'x')).rejects.toBeInstanceOf(StoreQueryError);
    expect(responder.actions()).toEqual([]);
  });
});

describe('transaction', () => {
  it('creates with a read then an insert, and commits', async () => {
    await store.transaction((tx) => tx.create('members', member('c1')));
    expect(responder.actions()).toEqual([
      'database.startTransaction', 'database.getDocument', 'database.insertDocument', 'database.commitTransaction',
    ]);
    const [, read, insert, commit] = responder.requests;
    const txId = read!.transactionId;
    expect(txId).toMatch(/^tx-/);
    expect(insert).toMatchObject({ collection: 'members', transactionId: txId, data: [member('c1')] });
    expect(commit!.body.transactionId).toBe(txId);
    await expect(store.get('members', 'c1')).resolves.toEqual(member('c1'));
  });

  it('refuses to create an existing id with StoreConflictError and rolls back', async () => {
    responder.seed('members', member('dup'));
    const error = await store.transaction((tx) => tx.create('members', member('dup', { points: 1 }))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreConflictError);
    expect(error).toMatchObject({ collection: 'members', id: 'dup' });
    expect(responder.actions()).toEqual(['database.startTransaction', 'database.getDocument', 'database.abortTransaction']);
    expect(responder.peek('members', 'dup')).toEqual(member('dup'));
  });

  it('lets the callback catch the conflict and go on with the same transaction', async () => {
    responder.seed('members', member('again'));
    const result = await store.transaction(async (tx) => {
      try {
        await tx.create('members', member('again'));
        return 'created';
      } catch (error) {
        if (!(error instanceof StoreConflictError)) throw error;
        return (await tx.get<{ _id: string; points: number }>('members', 'again'))!.points;
      }
    });
    expect(result).toBe(12);
    expect(responder.actions().at(-1)).toBe('database.commitTransaction');
  });

  it.each([
    ['DATABASE_DUPLICATE_WRITE', 'E11000 duplicate key error collection: members index: _id_ dup key: { _id: "race" }'],
    ['DATABASE_REQUEST_FAILED', 'E11000 duplicate key error collection: members index: _id_ dup key: { _id: "race" }'],
    ['DATABASE_DUPLICATE_WRITE', '[DATABASE_DUPLICATE_WRITE] duplicate write'],
  ])('maps a duplicate on insert (a creator racing the read) to StoreConflictError: %s %s', async (code, message) => {
    responder.answerNext('database.insertDocument', { code, message });
    await expect(store.transaction((tx) => tx.create('members', member('race')))).rejects.toBeInstanceOf(StoreConflictError);
    expect(responder.actions()).toEqual([
      'database.startTransaction', 'database.getDocument', 'database.insertDocument', 'database.abortTransaction',
    ]);
  });

  it('passes other insert failures through unchanged', async () => {
    responder.answerNext('database.insertDocument', { code: 'DATABASE_PERMISSION_DENIED', message: 'permission denied' });
    const error = await store.transaction((tx) => tx.create('members', member('denied'))).catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(StoreConflictError);
    expect(error).toMatchObject({ errCode: -502003 });
    expect(responder.actions().at(-1)).toBe('database.abortTransaction');
  });

  it('sets a whole document, replacing what was there', async () => {
    responder.seed('members', member('s1', { extra: true }));
    await store.transaction((tx) => tx.set('members', { _id: 's1', status: 'gone' }));
    const set = responder.requests.find((r) => r.action === 'database.modifyDocument')!;
    expect(set).toMatchObject({ query: { _id: 's1' }, data: { status: 'gone' } });
    expect(set.body).toMatchObject({ queryType: 'DOC', merge: false, upsert: true });
    expect(responder.peek('members', 's1')).toEqual({ _id: 's1', status: 'gone' });
  });

  it('sets an id-only document as remove + add, since the SDK refuses an empty set', async () => {
    responder.seed('members', member('bare'));
    await store.transaction((tx) => tx.set('members', { _id: 'bare' }));
    expect(responder.actions()).toEqual([
      'database.startTransaction', 'database.removeDocument', 'database.insertDocument', 'database.commitTransaction',
    ]);
    await expect(store.get('members', 'bare')).resolves.toEqual({ _id: 'bare' });
  });

  it('updates top-level fields: objects replaced whole, null stored, undefined ignored', async () => {
    responder.seed('members', member('u1'));
    await store.transaction((tx) => tx.update('members', 'u1', { profile: { city: 'Beijing' }, status: null, points: undefined }));
    const update = responder.requests.find((r) => r.action === 'database.modifyDocument')!;
    expect(update).toMatchObject({ query: { _id: 'u1' }, data: { $set: { profile: { city: 'Beijing' }, status: null } } });
    expect(update.body).toMatchObject({ queryType: 'DOC', merge: true, upsert: false });
    expect(responder.peek('members', 'u1')).toEqual(member('u1', { profile: { city: 'Beijing' }, status: null }));
  });

  it('treats an update that changes nothing as done, not as a missing document', async () => {
    responder.seed('members', member('same'));
    await store.transaction((tx) => tx.update('members', 'same', { status: 'active' }));
    expect(responder.actions()).toEqual([
      'database.startTransaction', 'database.modifyDocument', 'database.getDocument', 'database.commitTransaction',
    ]);
  });

  it('refuses to update a missing document with StoreNotFoundError', async () => {
    await expect(store.transaction((tx) => tx.update('members', 'ghost', { status: 'x' }))).rejects.toBeInstanceOf(StoreNotFoundError);
    expect(responder.actions()).toEqual([
      'database.startTransaction', 'database.modifyDocument', 'database.getDocument', 'database.abortTransaction',
    ]);
    expect(responder.peek('members', 'ghost')).toBeUndefined();
  });

  it('removes by id, present or not', async () => {
    responder.seed('members', member('r1'));
    await store.transaction(async (tx) => {
      await tx.remove('members', 'r1');
      await tx.remove('members', 'never');
    });
    expect(responder.actions().slice(0, 2)).toEqual(['database.startTransaction', 'database.removeDocument']);
    expect(responder.actions().at(-1)).toBe('database.commitTransaction');
    expect(responder.requests[1]).toMatchObject({ query: { _id: 'r1' }, body: { queryType: 'DOC', multi: false } });
    expect(responder.peek('members', 'r1')).toBeUndefined();
  });

  it('removing an absent document still claims its id, so two transactions cannot each remove what the other writes', async () => {
    // Snapshot isolation alone lets a removal that matched nothing pass beside a concurrent write
    // of the same id: T1 (remove a, set b) and T2 (remove b, set a) would both commit, leaving a
    // and b, which neither order of the two gives.
    let arrived = 0;
    let release!: () => void;
    const bothRemoved = new Promise<void>((resolve) => (release = resolve));
    const removeThenSet = (gone: string, kept: string) => {
      let firstRun = true;
      return store.transaction(async (tx) => {
        await tx.remove('members', gone);
        if (firstRun) {
          firstRun = false;
          if (++arrived === 2) release();
          await bothRemoved;
        }
        await tx.set('members', member(kept));
      });
    };
    const outcomes = await Promise.allSettled([removeThenSet('skew-a', 'skew-b'), removeThenSet('skew-b', 'skew-a')]);
    for (const outcome of outcomes) {
      if (outcome.status === 'rejected') expect(outcome.reason).toBeInstanceOf(StoreBusyError);
    }
    expect(outcomes.some((outcome) => outcome.status === 'fulfilled')).toBe(true);
    const present = ['skew-a', 'skew-b'].filter((id) => responder.peek('members', id));
    expect(present).toHaveLength(1);
  });

  it('claims an absent id with an upsert and removes it again, touching a present one once', async () => {
    responder.seed('members', member('there'));
    await store.transaction(async (tx) => {
      await tx.remove('members', 'there');
      await tx.remove('members', 'not-there');
    });
    expect(responder.actions()).toEqual([
      'database.startTransaction', 'database.removeDocument',
      'database.removeDocument', 'database.modifyDocument', 'database.removeDocument', 'database.commitTransaction',
    ]);
    expect(responder.requests[3]).toMatchObject({ query: { _id: 'not-there' }, body: { queryType: 'DOC', upsert: true } });
    expect(responder.peek('members', 'there')).toBeUndefined();
    expect(responder.peek('members', 'not-there')).toBeUndefined();
  });

  it('rolls back every write when the callback throws, and rethrows its error', async () => {
    responder.seed('members', member('keep'));
    const boom = new Error('boom');
    await expect(store.transaction(async (tx) => {
      await tx.create('members', member('half'));
      await tx.update('members', 'keep', { status: 'changed' });
      throw boom;
    })).rejects.toBe(boom);
    expect(responder.actions()).toEqual([
      'database.startTransaction', 'database.getDocument', 'database.insertDocument', 'database.modifyDocument',
      'database.abortTransaction',
    ]);
    expect(responder.peek('members', 'half')).toBeUndefined();
    expect(responder.peek('members', 'keep')).toEqual(member('keep'));
  });

  it('reads its own writes before commit; others do not see them', async () => {
    await store.transaction(async (tx) => {
      await tx.create('members', member('own'));
      await expect(tx.get('members', 'own')).resolves.toEqual(member('own'));
      await expect(store.get('members', 'own')).resolves.toBeNull();
    });
    await expect(store.get('members', 'own')).resolves.toEqual(member('own'));
  });

  it('runs the callback again when the commit reports a transaction conflict', async () => {
    responder.seed('members', member('busy'));
    responder.answerNext('database.commitTransaction', { code: 'DATABASE_TRANSACTION_CONFLICT', message: 'transaction conflict' });
    let runs = 0;
    const result = await store.transaction(async (tx) => {
      runs += 1;
      const doc = await tx.get<{ _id: string; points: number }>('members', 'busy');
      await tx.update('members', 'busy', { points: doc!.points + 1 });
      return doc!.points + 1;
    });
    expect({ runs, result }).toEqual({ runs: 2, result: 13 });
    expect(responder.actions().filter((a) => a === 'database.startTransaction')).toHaveLength(2);
    expect(responder.peek('members', 'busy')).toMatchObject({ points: 13 });
  });

  it.each([
    ['an update', 'database.modifyDocument'],
    ['a read', 'database.getDocument'],
    ['an insert', 'database.insertDocument'],
  ])('runs the callback again when %s inside it reports a write conflict, and rolls the first attempt back', async (_name, action) => {
    responder.reset();
    responder.seed('members', member('hot'));
    responder.answerNext(action, { code: 'DATABASE_TRANSACTION_CONFLICT', message: 'WriteConflict error: this operation conflicted with another operation. Please retry your operation or multi-document transaction.' });
    let runs = 0;
    await store.transaction(async (tx) => {
      runs += 1;
      const doc = await tx.get<{ _id: string; points: number }>('members', 'hot');
      await tx.increment('members', 'hot', { points: 1 });
      await tx.create('members', member(`new-${runs}`));
      return doc!.points;
    });
    expect(runs).toBe(2);
    expect(responder.peek('members', 'hot')).toMatchObject({ points: 13 });
    expect(responder.peek('members', 'new-1')).toBeUndefined();
    expect(responder.peek('members', 'new-2')).toBeDefined();
    expect(responder.actions().filter((a) => a === 'database.abortTransaction')).toHaveLength(1);
  });

  it('does not rerun for an error of ours, whatever its message says', async () => {
    let runs = 0;
    await expect(store.transaction(async () => {
      runs += 1;
      throw new Error('nickname "WriteConflict" refused');
    })).rejects.toThrow(/nickname/);
    expect(runs).toBe(1);
  });

  it('gives up after a few conflicts with a typed busy error, writing nothing', async () => {
    responder.seed('members', member('hotter'));
    for (let i = 0; i < 10; i++) responder.answerNext('database.modifyDocument', { code: 'DATABASE_TRANSACTION_CONFLICT', message: 'WriteConflict' });
    const busy = store.transaction((tx) => tx.increment('members', 'hotter', { points: 1 }));
    await expect(busy).rejects.toBeInstanceOf(StoreBusyError);
    await expect(busy).rejects.toMatchObject({ cause: expect.objectContaining({ message: expect.stringMatching(/WriteConflict/) }) });
    expect(responder.peek('members', 'hotter')).toMatchObject({ points: 12 });
    responder.reset();
  });
});

describe('updateIf', () => {
  it('updates with one where(_id + expected) call and reports it applied', async () => {
    responder.seed('members', member('w1'));
    await expect(store.updateIf('members', 'w1', { status: 'active' }, { status: 'merged', mergedInto: 'w0' })).resolves.toBe(true);
    expect(responder.requests).toEqual([expect.objectContaining({
      action: 'database.modifyDocument', query: { status: 'active', _id: 'w1' }, data: { $set: { status: 'merged', mergedInto: 'w0' } },
    })]);
    expect(responder.requests[0]!.body).toMatchObject({ queryType: 'WHERE', merge: true, upsert: false });
    expect(responder.peek('members', 'w1')).toMatchObject({ status: 'merged', mergedInto: 'w0' });
  });

  it('reports false when the expectation does not hold or the document is missing', async () => {
    responder.seed('members', member('w2'));
    await expect(store.updateIf('members', 'w2', { status: 'merged' }, { status: 'x' })).resolves.toBe(false);
    await expect(store.updateIf('members', 'missing', { status: 'active' }, { status: 'x' })).resolves.toBe(false);
    expect(responder.peek('members', 'w2')).toEqual(member('w2'));
  });

  it('reports true when the document matches and already holds the patch', async () => {
    responder.seed('members', member('w3'));
    await expect(store.updateIf('members', 'w3', { status: 'active' }, { points: 12 })).resolves.toBe(true);
    expect(responder.actions()).toEqual(['database.modifyDocument', 'database.getDocument']);
  });
});

describe('query', () => {
  // Ties on `at` make the `_id` tie-break matter across page boundaries.
  const entries = [
    { _id: 'e1', memberId: 'A', at: 100 }, { _id: 'e2', memberId: 'A', at: 300 }, { _id: 'e3', memberId: 'A', at: 200 },
    { _id: 'e4', memberId: 'A', at: 200 }, { _id: 'e5', memberId: 'B', at: 250 }, { _id: 'e6', memberId: 'A', at: 200 },
    { _id: 'e7', memberId: 'A', at: 50 },
  ];
  beforeAll(() => entries.forEach((e) => responder.seed('ledger', e)));

  async function allPages(options: Parameters<CloudBaseStore['query']>[1]) {
    const pages: string[][] = [];
    let cursor: string | null = null;
    do {
      const page: { items: { _id: string }[]; nextCursor: string | null } = await ledgerStore.query('ledger', { ...options, cursor });
      pages.push(page.items.map((i) => i._id));
      cursor = page.nextCursor;
    } while (cursor);
    return pages;
  }

  it('pages newest first with where, orderBy, the _id tie-break and limit + 1', async () => {
    const pages = await allPages({ where: { memberId: 'A' }, orderBy: 'at', direction: 'desc', limit: 2 });
    expect(pages).toEqual([['e2', 'e6'], ['e4', 'e3'], ['e1', 'e7']]);
    const [first, second] = responder.requests;
    expect(first).toMatchObject({ action: 'database.getDocument', query: { memberId: 'A' }, order: { at: -1, _id: -1 } });
    expect(first!.body).toMatchObject({ queryType: 'WHERE', limit: 3 });
    expect(second!.query).toEqual({
      $and: [{ memberId: 'A' }, { $or: [{ at: { $lt: 200 } }, { at: 200, _id: { $lt: 'e6' } }] }],
    });
  });

  it('pages oldest first by _id alone', async () => {
    expect(await allPages({ limit: 3 })).toEqual([['e1', 'e2', 'e3'], ['e4', 'e5', 'e6'], ['e7']]);
    expect(responder.requests[0]).toMatchObject({ query: {}, order: { _id: 1 } });
    expect(responder.requests[1]!.query).toEqual({ $and: [{}, { _id: { $gt: 'e3' } }] });
  });

  it('gives no cursor when the page holds everything', async () => {
    await expect(ledgerStore.query('ledger', { where: { memberId: 'B' }, limit: 5 }))
      .resolves.toEqual({ items: [{ _id: 'e5', memberId: 'B', at: 250 }], nextCursor: null });
  });

  it('asks for at most the 1,000 rows the SDK allows', async () => {
    await ledgerStore.query('ledger', { limit: 1000 });
    expect(responder.requests[0]!.body.limit).toBe(1000);
  });

  it.each([
    [{ where: { note: 'x' }, limit: 2 }, /ledger.note is not indexed/],
    [{ orderBy: 'note', limit: 2 }, /ledger.note is not indexed/],
    [{ limit: 0 }, /limit must be/],
    [{ limit: 1001 }, /limit must be/],
    [{ limit: 2, cursor: 'not-a-cursor' }, /malformed cursor/],
  ])('refuses %j with StoreQueryError before calling the service', async (options, message) => {
    const error = await ledgerStore.query('ledger', options).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreQueryError);
    expect((error as Error).message).toMatch(message);
    expect(responder.actions()).toEqual([]);
  });
});
