import type { Doc, DocStore, Tx } from '../../cloudfunctions/core/store/port';

export interface OpCounts {
  transactions: number;
  /** Reads and writes inside transactions. */
  txReads: number;
  txWrites: number;
  /** Reads, conditional updates and queries outside transactions. */
  reads: number;
  writes: number;
  queries: number;
  /** Per operation and collection, e.g. `tx.get ledger`. */
  detail: Record<string, number>;
}

const zero = (): OpCounts => ({ transactions: 0, txReads: 0, txWrites: 0, reads: 0, writes: 0, queries: 0, detail: {} });

/** A DocStore that counts every operation at the port, for "how many reads and writes does one scan cost". */
export function countingStore(inner: DocStore): DocStore & { counts: OpCounts; reset(): void } {
  let counts = zero();
  const note = (what: string, collection: string) => {
    const key = `${what} ${collection}`;
    counts.detail[key] = (counts.detail[key] ?? 0) + 1;
  };
  const wrap = (tx: Tx): Tx => ({
    get: <T extends Doc>(collection: string, id: string) => { counts.txReads++; note('tx.get', collection); return tx.get<T>(collection, id); },
    create: (collection, doc) => { counts.txWrites++; note('tx.create', collection); return tx.create(collection, doc); },
    set: (collection, doc) => { counts.txWrites++; note('tx.set', collection); return tx.set(collection, doc); },
    update: (collection, id, patch) => { counts.txWrites++; note('tx.update', collection); return tx.update(collection, id, patch); },
    increment: (collection, id, deltas, patch) => { counts.txWrites++; note('tx.increment', collection); return tx.increment(collection, id, deltas, patch); },
    remove: (collection, id) => { counts.txWrites++; note('tx.remove', collection); return tx.remove(collection, id); },
  });
  return {
    get counts() { return counts; },
    reset() { counts = zero(); },
    transaction: (fn) => { counts.transactions++; return inner.transaction((tx) => fn(wrap(tx))); },
    get: <T extends Doc>(collection: string, id: string) => { counts.reads++; note('get', collection); return inner.get<T>(collection, id); },
    updateIf: (collection, id, expected, patch) => { counts.writes++; note('updateIf', collection); return inner.updateIf(collection, id, expected, patch); },
    query: (collection, options) => { counts.queries++; note('query', collection); return inner.query(collection, options); },
    close: () => inner.close(),
  };
}
