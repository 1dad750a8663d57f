import type { Services } from '../runtime/services';
import { PointsSession } from './accounts.store';
import { expireIn } from './ledger';
import { isoOrNull } from './time';
import { COLLECTION, type AccountDoc, type LedgerEntry } from './types';

export interface ExpireSummary {
  accounts: number;
  lots: number;
  points: number;
}

/**
 * `points expire [--as-of ISO]`: expires every lot due at `asOf`, oldest
 * accounts first, a batch of accounts per transaction. Each lot's entry is
 * `expire:<lotId>` dated at the lot's own expiry, so the job is idempotent
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
  const summary: ExpireSummary = { accounts: 0, lots: 0, points: 0 };
  for (;;) {
    const page = await services.store.query<AccountDoc>(COLLECTION.accounts, { orderBy: 'nextExpiry', direction: 'asc', limit: batchSize });
    const due = page.items.filter((account) => account.nextExpiry <= at);
    if (due.length === 0) return summary;
    const { entries, sweptMeanwhile } = await services.store.transaction(async (tx) => {
      const session = new PointsSession(tx, services);
      const written: LedgerEntry[] = [];
      // A refund, a redemption or a scan expires what is due on its account first: one that
      // committed since the query (or beside this transaction, which then runs again) leaves
      // that account with nothing due any more, which is progress, not a fault.
      let swept = 0;
      for (const { _id } of due) {
        const now = await session.get<AccountDoc>(COLLECTION.accounts, _id);
        if (!now || now.nextExpiry > at) swept++;
        else written.push(...(await expireIn(session, _id, at)));
      }
      await session.flush();
      return { entries: written, sweptMeanwhile: swept };
    });
    if (entries.length === 0 && sweptMeanwhile === 0) throw new Error('expiry made no progress: an account lists an expiry it has no lot for (run points verify)');
    summary.accounts += new Set(entries.map((e) => e.accountId)).size;
    summary.lots += entries.length;
    summary.points -= entries.reduce((sum, e) => sum + e.points, 0);
    options.onProgress?.(summary);
  }
}
