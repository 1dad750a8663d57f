import { isDeepStrictEqual } from 'node:util';
import type { DB } from 'wx-server-sdk';
import { checkQuery, COLLECTIONS, CollectionSpecs } from './collections';
import { checkIncrement } from './patch';
import { decodeCursor, encodeCursor } from './cursor';
import {
  Doc, DocStore, MAX_PAGE, Page, Patch, QueryOptions, Scalar, StoreBusyError, StoreConflictError,
  StoreNotFoundError, StoreQueryError, Tx,
} from './port';

/** What the SDK hands a `runTransaction` callback (it types it `any`); document-id operations only. */
interface SdkTxDoc {
  get(): Promise<{ data: unknown }>;
  set(options: { data: object }): Promise<unknown>;
  update(options: { data: object }): Promise<{ stats: { updated: number } }>;
  remove(): Promise<{ stats: { removed: number } }>;
}
interface SdkTransaction {
  collection(name: string): { doc(id: string): SdkTxDoc; add(options: { data: object }): Promise<unknown> };
}

/** The SDK types every call as `Promise | void | string` (callback overloads); without a callback it is a promise. */
const settle = <T>(call: Promise<T> | void | string) => call as Promise<T>;

/** Fields CloudBase adds that the port never wrote: `_openid` on records created from the mini-program. */
const SERVER_FIELDS = ['_openid'];

const messageOf = (error: unknown) => String((error as { message?: unknown } | null)?.message ?? error);

/**
 * wx-server-sdk turns server codes it has no number for (DATABASE_DUPLICATE_WRITE among them) into
 * errCode -501001 and keeps only the server's message, so a duplicate is known by its markers.
 */
const isDuplicate = (error: unknown) =>
  (error as { code?: unknown } | null)?.code === 'DATABASE_DUPLICATE_WRITE'
  || /DATABASE_DUPLICATE_WRITE|E11000 duplicate key/.test(messageOf(error));

/**
 * Another transaction wrote what this one touched, or holds its lock (TransactionBusy), or the server
 * already dropped this one (TransactionNotExist, past 30 s): none committed anything, and all are
 * safe to run again. The commit (node-sdk's TcbError) says so with its code, DATABASE_TRANSACTION_CONFLICT
 * or DATABASE_TRANSACTION_FAIL; an operation inside the callback only through the server's message,
 * `[ResourceUnavailable.TransactionBusy] …`, since wx-server-sdk replaces codes it has no number for
 * with -501001 (see isDuplicate).
 */
const isTransactionConflict = (error: unknown) => {
  const { code, errCode } = (error ?? {}) as { code?: unknown; errCode?: unknown };
  if (code === 'DATABASE_TRANSACTION_CONFLICT' || code === 'DATABASE_TRANSACTION_FAIL') return true;
  // only the SDK's own errors (they carry errCode): never one of ours whose message quotes user text
  return errCode !== undefined
    && /DATABASE_TRANSACTION_(CONFLICT|FAIL)|WriteConflict|Transaction ?Conflict|TransactionNotExist|TransactionBusy/i.test(messageOf(error));
};

/** Runs of one transaction before it is given up as busy. */
const MAX_RUNS = 5;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** With `throwOnNotFound` (the default) a missing document rejects with errCode -1 "... does not exist". */
const isMissing = (error: unknown) =>
  (error as { errCode?: unknown } | null)?.errCode === -1 && /does not exist/.test(messageOf(error));

function clean<T extends Doc>(raw: unknown): T {
  const doc = { ...(raw as Doc) };
  for (const field of SERVER_FIELDS) delete doc[field];
  return doc as T;
}

async function readDoc<T extends Doc>(read: () => Promise<{ data: unknown }>): Promise<T | null> {
  try {
    const { data } = await read();
    return data ? clean<T>(data) : null;
  } catch (error) {
    if (isMissing(error)) return null;
    throw error;
  }
}

/**
 * The production adapter over wx-server-sdk's `cloud.database()`. Writes by id run in
 * `runTransaction`; conditional updates and queries are single `where` calls outside it.
 */
export class CloudBaseStore implements DocStore {
  constructor(private readonly db: DB.Database, private readonly collections: CollectionSpecs = COLLECTIONS) {}

  private check(collection: string): string {
    if (!this.collections[collection]) throw new StoreQueryError(`unknown collection ${collection}`);
    return collection;
  }

  /** Each patch field becomes `_.set(value)`: a plain nested object would be merged key by key, not replaced. */
  private setFields(patch: Patch): Record<string, unknown> {
    const data: Record<string, unknown> = {};
    for (const [field, value] of Object.entries(patch)) {
      if (field !== '_id' && value !== undefined) data[field] = this.db.command.set(value);
    }
    return data;
  }

  private txAdapter(t: SdkTransaction): Tx {
    const ref = (collection: string, id: string) => t.collection(this.check(collection)).doc(id);
    const get = <T extends Doc>(collection: string, id: string) => readDoc<T>(() => ref(collection, id).get());
    /** One update by id; StoreNotFoundError if the document is absent. */
    const modify = async (collection: string, id: string, data: Record<string, unknown>) => {
      const updated = Object.keys(data).length ? (await ref(collection, id).update({ data })).stats.updated : 0;
      // `updated` counts changed documents: 0 may also mean "already held these values".
      if (updated === 0 && !(await get(collection, id))) throw new StoreNotFoundError(collection, id);
    };
    return {
      get,
      // Read, then add: MongoDB aborts a transaction on any failed write, so a duplicate seen only
      // through add() would leave a caller that catches StoreConflictError with a dead transaction.
      // The read turns the usual case (the id was committed earlier, say by a retried request) into a
      // clean conflict; add() still lets the database refuse a creator racing us (duplicate write).
      create: async (collection, doc) => {
        if (await get(collection, doc._id)) throw new StoreConflictError(collection, doc._id);
        try {
          await t.collection(this.check(collection)).add({ data: doc });
        } catch (error) {
          throw isDuplicate(error) ? new StoreConflictError(collection, doc._id) : error;
        }
      },
      set: async (collection, { _id, ...fields }) => {
        if (Object.keys(fields).length) return void (await ref(collection, _id).set({ data: fields }));
        // The SDK refuses an empty set(), so an id-only document is written as remove + add.
        await ref(collection, _id).remove();
        await t.collection(this.check(collection)).add({ data: { _id } });
      },
      update: (collection, id, patch) => modify(collection, id, this.setFields(patch)),
      increment: (collection, id, deltas, patch = {}) => {
        checkIncrement(deltas, patch);
        const data = this.setFields(patch);
        for (const [field, delta] of Object.entries(deltas)) data[field] = this.db.command.inc(delta);
        return modify(collection, id, data);
      },
      // A removal that matched nothing writes nothing, and MongoDB's snapshot isolation then lets it
      // pass beside a concurrent write of the same id (two transactions each removing what the other
      // writes both commit). Writing a placeholder and removing it claims the id, so they conflict.
      remove: async (collection, id) => {
        if ((await ref(collection, id).remove()).stats.removed > 0) return;
        await ref(collection, id).set({ data: { claimedForRemoval: true } });
        await ref(collection, id).remove();
      },
    };
  }

  async transaction<R>(fn: (tx: Tx) => Promise<R>): Promise<R> {
    // The SDK commits when the callback resolves and aborts when it throws (rethrowing our error).
    // Its own rerun sees only a conflict reported by the commit, and starts over without aborting,
    // so it is off (0 more runs): this loop reruns on a conflict from anywhere, after the abort,
    // with a short random pause so colliding callers spread out.
    for (let run = 1; ; run++) {
      try {
        return (await this.db.runTransaction((t: SdkTransaction) => fn(this.txAdapter(t)), 0)) as R;
      } catch (error) {
        if (!isTransactionConflict(error)) throw error;
        if (run === MAX_RUNS) throw new StoreBusyError(error);
        await pause(Math.random() * 20 * run);
      }
    }
  }

  async get<T extends Doc>(collection: string, id: string): Promise<T | null> {
    const ref = this.db.collection(this.check(collection)).doc(id);
    return readDoc<T>(() => settle(ref.get()));
  }

  async updateIf(collection: string, id: string, expected: Record<string, Scalar>, patch: Patch): Promise<boolean> {
    const data = this.setFields(patch);
    if (Object.keys(data).length) {
      const query = this.db.collection(this.check(collection)).where({ ...expected, _id: id });
      if ((await settle(query.update({ data }))).stats.updated === 1) return true;
    }
    // Nothing changed: it still counts as applied if the document matches and already holds the patch.
    const current = await this.get<Doc>(collection, id);
    return !!current
      && Object.entries(expected).every(([field, value]) => (current[field] ?? null) === value)
      && Object.entries(patch).every(([field, value]) => field === '_id' || value === undefined || isDeepStrictEqual(current[field], value));
  }

  async query<T extends Doc>(collection: string, options: QueryOptions): Promise<Page<T>> {
    const { where, orderBy, direction, limit } = checkQuery(this.collections, this.check(collection), options);

    const _ = this.db.command;
    let condition: object = where;
    if (options.cursor) {
      const { value, id } = decodeCursor(options.cursor);
      const beyond = (v: unknown) => (direction === 'asc' ? _.gt(v) : _.lt(v));
      const after = orderBy === '_id'
        ? { _id: beyond(id) }
        : _.or({ [orderBy]: beyond(value) }, { [orderBy]: value, _id: beyond(id) });
      condition = _.and(where, after);
    }
    let query = this.db.collection(collection).where(condition).orderBy(orderBy, direction);
    if (orderBy !== '_id') query = query.orderBy('_id', direction);
    // One extra row tells whether a next page exists; the SDK caps any page at 1,000 rows, so a
    // full page of MAX_PAGE gets a cursor too (at worst the next page is empty).
    const probe = Math.min(limit + 1, MAX_PAGE);
    const rows = (await settle(query.limit(probe).get())).data.map((raw) => clean<T>(raw));
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    const more = rows.length > limit || rows.length === MAX_PAGE;
    const nextCursor = more && last
      ? encodeCursor({ value: orderBy === '_id' ? last._id : ((last[orderBy] ?? null) as Scalar), id: last._id })
      : null;
    return { items, nextCursor };
  }

  async close(): Promise<void> {
    // The SDK holds no connection of ours: each call is its own HTTPS request.
  }
}
