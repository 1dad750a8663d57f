import type { Getter } from '../identity/lookup';
import type { LedgerEntry } from '../points/types';

/**
 * Imported orders as this capability sees them. An order exists once `import
 * orders` has posted it: its earn entry `ledger/order:<channel>:<orderId>` is
 * on the buyer's channel record (`<channel>:<channelMemberId>`), and a refund
 * is `ledger/refund:<channel>:<orderId>` (points/ledger.ts, orders/import.store.ts).
 */
export interface ImportedOrder {
  platform: string;
  orderId: string;
  /** The buyer's channel record, e.g. `tmall:T123`. */
  buyerRecordId: string;
  amountFen: number | null;
  refundFen: number;
  paidAt: string;
}

const numberOr = (value: unknown, fallback: number | null) => (typeof value === 'number' && Number.isFinite(value) ? value : fallback);

/** The order as imported, read through a store, a transaction or a TxCache. */
export async function findImportedOrder(get: Getter, platform: string, orderId: string): Promise<ImportedOrder | null> {
  const earned = await get<LedgerEntry>('ledger', `order:${platform}:${orderId}`);
  if (!earned || earned.kind !== 'earn') return null;
  const refund = await get<LedgerEntry>('ledger', `refund:${platform}:${orderId}`);
  return {
    platform, orderId, buyerRecordId: earned.accountId, amountFen: numberOr(earned.source.detail?.amountFen, null),
    refundFen: refund ? numberOr(refund.source.detail?.refundFen, 0)! : 0, paidAt: earned.at,
  };
}

/** Refunded in full: nothing was kept, so the card earns nothing. */
export const fullyRefunded = (order: ImportedOrder) => order.refundFen > 0 && order.amountFen !== null && order.refundFen >= order.amountFen;
