import { MAX_PAGE, StoreQueryError, type QueryOptions } from './port';

/**
 * Every collection the core uses and the indexes it queries on. The SQLite
 * adapter creates these indexes; on CloudBase they are created in the console
 * from this list (docs/operations.md, Deploying to WeChat cloud, step 4). A query on a field that no index declares is
 * refused, so a missing index shows up in tests rather than as a slow scan.
 */
export type CollectionSpecs = Record<string, {
  indexes: readonly (readonly string[])[];
  /**
   * Fields that only a few documents carry: an index led by one holds those documents alone (on
   * SQLite a partial index), so the others pay nothing for it as they are written, and it is
   * read only with that field equal to a value.
   */
  sparse?: readonly string[];
}>;

export const COLLECTIONS = {
  // identity (OneID). A member's records are listed on the member, a record's values on the
  // record, and an account's id is its record's: nothing is looked up by memberId, so no
  // index pays for itself there (an import writes millions of these documents).
  records: { indexes: [] },
  identifiers: { indexes: [] },
  members: { indexes: [['status']] },
  merges: { indexes: [['absorbed'], ['survivor']] },
  conflicts: { indexes: [['at']] },
  phoneCodes: { indexes: [['recordId']] },
  linkAttempts: { indexes: [] },
  // store cards without a phone asked for: staff's queue oldest first, and a consumer's own (member.channels)
  linkRequests: { indexes: [['status', 'at'], ['wechatRecordId']] },
  settings: { indexes: [] },
  // the era of a phone's next buyer record, once erasure took one away (identity/buyers.ts)
  buyerEras: { indexes: [] },
  // points: the ledger by account for history; accounts by next lot expiry for the expiry job, and
  // those whose orders wait for their buyer, by channel, oldest first (`orders waiting`; the fields
  // are set on those accounts alone, and the index holds them alone: an order import writes
  // hundreds of thousands of accounts that never wait)
  ledger: { indexes: [['accountId', 'at']] },
  accounts: { indexes: [['nextExpiry'], ['waitingChannel', 'waitingSince']], sparse: ['waitingChannel'] },
  balances: { indexes: [] },
  // codes: batches by signing key (revocation) and age; repeat scans of redeemed codes by batch (counterfeit signals); revoked keys
  codeBatches: { indexes: [['keyId', 'createdAt'], ['createdAt']] },
  codeRepeats: { indexes: [['batchId']] },
  codeKeys: { indexes: [] },
  // scenes: stores, shopping guides by store, package-card campaigns, first-touch attribution, bound orders
  stores: { indexes: [] },
  guides: { indexes: [['storeId']] },
  campaigns: { indexes: [] },
  // attributions by the WeChat record that joined: erasure finds those earlier versions kept under member ids
  attributions: { indexes: [['guideId'], ['storeId'], ['campaignId'], ['recordId']] },
  cardOrders: { indexes: [['memberId']] },
} as const satisfies CollectionSpecs;

export type CollectionName = keyof typeof COLLECTIONS;

/** Fields that may appear in a query's `where` or `orderBy`. */
export function queryableFields(specs: CollectionSpecs, collection: string): Set<string> | null {
  const spec = specs[collection];
  if (!spec) return null;
  return new Set(['_id', ...spec.indexes.flat()]);
}

/**
 * A query's options with defaults, or StoreQueryError: the limit is 1..MAX_PAGE
 * and every field it filters or sorts on is declared indexed. Both adapters
 * refuse the same queries.
 */
export function checkQuery(specs: CollectionSpecs, collection: string, options: QueryOptions): Required<Omit<QueryOptions, 'cursor'>> & Pick<QueryOptions, 'cursor'> {
  const allowed = queryableFields(specs, collection);
  if (!allowed) throw new StoreQueryError(`unknown collection ${collection}`);
  const checked = { where: options.where ?? {}, orderBy: options.orderBy ?? '_id', direction: options.direction ?? 'asc', limit: options.limit, cursor: options.cursor };
  if (!Number.isInteger(checked.limit) || checked.limit < 1 || checked.limit > MAX_PAGE) {
    throw new StoreQueryError(`limit must be an integer in 1..${MAX_PAGE}`);
  }
  for (const field of [...Object.keys(checked.where), checked.orderBy]) {
    if (!allowed.has(field)) throw new StoreQueryError(`${collection}.${field} is not indexed`);
  }
  return checked;
}
