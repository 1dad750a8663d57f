import { applyDeltas, applyPatch, checkIncrement } from './patch';
import { StoreNotFoundError, type Doc, type Patch, type Tx } from './port';

type Write = 'set' | 'create' | 'remove';

interface PendingIncrement {
  deltas: Record<string, number>;
  patch: Patch;
  /** The whole document, recomputed, for when it turns out not to exist. */
  rebuild?: () => Promise<Doc>;
}

/**
 * A write-back view of one transaction for work that touches the same
 * documents many times (a batch of imported rows sharing phones, members and
 * accounts): each document is read at most once, and written once by `flush`,
 * collection by collection in id order so a big batch walks each index front
 * to back. Documents added with `create` are written with create, so a
 * concurrent writer of the same id fails the transaction instead of being
 * overwritten. Identity and points share one cache inside one transaction.
 * `increment` moves counters of a document it has not read with one blind
 * write (the port's increment), so a hot balance costs no read.
 */
export class TxCache {
  private readonly docs = new Map<string, Map<string, Doc | null>>();
  private readonly dirty = new Map<string, Map<string, Write>>();
  /** Blind increments of documents not read in this transaction, by collection and id. */
  private readonly increments = new Map<string, Map<string, PendingIncrement>>();

  constructor(readonly tx: Tx) {}

  private docsOf(collection: string): Map<string, Doc | null> {
    let docs = this.docs.get(collection);
    if (!docs) this.docs.set(collection, (docs = new Map()));
    return docs;
  }

  private mark(collection: string, id: string, write: Write): void {
    // a whole document written supersedes a blind increment not yet applied
    this.increments.get(collection)?.delete(id);
    let pending = this.dirty.get(collection);
    if (!pending) this.dirty.set(collection, (pending = new Map()));
    // a document created in this transaction stays a create whatever happens to it next
    pending.set(id, pending.get(id) === 'create' && write === 'set' ? 'create' : write);
  }

  readonly get = async <T extends Doc>(collection: string, id: string): Promise<T | null> => {
    const docs = this.docsOf(collection);
    const cached = docs.get(id);
    if (cached !== undefined) return cached as T | null;
    const doc = await this.tx.get<T>(collection, id);
    // a concurrent get of the same document may have settled it meanwhile
    const settled = docs.get(id);
    if (settled !== undefined) return settled as T | null;
    const pending = this.increments.get(collection)?.get(id);
    if (!pending) {
      docs.set(id, doc);
      return doc;
    }
    // read after a blind increment: fold the increment into the document read
    this.increments.get(collection)!.delete(id);
    if (doc) this.put(collection, applyPatch(applyDeltas(doc, pending.deltas), pending.patch));
    else if (pending.rebuild) this.put(collection, await pending.rebuild());
    else throw new StoreNotFoundError(collection, id);
    return docs.get(id) as T;
  };

  /** Reads many documents of one collection in id order; returns those that exist. */
  async getMany<T extends Doc>(collection: string, ids: Iterable<string>): Promise<Map<string, T>> {
    const found = new Map<string, T>();
    for (const id of [...new Set(ids)].sort()) {
      const doc = await this.get<T>(collection, id);
      if (doc) found.set(id, doc);
    }
    return found;
  }

  /** Whether the document was read (or written) in this transaction. */
  isLoaded(collection: string, id: string): boolean {
    return this.docsOf(collection).has(id);
  }

  /** Records that a document does not exist, when the caller knows it (saves the read). */
  knownAbsent(collection: string, id: string): void {
    if (!this.docsOf(collection).has(id) && !this.increments.get(collection)?.has(id)) this.docsOf(collection).set(id, null);
  }

  put(collection: string, doc: Doc): void {
    this.docsOf(collection).set(doc._id, doc);
    this.mark(collection, doc._id, 'set');
  }

  /** A new document, written with `create` (a conflict fails the transaction). */
  create(collection: string, doc: Doc): void {
    this.docsOf(collection).set(doc._id, doc);
    this.mark(collection, doc._id, 'create');
  }

  /**
   * Adds `deltas` to counters of a document and sets `patch`: on the cached
   * copy if it was read, else as one blind increment at flush. If the document
   * turns out not to exist, `rebuild` gives the whole of it (already counting
   * these deltas); without `rebuild` that is a StoreNotFoundError.
   */
  increment(collection: string, id: string, deltas: Record<string, number>, patch: Patch = {}, rebuild?: () => Promise<Doc>): void {
    checkIncrement(deltas, patch);
    const cached = this.docsOf(collection).get(id);
    if (cached === null && !rebuild) throw new StoreNotFoundError(collection, id);
    if (cached) return this.put(collection, applyPatch(applyDeltas(cached, deltas), patch));
    // known missing: leave it to the next read or the flush to rebuild
    if (cached === null) this.docsOf(collection).delete(id);
    let pending = this.increments.get(collection);
    if (!pending) this.increments.set(collection, (pending = new Map()));
    const earlier = pending.get(id);
    const sum = { ...earlier?.deltas };
    for (const [field, delta] of Object.entries(deltas)) sum[field] = (sum[field] ?? 0) + delta;
    pending.set(id, { deltas: sum, patch: { ...earlier?.patch, ...patch }, rebuild: rebuild ?? earlier?.rebuild });
  }

  remove(collection: string, id: string): void {
    this.docsOf(collection).set(id, null);
    this.mark(collection, id, 'remove');
  }

  /** Writes everything pending; returns how many documents were written. */
  async flush(): Promise<number> {
    let written = 0;
    for (const collection of [...this.dirty.keys()].sort()) {
      const pending = this.dirty.get(collection)!;
      const docs = this.docsOf(collection);
      for (const id of [...pending.keys()].sort()) {
        const doc = docs.get(id);
        const write = pending.get(id)!;
        if (!doc) await this.tx.remove(collection, id);
        else if (write === 'create') await this.tx.create(collection, doc);
        else await this.tx.set(collection, doc);
        written++;
      }
    }
    this.dirty.clear();
    for (const collection of [...this.increments.keys()].sort()) {
      const pending = this.increments.get(collection)!;
      for (const id of [...pending.keys()].sort()) {
        const { deltas, patch, rebuild } = pending.get(id)!;
        try {
          await this.tx.increment(collection, id, deltas, patch);
        } catch (error) {
          if (!(error instanceof StoreNotFoundError) || !rebuild) throw error;
          await this.tx.set(collection, await rebuild());
        }
        written++;
      }
    }
    this.increments.clear();
    return written;
  }
}
