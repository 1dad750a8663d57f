import { createHmac } from 'node:crypto';
import { AppError } from '../runtime/errors';
import type { Services } from '../runtime/services';
import type { Doc } from '../store/port';

/** `settings/keys`: which phone hash key the database's identifiers were made with, as a fingerprint (never the key). */
interface KeysDoc extends Doc {
  phoneHashKey: string;
}

const KEYS_ID = 'keys';

export const keyFingerprint = (key: Uint8Array): string =>
  createHmac('sha256', key).update('member-centre phone hash key fingerprint').digest('base64url').slice(0, 16);

/**
 * Other keys than the database's own (a database copied beside another's secrets.json) hash the
 * same phones differently: every member would be created again instead of found, without a word.
 * Answers whether the database has its key's fingerprint yet (`recordPhoneHashKey` adds it).
 * Throws CONFLICT (details.reason `keys`) when it holds another key's.
 */
export async function checkPhoneHashKey(services: Pick<Services, 'store' | 'secrets'>): Promise<'matches' | 'unrecorded'> {
  const held = await services.store.get<KeysDoc>('settings', KEYS_ID);
  if (!held) return 'unrecorded';
  if (held.phoneHashKey !== keyFingerprint(services.secrets.phoneHashKey)) {
    throw new AppError('CONFLICT', 'these keys are not the ones the database\'s phone hashes were made with', { reason: 'keys' });
  }
  return 'matches';
}

/** Records the fingerprint of the key in use, once; another key's recorded meanwhile is CONFLICT as above. */
export async function recordPhoneHashKey(services: Pick<Services, 'store' | 'secrets'>): Promise<void> {
  await services.store.transaction(async (tx) => {
    if (!(await tx.get<KeysDoc>('settings', KEYS_ID))) await tx.create('settings', { _id: KEYS_ID, phoneHashKey: keyFingerprint(services.secrets.phoneHashKey) } satisfies KeysDoc);
  });
  await checkPhoneHashKey(services);
}
