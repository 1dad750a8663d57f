import type { Services } from '../runtime/services';
import { allDocs } from '../store/all-docs';
import type { Doc, DocStore } from '../store/port';
import type { BatchDoc } from './batch';

/**
 * Batch documents and key revocations in the store, and a per-instance cache
 * of batch documents: a warm cloud function reads a batch once per
 * `codes.batchCacheSeconds`, so a redemption usually costs no batch read, and
 * a revocation reaches every instance within that time.
 */
export const BATCHES = 'codeBatches';
/** `codeKeys/{keyId}`: a key an operator revoked (its batches are revoked with it). */
export const KEYS = 'codeKeys';

export interface KeyRevocationDoc extends Doc {
  _id: string;
  revokedAt: string;
  batches: number;
}

const MAX_CACHED = 10_000;
const caches = new WeakMap<DocStore, Map<string, { doc: BatchDoc | null; until: number }>>();

function cacheOf(store: DocStore) {
  let cache = caches.get(store);
  if (!cache) caches.set(store, (cache = new Map()));
  return cache;
}

/** The batch document, from this instance's cache while it is fresh. */
export async function cachedBatch(services: Services, batchId: string): Promise<BatchDoc | null> {
  const cache = cacheOf(services.store);
  const now = services.clock.now();
  const hit = cache.get(batchId);
  if (hit && hit.until > now) return hit.doc;
  const doc = await services.store.get<BatchDoc>(BATCHES, batchId);
  if (cache.size >= MAX_CACHED) cache.clear();
  cache.set(batchId, { doc, until: now + services.config.codes.batchCacheSeconds * 1000 });
  return doc;
}

/** Drops this instance's copy (the CLI calls it after changing a batch). */
export function forgetBatch(services: Services, batchId: string): void {
  cacheOf(services.store).delete(batchId);
}

export async function createBatchDoc(services: Services, doc: BatchDoc): Promise<void> {
  await services.store.transaction((tx) => tx.create(BATCHES, doc));
}

export async function setBatchStatus(services: Services, batchId: string, from: BatchDoc['status'][], patch: Partial<BatchDoc>): Promise<BatchDoc | null> {
  const updated = await services.store.transaction(async (tx) => {
    const batch = await tx.get<BatchDoc>(BATCHES, batchId);
    if (!batch || !from.includes(batch.status)) return null;
    const next = { ...batch, ...patch };
    await tx.set(BATCHES, next);
    return next;
  });
  forgetBatch(services, batchId);
  return updated;
}

/**
 * Makes a pending batch active once its file is complete, unless its key was revoked meanwhile:
 * revoke-key marks the key before it lists the key's batches, so a batch recorded after that list
 * is caught here, where the mark is read in the same transaction that would activate it. Answers
 * the batch, `keyRevoked` (the batch is revoked instead), or `notPending` (revoked meanwhile).
 */
export async function activateBatch(services: Services, batchId: string): Promise<{ batch: BatchDoc } | { keyRevoked: string } | { notPending: true }> {
  const at = new Date(services.clock.now()).toISOString();
  const outcome = await services.store.transaction(async (tx) => {
    const batch = await tx.get<BatchDoc>(BATCHES, batchId);
    if (batch?.status !== 'pending') return { notPending: true as const };
    if (await tx.get<KeyRevocationDoc>(KEYS, batch.keyId)) {
      await tx.set(BATCHES, { ...batch, status: 'revoked', revokedAt: at });
      return { keyRevoked: batch.keyId };
    }
    const active: BatchDoc = { ...batch, status: 'active', activatedAt: at };
    await tx.set(BATCHES, active);
    return { batch: active };
  });
  forgetBatch(services, batchId);
  return outcome;
}

/**
 * After a run that failed once its batch was recorded: revokes the batch if it is still pending.
 * Answers what the batch is now, or null when the store cannot say (the file must then be kept
 * until an operator withdraws the batch: it may be active).
 */
export async function withdrawBatch(services: Services, batchId: string): Promise<BatchDoc['status'] | null> {
  try {
    if (await setBatchStatus(services, batchId, ['pending'], { status: 'revoked', revokedAt: new Date(services.clock.now()).toISOString() })) return 'revoked';
    return (await services.store.get<BatchDoc>(BATCHES, batchId))?.status ?? null;
  } catch {
    return null;
  }
}

export const allBatches = (store: DocStore, where: Record<string, string> = {}) => allDocs<BatchDoc>(store, BATCHES, { where, orderBy: 'createdAt' });

export const keyRevocation = (store: DocStore, keyId: string) => store.get<KeyRevocationDoc & { [k: string]: unknown }>(KEYS, keyId);

/**
 * Revokes a key for good: records it (no new batch is signed with it) and
 * revokes every batch it signed, so their codes are refused.
 */
export async function revokeKey(services: Services, keyId: string): Promise<KeyRevocationDoc & { revokedNow: number; repeated: boolean }> {
  const at = new Date(services.clock.now()).toISOString();
  // The key is marked first, so that no batch signed from now on uses it; then its batches go.
  const earlier = await services.store.transaction(async (tx) => {
    const found = await tx.get<KeyRevocationDoc>(KEYS, keyId);
    if (!found) await tx.set(KEYS, { _id: keyId, revokedAt: at, batches: 0 } satisfies KeyRevocationDoc);
    return found;
  });
  let revokedNow = 0;
  for await (const batch of allBatches(services.store, { keyId })) {
    if (await setBatchStatus(services, batch._id, ['pending', 'active'], { status: 'revoked', revokedAt: at })) revokedNow++;
  }
  return services.store.transaction(async (tx) => {
    const marked = (await tx.get<KeyRevocationDoc>(KEYS, keyId))!;
    const doc = { ...marked, batches: marked.batches + revokedNow };
    await tx.set(KEYS, doc);
    return { ...doc, revokedNow, repeated: earlier !== null };
  });
}
