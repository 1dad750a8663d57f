import type { Services } from '../runtime/services';
import { PointsSession } from './accounts.store';
import { expireIn } from './ledger';
import { isoOrNull } from './time';
import { COLLECTION, type AccountDoc, type LedgerEntry } from './types';

export interface ExpireSummary {
  accounts: number;
  /** Lots that expired, and the points they took. */
  lots: number;
  points: number;
  /** Points of due lots that repaid what their members owed on other accounts instead of expiring. */
  settled: number;
}

/**
 * `points expire [--as-of ISO]`: expires every lot due at `asOf`, oldest
 * accounts first, a batch of accounts per transaction. Each lot's entry is
 * `expire:<lotId>` dated at the lot's own expiry (after repaying what its member owes on other
 * accounts: `settle:<lotId>`), so the job is idempotent
 * (expired lots are gone from their accounts) and resumable (an interrupted
 * run leaves the remaining accounts still due; run it again).
 */
export async function expirePoints(
  services: Services,
  asOf: string,
  options: { batchSize?: number; onProgress?: (summary: ExpireSummary) => void } = {},
): Promise<ExpireSummary> {
  const at = isoOrNull(asOf);
  if (!at) throw new Error('as-of must be an ISO time');
  const batchSize = options.batchSize ?? 200;
  const summary: ExpireSummary = { accounts: 0, lots: 0, points: 0, settled: 0 };
  for (;;) {
    const page = await services.store.query<AccountDoc>(COLLECTION.accounts, { orderBy: 'nextExpiry', direction: 'asc', limit: batchSize });
    const due = page.items.filter((account) => account.nextExpiry <= at);
    if (due.length === 0) return summary;
    const entries = await services.store.transaction(async (tx) => {
      const session = new PointsSession(tx, services);
      const written: LedgerEntry[] = [];
      for (const account of due) written.push(...(await expireIn(session, account._id, at)));
      await session.flush();
      return written;
    });
    if (entries.length === 0) throw new Error('expiry made no progress: an account lists an expiry it has no lot for (run points verify)');
    const expired = entries.filter((e) => e.kind === 'expire');
    summary.accounts += new Set(entries.filter((e) => e.points < 0).map((e) => e.accountId)).size;
    summary.lots += expired.length;
    summary.points -= expired.reduce((sum, e) => sum + e.points, 0);
    summary.settled -= entries.filter((e) => e.kind === 'settle' && e.points < 0).reduce((sum, e) => sum + e.points, 0);
    options.onProgress?.(summary);
  }
}
