import { createHmac } from 'node:crypto';
import { AppError } from '../runtime/errors';
import type { Caller, Services } from '../runtime/services';
import type { Doc } from '../store/port';
import { TxCache } from '../store/tx-cache';
import { cluster, valueKey } from './cluster';
import { identityRules } from './identity.rules';
import { applyRecordChanges, CARD_LINK, setAside, type MemberDoc, type RecordDoc, type ValueDoc } from './graph.store';
import { hasPhone, liveMember } from './lookup';
import { recordIdOf } from './records';
import { recordingRefusedJoins, refusalsFound, RefusedJoinError } from './refused-joins';
import { ensureWechatMember } from './wechat';

/**
 * A consumer links a store card the phone did not link (the card has no
 * phone, or an old one): card number plus the last four digits of the phone
 * the store has on file. A card without a phone waits for staff to confirm
 * (link-requests.ts). Five wrong tries lock the card for a day (a right one
 * forgives them); a consumer's
 * wrong tries over all cards (unknown card numbers too) are limited to twice
 * that a day, so guesses spread over many cards take none.
 */

/**
 * `linkAttempts/{cardRecordId}`: a card's wrong tries; `linkAttempts/consumer:…` (`consumerTriesId`):
 * a consumer's, over every card (earlier versions kept them under the WeChat record's id).
 */
export interface AttemptsDoc extends Doc {
  failures: string[];
  /** Weighed tries, right or wrong: each writes it, so two tries at once never both commit. */
  tries?: number;
  /** Who sent the last wrong try and its digits, as a keyed hash (`guessOf`): that try sent again is not another. */
  lastGuess?: string;
}

/** `linkRequests/{cardRecordId}>{wechatRecordId}`: a card without a phone a consumer asked for, until staff decide. */
export interface LinkRequestDoc extends Doc {
  status: 'pending' | 'confirmed' | 'refused';
  cardRecordId: string;
  wechatRecordId: string;
  at: string;
  /** When staff confirmed or refused it, and why they refused. */
  decidedAt?: string;
  reason?: string | null;
  /** The merge a confirmation made (null when the card was the consumer's already), for undoing it. */
  mergeId?: string | null;
}

export const DAY_MS = 24 * 3600 * 1000;

/**
 * Where a consumer's wrong tries are kept: under a keyed hash of their openid, not under their
 * WeChat record, which erasure removes (the next login makes a new one): erasing and binding the
 * phone again would otherwise clear the count, and a card-number guesser would have as many tries
 * as fresh phone codes. It names no one; erasure keeps only the tries of the last day, and the
 * account's next try drops those past a day.
 */
export const consumerTriesId = (services: Services, openid: string) =>
  `consumer:${createHmac('sha256', services.secrets.phoneHashKey).update(`store-card tries:${openid}`).digest('base64url').slice(0, 24)}`;
const WECHAT_PREFIX = recordIdOf('wechat', '');
/** One consumer's digits for one card, naming neither: a wrong try sent twice (a double tap, WeChat's retry) is known by it. */
const guessOf = (services: Services, triesId: string, last4: string) =>
  createHmac('sha256', services.secrets.phoneHashKey).update(`store-card guess:${triesId}:${last4}`).digest('base64url').slice(0, 24);

/**
 * Wrong tries count over a rolling day, oldest first: the card opens again a
 * day after the try that keeps it at the limit, which may be sooner than a day
 * from now when the tries were spread out.
 */
function lockedUntil(failures: string[], maxTries: number): string {
  return new Date(Date.parse(failures[failures.length - maxTries]!) + DAY_MS).toISOString();
}

export async function linkOffline(services: Services, caller: Caller & { openid: string }, cardNo: string, last4: string | undefined): Promise<{ status: 'linked' | 'pending'; memberId: string }> {
  const cardId = recordIdOf('offline', cardNo);
  const now = services.clock.now();
  const at = new Date(now).toISOString();
  const maxTries = services.config.identity.offlineLinkMaxTries;
  const consumerMaxTries = 2 * maxTries;
  const recentOf = (attempts: AttemptsDoc | null) => (attempts?.failures ?? []).filter((t) => now - Date.parse(t) < DAY_MS);

  // The wrong tries are read, and a wrong try counted, in the transaction that weighs the try:
  // checked before it, a burst of tries sent at once all passed the check, and sixty guesses
  // at the four digits went through where five may.
  const outcome = await recordingRefusedJoins(services, () => services.store.transaction(async (tx) => {
    const cache = new TxCache(tx);
    // the consumer first: a caller without a bound phone, or past their tries for the day, learns
    // nothing of the card, not even that it is locked
    const { record: wechat, memberId } = await ensureWechatMember(cache, services, caller);
    if (!hasPhone(wechat)) throw new AppError('NOT_BOUND', 'bind a phone first');
    const triesId = consumerTriesId(services, caller.openid);
    const mine = recentOf(await cache.get<AttemptsDoc>('linkAttempts', triesId));
    // the same wrong digits sent again by the same consumer (a double tap, the page or WeChat retrying
    // a call whose answer was lost) are one try: they tell nothing new, so they are answered as the
    // first time and counted once, the card's lock and the consumer's limit included
    const guess = last4 === undefined ? null : guessOf(services, triesId, last4);
    // the card's count is still the one that try left (no one has tried the card since: they would have
    // replaced lastGuess), so answering from it tells nothing new
    const sentAgain = (attempts: AttemptsDoc | null) => !!guess && recentOf(attempts).length > 0 && attempts?.lastGuess === guess;
    // while the card is locked, from its count alone too: answering otherwise once its phone changed
    // (to these digits, or none) would tell what a locked card holds
    const repeated = (attempts: AttemptsDoc | null, card: RecordDoc | null) =>
      sentAgain(attempts) && (recentOf(attempts).length >= maxTries || (!!card?.phoneMasked && card.phoneMasked.slice(-4) !== last4));
    if (mine.length >= consumerMaxTries) {
      // sent again (the answer lost, the page retried): a card they hold, what they asked before, or
      // the wrong digits they sent last, answers as the first time, telling nothing new and counting
      // as no try; a card they hold first, as below the limit (a request for it may still wait: an
      // operator joined them meanwhile)
      const card = await cache.get<RecordDoc>('records', cardId);
      if (card?.memberId === memberId) return { status: 'linked' as const, memberId };
      const asked = await tx.get<LinkRequestDoc>('linkRequests', `${cardId}>${wechat._id}`);
      if (asked?.status === 'pending') return { status: 'pending' as const, memberId };
      const attempts = await cache.get<AttemptsDoc>('linkAttempts', cardId);
      // past the ten, from the card's count alone: nothing of the card as it is now (its phone may have
      // changed to these digits since), as a caller past their ten learns nothing of it
      if (sentAgain(attempts)) return { status: 'mismatch' as const, memberId, failures: recentOf(attempts) };
      const until = lockedUntil(mine, consumerMaxTries);
      throw new AppError('RATE_LIMITED', `too many wrong tries from this account; try again after ${until}`, { until });
    }
    // Every try that does not link counts (a wrong one, an unknown or locked card, a card asked for
    // without its digits, a new request for staff): each of those answers tells that a card
    // exists, or what it holds, and trying numbers one after another must not tell that for free.
    // A try writes the consumer's count and their WeChat record, which a right try writes too
    // (joining the card): on CloudBase tries sent at once by one consumer are then weighed one after
    // another, and a right guess in a burst cannot be weighed beside the wrong tries that stop it.
    // The record's trail also makes an erasure under way look again (identity/erase.ts).
    const counted = async <T>(answer: T): Promise<T> => {
      cache.put('linkAttempts', { _id: triesId, failures: [...mine, at] } satisfies AttemptsDoc);
      cache.put('records', { ...wechat, trail: (wechat.trail ?? 0) + 1 });
      await cache.flush();
      return answer;
    };
    // The card's wrong tries are read, and a wrong try counted, in the transaction that weighs the
    // try: checked before it, a burst of tries sent at once all passed the check, and sixty
    // guesses at the four digits went through where five may.
    const attempts = await cache.get<AttemptsDoc>('linkAttempts', cardId);
    const recent = recentOf(attempts);
    const card = await cache.get<RecordDoc>('records', cardId);
    // a card they hold answers so before its lock: others' wrong digits may have locked it since,
    // and its holder's page sending the link again is told nothing new (nor counted a try)
    if (card?.memberId === memberId) return { status: 'linked' as const, memberId };
    if (repeated(attempts, card)) return { status: 'mismatch' as const, memberId, failures: recent };
    if (recent.length >= maxTries) return counted({ status: 'locked' as const, until: lockedUntil(recent, maxTries) });
    if (!card) return counted({ status: 'unknown' as const, memberId });

    // A card without a phone is left to staff, who check who holds it: nothing here tells a
    // consumer that someone does before they have proved anything. So is a card whose phone is a
    // placeholder (13800138000) or a number many cards share (a shop's): everyone knows its digits.
    if (!card.phoneMasked || (await phoneKnownToAll(cache, services, card))) {
      const requestId = `${cardId}>${wechat._id}`;
      const request = await tx.get<LinkRequestDoc>('linkRequests', requestId);
      if (!request) {
        await tx.create('linkRequests', { _id: requestId, status: 'pending', cardRecordId: cardId, wechatRecordId: wechat._id, at } satisfies LinkRequestDoc);
        return counted({ status: 'pending' as const, memberId });
      } else if (request.status === 'refused') {
        // asking again does not reopen what staff decided: the consumer is told to see the store
        throw new AppError('FORBIDDEN', 'the store did not confirm this card for this member; ask the store');
      } else if (request.status === 'confirmed') {
        // confirmed, yet the card is not this member's (an operator separated them since)
        throw new AppError('CONFLICT', 'this card belongs to another member; ask the store', { reason: 'card_held' });
      }
      return { status: 'pending' as const, memberId };
    }
    if (!last4) return counted({ status: 'last4Required' as const, memberId });
    // The right guess rests on the count as much as a wrong one does, so it writes it too (with a
    // value that changes): on CloudBase a try reading the count and writing nothing would commit
    // beside the wrong try that locks the card, and a burst of guesses would all be weighed.
    const tries = (attempts?.tries ?? 0) + 1;
    if (card.phoneMasked.slice(-4) !== last4) {
      // answered, not thrown, so that the transaction commits the try it counts
      const failures = [...recent, at];
      cache.put('linkAttempts', { _id: cardId, failures, tries, lastGuess: guess! } satisfies AttemptsDoc);
      return counted({ status: 'mismatch' as const, memberId, failures });
    }
    // right: the card's wrong tries are forgiven, as a PIN's are (only someone who knows the digits
    // gets here); the consumer's own count over all cards stays, or linking one's own card would reset it
    cache.put('linkAttempts', { _id: cardId, failures: [], tries } satisfies AttemptsDoc);
    return { status: 'linked' as const, memberId: (await joinCard(cache, services, card, wechat, at)).memberId };
  }));

  if (outcome.status === 'locked') throw new AppError('LOCKED', `too many wrong tries for this card; try again after ${outcome.until}`, { until: outcome.until });
  if (outcome.status === 'last4Required') throw new AppError('INVALID_INPUT', 'last4 is required for this card');
  if (outcome.status === 'unknown') throw new AppError('NOT_FOUND', 'no store member with this card number');
  if (outcome.status === 'mismatch') {
    const { failures } = outcome;
    // the consumer is warned before the try that locks the card, and told until when after it
    const triesLeft = Math.max(0, maxTries - failures.length);
    throw new AppError('CARD_MISMATCH', 'the last four digits do not match the phone on this card', triesLeft > 0 ? { triesLeft } : { triesLeft, until: lockedUntil(failures, maxTries) });
  }
  return outcome;
}

/**
 * Whether the phone a card carries proves nothing: a blocked placeholder (typed for walk-in
 * customers) or a number set aside as shared by many cards, whose last four digits anyone knows.
 */
async function phoneKnownToAll(cache: TxCache, services: Services, card: RecordDoc): Promise<boolean> {
  const phones = card.identifiers.filter((i) => i.type === 'phone');
  if (phones.length === 0) return false;
  const rules = identityRules(services);
  for (const phone of phones) {
    const doc = await cache.get<ValueDoc>('identifiers', valueKey(phone));
    if (rules.isBlocked(phone) || (doc && setAside(doc, rules))) return true;
  }
  return false;
}

/**
 * Joins a store card to a WeChat record, once the card is proved theirs (the
 * phone's last four digits, or staff): the card's own (old) phone no longer
 * decides whom it belongs to. Answers the member both are now. CONFLICT when
 * another WeChat consumer holds the card (they linked it, or bound the phone it
 * carries: a card number and four digits are not proof enough to take it from
 * them, the store sorts it out), or when a limit forbids the join (`cannot_join`: recorded in
 * `conflicts` under the card once the caller's transaction is rolled back, see refused-joins.ts).
 */
export async function joinCard(cache: TxCache, services: Services, card: RecordDoc, wechat: RecordDoc, at: string): Promise<{ memberId: string; mergeId: string | null }> {
  const holder = card.memberId ? await cache.get<MemberDoc>('members', card.memberId) : null;
  if (holder?.records.some((id) => id.startsWith(WECHAT_PREFIX) && id !== wechat._id)) {
    throw new AppError('CONFLICT', 'this card is held by another WeChat member; ask the store', { reason: 'card_held' });
  }
  const cardPhones = card.identifiers.filter((i) => i.type === 'phone').map(valueKey);
  const wechatPhone = wechat.identifiers.find((i) => i.type === 'phone');
  const ignored = [...new Set([...(card.ignored ?? []), ...cardPhones.filter((key) => !wechatPhone || key !== valueKey(wechatPhone))])];
  // A link of our own on both records, as an operator's merge makes: re-imports keep it, and
  // unmerging takes it away, so the consumer's record does not go on carrying the card's number.
  const link = { type: 'link', value: services.ids.next(CARD_LINK) };
  // Both sides as they stand before the link: the consumer's whole member, and what the card's own
  // identifiers (not the phone the link sets aside) join it to. The link, tried before anything
  // else, could otherwise join the card and then let a limit tear off a record of either side (the
  // consumer's own Tmall membership, joined by their phone): all of both join, or nothing does.
  const mine = (await liveMember(cache.get.bind(cache), wechat.memberId))?.records ?? [wechat._id];
  const cards = await joinedToCard(cache, services, card, ignored);
  const result = await applyRecordChanges(cache, services, [
    { before: card, after: { ...card, ignored, identifiers: [...card.identifiers, link], updatedAt: at } },
    { before: wechat, after: { ...wechat, identifiers: [...wechat.identifiers, link], updatedAt: at } },
  ]);
  const memberId = result.assignment.get(wechat._id)!;
  if (result.assignment.get(card._id) !== memberId) {
    // listed under the card (a link's value is new at each try): recorded once this rolls back
    const refused = await refusalsFound(cache, valueKey(link), wechat._id, { type: card.channel, value: card.channelMemberId });
    throw new RefusedJoinError('CONFLICT', 'this card belongs to a member that cannot be joined; ask the store', { reason: 'cannot_join' }, refused);
  }
  const torn = [...mine, ...cards].filter((id) => result.assignment.has(id) && result.assignment.get(id) !== memberId);
  if (torn.length) {
    // the card joined, but a limit left behind a record of one side: the two members cannot be one
    const sides = [...new Set([...mine, ...cards])];
    const limitType = await limitBroken(cache, services, sides);
    // no limit, but an operator's unmerge keeps a record of one side apart from the other: theirs,
    // and known to them, so not listed (as the card's own refusal above is not)
    const keptApart = !limitType && (await apartWithin(cache, sides));
    const refused = keptApart ? [] : [{ type: card.channel, value: card.channelMemberId, askedBy: wechat._id, other: card._id, reason: 'limit' as const, ...(limitType ? { limitType } : {}) }];
    throw new RefusedJoinError('CONFLICT', 'this card belongs to a member that cannot be joined; ask the store', { reason: 'cannot_join' }, refused);
  }
  // The card left a member that lives on (its old phone keeps another record there, a Tmall card
  // say): that move is the link's merge all the same, which `members unmerge` must be able to undo.
  const split = result.merges.find((m) => m.kind === 'split' && m.absorbed === memberId && m.records.includes(card._id));
  // the link's own join (the walk may write others beside it: a buyer known by phone alone that
  // waited while the card's old phone had two holders joins the one left)
  const merge = result.merges.find((m) => m.kind === 'merge' && (m.records.includes(card._id) || m.records.includes(wechat._id))) ?? (split && { ...split, kind: 'merge' as const, survivor: memberId, absorbed: split.survivor });
  if (!merge) return { memberId, mergeId: null };
  // the link the merge made, which `members unmerge` of it takes away (staff confirmed a card
  // wrongly): the card's phones, ignored since, then decide whom it joins again
  cache.put('merges', { ...merge, link: link.value });
  await cache.flush();
  return { memberId, mergeId: merge._id };
}

/**
 * The records of the card's member that the card's own identifiers still join it to once the link
 * sets `ignored` aside (its old phone): what the card brings. One member already, so no limit
 * splits them; a value set aside as shared joins none of them.
 */
async function joinedToCard(cache: TxCache, services: Services, card: RecordDoc, ignored: string[]): Promise<string[]> {
  const holder = card.memberId ? await liveMember(cache.get.bind(cache), card.memberId) : null;
  if (!holder) return [card._id];
  const rules = identityRules(services);
  const records = [...(await cache.getMany<RecordDoc>('records', holder.records)).values()];
  const excluded = new Set<string>();
  for (const record of records) {
    for (const identifier of record.identifiers) {
      const key = valueKey(identifier);
      const doc = await cache.get<ValueDoc>('identifiers', key);
      if (rules.isBlocked(identifier) || (doc && setAside(doc, rules))) excluded.add(key);
    }
  }
  const setAsideOn = (record: RecordDoc) => (record._id === card._id ? ignored : record.ignored ?? []);
  const { groups } = cluster(
    records.map((r) => ({ id: r._id, identifiers: r.identifiers.filter((i) => !setAsideOn(r).includes(valueKey(i))) })),
    excluded,
    { ...rules, limits: {} },
  );
  return groups.find((group) => group.includes(card._id)) ?? [card._id];
}

/** The first limited type whose distinct values on these records (values they set aside left out) pass its limit. */
async function limitBroken(cache: TxCache, services: Services, ids: string[]): Promise<string | null> {
  const records = [...(await cache.getMany<RecordDoc>('records', ids)).values()];
  for (const [type, limit] of Object.entries(services.config.identity.limits)) {
    const values = new Set(records.flatMap((r) => r.identifiers.filter((i) => i.type === type && !r.ignored?.includes(valueKey(i))).map((i) => i.value)));
    if (values.size > limit) return type;
  }
  return null;
}

/** Whether an operator's unmerge keeps any two of these records apart. */
async function apartWithin(cache: TxCache, ids: string[]): Promise<boolean> {
  const all = new Set(ids);
  return [...(await cache.getMany<RecordDoc>('records', ids)).values()].some((r) => r.apart?.some((id) => all.has(id)));
}
