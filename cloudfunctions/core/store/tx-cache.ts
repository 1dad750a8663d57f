import type { Doc, Tx } from './port';

type Write = 'set' | 'create' | 'remove';

/**
 * A write-back view of one transaction for work that touches the same
 * documents many times (a batch of imported rows sharing phones, members and
 * accounts): each document is read at most once, and written once by `flush`,
 * collection by collection in id order so a big batch walks each index front
 * to back. Documents added with `create` are written with create, so a
 * concurrent writer of the same id fails the transaction instead of being
 * overwritten. Identity and points share one cache inside one transaction.
 */
export class TxCache {
  private readonly docs = new Map<string, Map<string, Doc | null>>();
  private readonly dirty = new Map<string, Map<string, Write>>();

  constructor(readonly tx: Tx) {}

  private docsOf(collection: string): Map<string, Doc | null> {
    let docs = this.docs.get(collection);
    if (!docs) this.docs.set(collection, (docs = new Map()));
    return docs;
  }

  private mark(collection: string, id: string, write: Write): void {
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
    docs.set(id, doc);
    return doc;
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

  /** Records that a document does not exist, when the caller knows it (saves the read). */
  knownAbsent(collection: string, id: string): void {
    if (!this.docsOf(collection).has(id)) this.docsOf(collection).set(id, null);
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
    return written;
  }
}
