import { createHmac } from 'node:crypto';
import { AppError } from '../runtime/errors';
import type { Services } from '../runtime/services';
import type { Doc, Page } from '../store/port';
import type { WechatRecordDoc } from './lookup';
import { decryptPhone, phoneKey } from './normalize';

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
  const mismatch = () => new AppError('CONFLICT', 'these keys are not the ones the database\'s phone hashes were made with', { reason: 'keys' });
  const held = await services.store.get<KeysDoc>('settings', KEYS_ID);
  if (!held) {
    // made before the fingerprint: a consumer's bound phone still tells, where there is one
    if ((await boundPhoneAgrees(services)) === false) throw mismatch();
    return 'unrecorded';
  }
  if (held.phoneHashKey !== keyFingerprint(services.secrets.phoneHashKey)) throw mismatch();
  return 'matches';
}

/**
 * Whether the keys are the ones a WeChat consumer's bound phone was stored with: its sealed phone
 * opens with the encryption key, and hashes with the hash key to the phone identifier it carries.
 * Null when no consumer has a phone. Read by id from the end until one is found: the newest
 * consumers may all have bound none (visitors of a campaign), and a channel whose name sorts after
 * `wechat` (`youzan`) comes first. Once, for a database made before the fingerprint.
 */
async function boundPhoneAgrees(services: Pick<Services, 'store' | 'secrets'>): Promise<boolean | null> {
  let record: WechatRecordDoc | undefined;
  let cursor: string | null = null;
  do {
    const page: Page<WechatRecordDoc> = await services.store.query<WechatRecordDoc>('records', { orderBy: '_id', direction: 'desc', limit: 1000, cursor });
    record = page.items.find((r) => r._id.startsWith('wechat:') && r.phoneSealed);
    // past the WeChat records: no consumer bound a phone
    cursor = record || page.items.some((r) => r._id < 'wechat:') ? null : page.nextCursor;
  } while (cursor);
  if (!record) return null;
  let phone: string;
  try {
    phone = decryptPhone(services.secrets.phoneEncKey, record.phoneSealed!);
  } catch {
    return false;
  }
  return record.identifiers.some((i) => i.type === 'phone' && i.value === phoneKey(services.secrets.phoneHashKey, phone));
}

/** Records the fingerprint of the key in use, once; another key's recorded meanwhile is CONFLICT as above. */
export async function recordPhoneHashKey(services: Pick<Services, 'store' | 'secrets'>): Promise<void> {
  await services.store.transaction(async (tx) => {
    if (!(await tx.get<KeysDoc>('settings', KEYS_ID))) await tx.create('settings', { _id: KEYS_ID, phoneHashKey: keyFingerprint(services.secrets.phoneHashKey) } satisfies KeysDoc);
  });
  await checkPhoneHashKey(services);
}
