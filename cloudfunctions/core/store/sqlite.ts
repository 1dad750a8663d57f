import Database from 'better-sqlite3';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, rmSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { checkQuery, COLLECTIONS, CollectionSpecs } from './collections';
import { decodeCursor, encodeCursor } from './cursor';
import { applyDeltas, applyPatch, checkIncrement } from './patch';
import {
  Doc, DocStore, MAX_PAGE, Page, Patch, QueryOptions, Scalar, Snapshot, StoreBusyError, StoreConflictError,
  StoreNotFoundError, StoreQueryError, Tx,
} from './port';

export interface SqliteStoreOptions {
  /** Path of the database file; its folder is created if missing. */
  file: string;
  collections?: CollectionSpecs;
  /**
   * `full` fsyncs the WAL on every commit (a committed ledger entry survives a
   * power cut); `normal` survives a process crash only. Default `full`.
   */
  durability?: 'full' | 'normal';
  /** How long a write waits for another process's lock before it is refused as busy. Default 5 s. */
  busyTimeoutMs?: number;
}

const IDENT = /^[A-Za-z][A-Za-z0-9_]*$/;
const tableOf = (collection: string) => `doc_${collection}`;
/**
 * Indexed fields are copied into their own columns at write time (`f_<field>`),
 * so a write costs no JSON parsing inside SQLite and queries use plain indexes.
 */
const fieldExpr = (field: string) => (field === '_id' ? 'id' : `f_${field}`);

/** better-sqlite3 binds no booleans: they are stored as 1/0, like SQLite's JSON functions do. */
const bindable = (value: unknown): Scalar => {
  if (value === undefined || value === null) return null;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'string' || typeof value === 'number') return value;
  return JSON.stringify(value);
};

/**
 * SQL giving, from a stored body, the value `bindable()` writes in `field`'s column (a checked
 * IDENT). json_extract alone gives the same strings, NULL for null/absent, and for objects and
 * arrays the same minified JSON text as JSON.stringify; but INTEGERs for integral numbers and
 * booleans, where better-sqlite3 binds every JS number as a REAL. 1 = 1.0 in SQLite, yet an
 * integer past 2^53 in shortest form (2^60 as 1152921504606847000) is not the double it stands
 * for, which queries bind: CAST to REAL rounds it back. (A non-finite number is null in the body.)
 */
const storedExpr = (field: string) => {
  const path = `'$.${field}'`;
  return `CASE json_type(body, ${path}) WHEN 'integer' THEN CAST(json_extract(body, ${path}) AS REAL)`
    + ` WHEN 'true' THEN 1.0 WHEN 'false' THEN 0.0 ELSE json_extract(body, ${path}) END`;
};

/**
 * Every index ends with the id, the tie-break of every query's order (`ORDER BY field, id`) and
 * of its cursor (`(field, id) > (?, ?)`): a page is then read off the index where it starts.
 * Without it, SQLite sorted every row with the same leading value to find each page: all active
 * members for each page of an export, all accounts expiring the same night for each page of the
 * expiry job, quadratic in the table. The name says so, so that indexes made without the id by
 * an earlier version are dropped and made again.
 */
const indexName = (table: string, fields: readonly string[], sparse: readonly string[] = []) =>
  `${table}__${fields.join('_')}__id${sparse.includes(fields[0]!) ? '__sparse' : ''}`;
/** A sparse field's index holds the rows that carry it alone (a partial index; `field = ?` reads it). */
const indexWhere = (fields: readonly string[], sparse: readonly string[]) => (sparse.includes(fields[0]!) ? ` WHERE ${fieldExpr(fields[0]!)} IS NOT NULL` : '');
const indexColumns = (fields: readonly string[]) => [...fields.map(fieldExpr), 'id'].join(', ');

/** Whether a row to write (id, body, indexed fields…) holds the indexed fields `known`. */
function sameIndexed(known: Scalar[], row: Scalar[]): boolean {
  for (let i = 0; i < known.length; i++) if (known[i] !== row[i + 2]) return false;
  return true;
}

interface Pending {
  fn: (tx: Tx) => Promise<unknown>;
  resolve(value: unknown): void;
  reject(error: unknown): void;
  /** When it was asked for: it waits for another process's lock its own busy timeout from then. */
  queuedAt: number;
}

/** Most logical transactions one COMMIT carries. */
const MAX_GROUP = 256;
/** How often a group waiting for another process's write lock tries again. */
const BUSY_RETRY_MS = 10;

interface Statements {
  /** The body and the indexed fields as stored, as one array. */
  get: Database.Statement;
  insert: Database.Statement;
  upsert: Database.Statement;
  /** Rewrites the body alone (parameters: body, id); SQLite then leaves the collection's index pages untouched. */
  setBody: Database.Statement;
  remove: Database.Statement;
}

/** Whether an open database holds no document outside `ignoring` (see holdsNoDocuments). */
function noDocumentsIn(db: Database.Database, ignoring: Record<string, readonly string[]>): boolean {
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'doc\\_%' ESCAPE '\\'").pluck().all() as string[];
  return tables.every((table) => {
    const ignored = ignoring[table.slice('doc_'.length)] ?? [];
    return !db.prepare(`SELECT 1 FROM "${table}"${ignored.length ? ` WHERE id NOT IN (${ignored.map(() => '?').join(', ')})` : ''} LIMIT 1`).get(...ignored);
  });
}

/**
 * Removes a database file and its journals if it holds no document (`ignoring` as for
 * holdsNoDocuments) and no other connection, of this process or another, has it open; answers
 * whether it did. A command that opened the database meanwhile (it saw the file another had just
 * started) would otherwise go on writing to files no longer there, and say it succeeded. Every
 * connection to a WAL database holds a shared lock on its file from its first read until it
 * closes: the exclusive lock taken here, without waiting, is refused while any is open. The files
 * go while it is held, so none takes its lock between the check and the removal (one that opened
 * the file in that instant and waits for the lock would still be left on the removed file).
 */
export function removeUnusedEmptyDatabase(file: string, ignoring: Record<string, readonly string[]> = {}): boolean {
  const db = new Database(file, { fileMustExist: true, timeout: 0 });
  try {
    try {
      db.pragma('locking_mode = EXCLUSIVE');
      db.exec('BEGIN EXCLUSIVE');
    } catch (error) {
      if (/^SQLITE_BUSY(_|$)/.test(String((error as { code?: unknown }).code))) return false;
      throw error;
    }
    const empty = noDocumentsIn(db, ignoring);
    if (empty) for (const made of [file, `${file}-wal`, `${file}-shm`, `${file}-journal`]) rmSync(made, { force: true });
    db.exec('ROLLBACK');
    return empty;
  } finally {
    db.close();
  }
}

/**
 * Whether a database file (closed) holds no document in any collection, as one just made does.
 * `ignoring`: documents, by collection, a database is made with (they count as none).
 */
export function holdsNoDocuments(file: string, ignoring: Record<string, readonly string[]> = {}): boolean {
  // Read-only, so the database is left byte for byte as it was; a read-only connection to a WAL
  // database leaves behind the -wal and -shm it made, so those that were not there go again (no
  // other connection was open then, or they would have been).
  const journals = [`${file}-wal`, `${file}-shm`].filter((journal) => !existsSync(journal));
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return noDocumentsIn(db, ignoring);
  } finally {
    db.close();
    for (const journal of journals) if (existsSync(journal) && (!journal.endsWith('-wal') || statSync(journal).size === 0)) rmSync(journal, { force: true });
  }
}

/**
 * The embedded adapter. One writer connection runs transactions one after
 * another (SQLite has a single writer anyway), committing them in groups;
 * reads outside transactions go to a second connection so they never see
 * uncommitted writes.
 */
export class SqliteStore implements DocStore {
  private readonly file: string;
  private readonly writer: Database.Database;
  private readonly reader: Database.Database;
  private readonly collections: CollectionSpecs;
  private readonly writeStatements = new Map<string, Statements>();
  private readonly readStatements = new Map<string, Database.Statement>();
  private readonly queryStatements = new Map<string, Database.Statement>();
  private readonly indexedFields = new Map<string, string[]>();
  private readonly queue: Pending[] = [];
  private flushing = false;
  /** How long a transaction waits for another process's write lock, from when it is asked for, before it is refused as busy. */
  private readonly busyTimeoutMs: number;
  /**
   * The indexed fields, as stored, of each document the running logical
   * transaction has read or written (created ones aside: see `create`), so
   * that rewriting a document whose indexed fields did not change touches its
   * row alone. An upsert rewrites every index entry of the row even when its
   * value is the same: for an earn, two of its eight pages. Emptied as each
   * logical transaction starts, since a rolled-back savepoint leaves rows as
   * they were before it.
   */
  private readonly indexedSeen = new Map<string, Map<string, Scalar[]>>();
  /** A group is due to start on the next turn of the event loop. */
  private scheduled = false;
  /** Transaction control, prepared once (exec would parse the SQL on every call). */
  private readonly control: Record<'begin' | 'commit' | 'rollback' | 'savepoint' | 'release' | 'rollbackTo', Database.Statement>;

  constructor(options: SqliteStoreOptions) {
    this.collections = options.collections ?? COLLECTIONS;
    this.file = options.file;
    mkdirSync(dirname(options.file), { recursive: true });
    // a new database is readable by its owner alone, as the keys beside it are: it holds sealed
    // phones, keyed phone hashes, nicknames and birthdays (SQLite gives its -wal and -shm the same mode)
    // (an empty file there too: a first run stopped before SQLite wrote its header)
    if (!existsSync(options.file)) closeSync(openSync(options.file, 'a', 0o600));
    else if (statSync(options.file).size === 0) chmodSync(options.file, 0o600);
    this.writer = new Database(options.file);
    this.writer.pragma('journal_mode = WAL');
    // what a write replaces or removes is zeroed, not left in the file's free space: an erased
    // consumer's nickname, birthday and cards (member.delete) must not stay readable in it. FAST zeroes
    // inside the pages a write writes anyway (a document fits in one), so it costs no extra I/O
    this.writer.pragma('secure_delete = FAST');
    this.writer.pragma(`synchronous = ${options.durability === 'normal' ? 'NORMAL' : 'FULL'}`);
    this.writer.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
    // a 64 MB page cache: imports touch the same index pages over and over
    this.writer.pragma('cache_size = -65536');
    // checkpoint every ~80 MB of WAL instead of 4 MB: hot index pages are copied back once, not per batch
    this.writer.pragma('wal_autocheckpoint = 20000');
    this.createSchema();
    this.control = {
      begin: this.writer.prepare('BEGIN IMMEDIATE'),
      commit: this.writer.prepare('COMMIT'),
      rollback: this.writer.prepare('ROLLBACK'),
      savepoint: this.writer.prepare('SAVEPOINT logical'),
      release: this.writer.prepare('RELEASE logical'),
      rollbackTo: this.writer.prepare('ROLLBACK TO logical'),
    };
    // From here the writer waits for another process's lock between turns of the event loop
    // (beginGroup), not inside SQLite, which would hold up every other request of a server
    // for as long: in WAL mode only BEGIN IMMEDIATE waits, a COMMIT holding the lock never does.
    this.busyTimeoutMs = options.busyTimeoutMs ?? 5000;
    this.writer.pragma('busy_timeout = 0');
    this.reader = new Database(options.file, { readonly: true });
    this.reader.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
    this.reader.pragma('cache_size = -16384');
  }

  private createSchema(): void {
    for (const [collection, spec] of Object.entries(this.collections)) {
      if (!IDENT.test(collection)) throw new Error(`bad collection name ${collection}`);
      const table = tableOf(collection);
      const fieldsOfTable = [...new Set(spec.indexes.flat())];
      for (const field of fieldsOfTable) if (!IDENT.test(field)) throw new Error(`bad index field ${field}`);
      this.indexedFields.set(collection, fieldsOfTable);
      // One transaction per table: a crash mid-upgrade must not leave a column added but unfilled,
      // which the next start would take as filled.
      this.writer.transaction(() => this.createTable(table, spec.indexes, fieldsOfTable, spec.sparse ?? [])).immediate();
    }
  }

  private createTable(table: string, indexes: readonly (readonly string[])[], fieldsOfTable: string[], sparse: readonly string[]): void {
    // SQLite column names are case-insensitive
    const existing = new Set((this.writer.pragma(`table_info(${table})`) as { name: string }[]).map((c) => c.name.toLowerCase()));
    // our own indexes on the table (the autoindex of its primary key is SQLite's)
    const present = new Set((this.writer.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?").pluck().all(table) as string[])
      .filter((name) => name.startsWith(`${table}__`)));
    const declared = new Set(indexes.map((fields) => indexName(table, fields, sparse)));
    // An index a database made by an earlier version, no longer declared (or made without the id):
    // its column is not written any more, and every write would still pay for its entry. Dropped
    // first, so that the refill below does not rewrite its entries on the way out.
    for (const name of present) if (!declared.has(name)) this.writer.exec(`DROP INDEX ${name}`);
    if (existing.size === 0) {
      const columns = fieldsOfTable.map((field) => `, ${fieldExpr(field)}`).join('');
      this.writer.exec(`CREATE TABLE ${table} (id TEXT PRIMARY KEY, body TEXT NOT NULL${columns})`);
    } else {
      // A table made by an earlier version lacks the columns of fields indexed since: add them.
      // A column no longer declared stays; nothing writes or reads it.
      const missing = fieldsOfTable.filter((field) => !existing.has(fieldExpr(field).toLowerCase()));
      for (const field of missing) this.writer.exec(`ALTER TABLE ${table} ADD COLUMN ${fieldExpr(field)}`);
      // Fill, from the bodies, the fields of every index about to be made: a column that already
      // exists may be stale too (an index dropped by an earlier version is not written any more,
      // and a version that does not know a field writes rows without it and drops its index).
      const unindexed = [...new Set(indexes.filter((fields) => !present.has(indexName(table, fields, sparse))).flat())];
      if (unindexed.length) {
        this.writer.exec(`UPDATE ${table} SET ${unindexed.map((field) => `${fieldExpr(field)} = ${storedExpr(field)}`).join(', ')}`);
      }
    }
    for (const fields of indexes) this.writer.exec(`CREATE INDEX IF NOT EXISTS ${indexName(table, fields, sparse)} ON ${table} (${indexColumns(fields)})${indexWhere(fields, sparse)}`);
  }

  private checkCollection(collection: string): string {
    if (!this.collections[collection]) throw new StoreQueryError(`unknown collection ${collection}`);
    return tableOf(collection);
  }

  private statements(collection: string): Statements {
    let s = this.writeStatements.get(collection);
    if (!s) {
      const table = this.checkCollection(collection);
      const fields = this.indexedFields.get(collection)!;
      const names = ['id', 'body', ...fields.map(fieldExpr)];
      const values = names.map(() => '?').join(', ');
      const updates = names.slice(1).map((name) => `${name} = excluded.${name}`).join(', ');
      s = {
        get: this.writer.prepare(`SELECT ${names.slice(1).join(', ')} FROM ${table} WHERE id = ?`).raw(),
        insert: this.writer.prepare(`INSERT INTO ${table} (${names.join(', ')}) VALUES (${values}) ON CONFLICT (id) DO NOTHING`),
        upsert: this.writer.prepare(`INSERT INTO ${table} (${names.join(', ')}) VALUES (${values}) ON CONFLICT (id) DO UPDATE SET ${updates}`),
        setBody: this.writer.prepare(`UPDATE ${table} SET body = ? WHERE id = ?`),
        remove: this.writer.prepare(`DELETE FROM ${table} WHERE id = ?`),
      };
      this.writeStatements.set(collection, s);
    }
    return s;
  }

  private readonly tx: Tx = {
    get: async <T extends Doc>(collection: string, id: string) => this.readDoc<T>(collection, id),
    create: async (collection, doc) => {
      const row = this.row(collection, doc);
      const inserted = this.statements(collection).insert.run(...row);
      if (inserted.changes === 0) throw new StoreConflictError(collection, doc._id);
      // not remembered as seen: a document is created once and seldom written again in the same
      // transaction (a batch's ledger entries, a hundred thousand of them), and one that is is
      // upserted, which writes the same row
    },
    set: async (collection, doc) => this.write(collection, doc),
    update: async (collection, id, patch) => this.rewrite(collection, id, (current) => applyPatch(current, patch)),
    // SQLite has one writer, so read-modify-write inside the transaction is the increment
    increment: async (collection, id, deltas, patch = {}) => {
      checkIncrement(deltas, patch);
      this.rewrite(collection, id, (current) => applyPatch(applyDeltas(current, deltas), patch));
    },
    remove: async (collection, id) => {
      this.statements(collection).remove.run(id);
      this.seen(collection, id, null);
    },
  };

  /** Replaces a document with `change` of it, inside the open transaction; StoreNotFoundError if absent. */
  private rewrite(collection: string, id: string, change: (current: Doc) => Doc): void {
    const current = this.readDoc<Doc>(collection, id);
    if (!current) throw new StoreNotFoundError(collection, id);
    this.write(collection, change(current));
  }

  /** Writes a whole document: its body alone when its row is known to hold the same indexed fields, else an upsert. */
  private write(collection: string, doc: Doc): void {
    const s = this.statements(collection);
    const row = this.row(collection, doc);
    const known = this.indexedSeen.get(collection)?.get(doc._id);
    if (known && sameIndexed(known, row)) s.setBody.run(row[1], doc._id);
    else s.upsert.run(...row);
    this.seen(collection, doc._id, row.slice(2));
  }

  /** Remembers the indexed fields a row holds now (null: no row), for the rest of the logical transaction. */
  private seen(collection: string, id: string, indexed: Scalar[] | null): void {
    if (this.indexedFields.get(collection)!.length === 0) return;
    let rows = this.indexedSeen.get(collection);
    if (!rows) this.indexedSeen.set(collection, (rows = new Map()));
    if (indexed) rows.set(id, indexed);
    else rows.delete(id);
  }

  /** The values of a document's row: id, JSON body, then its indexed fields. */
  private row(collection: string, doc: Doc): Scalar[] {
    const values: Scalar[] = [doc._id, JSON.stringify(doc)];
    for (const field of this.indexedFields.get(collection)!) values.push(bindable(doc[field]));
    return values;
  }

  /** A document read inside the open transaction. */
  private readDoc<T extends Doc>(collection: string, id: string): T | null {
    const stored = this.statements(collection).get.get(id) as [string, ...Scalar[]] | undefined;
    if (!stored) return null;
    this.seen(collection, id, stored.slice(1));
    return JSON.parse(stored[0]) as T;
  }

  /**
   * Group commit: transactions that arrive while others run join them in one
   * SQLite transaction, each inside its own savepoint (a throw rolls back only
   * its own writes), and one COMMIT (one fsync) makes the whole group durable.
   * Every caller is answered only after that COMMIT. Alone, a transaction
   * commits on the next turn of the event loop; under load, many share the
   * cost of one disk flush.
   */
  transaction<R>(fn: (tx: Tx) => Promise<R>): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ fn, resolve: resolve as (value: unknown) => void, reject, queuedAt: Date.now() });
      if (!this.flushing && !this.scheduled) {
        // Start on the next turn of the event loop, not now: requests that arrived together
        // (read in the same poll of the sockets) then share one group and one fsync.
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          void this.runGroups();
        });
      }
    });
  }

  /**
   * BEGIN IMMEDIATE, tried again every few milliseconds while another process holds the write
   * lock. Each queued transaction waits its own busy timeout from when it was asked for, then is
   * refused as busy (safe to retry); none ran. False when none is left to run.
   */
  private async beginGroup(): Promise<boolean> {
    for (;;) {
      try {
        this.control.begin.run();
        return true;
      } catch (error) {
        const now = Date.now();
        // SQLITE_BUSY and its extended codes (better-sqlite3 gives those): SQLITE_BUSY_RECOVERY is
        // another process rebuilding the WAL index after a crash, a lock like any other
        const busy = /^SQLITE_BUSY(_|$)/.test(String((error as { code?: unknown }).code));
        // in place, in one pass, and no spread of the queue: it may hold a flood of a hundred thousand
        let kept = 0;
        let soonest = Infinity;
        for (const item of this.queue) {
          const deadline = item.queuedAt + this.busyTimeoutMs;
          if (!busy || now >= deadline) {
            // only another process's lock is worth waiting out and trying again: a read-only file, a
            // full disk or an I/O error is said as it is, not as busy (a client would retry it for nothing)
            item.reject(busy ? new StoreBusyError(error) : error);
          } else {
            this.queue[kept++] = item;
            soonest = Math.min(soonest, deadline);
          }
        }
        this.queue.length = kept;
        if (!kept) return false;
        await new Promise((resolve) => setTimeout(resolve, Math.min(BUSY_RETRY_MS, Math.max(1, soonest - now))));
      }
    }
  }

  private async runGroups(): Promise<void> {
    this.flushing = true;
    try {
      while (this.queue.length) {
        const group: { item: Pending; outcome: { ok: true; value: unknown } | { ok: false; error: unknown } }[] = [];
        // another process holding the database past a transaction's busy timeout refuses it, and the store goes on
        if (!(await this.beginGroup())) continue;
        // The first runs bare (alone, it costs no savepoint); a failure of it rolls back
        // the whole transaction, which holds nothing else yet. The rest run in savepoints.
        const first = this.queue.shift()!;
        this.indexedSeen.clear();
        try {
          group.push({ item: first, outcome: { ok: true, value: await first.fn(this.tx) } });
        } catch (error) {
          // (SQLite may have rolled it back itself: see below)
          if (this.writer.inTransaction) this.control.rollback.run();
          first.reject(error);
          continue;
        }
        let lost: { error: unknown } | null = null;
        while (this.queue.length && group.length < MAX_GROUP) {
          const item = this.queue.shift()!;
          this.control.savepoint.run();
          this.indexedSeen.clear();
          try {
            const value = await item.fn(this.tx);
            this.control.release.run();
            group.push({ item, outcome: { ok: true, value } });
          } catch (error) {
            if (!this.writer.inTransaction) {
              // A full disk or an I/O error in a statement SQLite cannot undo alone (an UPDATE of
              // one row keeps no statement journal) rolls back the whole transaction: what the
              // group's earlier transactions wrote went with it, and there is no savepoint to return to.
              item.reject(error);
              lost = { error };
              break;
            }
            this.control.rollbackTo.run();
            this.control.release.run();
            group.push({ item, outcome: { ok: false, error } });
          }
        }
        if (lost) {
          for (const { item, outcome } of group) item.reject(outcome.ok ? lost.error : outcome.error);
          continue;
        }
        try {
          this.control.commit.run();
        } catch (error) {
          if (this.writer.inTransaction) this.control.rollback.run();
          for (const { item } of group) item.reject(error);
          continue;
        }
        this.indexedSeen.clear();
        for (const { item, outcome } of group) {
          if (outcome.ok) item.resolve(outcome.value);
          else item.reject(outcome.error);
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  async get<T extends Doc>(collection: string, id: string): Promise<T | null> {
    let statement = this.readStatements.get(collection);
    if (!statement) {
      statement = this.reader.prepare(`SELECT body FROM ${this.checkCollection(collection)} WHERE id = ?`).pluck();
      this.readStatements.set(collection, statement);
    }
    const body = statement.get(id) as string | undefined;
    return body === undefined ? null : (JSON.parse(body) as T);
  }

  updateIf(collection: string, id: string, expected: Record<string, Scalar>, patch: Patch): Promise<boolean> {
    return this.transaction(async (tx) => {
      const current = await tx.get<Doc>(collection, id);
      if (!current) return false;
      for (const [field, value] of Object.entries(expected)) {
        if ((current[field] ?? null) !== value) return false;
      }
      await tx.update(collection, id, patch);
      return true;
    });
  }

  async query<T extends Doc>(collection: string, options: QueryOptions): Promise<Page<T>> {
    return this.page<T>((sql) => {
      let statement = this.queryStatements.get(sql);
      if (!statement) {
        statement = this.reader.prepare(sql).pluck();
        this.queryStatements.set(sql, statement);
      }
      return statement;
    }, collection, options);
  }

  /**
   * A read-only connection of its own holding one read transaction: in WAL mode it sees the
   * database as it was when it began, whatever this store or another process commits meanwhile,
   * and the store's own reads go on seeing each commit.
   */
  snapshot(): Snapshot {
    const db = new Database(this.file, { readonly: true, fileMustExist: true });
    db.pragma(`busy_timeout = ${this.busyTimeoutMs}`);
    db.pragma('cache_size = -16384'); // as the store's own reader
    const statements = new Map<string, Database.Statement>();
    const prepared = (sql: string) => {
      let statement = statements.get(sql);
      if (!statement) statements.set(sql, (statement = db.prepare(sql).pluck()));
      return statement;
    };
    // the read transaction starts at its first read: taken now, it is the database as it is now
    db.exec('BEGIN');
    db.prepare('SELECT count(*) FROM sqlite_master').get();
    return {
      get: async <T extends Doc>(collection: string, id: string) => {
        const body = prepared(`SELECT body FROM ${this.checkCollection(collection)} WHERE id = ?`).get(id) as string | undefined;
        return body === undefined ? null : (JSON.parse(body) as T);
      },
      query: async <T extends Doc>(collection: string, options: QueryOptions) => this.page<T>(prepared, collection, options),
      release: () => {
        if (db.open) db.close();
      },
    };
  }

  /** One page of a query, read through the statements `statement` gives for its SQL. */
  private page<T extends Doc>(statement: (sql: string) => Database.Statement, collection: string, options: QueryOptions): Page<T> {
    const { sql, params, orderBy, limit } = this.pageSql(collection, options);
    const rows = (statement(sql).all(...params) as string[]).map((body) => JSON.parse(body) as T);
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    const nextCursor = rows.length > limit && last
      ? encodeCursor({ value: orderBy === '_id' ? last._id : ((last[orderBy] ?? null) as Scalar), id: last._id })
      : null;
    return { items, nextCursor };
  }

  /** How SQLite reads a page of this query (EXPLAIN QUERY PLAN): for checking that no page sorts the table. */
  explainQuery(collection: string, options: QueryOptions): string[] {
    const { sql, params } = this.pageSql(collection, options);
    return (this.reader.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map((row) => row.detail);
  }

  /** The SQL of one page of a query (one row more than the page, to know whether another follows). */
  private pageSql(collection: string, options: QueryOptions): { sql: string; params: unknown[]; orderBy: string; limit: number } {
    const table = this.checkCollection(collection);
    const { where, orderBy, direction, limit } = checkQuery(this.collections, collection, options);

    const fields = Object.keys(where).sort();
    const nullFields = new Set(fields.filter((f) => where[f] === null));
    const clauses = fields.map((f) => (nullFields.has(f) ? `${fieldExpr(f)} IS NULL` : `${fieldExpr(f)} = ?`));
    const params: unknown[] = fields.filter((f) => !nullFields.has(f)).map((f) => bindable(where[f] ?? null));
    const cmp = direction === 'asc' ? '>' : '<';
    if (options.cursor) {
      const position = decodeCursor(options.cursor);
      if (orderBy === '_id') {
        clauses.push(`id ${cmp} ?`);
        params.push(position.id);
      } else {
        clauses.push(`(${fieldExpr(orderBy)}, id) ${cmp} (?, ?)`);
        params.push(bindable(position.value), position.id);
      }
    }
    const dir = direction === 'asc' ? 'ASC' : 'DESC';
    const order = orderBy === '_id' ? `id ${dir}` : `${fieldExpr(orderBy)} ${dir}, id ${dir}`;
    const sql = `SELECT body FROM ${table}${clauses.length ? ` WHERE ${clauses.join(' AND ')}` : ''} ORDER BY ${order} LIMIT ?`;
    params.push(limit + 1);
    return { sql, params, orderBy, limit };
  }

  async close(): Promise<void> {
    // queued behind every pending transaction (refused as busy, it has nothing to wait for)
    await this.transaction(async () => undefined).catch(() => undefined);
    this.reader.close();
    this.writer.close();
  }

}
