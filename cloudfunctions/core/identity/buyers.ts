import type { Services } from '../runtime/services';
import type { Doc, Tx } from '../store/port';
import { TxCache } from '../store/tx-cache';
import { valueKey } from './cluster';
import { applyRecordChanges, setAside, type RecordDoc, type ValueDoc } from './graph.store';
import type { IdentityRules } from './identity.rules';

/**
 * A buyer an order file knows only by phone (no channel member id) becomes a
 * record of its own, `buyer:<channel>-<phone key>`, carrying nothing but that
 * phone: it joins whoever holds the phone (unless the phone is quarantined),
 * its account keeps the order's points meanwhile, and a member who binds the
 * phone later finds them. It is not a channel membership, so no limit counts it.
 */
/** What the stand-in record of a buyer known only by phone starts with (never a channel's member). */
export const BUYER_PREFIX = 'buyer:';
/**
 * The buyer record of a phone in a channel: `buyer:<channel>-<phone key>`, and after erasure took
 * one away, `…~<era>`, so the orders of the erased (their points, and their lines in a history)
 * never come back to whoever binds the number next: a number is recycled to a stranger.
 */
export const buyerRecordId = (channel: string, phoneKey: string, era = 0) => `${BUYER_PREFIX}${channel}-${phoneKey}${era ? `~${era}` : ''}`;
/** An account's id without a buyer's era: what an order's buyer is, in every era of the phone. */
export const withoutEra = (accountId: string) => (accountId.startsWith(BUYER_PREFIX) ? accountId.replace(/~\d+$/, '') : accountId);
const eraOf = (recordId: string) => Number(/~(\d+)$/.exec(recordId)?.[1] ?? 0);

/** `buyerEras/{channel}-{phone key}`: the era of the phone's next buyer record, once erasure took one away. */
export const BUYER_ERAS = 'buyerEras';
interface BuyerEraDoc extends Doc {
  era: number;
}

/** Written by erasure for each buyer record it removes: the phone's next orders start a record (and an account) of their own. */
export function nextBuyerEra(cache: TxCache, record: RecordDoc): void {
  cache.put(BUYER_ERAS, { _id: record.channelMemberId, era: eraOf(record._id) + 1 } satisfies BuyerEraDoc);
}

/** Whether a phone was set aside as shared by many (a shop's own number): it leads to no one, ever (quarantine is for good). */
export async function phoneSetAside(tx: Tx, rules: IdentityRules, phoneKey: string): Promise<boolean> {
  const doc = await tx.get<ValueDoc>('identifiers', valueKey({ type: 'phone', value: phoneKey }));
  // as the rules stand now: a number taken off the blocked list since is nobody's shop number
  return !!doc && setAside(doc, rules);
}

/**
 * The buyer record of each phone key, created where missing, inside the caller's transaction:
 * the first era's when it is there (one read), else the era erasure left the phone at.
 */
export async function ensurePhoneBuyers(tx: Tx, services: Services, channel: string, phoneKeys: Iterable<string>): Promise<Map<string, string>> {
  const cache = new TxCache(tx);
  const at = new Date(services.clock.now()).toISOString();
  const ids = new Map<string, string>();
  const missing: RecordDoc[] = [];
  for (const key of new Set(phoneKeys)) {
    let id = buyerRecordId(channel, key);
    let held = await cache.get<RecordDoc>('records', id);
    if (!held) {
      const era = (await cache.get<BuyerEraDoc>(BUYER_ERAS, `${channel}-${key}`))?.era ?? 0;
      if (era) held = await cache.get<RecordDoc>('records', (id = buyerRecordId(channel, key, era)));
    }
    ids.set(key, id);
    if (held) continue;
    missing.push({
      _id: id, channel: 'buyer', channelMemberId: `${channel}-${key}`, identifiers: [{ type: 'phone', value: key }],
      memberId: null, homeMemberId: null, apart: [], createdAt: at, updatedAt: at,
    });
  }
  if (missing.length) await applyRecordChanges(cache, services, missing.map((after) => ({ before: null, after })));
  return ids;
}
