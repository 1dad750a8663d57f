import type { Services } from '../runtime/services';
import type { Tx } from '../store/port';
import { TxCache } from '../store/tx-cache';
import { valueKey } from './cluster';
import { applyRecordChanges, type RecordDoc, type ValueDoc } from './graph.store';

/**
 * A buyer an order file knows only by phone (no channel member id) becomes a
 * record of its own, `buyer:<channel>-<phone key>`, carrying nothing but that
 * phone: it joins whoever holds the phone (unless the phone is quarantined),
 * its account keeps the order's points meanwhile, and a member who binds the
 * phone later finds them. It is not a channel membership, so no limit counts it.
 */
/** What the stand-in record of a buyer known only by phone starts with (never a channel's member). */
export const BUYER_PREFIX = 'buyer:';
export const buyerRecordId = (channel: string, phoneKey: string) => `${BUYER_PREFIX}${channel}-${phoneKey}`;

/** Whether a phone was set aside as shared by many (a shop's own number): it leads to no one, ever (quarantine is for good). */
export async function phoneSetAside(tx: Tx, phoneKey: string): Promise<boolean> {
  return !!(await tx.get<ValueDoc>('identifiers', valueKey({ type: 'phone', value: phoneKey })))?.quarantined;
}

/** The buyer record of each phone key, created where missing, inside the caller's transaction. */
export async function ensurePhoneBuyers(tx: Tx, services: Services, channel: string, phoneKeys: Iterable<string>): Promise<Map<string, string>> {
  const cache = new TxCache(tx);
  const at = new Date(services.clock.now()).toISOString();
  const ids = new Map<string, string>();
  const missing: RecordDoc[] = [];
  for (const key of new Set(phoneKeys)) {
    const id = buyerRecordId(channel, key);
    ids.set(key, id);
    if (await cache.get<RecordDoc>('records', id)) continue;
    missing.push({
      _id: id, channel: 'buyer', channelMemberId: `${channel}-${key}`, identifiers: [{ type: 'phone', value: key }],
      memberId: null, homeMemberId: null, apart: [], createdAt: at, updatedAt: at,
    });
  }
  if (missing.length) await applyRecordChanges(cache, services, missing.map((after) => ({ before: null, after })));
  return ids;
}
