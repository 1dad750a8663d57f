/**
 * The document-store port: the only way the core touches persistence.
 *
 * It is shaped like CloudBase's database so the production adapter stays thin:
 * - writes by document id happen inside `transaction`, which either commits all
 *   of them or none (a throw rolls back); the callback may run more than once on
 *   CloudBase, so it must have no side effects besides its `tx` calls;
 * - concurrent transactions that write the same id (a removal of an absent
 *   document counts as a write) do not both commit as they ran; plain reads take
 *   no part in that on CloudBase (MongoDB's snapshot isolation), so a decision
 *   resting on a document must write that document, as `create` does, or be
 *   re-checked by whoever changes it;
 * - uniqueness comes from document ids: `create` of an existing id fails with
 *   StoreConflictError, on every adapter;
 * - queries run outside transactions, on declared indexes, newest-first or
 *   oldest-first, with an opaque cursor for the next page.
 */

export type Scalar = string | number | boolean | null;

/**
 * A stored document. `_id` is the document id; other fields are plain JSON. No field name, at any
 * depth, holds `.` or starts with `$`: CloudBase (MongoDB) takes the one for a path and the other
 * for an operator, and refuses to store both; an id from outside is a value, never a name, unless
 * escaped (as `accounts.reversed` does, points/rules.ts).
 */
export interface Doc {
  _id: string;
  [field: string]: unknown;
}

/** Shallow field replacement; `undefined` values are ignored, `null` is stored. */
export type Patch = Record<string, unknown>;

export interface Tx {
  get<T extends Doc>(collection: string, id: string): Promise<T | null>;
  /** Creates the document; StoreConflictError if the id already exists. */
  create(collection: string, doc: Doc): Promise<void>;
  /** Creates or replaces the whole document. */
  set(collection: string, doc: Doc): Promise<void>;
  /** Replaces the given top-level fields; StoreNotFoundError if the id is absent. */
  update(collection: string, id: string, patch: Patch): Promise<void>;
  /**
   * Adds `deltas` to numeric top-level fields (a missing field counts as 0)
   * and replaces the `patch` fields, without reading the document first
   * (CloudBase's `_.inc`): a counter moved this way costs one write and no read.
   * A field is either moved or set, never both. StoreNotFoundError if the id is absent.
   */
  increment(collection: string, id: string, deltas: Record<string, number>, patch?: Patch): Promise<void>;
  /** Removes the document if present. */
  remove(collection: string, id: string): Promise<void>;
}

export interface QueryOptions {
  /** Equality on top-level fields; all must hold. */
  where?: Record<string, Scalar>;
  /**
   * Sort field (ties broken by `_id` in the same direction). Defaults to `_id`. It must be set, and
   * not null, on every document the query finds: paging past a null stops early on both adapters
   * (SQLite's row comparison and CloudBase's `$gt` never match one), which is why `nextExpiry` has a placeholder.
   */
  orderBy?: string;
  direction?: 'asc' | 'desc';
  /** Page size, 1..1000. */
  limit: number;
  /** `nextCursor` of the previous page. */
  cursor?: string | null;
}

export interface Page<T> {
  items: T[];
  /** Null when there is no further page. */
  nextCursor: string | null;
}

export interface DocStore {
  transaction<R>(fn: (tx: Tx) => Promise<R>): Promise<R>;
  /** A read outside any transaction (last committed state). */
  get<T extends Doc>(collection: string, id: string): Promise<T | null>;
  /**
   * Conditional update outside a transaction: applies `patch` only if every
   * field in `expected` currently equals the given value. True if applied.
   */
  updateIf(collection: string, id: string, expected: Record<string, Scalar>, patch: Patch): Promise<boolean>;
  query<T extends Doc>(collection: string, options: QueryOptions): Promise<Page<T>>;
  /**
   * Reads of the store as it stands now, whatever commits while they go on: a check or an export
   * reading page after page while another process writes (the server beside the CLI) then sees
   * no half of a write. Optional: an adapter without it (CloudBase) is read as ever (`readingSnapshot`).
   */
  snapshot?(): Snapshot;
  close(): Promise<void>;
}

/** One committed state of a store, read outside transactions (DocStore.snapshot); `release` ends it. */
export interface Snapshot {
  get<T extends Doc>(collection: string, id: string): Promise<T | null>;
  query<T extends Doc>(collection: string, options: QueryOptions): Promise<Page<T>>;
  release(): void;
}

/**
 * The store whose reads outside transactions all see it as it stands now (its snapshot, where the
 * adapter has them; else the store as it is), and the release that ends the snapshot. Writes and
 * everyone else's reads go on as ever.
 */
export function readingSnapshot(store: DocStore): { store: DocStore; release(): void } {
  const snapshot = store.snapshot?.();
  if (!snapshot) return { store, release: () => undefined };
  return {
    store: {
      transaction: (fn) => store.transaction(fn),
      get: (collection, id) => snapshot.get(collection, id),
      updateIf: (collection, id, expected, patch) => store.updateIf(collection, id, expected, patch),
      query: (collection, options) => snapshot.query(collection, options),
      close: () => store.close(),
    },
    release: () => snapshot.release(),
  };
}

/** The id is taken: the thing it names already exists. */
export class StoreConflictError extends Error {
  readonly code = 'STORE_CONFLICT';
  constructor(readonly collection: string, readonly id: string) {
    super(`document already exists in ${collection}`);
    this.name = 'StoreConflictError';
  }
}

export class StoreNotFoundError extends Error {
  readonly code = 'STORE_NOT_FOUND';
  constructor(readonly collection: string, readonly id: string) {
    super(`document not found in ${collection}`);
    this.name = 'StoreNotFoundError';
  }
}

/**
 * The transaction kept colliding with others writing the same documents and
 * was given up after a few runs; nothing it did was kept. Safe to retry.
 */
export class StoreBusyError extends Error {
  readonly code = 'STORE_BUSY';
  constructor(cause?: unknown) {
    super('the store is busy with conflicting writes', { cause });
    this.name = 'StoreBusyError';
  }
}

/** A query the store cannot answer (bad limit, undeclared field, bad cursor). */
export class StoreQueryError extends Error {
  readonly code = 'STORE_QUERY';
  constructor(message: string) {
    super(message);
    this.name = 'StoreQueryError';
  }
}

export const MAX_PAGE = 1000;
