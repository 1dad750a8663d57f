import { earnIn, type EarnInput } from '../points/ledger';
import { AppError } from '../runtime/errors';
import { PointsSession } from '../points/accounts.store';
import type { LedgerEntry } from '../points/types';
import type { Services } from '../runtime/services';
import { encodeCursor } from '../store/cursor';
import { StoreConflictError, type Doc, type DocStore } from '../store/port';

/**
 * A code is claimed by its ledger entry: `ledger/scan:{body}` (key id, batch,
 * serial; never the tag) is created, never before, by the transaction that
 * credits the points, so the first valid scan wins on every adapter: a second
 * create of the same id fails and that transaction credits nothing. No other
 * document records a redemption.
 *
 * `codeRepeats/{body}`: later scans of a redeemed code by anyone else, a
 * counterfeit signal, written only when that happens.
 */
export const REPEATS = 'codeRepeats';

export interface RepeatDoc extends Doc {
  batchId: string;
  serial: number;
  repeats: number;
  lastRepeatAt: string;
}

/** What the redemption of a code carries (on its ledger entry). */
export interface Claim {
  accountId: string;
  memberId: string | null;
  sku: string;
  name: string;
  points: number;
  at: string;
  /** The attempt that made it, when the page named one. */
  requestId: string | null;
}

export const claimKey = (body: string) => `scan:${body}`;

/**
 * One transaction: the code's ledger entry (created; fails if taken), its
 * account and its member's balance. Two reads (the account, and the balance,
 * which says whether the member owes points elsewhere that these repay),
 * three writes (more when they do repay). Answers the member credited (the
 * survivor, if the record's member was merged meanwhile) and the balance it wrote. Throws
 * StoreConflictError when the code was already claimed, NOT_BOUND when the
 * consumer's record was erased meanwhile.
 */
export function claimAndEarn(services: Services, earn: EarnInput): Promise<{ memberId: string; balance: number }> {
  return services.store.transaction(async (tx) => {
    const session = new PointsSession(tx, services);
    // the entry is written with create at flush, which fails if the code was claimed: no replay read
    session.cache.knownAbsent('ledger', earn.key);
    // A lot is named by the entry that opened it: an account holding a lot of this key holds the
    // claim already (its consumer scanning the code again). Crediting on would act on a claim taken
    // as absent, and repaying what the member owes since from two lots of one name fails outright
    // (not as the create's conflict below): it is that conflict, at once.
    if ((await session.account(earn.accountId)).lots.some((lot) => lot.id === earn.key)) throw new StoreConflictError('ledger', earn.key);
    const { entry } = await earnIn(session, earn, { settle: true });
    // the consumer's record was erased after it was read: the code stays unused, for no one
    if (!entry.memberId) throw new AppError('NOT_BOUND', 'bind a phone to earn points');
    const balance = (await session.balance(entry.memberId)).points;
    await session.flush();
    return { memberId: entry.memberId, balance };
  });
}

/** The redemption of a code, or null if it was never redeemed. */
export async function findClaim(services: Services, body: string): Promise<Claim | null> {
  const entry = await services.store.get<LedgerEntry>('ledger', claimKey(body));
  if (!entry) return null;
  return {
    accountId: entry.accountId, memberId: entry.memberId, points: entry.points, at: entry.at,
    sku: String(entry.source.detail?.sku ?? ''), name: entry.note ?? '',
    requestId: typeof entry.source.detail?.requestId === 'string' ? entry.source.detail.requestId : null,
  };
}

/** Counts a repeat scan on the code (never who made it). */
export async function countRepeat(services: Services, code: { body: string; batchId: string; serial: number }): Promise<void> {
  const at = new Date(services.clock.now()).toISOString();
  await services.store.transaction(async (tx) => {
    const seen = await tx.get<RepeatDoc>(REPEATS, code.body);
    await tx.set(REPEATS, { _id: code.body, batchId: code.batchId, serial: code.serial, repeats: (seen?.repeats ?? 0) + 1, lastRepeatAt: at } satisfies RepeatDoc);
  });
}

/** How many codes of a batch were redeemed: its ledger entries, found by their id prefix `scan:{key}{batch}`. */
export async function countRedeemed(store: DocStore, keyId: string, batchId: string): Promise<number> {
  const prefix = claimKey(`${keyId}${batchId}`);
  let cursor: string | null = encodeCursor({ value: prefix, id: prefix });
  let count = 0;
  while (cursor) {
    const page: { items: Doc[]; nextCursor: string | null } = await store.query<Doc>('ledger', { limit: 1000, cursor });
    const inBatch = page.items.filter((entry) => entry._id.startsWith(prefix));
    // a claim's own id has no `#`: `scan:<code>#s1`, … are the settle entries of a scan that repaid a debt
    count += inBatch.filter((entry) => !entry._id.includes('#')).length;
    cursor = inBatch.length === page.items.length ? page.nextCursor : null;
  }
  return count;
}
