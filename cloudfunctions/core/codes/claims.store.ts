import { earnIn, type EarnInput } from '../points/ledger';
import { PointsSession } from '../points/accounts.store';
import type { Services } from '../runtime/services';
import type { Doc } from '../store/port';

/**
 * `codeClaims/{body}`: a redeemed code (its key id, batch and serial; never
 * its tag). Created, never before, by the transaction that credits the points,
 * so the first valid scan wins on every adapter: a second create of the same
 * id fails and that transaction credits nothing.
 */
export const CLAIMS = 'codeClaims';

export interface ClaimDoc extends Doc {
  batchId: string;
  serial: number;
  /** The redeeming consumer's `wechat:` record (its points account) and member then. */
  recordId: string;
  memberId: string | null;
  sku: string;
  name: string;
  points: number;
  at: string;
  /** Later scans by anyone else: a counterfeit signal. */
  repeats: number;
  lastRepeatAt: string | null;
}

/**
 * One transaction: claim the code (create, fails if taken), post the ledger
 * entry, move the balance. Returns the member's balance after it.
 * Throws StoreConflictError when the code was already claimed.
 */
export function claimAndEarn(services: Services, claim: ClaimDoc, earn: EarnInput): Promise<{ available: number }> {
  return services.store.transaction(async (tx) => {
    await tx.create(CLAIMS, claim);
    const session = new PointsSession(tx, services);
    // the claim was just created, and its ledger entry is only ever written with it: no replay to look for
    session.cache.knownAbsent('ledger', earn.key);
    const { entry } = await earnIn(session, earn);
    const balance = entry.memberId ? await session.balance(entry.memberId) : null;
    await session.flush();
    return { available: balance?.points ?? 0 };
  });
}

export const findClaim = (services: Services, id: string) => services.store.get<ClaimDoc>(CLAIMS, id);

/** Counts a repeat scan on the code (never who made it). */
export async function countRepeat(services: Services, id: string): Promise<void> {
  const at = new Date(services.clock.now()).toISOString();
  await services.store.transaction(async (tx) => {
    const claim = await tx.get<ClaimDoc>(CLAIMS, id);
    if (claim) await tx.update(CLAIMS, id, { repeats: claim.repeats + 1, lastRepeatAt: at });
  });
}
