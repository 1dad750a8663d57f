import { findWechatRecord, hasPhone, type WechatRecordDoc } from '../identity/lookup';
import { availableNow } from '../points/summary.store';
import { COLLECTION } from '../points/types';
import { AppError, isAppError } from '../runtime/errors';
import type { Services } from '../runtime/services';
import { StoreConflictError } from '../store/port';
import { parseLink } from '../scenes/scene';
import { checkAgainstBatch, type BatchDoc } from './batch';
import { cachedBatch } from './batches.store';
import { claimAndEarn, claimKey, countRepeat, findClaim, type Claim } from './claims.store';
import { parseCode, verifyCode, type ParsedCode } from './code';
import { limiterFor } from './rate-limit';

export interface RedeemResult {
  sku: string;
  name: string;
  points: number;
  /** The member's available points after the scan, as points.summary counts them. */
  available: number;
  /** When the code was redeemed: now for a first scan, the first scan's time for the same member's later ones (a retry's answer is the first answer). */
  redeemedAt: string;
  /** The same member had redeemed it before, in another attempt than this request's `requestId`: nothing was added now. */
  repeated: boolean;
}

const limiterOf = (services: Services) => limiterFor(services.store, 'scans', services.config.codes.invalidPerHour);

/**
 * checkCode behind the invalid-scan limit, for whoever checks codes (codes.redeem, and
 * scenes.resolve and scenes.join, which a visitor may call): a caller past the limit is refused
 * (RATE_LIMITED) before the code is read, and a code that is not ours counts towards it (a
 * withdrawn one of ours does not).
 */
export async function checkCodeFor(services: Services, openid: string | null, code: string | null): ReturnType<typeof checkCode> {
  const limiter = limiterOf(services);
  if (openid && limiter.blocked(openid, services.clock.now())) throw tooManyScans();
  const checked = await checkCode(services, code);
  // A withdrawn code was signed by us (its tag verified): the goods may be genuine, and no guess
  // gets that far, so it costs the honest holder of a recalled batch nothing.
  const guessed = checked instanceof AppError && checked.code === 'CODE_INVALID' && checked.details?.reason !== 'withdrawn';
  if (openid && guessed && !limiter.admit(openid, services.clock.now())) throw tooManyScans();
  return checked;
}

const tooManyScans = () => new AppError('RATE_LIMITED', 'too many invalid scans: try again later');

/** The code a `code` field or a scanned link carries, as written; null if the link is not a product link of ours. */
export function codeFromInput(services: Services, input: { code?: string; q?: string }): string | null {
  if (input.code !== undefined) return input.code.trim();
  const link = parseLink(input.q ?? '', services.config.brandDomain);
  return link?.kind === 'product' ? link.code : null;
}

/**
 * A code that verified and the batch it belongs to, or the error to answer.
 * Pure except the batch read (cached per instance); no other store access.
 */
export async function checkCode(services: Services, text: string | null): Promise<{ code: ParsedCode; batch: BatchDoc } | AppError> {
  const invalid = () => new AppError('CODE_INVALID', 'not a valid product code');
  const code = text === null ? null : parseCode(text);
  if (!code) return invalid();
  const verdict = verifyCode(code, services.secrets.codeKeys, services.config.codes.revokedKeys);
  // a key revoked in config but still configured verifies its own codes, to tell them from fakes
  const revokedKey = verdict === 'revoked_key' && verifyCode(code, services.secrets.codeKeys, []) === 'ok';
  if (verdict !== 'ok' && !revokedKey) return invalid();
  const batch = await cachedBatch(services, code.batchId);
  const check = checkAgainstBatch(batch, code, services.clock.now(), services.config.codes.maxPoints);
  if (check === 'invalid') return invalid();
  if (check === 'withdrawn' && batch!.status === 'active') services.log.warn('batch_points_out_of_range', { batchId: batch!._id, points: batch!.points });
  // a withdrawn batch or a retired key's batch is refused as invalid, but says so: the goods in
  // hand may well be genuine, and the page must not call them fakes
  if (revokedKey || check === 'withdrawn') return new AppError('CODE_INVALID', 'this product code was withdrawn', { reason: 'withdrawn' });
  if (check === 'expired') return new AppError('CODE_EXPIRED', 'this product code has expired');
  return { code, batch: batch! };
}

/** The caller's `wechat:` record if it has a bound phone; NOT_BOUND otherwise. */
export async function boundRecord(services: Services, openid: string): Promise<WechatRecordDoc & { memberId: string }> {
  const record = await findWechatRecord(services.store.get.bind(services.store), openid);
  if (!record || !record.memberId || !hasPhone(record)) throw new AppError('NOT_BOUND', 'bind a phone to earn points');
  return record as WechatRecordDoc & { memberId: string };
}

/**
 * A code its own member redeemed, scanned again after its batch expired or was withdrawn: the
 * first answer (as before the batch ended), not a refusal that reads as if the points were
 * lost. Null when the refusal stands.
 */
async function ownRedemptionOfEndedBatch(services: Services, openid: string, text: string | null, requestId: string | undefined, refusal: AppError): Promise<RedeemResult | null> {
  const ended = refusal.code === 'CODE_EXPIRED' || (refusal.code === 'CODE_INVALID' && refusal.details?.reason === 'withdrawn');
  const code = ended && text !== null ? parseCode(text) : null;
  const first = code ? await findClaim(services, code.body) : null;
  return first ? answerOfClaim(services, openid, first, requestId) : null;
}

/**
 * A retry of the attempt that redeemed the code (its `requestId`), from a caller past the
 * invalid-scan limit: the first answer, as before the limit (its answer may have been lost, and
 * the limit reached since). Anything else (another attempt, a code not theirs) gets null: the
 * refusal stands. Only a code whose tag verifies is looked up, so a blocked caller's guesses
 * cost no read; nothing is written or counted.
 */
async function ownAttemptPastLimit(services: Services, openid: string, text: string | null, requestId: string | undefined): Promise<RedeemResult | null> {
  const code = requestId && text !== null ? parseCode(text) : null;
  if (!code || verifyCode(code, services.secrets.codeKeys, []) !== 'ok') return null;
  // the claim's attempt first: any other (a new one, someone else's code) costs no more reads
  const first = await findClaim(services, code.body);
  return first && first.requestId === requestId ? answerOfClaim(services, openid, first, requestId) : null;
}

/** The first answer to a claim if the caller's member holds it (`repeated` unless `requestId` made it), or null. */
async function answerOfClaim(services: Services, openid: string, first: Claim, requestId: string | undefined): Promise<RedeemResult | null> {
  const record = await findWechatRecord(services.store.get.bind(services.store), openid);
  if (!record?.memberId || !(await holdsClaim(services, first, record))) return null;
  return {
    sku: first.sku, name: first.name, points: first.points, available: await availableNow(services, record.memberId), redeemedAt: first.at,
    repeated: !requestId || first.requestId !== requestId,
  };
}

/**
 * Whether the caller's member holds the code's points now: the account the scan credited is the
 * caller's, or belongs to the caller's member (another WeChat of theirs that scanned it, joined
 * since or before; an unmerge takes the account, and the claim, to the other side).
 */
async function holdsClaim(services: Services, claim: Claim, record: WechatRecordDoc): Promise<boolean> {
  if (claim.accountId === record._id) return true;
  const account = await services.store.get<{ _id: string; memberId: string | null }>(COLLECTION.accounts, claim.accountId);
  return !!record.memberId && account?.memberId === record.memberId;
}

/**
 * `codes.redeem`: the first valid scan of a unit earns its batch's points, once.
 *
 * Order matters: the tag is verified before anything is read but the batch
 * (cached), so forged and mistyped codes cost no write and no other read; the
 * caller must hold a bound phone before the code is touched, so an unbound
 * scan leaves the code unused and writes nothing (for a code already used,
 * NOT_BOUND carries `redeemedAt`, so the page says so rather than inviting
 * the scanner to join for points that are gone). Then one transaction posts
 * `scan:<body>` to the ledger (the entry is the claim: created only if
 * absent), updates the account and moves the balance; the answer's available
 * points are then read as points.summary counts them.
 *
 * Errors: RATE_LIMITED (too many invalid scans this hour), CODE_INVALID
 * (malformed, forged, unknown or revoked batch or key), CODE_EXPIRED,
 * NOT_BOUND (with `redeemedAt` when the code was used already; else the batch's `name` and `points`),
 * CODE_ALREADY_REDEEMED (by someone else; the message says when),
 * CONFLICT (a simultaneous scan is still settling: retry).
 * The same member's retry answers the first result again (`repeated` unless it carries the
 * `requestId` of the attempt that made the redemption); a retry of that attempt does so past the
 * invalid-scan limit too, where any other scan is RATE_LIMITED.
 */
export async function redeemCode(services: Services, openid: string, input: { code?: string; q?: string; requestId?: string }): Promise<RedeemResult> {
  const limiter = limiterOf(services);
  const text = codeFromInput(services, input);
  let checked: Awaited<ReturnType<typeof checkCodeFor>>;
  try {
    checked = await checkCodeFor(services, openid, text);
  } catch (error) {
    const own = isAppError(error) && error.code === 'RATE_LIMITED' ? await ownAttemptPastLimit(services, openid, text, input.requestId) : null;
    if (own) return own;
    throw error;
  }
  if (checked instanceof AppError) {
    const own = await ownRedemptionOfEndedBatch(services, openid, text, input.requestId, checked);
    if (own) return own;
    throw checked;
  }
  const { code, batch } = checked;
  let record: WechatRecordDoc & { memberId: string };
  try {
    record = await boundRecord(services, openid);
  } catch (error) {
    const first = isAppError(error) && error.code === 'NOT_BOUND' ? await findClaim(services, code.body) : null;
    // a used code counts towards the limit as a bound caller's scan of it does: sorting harvested
    // codes into used and unused must not be free for want of a phone
    if (first && !limiter.admit(openid, services.clock.now())) throw tooManyScans();
    if (first) throw new AppError('NOT_BOUND', `bind a phone to earn points; this code was already redeemed at ${first.at}`, { redeemedAt: first.at });
    // an unused code: the verdict the visitor scanned for (genuine, what it is and what joining brings)
    if (isAppError(error) && error.code === 'NOT_BOUND') throw new AppError('NOT_BOUND', error.message, { name: batch.name, points: batch.points });
    throw error;
  }

  const at = new Date(services.clock.now()).toISOString();
  try {
    const credited = await claimAndEarn(services, {
      key: claimKey(code.body), accountId: record._id, points: batch.points, growth: 0, at,
      source: { channel: 'scan', ref: code.body, detail: { sku: batch.sku, batchId: batch._id, ...(input.requestId ? { requestId: input.requestId } : {}) } }, note: batch.name,
    });
    return { sku: batch.sku, name: batch.name, points: batch.points, available: await availableNow(services, credited.memberId, credited.balance), redeemedAt: at, repeated: false };
  } catch (error) {
    if (!(error instanceof StoreConflictError)) throw error;
  }

  const first = await findClaim(services, code.body);
  if (!first) throw new AppError('CONFLICT', 'this code is being redeemed: retry');
  if (await holdsClaim(services, first, record)) return { sku: first.sku, name: first.name, points: first.points, available: await availableNow(services, record.memberId), redeemedAt: first.at, repeated: !input.requestId || first.requestId !== input.requestId };
  if (!limiter.admit(openid, services.clock.now())) throw tooManyScans();
  // a counterfeit signal: worth counting, not worth failing the answer for (a hot fake code collides often)
  await countRepeat(services, code).catch((error: unknown) => services.log.warn('code_repeat_not_counted', { error: error instanceof Error ? error.name : 'unknown' }));
  throw new AppError('CODE_ALREADY_REDEEMED', `already redeemed at ${first.at}`, { redeemedAt: first.at });
}
