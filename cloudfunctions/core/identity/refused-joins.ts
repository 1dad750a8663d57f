import { AppError } from '../runtime/errors';
import type { Services } from '../runtime/services';
import type { ErrorCode } from '../contracts/errors';
import { StoreBusyError, StoreConflictError } from '../store/port';
import { TxCache } from '../store/tx-cache';
import { conflictDoc, refusalsOf, type ConflictDoc, type RecordDoc, type Refusal, type ValueDoc } from './graph.store';
import { liveMember } from './lookup';

/**
 * Joins a consumer or staff asked for that a limit refused: a phone bound whose holder cannot be
 * joined (PHONE_CONFLICT), a store card linked to a member it cannot join (`cannot_join`). The
 * request writes nothing (its transaction is rolled back), and the refusal is then recorded on its
 * own in `conflicts`, for the CRM team (ARCHITECTURE §5), once: asked again, it is the same refusal.
 */
export interface AskedJoin {
  /** The value under which it is listed (`phone:<key>`, or the store card's own `offline:<no>`). */
  type: string;
  value: string;
  /** The record that asked (the consumer's WeChat record) and a record of the side it was refused. */
  askedBy: string;
  other: string;
  reason: Refusal['reason'];
  limitType?: string;
}

/** An AppError that also carries the refused joins to record once its transaction is rolled back (never shown to the caller). */
export class RefusedJoinError extends AppError {
  constructor(code: ErrorCode, message: string, details: Record<string, unknown> | undefined, readonly refused: AskedJoin[]) {
    super(code, message, details);
  }
}

/**
 * The refusals the graph just found (inside the asking transaction, after applyRecordChanges) on
 * `key` between `asker` and another record, as joins asked for, listed under `as` (the key itself
 * by default).
 *
 * With `walked` (the walk's assignment, and the value's conflicts as recorded before the request's
 * changes), also a refusal between the side the asker joined and another that did not stand before:
 * the walk names the first carrier of each side, which may be a record the asker joined on the way
 * (another carrier of the phone, torn from the member the asker is refused) rather than the asker.
 * A refusal that stood before between two others on the value is the graph's, not the asker's.
 */
export async function refusalsFound(
  cache: TxCache, key: string, asker: string, as?: { type: string; value: string },
  walked?: { assignment: ReadonlyMap<string, string>; recorded: ConflictDoc | null },
): Promise<AskedJoin[]> {
  const doc = await cache.get<ConflictDoc>('conflicts', key);
  const memberOf = (id: string) => walked?.assignment.get(id);
  const mine = (id: string) => id === asker || (memberOf(id) !== undefined && memberOf(id) === memberOf(asker));
  const sides = (pair: readonly string[]) => pair.map((id) => memberOf(id) ?? `?${id}`).sort().join('\n');
  const stood = new Set(walked?.recorded ? refusalsOf(walked.recorded).filter((r) => !r.askedBy).map((r) => sides(r.between)) : []);
  const found: AskedJoin[] = [];
  for (const refusal of doc ? refusalsOf(doc) : []) {
    // a limit's (one an operator's unmerge keeps apart is theirs, and known to them)
    if (refusal.askedBy || refusal.reason !== 'limit') continue;
    const theirs = refusal.between.includes(asker) || (!!walked && refusal.between.some(mine) && !stood.has(sides(refusal.between)));
    if (!theirs) continue;
    const other = refusal.between.find((id) => !mine(id));
    if (!other) continue;
    found.push({ type: as?.type ?? doc!.type, value: as?.value ?? doc!.value, askedBy: asker, other, reason: refusal.reason, ...(refusal.limitType ? { limitType: refusal.limitType } : {}) });
  }
  return found;
}

/**
 * Records refused joins after the request's rollback, in a transaction of their own. A refusal whose
 * two sides (their members now) are listed already under its value is not listed again, so a retry
 * records nothing, nor is one that no longer stands (see below). The asking record notes the value
 * (`refusedJoins`), for erasure and its member's walks to find, and is written with each refusal recorded.
 */
export async function recordRefusedJoins(services: Services, refused: AskedJoin[]): Promise<void> {
  if (!refused.length) return;
  await services.store.transaction(async (tx) => {
    const cache = new TxCache(tx);
    const get = cache.get.bind(cache);
    const at = new Date(services.clock.now()).toISOString();
    const sides = async (pair: readonly string[]) => {
      const members = [];
      for (const id of pair) {
        const record = await cache.get<RecordDoc>('records', id);
        members.push((await liveMember(get, record?.memberId ?? null))?._id ?? `?${id}`);
      }
      return members.sort().join('\n');
    };
    for (const join of refused) {
      const asker = await cache.get<RecordDoc & { trail?: number }>('records', join.askedBy);
      const other = await cache.get<RecordDoc>('records', join.other);
      if (!asker || !other) continue;
      const id = `${join.type}:${join.value}`;
      // A request that committed since the rollback may have settled it: the other side no longer
      // carries the value (its next export gave it another phone; no walk would ever drop a refusal
      // under a value no record carries), or the two are one member now. It no longer stands.
      const carries = other._id === id || (other.identifiers.some((i) => `${i.type}:${i.value}` === id) && !other.ignored?.includes(id));
      const between = [join.askedBy, join.other].sort();
      const key = await sides(between);
      const [one, two] = key.split('\n');
      if (!carries || one === two) continue;
      const doc = await cache.get<ConflictDoc>('conflicts', id);
      const recorded = doc ? refusalsOf(doc) : [];
      let listed = false;
      for (const old of recorded) if ((await sides(old.between)) === key) listed = true;
      if (listed) continue;
      const refusal: Refusal = { between, reason: join.reason, at, ...(join.limitType ? { limitType: join.limitType } : {}), askedBy: join.askedBy };
      cache.put('conflicts', conflictDoc(id, join.type, join.value, [...recorded, refusal]));
      // the value's walks look at its refusals again (and drop this one once it no longer stands)
      const value = await cache.get<ValueDoc>('identifiers', id);
      if (value && !value.refused) cache.put('identifiers', { ...value, refused: true });
      // Always written: on CloudBase the asker's erasure committing beside this collides with it on the
      // record (erase.ts removes it), and one of the two runs again. A record noting the key already
      // (a refusal under it recorded before, gone since) has its trail counted instead, since a write
      // that changes nothing claims nothing under MongoDB's snapshot isolation.
      cache.put('records', asker.refusedJoins?.includes(id) ? { ...asker, trail: (asker.trail ?? 0) + 1 } : { ...asker, refusedJoins: [...(asker.refusedJoins ?? []), id] });
    }
    await cache.flush();
  });
}

/** The code the failure would be answered with (runtime/handler.ts): a busy store is CONFLICT, worth asking again, not INTERNAL. */
const codeOf = (failure: unknown): string =>
  failure instanceof AppError ? failure.code : failure instanceof StoreBusyError || failure instanceof StoreConflictError ? 'CONFLICT' : 'INTERNAL';

/** Runs a request whose refusal may carry joins to record: recorded after its rollback, then thrown on. */
export async function recordingRefusedJoins<T>(services: Services, request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (error) {
    // the caller is told of the refusal even when recording it fails (a busy store): asking again records it
    if (error instanceof RefusedJoinError) {
      await recordRefusedJoins(services, error.refused).catch((failure: unknown) =>
        services.log.warn('refused_join_not_recorded', { code: codeOf(failure), joins: error.refused.length }));
    }
    throw error;
  }
}
