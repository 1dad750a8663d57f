import { createHash } from 'node:crypto';
import type { Caller, Services } from '../runtime/services';
import { AppError } from '../runtime/errors';
import type { Doc } from '../store/port';
import { TxCache } from '../store/tx-cache';
import { applyRecordChanges, type ConflictDoc, type GraphOutcome, type ValueDoc } from './graph.store';
import { findWechatRecord, hasPhone, liveMember, type WechatRecordDoc } from './lookup';
import { encryptPhone, maskPhone, normalizePhone, phoneKey } from './normalize';
import { recordingRefusedJoins, refusalsFound, RefusedJoinError } from './refused-joins';

/**
 * The mini-program user's side of OneID: a `wechat:` record per openid,
 * holding the consent, the bound phone and the profile the consumer gave.
 */

export interface LoginView {
  memberId: string;
  isNew: boolean;
  phoneBound: boolean;
  consented: boolean;
  termsVersion: string;
}

interface PhoneCodeDoc extends Doc {
  recordId: string;
  result: BindPhoneResult;
  at: string;
  pending?: undefined;
}

/** A code being exchanged: the send that claimed it has not finished (no `result` yet). */
interface PhoneClaimDoc extends Doc {
  recordId: string;
  pending: true;
  at: string;
}

/**
 * How long a claim speaks for a send still running: the functions' timeout docs/operations.md asks
 * for (a send cannot outlive its function). WeChat refusing the same caller's code within it answers
 * CONFLICT (the first send will bind); after it, the send is taken for dead, and its claim for nothing.
 */
export const PHONE_CLAIM_WINDOW_MS = 10_000;

export interface BindPhoneResult {
  memberId: string;
  phoneMasked: string;
  merged: boolean;
}

const nowIso = (services: Services) => new Date(services.clock.now()).toISOString();

function newWechatRecord(services: Services, caller: Caller & { openid: string }): WechatRecordDoc {
  const at = nowIso(services);
  const identifiers = [{ type: 'openid', value: caller.openid }];
  if (caller.unionid) identifiers.push({ type: 'unionid', value: caller.unionid });
  const id = services.ids.next('w');
  return {
    _id: `wechat:${id}`, channel: 'wechat', channelMemberId: id, identifiers,
    memberId: null, homeMemberId: null, apart: [], createdAt: at, updatedAt: at,
    consent: null, profile: { nickname: null, birthday: null }, phoneSealed: null, phoneMasked: null,
  };
}

/**
 * The caller's record and member, creating both on first sight. Inside the
 * caller's transaction; the openid's identifier document makes it happen once.
 */
export async function ensureWechatMember(cache: TxCache, services: Services, caller: Caller & { openid: string }): Promise<{ record: WechatRecordDoc; memberId: string; isNew: boolean }> {
  const found = await findWechatRecord(cache.get.bind(cache), caller.openid);
  if (found) {
    const member = await liveMember(cache.get.bind(cache), found.memberId);
    if (member) return { record: found, memberId: member._id, isNew: false };
  }
  const record = found ?? newWechatRecord(services, caller);
  const outcome = await applyRecordChanges(cache, services, [{ before: found, after: record }]);
  const memberId = outcome.assignment.get(record._id)!;
  return { record: { ...record, memberId }, memberId, isNew: !found };
}

function view(services: Services, record: WechatRecordDoc, memberId: string, isNew: boolean): LoginView {
  const { termsVersion } = services.config;
  return { memberId, isNew, phoneBound: hasPhone(record), consented: record.consent?.version === termsVersion, termsVersion };
}

export function login(services: Services, caller: Caller & { openid: string }): Promise<LoginView> {
  return services.store.transaction(async (tx) => {
    const { record, memberId, isNew } = await ensureWechatMember(new TxCache(tx), services, caller);
    return view(services, record, memberId, isNew);
  });
}

/** Records agreement to the current privacy terms; agreeing again changes nothing. */
export function consent(services: Services, caller: Caller & { openid: string }, version: string): Promise<LoginView> {
  if (version !== services.config.termsVersion) throw new AppError('TERMS_OUTDATED', 'those are not the current terms');
  return services.store.transaction(async (tx) => {
    const { record, memberId } = await ensureWechatMember(new TxCache(tx), services, caller);
    // the answer is the member as login shows it; consenting is not a first login
    if (record.consent?.version === version) return view(services, record, memberId, false);
    const consented = { ...record, consent: { version, at: nowIso(services) }, updatedAt: nowIso(services) };
    await tx.set('records', consented);
    return view(services, consented, memberId, false);
  });
}

const codeDocId = (code: string) => createHash('sha256').update(code).digest('base64url');

/**
 * Binds the phone behind a WeChat phone-button code. The code is exchanged on
 * the server, used once (the same caller's retry gets the first answer), and
 * must have been issued to our appid; a send of it while the same caller's earlier
 * send is still exchanging it, refused by WeChat, answers CONFLICT (its retry gets
 * the first answer) rather than PHONE_CODE_INVALID. The phone joins the member already
 * holding it, unless a limit forbids that (PHONE_CONFLICT: nothing of the binding is
 * written; the refused join is recorded in `conflicts` for the CRM team, once).
 */
export async function bindPhone(services: Services, caller: Caller & { openid: string }, code: string): Promise<BindPhoneResult> {
  const id = codeDocId(code);
  const used = await services.store.get<PhoneCodeDoc | PhoneClaimDoc>('phoneCodes', id);
  const mine = await findWechatRecord(services.store.get.bind(services.store), caller.openid);
  if (used && !used.pending) {
    if (mine && used.recordId === mine._id) return used.result;
    throw new AppError('PHONE_CODE_INVALID', 'phone code already used');
  }
  if (mine?.consent?.version !== services.config.termsVersion) throw new AppError('CONSENT_REQUIRED', 'agree to the privacy terms first');
  // the code is claimed before WeChat is asked: a second send of it while this one runs (a double tap,
  // WeChat's retry, the page's 重试 of a send whose answer was lost) learns that it is in progress
  const claim = await claimPhoneCode(services, id, mine._id);
  if (claim.receipt) {
    if (claim.receipt.recordId === mine._id) return claim.receipt.result;
    throw new AppError('PHONE_CODE_INVALID', 'phone code already used');
  }
  try {
    return await exchangeAndBind(services, caller, code, mine._id, claim.own);
  } catch (error) {
    // a failed send leaves the code as it found it: unclaimed, for a later send of it to exchange
    if (claim.own) await releasePhoneCode(services, id, claim.own).catch(() => undefined);
    throw error;
  }
}

/**
 * Claims the code for this send, unless it is used already (its receipt) or claimed by another send
 * still running: `own` is the claim this send wrote (a claim of the same caller's that outlived
 * the window is taken over), null if it wrote none.
 */
function claimPhoneCode(services: Services, id: string, recordId: string): Promise<{ receipt?: PhoneCodeDoc; own: PhoneClaimDoc | null }> {
  return services.store.transaction(async (tx) => {
    const found = await tx.get<PhoneCodeDoc | PhoneClaimDoc>('phoneCodes', id);
    if (found && !found.pending) return { receipt: found, own: null };
    if (found && (found.recordId !== recordId || !claimStale(services, found))) return { own: null };
    // no claim for a consumer erased since the checks above: erasure removes the claims its
    // queries found and, once committed, those made before this read (erase.ts)
    const record = await tx.get<WechatRecordDoc>('records', recordId);
    if (record?.consent?.version !== services.config.termsVersion) throw new AppError('CONSENT_REQUIRED', 'agree to the privacy terms first');
    const own: PhoneClaimDoc = { _id: id, recordId, pending: true, at: nowIso(services) };
    await tx.set('phoneCodes', own);
    return { own };
  });
}

const claimStale = (services: Services, claim: PhoneClaimDoc) => services.clock.now() - Date.parse(claim.at) >= PHONE_CLAIM_WINDOW_MS;

/** Removes the send's own claim, if nothing replaced it meanwhile (a receipt, another send's claim). */
function releasePhoneCode(services: Services, id: string, own: PhoneClaimDoc): Promise<void> {
  return services.store.transaction(async (tx) => {
    const found = await tx.get<PhoneCodeDoc | PhoneClaimDoc>('phoneCodes', id);
    if (found?.pending && found.recordId === own.recordId && found.at === own.at) await tx.remove('phoneCodes', id);
  });
}

async function exchangeAndBind(services: Services, caller: Caller & { openid: string }, code: string, recordId: string, own: PhoneClaimDoc | null): Promise<BindPhoneResult> {
  const exchanged = await services.phoneCodes.exchange(code).catch(async (error: unknown) => {
    // WeChat exchanges a code once: the same request sent twice (a double tap, WeChat's retry) is
    // refused there once the first has it, and answers the first's binding if it has committed,
    // or CONFLICT (try again) while the first, which claimed the code, is still running
    if (error instanceof AppError && error.code === 'PHONE_CODE_INVALID') {
      const found = await services.store.get<PhoneCodeDoc | PhoneClaimDoc>('phoneCodes', codeDocId(code));
      if (found && !found.pending && found.recordId === recordId) return { receipt: found };
      if (!own && found?.pending && found.recordId === recordId && !claimStale(services, found)) {
        throw new AppError('CONFLICT', 'the same phone code is being bound by an earlier send: try again');
      }
    }
    throw error;
  });
  if ('receipt' in exchanged) return exchanged.receipt.result;
  if (exchanged.appid !== caller.appid) throw new AppError('PHONE_CODE_INVALID', 'phone code issued to another app');
  const phone = normalizePhone(exchanged.phone);
  if (!phone) throw new AppError('PHONE_CODE_INVALID', 'not a mainland mobile');

  return recordingRefusedJoins(services, () => services.store.transaction(async (tx) => {
    const cache = new TxCache(tx);
    const { record, memberId: memberBefore } = await ensureWechatMember(cache, services, caller);
    // again here: the same request sent twice at once (a double tap, WeChat's retry) both passed the
    // check above; the one weighed second answers the first's binding instead of failing on its receipt
    // (a claim, this send's or another's still running, is no use: the receipt written below replaces it)
    const usedMeanwhile = await cache.get<PhoneCodeDoc | PhoneClaimDoc>('phoneCodes', codeDocId(code));
    if (usedMeanwhile && !usedMeanwhile.pending) {
      if (usedMeanwhile.recordId === record._id) return usedMeanwhile.result;
      throw new AppError('PHONE_CODE_INVALID', 'phone code already used');
    }
    // again here: an erasure while the code was being exchanged took the consent with it
    if (record.consent?.version !== services.config.termsVersion) throw new AppError('CONSENT_REQUIRED', 'agree to the privacy terms first');
    const key = phoneKey(services.secrets.phoneHashKey, phone);
    const identifiers = [...record.identifiers.filter((i) => i.type !== 'phone'), { type: 'phone', value: key }];
    const next: WechatRecordDoc = {
      ...record, identifiers, phoneMasked: maskPhone(phone), phoneSealed: encryptPhone(services.secrets.phoneEncKey, phone), updatedAt: nowIso(services),
      // a change of phone later is no new joining
      ...(hasPhone(record) ? {} : { phoneBoundAt: nowIso(services) }),
      trail: (record.trail ?? 0) + 1, // the receipt written below
    };
    // the refusals on the phone before the binding: the graph's between others, none of them the consumer's doing
    // (read only when the value is flagged as having some: the walk reads both documents anyway)
    const recorded = (await cache.get<ValueDoc>('identifiers', `phone:${key}`))?.refused ? await cache.get<ConflictDoc>('conflicts', `phone:${key}`) : null;
    const outcome: GraphOutcome = await applyRecordChanges(cache, services, [{ before: record, after: next }]);
    const memberId = outcome.assignment.get(record._id)!;
    const holder = (await cache.get<Doc & { memberId: string | null; quarantined: boolean; records: string[] }>('identifiers', `phone:${key}`))!;
    // a shared (quarantined) phone joins no one and refuses no one: its records are not read
    for (const id of holder.quarantined ? [] : holder.records) {
      if (id === record._id || outcome.assignment.get(id) === memberId) continue;
      // a store card proved someone's by other means carries its old phone without it deciding anything
      if ((await cache.get<Doc & { ignored?: string[] }>('records', id))?.ignored?.includes(`phone:${key}`)) continue;
      // nothing of the binding is written; the refusal is recorded for the CRM team once this rolls back
      throw new RefusedJoinError('PHONE_CONFLICT', 'this phone belongs to a member that cannot be joined', undefined, await refusalsFound(cache, `phone:${key}`, record._id, undefined, { assignment: outcome.assignment, recorded }));
    }
    // Joined the phone's member: by a merge, or by the caller's record leaving a
    // member that keeps another phone (one phone per member), recorded as a split.
    const merged = memberId !== memberBefore || outcome.merges.some((m) => m.kind === 'merge' && (m.survivor === memberId || m.absorbed === memberId));
    const result: BindPhoneResult = { memberId, phoneMasked: maskPhone(phone), merged };
    await tx.set('phoneCodes', { _id: codeDocId(code), recordId: record._id, result, at: nowIso(services) } satisfies PhoneCodeDoc);
    return result;
  }));
}

export interface ProfileView {
  memberId: string;
  nickname: string | null;
  birthday: string | null;
  phoneMasked: string | null;
}

export async function profile(services: Services, caller: Caller & { openid: string }): Promise<ProfileView> {
  return services.store.transaction(async (tx) => {
    const { record, memberId } = await ensureWechatMember(new TxCache(tx), services, caller);
    return { memberId, nickname: record.profile.nickname, birthday: record.profile.birthday, phoneMasked: record.phoneMasked ?? null };
  });
}

/**
 * Nickname any time (null clears it); birthday once (birthday gifts would otherwise be farmed).
 * Personal data, kept only for a consumer who agreed to the terms (CONSENT_REQUIRED).
 */
export async function updateProfile(services: Services, caller: Caller & { openid: string }, patch: { nickname?: string | null; birthday?: string }): Promise<ProfileView> {
  return services.store.transaction(async (tx) => {
    const { record, memberId } = await ensureWechatMember(new TxCache(tx), services, caller);
    if (record.consent?.version !== services.config.termsVersion) throw new AppError('CONSENT_REQUIRED', 'agree to the privacy terms first');
    const { birthday } = record.profile;
    // the saved one is told: the page shows it (an earlier save's answer was lost, or another device saved it)
    if (patch.birthday && birthday && patch.birthday !== birthday) throw new AppError('FORBIDDEN', 'birthday is set once', { reason: 'birthday_set', birthday });
    if (patch.birthday && patch.birthday > new Date(services.clock.now() + 8 * 3600_000).toISOString().slice(0, 10)) {
      throw new AppError('INVALID_INPUT', 'birthday in the future');
    }
    const next = { ...record.profile, ...(patch.nickname !== undefined ? { nickname: patch.nickname } : {}), ...(patch.birthday ? { birthday: patch.birthday } : {}) };
    if (next.nickname !== record.profile.nickname || next.birthday !== record.profile.birthday) {
      await tx.set('records', { ...record, profile: next, updatedAt: nowIso(services) });
    }
    return { memberId, nickname: next.nickname, birthday: next.birthday, phoneMasked: record.phoneMasked ?? null };
  });
}

/** Which channels the caller's member is known in, and whether a store card they submitted waits for staff. */
export async function channels(services: Services, caller: Caller & { openid: string }): Promise<Record<string, boolean>> {
  const { known, recordId } = await services.store.transaction(async (tx) => {
    const cache = new TxCache(tx);
    const { record, memberId } = await ensureWechatMember(cache, services, caller);
    const member = await liveMember(cache.get.bind(cache), memberId);
    const held = new Set((member?.records ?? []).map((id) => id.slice(0, id.indexOf(':'))));
    const records = await cache.getMany<WechatRecordDoc>('records', member?.records ?? []);
    return {
      recordId: record._id,
      known: {
        wechat: true,
        phone: [...records.values()].some((r) => r.channel === 'wechat' && hasPhone(r)),
        tmall: held.has('tmall'),
        offline: held.has('offline'),
        jd: held.has('jd'),
      },
    };
  });
  // a linked card answers the question, whatever became of the requests (queries run outside transactions)
  const requested = async (status: 'pending' | 'refused') =>
    (await services.store.query('linkRequests', { where: { wechatRecordId: recordId, status }, limit: 1 })).items.length > 0;
  const offlinePending = !known.offline && (await requested('pending'));
  // a card staff refused, and nothing else waiting: the consumer is told, rather than invited to the same card again
  const offlineRefused = !known.offline && !offlinePending && (await requested('refused'));
  return { ...known, offlinePending, offlineRefused };
}
