import type { AccountDoc, BalanceDoc, LedgerEntry } from '../../cloudfunctions/core/points/types';
import type { Services } from '../../cloudfunctions/core/runtime/services';
import type { TestServices } from '../support/services';

/**
 * Identity's documents as the points capability reads them, written directly:
 * a live member with its records, each record pointing back at it.
 */
export async function seedMember(services: Services, memberId: string, recordIds: string[], extra: { openid?: string; phone?: boolean } = {}): Promise<void> {
  const at = new Date(services.clock.now()).toISOString();
  await services.store.transaction(async (tx) => {
    await tx.set('members', { _id: memberId, status: 'active', records: recordIds, createdAt: at, mergedInto: null });
    // like identity, which writes every member's balance when it creates the member
    if (!(await tx.get('balances', memberId))) await tx.set('balances', { _id: memberId, points: 0, owed: 0, growth: 0, level: 'normal', updatedAt: at });
    for (const id of recordIds) {
      const [channel, channelMemberId] = [id.slice(0, id.indexOf(':')), id.slice(id.indexOf(':') + 1)];
      const identifiers = [{ type: channel === 'wechat' ? 'openid' : channel, value: channelMemberId }];
      if (extra.phone) identifiers.push({ type: 'phone', value: `hash-${memberId}` });
      await tx.set('records', { _id: id, channel, channelMemberId, identifiers, memberId, homeMemberId: memberId, apart: [], createdAt: at, updatedAt: at });
    }
    if (extra.openid) {
      await tx.set('identifiers', {
        _id: `openid:${extra.openid}`, type: 'openid', value: extra.openid, records: recordIds.filter((r) => r.startsWith('wechat:')),
        channels: { wechat: 1 }, quarantined: false, memberId,
      });
    }
  });
}

export const account = (services: Services, id: string) => services.store.get<AccountDoc>('accounts', id);
export const balance = (services: Services, id: string) => services.store.get<BalanceDoc>('balances', id);
export const entry = (services: Services, key: string) => services.store.get<LedgerEntry>('ledger', key);

/** Every document of the points collections, for "nothing changed" checks. */
export async function pointsState(services: TestServices) {
  return { ledger: await services.dump('ledger'), accounts: await services.dump('accounts'), balances: await services.dump('balances') };
}

export const source = (ref: string, channel = 'tmall') => ({ channel, ref });
