import { levelFor } from '../levels/rules';
import type { Services } from '../runtime/services';
import { allDocs } from '../store/all-docs';
import { COLLECTION, type BalanceDoc } from './types';

export interface RelevelSummary {
  balances: number;
  changed: number;
}

/**
 * `points relevel`: every member's stored level as the configured thresholds give it for their
 * growth. A level is kept beside the balance and moves only with growth, so a brand that changes
 * its thresholds in the config runs this once: until then `points verify` lists the old levels
 * (`points.summary` and `members export` work the level out afresh and are right meanwhile).
 * Each batch is one transaction that reads the balance again, so earns running beside it are kept;
 * running it again changes nothing.
 */
export async function relevel(services: Services, options: { batchSize?: number; onProgress?: (summary: RelevelSummary) => void } = {}): Promise<RelevelSummary> {
  const levels = services.config.levels;
  const summary: RelevelSummary = { balances: 0, changed: 0 };
  let stale: string[] = [];
  const writeStale = async () => {
    const ids = stale;
    stale = [];
    summary.changed += await services.store.transaction(async (tx) => {
      let changed = 0;
      for (const id of ids) {
        const balance = await tx.get<BalanceDoc>(COLLECTION.balances, id);
        const level = balance && levelFor(balance.growth, levels).code;
        if (!balance || balance.level === level) continue;
        await tx.update(COLLECTION.balances, id, { level });
        changed++;
      }
      return changed;
    });
    options.onProgress?.(summary);
  };
  for await (const balance of allDocs<BalanceDoc>(services.store, COLLECTION.balances)) {
    summary.balances++;
    if (balance.level !== levelFor(balance.growth, levels).code) stale.push(balance._id);
    if (stale.length >= (options.batchSize ?? 500)) await writeStale();
  }
  if (stale.length) await writeStale();
  return summary;
}
