import type { Doc, Tx } from './port';

/**
 * A write-back view of a transaction for operations that touch the same
 * documents many times (a batch of imported rows sharing phones and members):
 * reads come from memory after the first, writes are kept and each document
 * is written once by `flush`. Use it inside one `store.transaction` only.
 */
export class TxCache {
  private readonly docs = new Map<string, Doc | null>();
  private readonly dirty = new Map<string, { collection: string; id: string }>();

  constructor(readonly tx: Tx) {}

  private static key(collection: string, id: string): string {
    return `${collection}\u0000${id}`;
  }

  async get<T extends Doc>(collection: string, id: string): Promise<T | null> {
    const key = TxCache.key(collection, id);
    if (!this.docs.has(key)) this.docs.set(key, await this.tx.get<T>(collection, id));
    return this.docs.get(key) as T | null;
  }

  /** Loads many documents of one collection, skipping those already cached. */
  async getMany<T extends Doc>(collection: string, ids: Iterable<string>): Promise<Map<string, T>> {
    const found = new Map<string, T>();
    for (const id of ids) {
      const doc = await this.get<T>(collection, id);
      if (doc) found.set(id, doc);
    }
    return found;
  }

  put(collection: string, doc: Doc): void {
    const key = TxCache.key(collection, doc._id);
    this.docs.set(key, doc);
    this.dirty.set(key, { collection, id: doc._id });
  }

  async flush(): Promise<number> {
    let written = 0;
    for (const [key, { collection, id }] of this.dirty) {
      const doc = this.docs.get(key);
      if (doc) await this.tx.set(collection, doc);
      else await this.tx.remove(collection, id);
      written++;
    }
    this.dirty.clear();
    return written;
  }

  remove(collection: string, id: string): void {
    const key = TxCache.key(collection, id);
    this.docs.set(key, null);
    this.dirty.set(key, { collection, id });
  }
}
