import { AppError } from '../runtime/errors';
import type { Services } from '../runtime/services';
import { TxCache } from '../store/tx-cache';
import type { RecordDoc } from './graph.store';
import type { WechatRecordDoc } from './lookup';
import { joinCard, type LinkRequestDoc } from './offline-link';
import { recordingRefusedJoins } from './refused-joins';

/**
 * Staff's side of `member.linkOffline` for a store card without a phone: the
 * consumer's request waits (`pending`) until staff, who can check the card at
 * the store, confirm it (the card joins the consumer's member, as if the phone's
 * digits had matched) or refuse it. A decision is final and answered the same
 * when given again; the other decision is then CONFLICT.
 *
 * A request whose card joined the consumer's member some other way meanwhile (an operator's
 * `members merge`, a re-import giving the card the consumer's phone, the consumer linking it by its
 * digits once it had a phone) waits for nothing: it is answered, not decided. It is not listed as
 * pending, confirming it answers that the card is linked already and writes nothing, and refusing it
 * is CONFLICT (the card is theirs; `members unmerge` separates them). Nothing is written on it, so
 * should the card leave the consumer again (that merge undone, a re-import moving it), the request
 * waits again as it was: no one decided it.
 */

/** Whether the request's card is already in its consumer's member: joined by something other than staff's decision. */
const linkedAlready = (card: RecordDoc | null, wechat: RecordDoc | null) => !!card?.memberId && card.memberId === wechat?.memberId;

export interface LinkRequestView {
  requestId: string;
  status: LinkRequestDoc['status'];
  /** The card's number, and the name the store has on it. */
  cardNo: string;
  cardName: string | null;
  /** The consumer asking: their bound phone, masked, for staff to compare with the card holder. */
  requesterPhone: string | null;
  at: string;
  decidedAt: string | null;
  reason: string | null;
}

async function view(services: Services, request: LinkRequestDoc): Promise<LinkRequestView> {
  const card = await services.store.get<RecordDoc>('records', request.cardRecordId);
  const requester = await services.store.get<WechatRecordDoc>('records', request.wechatRecordId);
  return {
    requestId: request._id,
    status: request.status,
    cardNo: card?.channelMemberId ?? request.cardRecordId.slice(request.cardRecordId.indexOf(':') + 1),
    cardName: card?.name ?? null,
    requesterPhone: requester?.phoneMasked ?? null,
    at: request.at,
    decidedAt: request.decidedAt ?? null,
    reason: request.reason ?? null,
  };
}

/** Requests with the given status, oldest first (a page of up to 1000; `cursor` for the next). */
export async function listLinkRequests(services: Services, status: LinkRequestDoc['status'], limit: number, cursor: string | null = null): Promise<{ requests: LinkRequestView[]; nextCursor: string | null }> {
  const requests: LinkRequestView[] = [];
  let next = cursor;
  do {
    // Pending ones whose card the consumer holds already wait for no one, and are passed over:
    // each read asks for no more than the page still lacks, so the cursor it gives stands right
    // after the last request looked at, and the next page starts where this one stopped.
    const page = await services.store.query<LinkRequestDoc>('linkRequests', { where: { status }, orderBy: 'at', limit: limit - requests.length, cursor: next });
    for (const request of page.items) {
      if (status === 'pending' && (await answeredMeanwhile(services, request))) continue;
      requests.push(await view(services, request));
    }
    next = page.nextCursor;
  } while (next && requests.length < limit);
  // a full page points to a next one only if a request still waiting follows: passed-over ones
  // alone after it would send staff to a page listing nothing
  if (next && status === 'pending' && !(await waitingAfter(services, next, limit))) next = null;
  return { requests, nextCursor: next };
}

/** Whether a pending request not answered meanwhile comes after `cursor` (read `pageSize` at a time, up to the first). */
async function waitingAfter(services: Services, cursor: string, pageSize: number): Promise<boolean> {
  for (let next: string | null = cursor; next; ) {
    const page: { items: LinkRequestDoc[]; nextCursor: string | null } = await services.store.query<LinkRequestDoc>('linkRequests', { where: { status: 'pending' }, orderBy: 'at', limit: pageSize, cursor: next });
    for (const request of page.items) if (!(await answeredMeanwhile(services, request))) return true;
    next = page.nextCursor;
  }
  return false;
}

async function answeredMeanwhile(services: Services, request: LinkRequestDoc): Promise<boolean> {
  const card = await services.store.get<RecordDoc>('records', request.cardRecordId);
  return linkedAlready(card, card && (await services.store.get<RecordDoc>('records', request.wechatRecordId)));
}

/**
 * Staff confirm the card is the consumer's: it joins their member. NOT_FOUND
 * (no such request, or its card or consumer is gone: erased), CONFLICT (refused
 * before; the card is held by another WeChat consumer; a limit forbids the join).
 * A pending request whose card is the consumer's already answers `linked`, and writes nothing.
 */
export async function confirmLinkRequest(services: Services, requestId: string): Promise<{ requestId: string; status: 'confirmed' | 'linked'; memberId: string; mergeId: string | null }> {
  return recordingRefusedJoins(services, () => services.store.transaction(async (tx) => {
    const cache = new TxCache(tx);
    const request = await cache.get<LinkRequestDoc>('linkRequests', requestId);
    if (!request) throw new AppError('NOT_FOUND', 'no such link request');
    if (request.status === 'refused') throw new AppError('CONFLICT', 'this request was refused');
    const card = await cache.get<RecordDoc>('records', request.cardRecordId);
    const wechat = await cache.get<RecordDoc>('records', request.wechatRecordId);
    if (!card || !wechat) throw new AppError('NOT_FOUND', 'the card or the consumer who asked is no longer there');
    const oneMember = linkedAlready(card, wechat);
    // joined some other way while it waited: nothing to decide, and nothing written (see above)
    if (request.status === 'pending' && oneMember) return { requestId, status: 'linked' as const, memberId: card.memberId!, mergeId: null };
    if (request.status === 'confirmed') {
      // a retry answers the same; a card an operator separated since is not joined again by it
      if (oneMember) return { requestId, status: 'confirmed' as const, memberId: wechat.memberId!, mergeId: request.mergeId ?? null };
      throw new AppError('CONFLICT', 'this request was confirmed, and the card was separated from the member since');
    }
    const at = new Date(services.clock.now()).toISOString();
    const { memberId, mergeId } = await joinCard(cache, services, card, wechat, at);
    cache.put('linkRequests', { ...request, status: 'confirmed', decidedAt: at, reason: null, mergeId });
    await cache.flush();
    return { requestId, status: 'confirmed' as const, memberId, mergeId };
  }));
}

/**
 * Staff refuse: the card stays as it is and the consumer is told to see the store. NOT_FOUND,
 * CONFLICT (confirmed before; the card joined the consumer's member some other way while it waited).
 */
export async function refuseLinkRequest(services: Services, requestId: string, reason: string | null): Promise<{ requestId: string; status: 'refused' }> {
  return services.store.transaction(async (tx) => {
    const request = await tx.get<LinkRequestDoc>('linkRequests', requestId);
    if (!request) throw new AppError('NOT_FOUND', 'no such link request');
    if (request.status === 'confirmed') throw new AppError('CONFLICT', `this request was confirmed; separate the card with members unmerge ${request.mergeId ?? 'MERGE_ID'} if that was wrong`);
    if (request.status === 'pending') {
      // a refusal would tell the consumer the store did not confirm a card their member holds
      const card = await tx.get<RecordDoc>('records', request.cardRecordId);
      const wechat = card && (await tx.get<RecordDoc>('records', request.wechatRecordId));
      if (linkedAlready(card, wechat)) {
        throw new AppError('CONFLICT', `the card is already in the consumer's member ${card!.memberId!} (joined by a merge, an import or the consumer's own link); if that is wrong, separate them with members unmerge (members merges ${card!.memberId!} lists the merge)`, { reason: 'linked_already' });
      }
      await tx.set('linkRequests', { ...request, status: 'refused', decidedAt: new Date(services.clock.now()).toISOString(), reason });
    }
    return { requestId, status: 'refused' as const };
  });
}
