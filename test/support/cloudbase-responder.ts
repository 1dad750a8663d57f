/**
 * A local stand-in for CloudBase's database API, for driving the real wx-server-sdk in tests.
 *
 * Point the SDK at it with TENCENTCLOUD_SECRETID / TENCENTCLOUD_SECRETKEY (any values) and
 * TCB_CONTEXT_CNFG='{"URL":"<url>"}'. The SDK POSTs one JSON body per call, `action` naming the
 * operation; query, order and documents travel as canonical EJSON strings. The responder answers
 * from an in-memory map the way the service documents it (`{ data, requestId }`, or
 * `{ code, message, requestId }` on failure) and records every request, decoded, for assertions.
 *
 * Deliberately small: equality, $and/$or/$lt/$lte/$gt/$gte/$eq/$ne/$in, top-level $set/$unset/$inc.
 * Anything else is answered with an error so a test notices. Stored field names are held to the rule
 * of the MongoDB versions CloudBase runs (before 5.0) and of its EJSON transport: a name containing
 * `.` (a path, not a name) or starting with `$` (an operator or a type wrapper), at any depth of a
 * document inserted, replacing one or set into one, is refused. Transactions work on a snapshot taken at
 * start; commit copies the documents they touched. Write conflicts follow MongoDB's snapshot isolation:
 * a transaction writing a document that another open transaction has written, or that anyone committed
 * after its snapshot, is refused with a WriteConflict and can then only be aborted; reads never conflict,
 * and neither does an update that leaves the document as it was (MongoDB writes nothing for it).
 * Inject other failures with `answerNext`.
 */
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isDeepStrictEqual } from 'node:util';

type Json = Record<string, unknown>;
type Collections = Map<string, Map<string, Json>>;

interface OpenTransaction {
  state: Collections;
  /** Documents written, as JSON `[collection, id]`. */
  touched: Set<string>;
  /** The commit count when it started: committed versions above it are newer than its snapshot. */
  snapshot: number;
  /** Refused a write: everything but abort is refused from then on, as MongoDB does. */
  conflicted: boolean;
}

const WRITE_CONFLICT = 'WriteConflict error: this operation conflicted with another operation. Please retry your operation or multi-document transaction.';

export interface RecordedRequest {
  action: string;
  collection?: string;
  transactionId?: string;
  /** `query`, `data` and `order` decoded from EJSON; the other fields as sent. */
  query?: unknown;
  data?: unknown;
  order?: unknown;
  body: Json;
}

export interface Answer {
  code?: string;
  message?: string;
  [key: string]: unknown;
}

class Refusal extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

/** Canonical EJSON numbers back to plain numbers; the SDK sends nothing fancier for JSON documents. */
function fromEjson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(fromEjson);
  if (value && typeof value === 'object') {
    const entries = Object.entries(value);
    const [first] = entries;
    if (entries.length === 1 && first && ['$numberInt', '$numberDouble', '$numberLong'].includes(first[0])) {
      return Number(first[1]);
    }
    return Object.fromEntries(entries.map(([k, v]) => [k, fromEjson(v)]));
  }
  return value;
}
const decode = (text: unknown) => (typeof text === 'string' ? fromEjson(JSON.parse(text)) : text);

/** MongoDB's cross-type sort order, for the types JSON can hold. */
function rank(value: unknown): number {
  if (value === undefined || value === null) return 1;
  if (typeof value === 'number') return 2;
  if (typeof value === 'string') return 3;
  if (Array.isArray(value)) return 5;
  if (typeof value === 'object') return 4;
  return 8; // boolean
}
function compare(a: unknown, b: unknown): number {
  const byType = rank(a) - rank(b);
  if (byType !== 0 || rank(a) === 1) return byType;
  if (typeof a === 'number' || typeof a === 'string' || typeof a === 'boolean') {
    return a < (b as typeof a) ? -1 : a > (b as typeof a) ? 1 : 0;
  }
  return JSON.stringify(a) < JSON.stringify(b) ? -1 : JSON.stringify(a) > JSON.stringify(b) ? 1 : 0;
}

const isOperatorObject = (v: unknown): v is Json =>
  !!v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length > 0 && Object.keys(v).every((k) => k.startsWith('$'));

function equals(actual: unknown, expected: unknown): boolean {
  return expected === null ? actual === null || actual === undefined : isDeepStrictEqual(actual, expected);
}

function matchField(actual: unknown, condition: unknown): boolean {
  if (!isOperatorObject(condition)) return equals(actual, condition);
  return Object.entries(condition).every(([op, operand]) => {
    // Range operators only match values of the operand's own type, as in MongoDB.
    const sameType = rank(actual) === rank(operand) && actual !== undefined && actual !== null;
    switch (op) {
      case '$eq': return equals(actual, operand);
      case '$ne': return !equals(actual, operand);
      case '$lt': return sameType && compare(actual, operand) < 0;
      case '$lte': return sameType && compare(actual, operand) <= 0;
      case '$gt': return sameType && compare(actual, operand) > 0;
      case '$gte': return sameType && compare(actual, operand) >= 0;
      case '$in': return (operand as unknown[]).some((v) => equals(actual, v));
      default: throw new Refusal('DATABASE_INVALID_OPERRATOR', `unsupported query operator ${op}`);
    }
  });
}

function matches(doc: Json, query: Json): boolean {
  return Object.entries(query).every(([key, condition]) => {
    if (key === '$and') return (condition as Json[]).every((q) => matches(doc, q));
    if (key === '$or') return (condition as Json[]).some((q) => matches(doc, q));
    if (key.startsWith('$')) throw new Refusal('DATABASE_INVALID_OPERRATOR', `unsupported query operator ${key}`);
    return matchField(doc[key], condition);
  });
}

/**
 * Refuses a value to be stored whose field names, at any depth, contain `.` or start with `$`:
 * MongoDB before 5.0 would not store them (`… is not valid for storage`), its tools read `.` as
 * nesting, and a `$` name on the wire is read as an operator or an EJSON type.
 */
function checkStorable(value: unknown, path: string): void {
  if (Array.isArray(value)) return value.forEach((item, i) => checkStorable(item, `${path}.${i}`));
  if (!value || typeof value !== 'object') return;
  for (const [field, inner] of Object.entries(value)) {
    const at = path ? `${path}.${field}` : field;
    if (field.includes('.')) throw new Refusal('DATABASE_REQUEST_FAILED', `The dotted field '${field}' in '${at}' is not valid for storage.`);
    if (field.startsWith('$')) throw new Refusal('DATABASE_REQUEST_FAILED', `The dollar ($) prefixed field '${field}' in '${at}' is not valid for storage.`);
    checkStorable(inner, at);
  }
}

function applyUpdate(doc: Json, update: Json): Json {
  const next: Json = structuredClone(doc);
  for (const [op, fields] of Object.entries(update)) {
    for (const [field, value] of Object.entries(fields as Json)) {
      if (field.includes('.')) throw new Refusal('DATABASE_INVALID_OPERRATOR', `dotted path ${field} not simulated`);
      if (op === '$set') {
        checkStorable(value, field);
        next[field] = value;
      }
      else if (op === '$unset') delete next[field];
      else if (op === '$inc') next[field] = ((next[field] as number) ?? 0) + (value as number);
      else throw new Refusal('DATABASE_INVALID_OPERRATOR', `unsupported update operator ${op}`);
    }
  }
  return next;
}

export class CloudBaseResponder {
  readonly requests: RecordedRequest[] = [];
  private committed: Collections = new Map();
  /** Per written document (JSON `[collection, id]`), the commit count of its last committed write. */
  private versions = new Map<string, number>();
  private commits = 0;
  private readonly transactions = new Map<string, OpenTransaction>();
  private readonly injected: { action: string; answer: Answer }[] = [];
  private sequence = 0;
  private server?: Server;

  /** The URL to put in TCB_CONTEXT_CNFG. */
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => this.receive(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/admin`;
    return this;
  }

  /**
   * Points wx-server-sdk at this responder (call after `start`) and answers the SDK, required only
   * now, with its transport settings in place, and initialised.
   */
  sdk(): typeof import('wx-server-sdk') {
    Object.assign(process.env, {
      TENCENTCLOUD_SECRETID: 'test-secret-id',
      TENCENTCLOUD_SECRETKEY: 'test-secret-key',
      TCB_CONTEXT_CNFG: JSON.stringify({ URL: this.url }),
      TENCENTCLOUD: 'true', // skips the SDK's probe of Tencent's metadata server (a network call)
      SILENCE: 'true', // no 3 s "slow request" timer, which a failed request leaves running
    });
    const cloud = require('wx-server-sdk') as typeof import('wx-server-sdk');
    cloud.init({ env: 'test-env' });
    return cloud;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections(); // the SDK keeps connections alive
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The actions received so far, in order. */
  actions(): string[] {
    return this.requests.map((r) => r.action);
  }

  /** Back to an empty database: no documents, no open transactions, no requests, no injected answers. */
  reset(): void {
    this.committed = new Map();
    this.versions = new Map();
    this.transactions.clear();
    this.injected.length = 0;
    this.clearRequests();
  }

  /** Forgets recorded requests (documents stay). */
  clearRequests(): void {
    this.requests.length = 0;
  }

  /** Puts a committed document in place as if it had been written by anyone (the mini-program, the console). */
  seed(collection: string, doc: Json): void {
    this.collection(this.committed, collection).set(String(doc._id), structuredClone(doc));
  }

  /** The committed document, or undefined. */
  peek(collection: string, id: string): Json | undefined {
    return this.committed.get(collection)?.get(id);
  }

  /** The next request with this action gets `answer` (a failure when it carries `code`) instead of the simulation. */
  answerNext(action: string, answer: Answer): void {
    this.injected.push({ action, answer });
  }

  /** Marks committed writes, so transactions that started before them conflict on those documents. */
  private committedWrites(keys: Iterable<string>): void {
    this.commits += 1;
    for (const key of keys) this.versions.set(key, this.commits);
  }

  /** Refuses a transaction's write that MongoDB would refuse as a write conflict. */
  private checkWrite(tx: OpenTransaction, key: string): void {
    const newer = (this.versions.get(key) ?? 0) > tx.snapshot;
    const heldElsewhere = [...this.transactions.values()].some((other) => other !== tx && other.touched.has(key));
    if (newer || heldElsewhere) {
      tx.conflicted = true;
      throw new Refusal('DATABASE_TRANSACTION_CONFLICT', WRITE_CONFLICT);
    }
  }

  private collection(state: Collections, name: string): Map<string, Json> {
    let docs = state.get(name);
    if (!docs) state.set(name, (docs = new Map()));
    return docs;
  }

  private receive(req: IncomingMessage, res: ServerResponse): void {
    let text = '';
    req.on('data', (chunk) => (text += chunk));
    req.on('end', () => {
      const body = JSON.parse(text) as Json;
      const action = String(body.action);
      this.requests.push({
        action,
        collection: body.collectionName as string | undefined,
        transactionId: body.transactionId as string | undefined,
        query: decode(body.query),
        data: Array.isArray(body.data) ? body.data.map(decode) : decode(body.data),
        order: decode(body.order),
        body,
      });
      const requestId = `req-${++this.sequence}`;
      let answer: Answer;
      const slot = this.injected.findIndex((i) => i.action === action);
      if (slot >= 0) {
        answer = this.injected.splice(slot, 1)[0]!.answer;
      } else {
        try {
          answer = this.handle(action, body);
        } catch (error) {
          answer = error instanceof Refusal
            ? { code: error.code, message: error.message }
            : { code: 'SYS_ERR', message: String(error) };
        }
      }
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ ...answer, requestId }));
    });
  }

  private handle(action: string, body: Json): Answer {
    const txId = body.transactionId as string | undefined;
    const tx = txId ? this.transactions.get(txId) : undefined;
    if (txId && !tx) throw new Refusal('DATABASE_TRANSACTION_FAIL', `no transaction ${txId}`);
    if (tx?.conflicted && action !== 'database.abortTransaction') throw new Refusal('DATABASE_TRANSACTION_CONFLICT', WRITE_CONFLICT);
    switch (action) {
      case 'database.startTransaction': {
        const id = `tx-${++this.sequence}`;
        this.transactions.set(id, { state: structuredClone(this.committed), touched: new Set(), snapshot: this.commits, conflicted: false });
        return { transactionId: id };
      }
      case 'database.commitTransaction': {
        // a write outside any transaction may have landed on one of its documents since
        for (const key of tx!.touched) this.checkWrite(tx!, key);
        this.committedWrites(tx!.touched);
        for (const key of tx!.touched) {
          const [collection, id] = JSON.parse(key) as [string, string];
          const doc = tx!.state.get(collection)?.get(id);
          if (doc) this.collection(this.committed, collection).set(id, doc);
          else this.committed.get(collection)?.delete(id);
        }
        this.transactions.delete(txId!);
        return {};
      }
      case 'database.abortTransaction':
        this.transactions.delete(txId!);
        return {};
    }

    const name = String(body.collectionName);
    const docs = this.collection(tx ? tx.state : this.committed, name);
    const written: string[] = [];
    /** Called before each write: in a transaction it may refuse; outside one it counts as a commit. */
    const touch = (id: string) => {
      const key = JSON.stringify([name, id]);
      if (!tx) return void written.push(key);
      this.checkWrite(tx, key);
      tx.touched.add(key);
    };
    const answer = this.operate(action, body, docs, touch);
    if (written.length) this.committedWrites(written);
    return answer;
  }

  private operate(action: string, body: Json, docs: Map<string, Json>, touch: (id: string) => void): Answer {
    const name = String(body.collectionName);
    const query = (decode(body.query) ?? {}) as Json;
    const selected = () => {
      const found = [...docs.values()].filter((doc) => matches(doc, query));
      return body.multi === false ? found.slice(0, 1) : found;
    };

    switch (action) {
      case 'database.getDocument': {
        const order = Object.entries((decode(body.order) ?? {}) as Record<string, number>);
        const list = [...docs.values()]
          .filter((doc) => matches(doc, query))
          .sort((a, b) => {
            for (const [field, dir] of order) {
              const c = compare(a[field], b[field]);
              if (c !== 0) return c * dir;
            }
            return 0;
          })
          .slice(Number(body.offset ?? 0), Number(body.offset ?? 0) + Number(body.limit ?? 100));
        return { data: { list: list.map((doc) => JSON.stringify(doc)) } };
      }
      case 'database.insertDocument': {
        const added = (body.data as string[]).map((text) => decode(text) as Json);
        for (const doc of added) {
          checkStorable(doc, '');
          const id = String(doc._id ?? `auto-${++this.sequence}`);
          if (docs.has(id)) {
            throw new Refusal('DATABASE_DUPLICATE_WRITE',
              `E11000 duplicate key error collection: ${name} index: _id_ dup key: { _id: "${id}" }`);
          }
          touch(id);
          docs.set(id, { ...doc, _id: id });
        }
        return { data: { insertedIds: added.map((doc) => String(doc._id)) } };
      }
      case 'database.modifyDocument': {
        const data = decode(body.data) as Json;
        const operators = Object.keys(data).some((k) => k.startsWith('$'));
        // a replacement (set) or an upsert's new document is stored as sent
        if (body.merge === false || !operators) checkStorable(data, '');
        let updated = 0;
        const hits = selected();
        for (const doc of hits) {
          const next = body.merge === false ? { _id: doc._id, ...data } : applyUpdate(doc, data);
          // Like MongoDB: a write that changes nothing is no write (not counted in nModified, and no
          // write conflict either), so a domain "touch" meant to collide must change a value.
          if (isDeepStrictEqual(next, doc)) continue;
          updated += 1;
          touch(String(doc._id));
          docs.set(String(doc._id), next);
        }
        if (hits.length === 0 && body.upsert === true && typeof query._id === 'string') {
          if (operators) throw new Refusal('DATABASE_INVALID_OPERRATOR', 'upsert with operators not simulated');
          touch(query._id);
          docs.set(query._id, { _id: query._id, ...data });
          return { data: { updated: 0, upsert_id: query._id } };
        }
        return { data: { updated } };
      }
      case 'database.removeDocument': {
        const hits = selected();
        for (const doc of hits) {
          touch(String(doc._id));
          docs.delete(String(doc._id));
        }
        return { data: { deleted: hits.length } };
      }
      default:
        throw new Refusal('INVALID_PARAM', `action ${action} not simulated`);
    }
  }
}

/**
 * A responder for the tests of the file or describe block this is called in: started before them
 * and stopped after, with the real wx-server-sdk's database pointed at it.
 */
export function responderForTests(): { responder: CloudBaseResponder; database(): ReturnType<ReturnType<CloudBaseResponder['sdk']>['database']> } {
  const responder = new CloudBaseResponder();
  let cloud: ReturnType<CloudBaseResponder['sdk']>;
  beforeAll(async () => {
    await responder.start();
    cloud = responder.sdk();
  });
  afterAll(() => responder.stop());
  return { responder, database: () => cloud.database() };
}
