import { syncMemberAccounts } from '../points/accounts.store';
import type { Services } from '../runtime/services';
import { allDocs } from '../store/all-docs';
import type { Doc } from '../store/port';
import type { TxCache } from '../store/tx-cache';
import { cluster, valueKey, type Conflict } from './cluster';
import { blockedPhoneKeys, identityRules, type IdentityRules } from './identity.rules';
import { reconcile, type RecordState } from './reconcile';
import type { RecordFields } from './records';

/**
 * The identity graph in the store. Documents:
 * - `records/{channel}:{id}`: a channel membership with its identifiers;
 * - `identifiers/{type}:{value}`: which records carry a value, per-channel
 *   counts, whether it is quarantined, and the one member it leads to (null
 *   when quarantined or held by more than one member);
 * - `members/{id}`: the records that are one person now;
 * - `merges/{id}`: every merge and split, so an operator can see and undo it;
 * - `conflicts/{type}:{value}`: joins a limit refused, for the CRM team.
 */

export interface RecordDoc extends Doc, RecordFields {
  memberId: string | null;
  homeMemberId: string | null;
  /** Records an operator separated from this one. */
  apart: string[];
  /** Value keys (`phone:…`) of this record that no longer join it (a verified link replaced an old phone). */
  ignored?: string[];
  /**
   * On a WeChat record: the keys under which joins it asked for and was refused are listed (a phone's
   * value, or a store card's own id), for erasure and for the walks of its member to find them.
   */
  refusedJoins?: string[];
  createdAt: string;
  updatedAt: string;
}

export interface ValueDoc extends Doc {
  type: string;
  value: string;
  records: string[];
  channels: Record<string, number>;
  quarantined: boolean;
  /** Set when the config's blocked phones alone set it aside: taken off that list, it joins again (not shared: not for good). */
  blocked?: true;
  memberId: string | null;
  /** Set while `conflicts/{type:value}` lists refusals on the value: a walk that finds none drops them. */
  refused?: true;
}

export interface MemberDoc extends Doc {
  status: 'active' | 'merged' | 'deleted';
  records: string[];
  createdAt: string;
  mergedInto: string | null;
  /**
   * The record the member was made for: a split leaves the id with it (reconcile.ts). Kept from
   * the first time a member's document is written since it was kept; before, the earliest-created
   * of its home records stands in.
   */
  founder?: string;
}

/**
 * The prefix of a link a consumer's proof makes (a store card linked with its digits or by staff),
 * beside an operator's merge links (`link_…`): an unmerge separates what an operator joined, never
 * a card its holder proved theirs. Card links made before it was kept are `link_…` too.
 */
export const CARD_LINK = 'card';
export const isCardLink = (identifier: { type: string; value: string }) => identifier.type === 'link' && identifier.value.startsWith(`${CARD_LINK}_`);

export interface MergeDoc extends Doc {
  kind: 'merge' | 'split';
  survivor: string;
  absorbed: string;
  /** The records the absorbed (or split-off) side brought. */
  records: string[];
  at: string;
  undoneAt: string | null;
  /** The two ids an operator's `members merge` was given (none on a merge an import made), so a retry finds it. */
  requested?: [string, string];
  /** The link value an operator's merge put on one record of each side, which its unmerge takes away. */
  link?: string;
  /** Set by `members unmerge`: the two members the sides became, so a retry answers the same. */
  undone?: { restored: string; survivor: string };
}

/** One refused join: a record of each side, why, and when it was first refused. */
export interface Refusal extends Omit<Conflict, 'type' | 'value' | 'between'> {
  between: string[];
  at: string;
  /**
   * Set on a join a consumer or staff asked for (a phone bound, a store card linked) that a limit
   * refused: the record named here does not carry the value (nothing of the refused request was
   * written), so a walk of the graph does not find the refusal again. It stays listed while both
   * records are there and in two members, and the other still carries the value (refused-joins.ts).
   */
  askedBy?: string;
}

/**
 * `conflicts/{type:value}`: the joins a value was refused, for the CRM team. The top-level fields
 * are the latest refusal (`at` orders the list); `refusals` lists each pair of sides once (a doc
 * written before it was kept holds its one refusal in the top-level fields alone).
 */
export interface ConflictDoc extends Doc, Omit<Conflict, 'between'> {
  between: string[];
  at: string;
  askedBy?: string;
  refusals?: Refusal[];
}

/** A value's refusals stop being listed past this many; by then it is a value to look at anyway. */
const REFUSALS_CAP = 50;

/** A value's conflicts document listing `refusals` (oldest first; at least one): the latest on top. */
export const conflictDoc = (id: string, type: string, value: string, refusals: Refusal[]): ConflictDoc =>
  ({ _id: id, type, value, ...refusals[refusals.length - 1]!, refusals });

export const refusalsOf = (doc: ConflictDoc): Refusal[] =>
  doc.refusals ?? [{ between: doc.between, reason: doc.reason, at: doc.at, ...(doc.limitType ? { limitType: doc.limitType } : {}), ...(doc.askedBy ? { askedBy: doc.askedBy } : {}) }];

export interface RecordChange {
  before: RecordDoc | null;
  /** Null removes the record (erasure). */
  after: RecordDoc | null;
}

export interface GraphOutcome {
  /** Member id of every record the change touched. */
  assignment: Map<string, string>;
  createdMembers: string[];
  /** Merge and split events written. */
  merges: MergeDoc[];
  /** Joins refused for the first time (recorded in `conflicts`). */
  conflicts: number;
  quarantined: string[];
}

/** A value stops listing records past this; by then it is a shared value by any standard. */
const RECORDS_CAP = 64;

/** The `channels` key of buyer records (`buyer:<channel>-<phone key>`, identity/buyers.ts). */
const BUYER_CHANNEL = 'buyer';

/**
 * Whether a value joins no one under the rules as configured now: set aside as shared (for good,
 * also once a later file corrects some of its records), on more records of one channel than the
 * threshold allows now (a threshold lowered since it was counted), or a phone blocked now. One set
 * aside only because the config blocked it (`blocked`) follows the config when the number comes off.
 */
export function asideState(doc: ValueDoc, rules: IdentityRules): { quarantined: boolean; blocked: boolean } {
  // Buyer records (identity/buyers.ts: one per channel an order file knows the phone in) are one
  // buyer's stand-ins, not records of one channel: however many, they make no number a shop's.
  const shared = (doc.quarantined && !doc.blocked) || Object.entries(doc.channels).some(([channel, count]) => channel !== BUYER_CHANNEL && count > rules.quarantineThreshold);
  const blocked = !shared && rules.isBlocked(doc);
  return { quarantined: shared || blocked, blocked };
}

export const setAside = (doc: ValueDoc, rules: IdentityRules): boolean => asideState(doc, rules).quarantined;

function withAside(doc: ValueDoc, state: { quarantined: boolean; blocked: boolean }): ValueDoc {
  const { blocked: _was, ...rest } = doc;
  return { ...rest, quarantined: state.quarantined, ...(state.blocked ? { blocked: true as const } : {}) };
}

/**
 * One connected part of the graph this large means a join key is shared but
 * not yet quarantined: worth a warning. (A person has a record or two per
 * channel; the region as a whole holds a whole batch's records and is no sign.)
 */
const COMPONENT_WARN = 200;

/** Identifier types that are not a channel's membership id (so no record has them as its id). */
const NOT_CHANNELS = new Set(['phone', 'email', 'unionid', 'openid', 'link']);

const channelOf = (recordId: string) => recordId.slice(0, recordId.indexOf(':'));

/**
 * Applies record changes and re-derives the members of every record they can
 * reach, all inside the caller's transaction. The members that result are the
 * same whatever order the changes came in (see cluster.ts).
 */
export async function applyRecordChanges(cache: TxCache, services: Services, changes: RecordChange[]): Promise<GraphOutcome> {
  const rules = identityRules(services);
  const at = new Date(services.clock.now()).toISOString();
  const seeds = new Set<string>();
  const flipped: string[] = [];
  const dropped = new Set<string>();

  for (const { before, after } of changes) {
    const id = (after ?? before)!._id;
    seeds.add(id);
    // a value the record now ignores (a linked store card's old phone) no longer joins or refuses through it
    for (const key of after?.ignored ?? []) if (!before?.ignored?.includes(key)) dropped.add(key);
    // and one it takes into account again (the link undone) may join it to the value's other records
    for (const key of before?.ignored ?? []) if (after && !after.ignored?.includes(key)) dropped.add(key);
    // A record's own channel id needs no identifiers document: its key is the record's id.
    const oldKeys = new Set((before?.identifiers ?? []).map(valueKey).filter((key) => key !== id));
    const newKeys = new Map((after?.identifiers ?? []).map((i) => [valueKey(i), i] as const).filter(([key]) => key !== id));
    for (const key of oldKeys) {
      if (newKeys.has(key)) continue;
      const doc = await cache.get<ValueDoc>('identifiers', key);
      if (!doc) continue;
      dropped.add(key);
      const records = doc.records.filter((r) => r !== id);
      const channel = channelOf(id);
      const channels = { ...doc.channels, [channel]: Math.max(0, (doc.channels[channel] ?? 1) - 1) };
      // A value no record carries any more is forgotten (erasure leaves no phone hash behind). The
      // counts say so, not the list: past RECORDS_CAP it lists only some, and a shared value whose
      // listed records all dropped it must stay set aside for the others still carrying it.
      if (Object.values(channels).every((count) => count === 0)) {
        cache.remove('identifiers', key);
        // and so are the joins it refused
        if (doc.refused) cache.remove('conflicts', key);
      }
      else cache.put('identifiers', { ...doc, records, channels });
    }
    for (const [key, identifier] of newKeys) {
      if (oldKeys.has(key)) continue;
      const doc = (await cache.get<ValueDoc>('identifiers', key)) ?? { _id: key, ...identifier, records: [], channels: {}, quarantined: false, memberId: null };
      if (doc.records.includes(id)) continue;
      const channel = channelOf(id);
      const channels = { ...doc.channels, [channel]: (doc.channels[channel] ?? 0) + 1 };
      const records = doc.records.length < RECORDS_CAP ? [...doc.records, id] : doc.records;
      const state = doc.records.length >= RECORDS_CAP ? { quarantined: true, blocked: false } : asideState({ ...doc, channels }, rules);
      if (state.quarantined && !doc.quarantined) flipped.push(key);
      cache.put('identifiers', withAside({ ...doc, records, channels }, state));
    }
    if (after) cache.put('records', after);
    else cache.remove('records', id);
  }
  // A value that just became shared may have joined records earlier: look at them again.
  for (const key of flipped) for (const id of (await cache.get<ValueDoc>('identifiers', key))!.records) seeds.add(id);
  // A value a record dropped may have refused a join through it: its other records are looked at
  // again, and a refusal on it that no longer holds goes (below).
  for (const key of dropped) for (const id of (await cache.get<ValueDoc>('identifiers', key))?.records ?? []) seeds.add(id);
  // Records removed from a member leave its other records to be looked at again.
  for (const { before, after } of changes) {
    if (before?.memberId && !after) for (const id of (await cache.get<MemberDoc>('members', before.memberId))?.records ?? []) seeds.add(id);
  }

  // The region: every record reachable from the seeds through joinable values or a shared member.
  const region = new Map<string, RecordDoc>();
  const excluded = new Set<string>();
  const valueDocs = new Map<string, ValueDoc>();
  // walked one connected part at a time, to know the largest
  const seen = new Set<string>();
  let largestComponent = 0;
  for (const seed of seeds) {
    if (seen.has(seed)) continue;
    seen.add(seed);
    const queue = [seed];
    const regionBefore = region.size;
    while (queue.length) {
      const record = await cache.get<RecordDoc>('records', queue.pop()!);
      if (!record) continue;
      region.set(record._id, record);
      const next: string[] = [];
      for (const identifier of record.identifiers) {
        const key = valueKey(identifier);
        if (record.ignored?.includes(key)) continue;
        // a channel id is also carried by that channel's own record, if it exists
        if (key !== record._id && !NOT_CHANNELS.has(identifier.type) && (await cache.get<RecordDoc>('records', key))) next.push(key);
        let doc = await cache.get<ValueDoc>('identifiers', key);
        if (!doc) continue;
        // the rules as configured now (a number blocked or unblocked, a threshold lowered since)
        const state = asideState(doc, rules);
        if (state.quarantined !== doc.quarantined || state.blocked !== !!doc.blocked) {
          if (state.quarantined && !doc.quarantined) flipped.push(key);
          cache.put('identifiers', (doc = withAside(doc, state)));
        }
        valueDocs.set(key, doc);
        if (doc.quarantined) excluded.add(key);
        else next.push(...doc.records);
      }
      if (record.memberId) next.push(...((await cache.get<MemberDoc>('members', record.memberId))?.records ?? []));
      // and its home member's, which the record may go back to (an unmerge, the walk giving it its own
      // id back): one living on with other records must be walked whole, or it is handed to this
      // record with the others left pointing at it
      if (record.homeMemberId && record.homeMemberId !== record.memberId) next.push(...((await cache.get<MemberDoc>('members', record.homeMemberId))?.records ?? []));
      for (const id of next) if (!seen.has(id)) { seen.add(id); queue.push(id); }
    }
    largestComponent = Math.max(largestComponent, region.size - regionBefore);
  }
  if (largestComponent > COMPONENT_WARN) services.log.warn('identity_component_large', { records: largestComponent, region: region.size });

  const clustering = cluster(
    [...region.values()].map((r) => ({ id: r._id, identifiers: r.ignored?.length ? r.identifiers.filter((i) => !r.ignored!.includes(valueKey(i))) : r.identifiers, apart: r.apart })),
    excluded,
    rules,
  );
  const states = new Map<string, RecordState>();
  const createdAt = new Map<string, string>();
  const founders = new Map<string, string>();
  const oldMembers = new Map<string, MemberDoc>();
  for (const record of region.values()) {
    states.set(record._id, { memberId: record.memberId, homeMemberId: record.homeMemberId, createdAt: record.createdAt });
    for (const memberId of [record.memberId, record.homeMemberId]) {
      if (!memberId || oldMembers.has(memberId)) continue;
      const member = await cache.get<MemberDoc>('members', memberId);
      if (member) {
        oldMembers.set(memberId, member);
        if (member.status !== 'deleted') createdAt.set(memberId, member.createdAt);
        if (member.founder) founders.set(memberId, member.founder);
      }
    }
  }
  const plan = reconcile(clustering.groups, states, createdAt, () => services.ids.next('m'), founders);

  const touched: { memberId: string; recordIds: string[] }[] = [];
  for (const [memberId, recordIds] of plan.members) {
    const old = oldMembers.get(memberId);
    const founder = plan.founders.get(memberId) ?? old?.founder;
    const doc: MemberDoc = { _id: memberId, status: 'active', records: recordIds, createdAt: old?.createdAt ?? at, mergedInto: null, ...(founder ? { founder } : {}) };
    // a member whose records stay as they were is not written for a founder it did not keep yet
    const founderMoved = old?.founder !== undefined && old.founder !== founder;
    if (!old || old.status !== 'active' || old.mergedInto || !sameList(old.records, recordIds) || founderMoved) cache.put('members', doc);
    touched.push({ memberId, recordIds });
  }
  const merges: MergeDoc[] = [];
  for (const { memberId, into, records } of plan.retired) {
    cache.put('members', { ...oldMembers.get(memberId)!, status: 'merged', records: [], mergedInto: into });
    // Its records joined each member that was live before (a merge of it into that one), and left
    // it for each member that was not (one taking its own id back, one made now): nobody merged it
    // into those, so that is a split, as when a member lives on.
    const wasLive = (id: string) => id !== memberId && oldMembers.get(id)?.status === 'active';
    const to = new Map<string, string[]>();
    for (const id of records) {
      const assigned = plan.assignment.get(id);
      if (assigned) to.set(assigned, [...(to.get(assigned) ?? []), id]);
    }
    for (const [member, ids] of to) {
      merges.push(wasLive(member)
        ? { _id: services.ids.next('mg'), kind: 'merge', survivor: member, absorbed: memberId, records: ids, at, undoneAt: null }
        : { _id: services.ids.next('mg'), kind: 'split', survivor: memberId, absorbed: member, records: ids, at, undoneAt: null });
    }
    touched.push({ memberId, recordIds: [] });
  }
  // Records that left a member that lives on (a shared value found late): a split.
  const splits = new Map<string, { from: string; to: string; records: string[] }>();
  for (const record of region.values()) {
    const to = plan.assignment.get(record._id)!;
    if (record.memberId && record.memberId !== to && plan.members.has(record.memberId)) {
      const key = `${record.memberId}>${to}`;
      const split = splits.get(key) ?? { from: record.memberId, to, records: [] };
      split.records.push(record._id);
      splits.set(key, split);
    }
  }
  for (const split of splits.values()) {
    merges.push({ _id: services.ids.next('mg'), kind: 'split', survivor: split.from, absorbed: split.to, records: split.records, at, undoneAt: null });
  }
  for (const merge of merges) cache.put('merges', merge);

  for (const record of region.values()) {
    const memberId = plan.assignment.get(record._id)!;
    const homeMemberId = plan.rehomed.get(record._id) ?? record.homeMemberId;
    if (memberId !== record.memberId || homeMemberId !== record.homeMemberId) cache.put('records', { ...record, memberId, homeMemberId });
  }
  // A value a record just set aside (a linked store card's old phone) is not walked through that
  // record: it still leads to the member the card was in, which the link may have merged away.
  // Nor is one set aside before by a record of the region, which may have moved to another member
  // (or left one that erasure then takes away): the value follows it.
  const unwalked = new Set([...dropped, ...[...region.values()].flatMap((record) => record.ignored ?? [])]);
  for (const key of unwalked) {
    if (valueDocs.has(key)) continue;
    const doc = await cache.get<ValueDoc>('identifiers', key);
    if (doc && doc.records.every((id) => plan.assignment.has(id))) valueDocs.set(key, doc);
  }
  for (const doc of valueDocs.values()) {
    const holders = new Set(doc.records.map((id) => plan.assignment.get(id)).filter(Boolean));
    const memberId = !doc.quarantined && holders.size === 1 ? [...holders][0]! : null;
    const fresh = await cache.get<ValueDoc>('identifiers', doc._id);
    if (fresh && fresh.memberId !== memberId) cache.put('identifiers', { ...fresh, memberId });
  }
  // Each refused join is recorded, and counted, once. The region holds every record of a value
  // that refuses a join (a value is walked whole), so its refusals found now are all it has: one
  // recorded before whose two records are on the two sides of one found now is that one and keeps
  // its time; the others recorded no longer hold and go; the rest found are new.
  let refusedNow = 0;
  const sidesKey = (pair: readonly string[]) => pair.map((id) => plan.assignment.get(id) ?? `?${id}`).sort().join('\n');
  const byValue = new Map<string, typeof clustering.conflicts>();
  for (const conflict of clustering.conflicts) {
    const id = `${conflict.type}:${conflict.value}`;
    byValue.set(id, [...(byValue.get(id) ?? []), conflict]);
  }
  // A value walked here that refuses nothing now (a record dropped it, a limit no longer bites, or
  // it was set aside as shared, joining and so refusing no one): its refusals no longer hold.
  const refusing = new Set([...flipped, ...[...valueDocs.values()].filter((doc) => doc.refused).map((doc) => doc._id)]);
  for (const key of dropped) if ((await cache.get<ValueDoc>('identifiers', key))?.refused) refusing.add(key);
  // A join asked for and refused (a phone bound, refused-joins.ts) is no walk's to find again: it stays
  // while both its records are there and still in two members (none, once the value is set aside), and
  // the side it was refused against still carries the value.
  // Two asked on one value whose sides are the same two members now (the records they named joined
  // since) are one refusal, as recordRefusedJoins would have recorded it: the first (oldest) stays.
  const memberNow = async (id: string) => plan.assignment.get(id) ?? (await cache.get<RecordDoc>('records', id))?.memberId ?? null;
  const askedStanding = async (key: string, doc: ConflictDoc | null): Promise<Refusal[]> => {
    if (!doc || flipped.includes(key)) return [];
    const standing: Refusal[] = [];
    const pairs = new Set<string>();
    for (const refusal of refusalsOf(doc)) {
      if (!refusal.askedBy) continue;
      const a = await memberNow(refusal.between[0]!);
      const b = await memberNow(refusal.between[1]!);
      if (!a || !b || a === b) continue;
      // the side it was refused against no longer carries the value (its next export gave it another
      // phone): it no longer stands, as recordRefusedJoins would not have recorded it
      const otherId = refusal.between.find((id) => id !== refusal.askedBy);
      const other = otherId ? await cache.get<RecordDoc>('records', otherId) : null;
      if (other && other._id !== key && !(other.identifiers.some((i) => `${i.type}:${i.value}` === key) && !other.ignored?.includes(key))) continue;
      const pair = [a, b].sort().join('\n');
      if (pairs.has(pair)) continue;
      pairs.add(pair);
      standing.push(refusal);
    }
    return standing;
  };
  for (const key of refusing) {
    if (byValue.has(key)) continue;
    const doc = await cache.get<ConflictDoc>('conflicts', key);
    const asked = await askedStanding(key, doc);
    if (asked.length) {
      if (JSON.stringify(refusalsOf(doc!)) !== JSON.stringify(asked)) cache.put('conflicts', conflictDoc(key, doc!.type, doc!.value, asked));
      continue;
    }
    if (doc) cache.remove('conflicts', key);
    const value = await cache.get<ValueDoc>('identifiers', key);
    if (value?.refused) {
      const { refused: _gone, ...rest } = value;
      cache.put('identifiers', rest);
    }
  }
  for (const [id, found] of byValue) {
    const doc = await cache.get<ConflictDoc>('conflicts', id);
    const recorded = doc ? refusalsOf(doc) : [];
    const refusals: Refusal[] = [];
    for (const { between, reason, limitType } of found.slice(0, REFUSALS_CAP)) {
      // the same refusal: the records it named (carriers of the value) are on its two sides now
      const same = recorded.find((old) => !old.askedBy && sidesKey(old.between) === sidesKey(between));
      if (!same) refusedNow++;
      refusals.push({ between, reason, at: same?.at ?? at, ...(limitType ? { limitType } : {}) });
    }
    // and the joins asked for and refused that still stand, unless the graph refuses the same sides itself now
    for (const asked of await askedStanding(id, doc)) {
      if (!refusals.some((r) => sidesKey(r.between) === sidesKey(asked.between))) refusals.push(asked);
    }
    refusals.sort((x, y) => (x.at < y.at ? -1 : x.at > y.at ? 1 : 0));
    const { type, value } = found[0]!;
    if (!doc || JSON.stringify(refusalsOf(doc)) !== JSON.stringify(refusals)) cache.put('conflicts', conflictDoc(id, type, value, refusals));
    const carried = await cache.get<ValueDoc>('identifiers', id);
    if (carried && !carried.refused) cache.put('identifiers', { ...carried, refused: true });
  }

  // A store card refused is listed under the card's own id, which has no identifiers document, so no
  // walk of a value reads it: the asking record notes the key, and the walks of that record look at
  // its refusals again, keeping those that still stand (others, the graph's, are the value's walk's).
  const askedUnder = new Set<string>();
  for (const record of region.values()) {
    for (const key of record.refusedJoins ?? []) if (!refusing.has(key) && !byValue.has(key) && !valueDocs.has(key)) askedUnder.add(key);
  }
  for (const key of askedUnder) {
    const doc = await cache.get<ConflictDoc>('conflicts', key);
    if (!doc) continue;
    const standing = new Set((await askedStanding(key, doc)).map((refusal) => JSON.stringify(refusal)));
    const recorded = refusalsOf(doc);
    const kept = recorded.filter((refusal) => !refusal.askedBy || standing.has(JSON.stringify(refusal)));
    if (kept.length === recorded.length) continue;
    if (kept.length) {
      cache.put('conflicts', conflictDoc(key, doc.type, doc.value, kept));
      continue;
    }
    cache.remove('conflicts', key);
    const value = await cache.get<ValueDoc>('identifiers', key);
    if (value?.refused) {
      const { refused: _gone, ...rest } = value;
      cache.put('identifiers', rest);
    }
  }

  // points share this transaction's cache: every document is written once, below
  await syncMemberAccounts(cache, services, touched);
  await cache.flush();
  return {
    assignment: plan.assignment,
    createdMembers: plan.created,
    merges,
    conflicts: refusedNow,
    quarantined: flipped,
  };
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * Versions before the `blocked` mark set a blocked number's value aside like a shared one, which is
 * for good: taken off the list, it would never join again. The values of the numbers blocked now
 * that no channel shares past the threshold are marked, so that taking one off later frees it. A
 * read per blocked number; run at each members import (a number the brand took off the list before
 * any import under this version stays set aside).
 */
export async function markBlockedValues(services: Services): Promise<void> {
  const rules = identityRules(services);
  // set aside, unmarked, and with the mark set aside as blocked alone (a value at the records cap is shared)
  const unmarked = (doc: ValueDoc | null): doc is ValueDoc => !!doc?.quarantined && !doc.blocked && doc.records.length < RECORDS_CAP
    && asideState({ ...doc, blocked: true }, rules).blocked;
  for (const key of blockedPhoneKeys(services)) {
    const id = valueKey({ type: 'phone', value: key });
    if (!unmarked(await services.store.get<ValueDoc>('identifiers', id))) continue;
    await services.store.transaction(async (tx) => {
      const doc = await tx.get<ValueDoc>('identifiers', id);
      if (unmarked(doc)) await tx.set('identifiers', { ...doc, blocked: true });
    });
  }
}

/** Set once every value listed in `conflicts` carries its `refused` flag (see flagRefusedValues). */
const REFUSALS_FLAGGED = 'refusalsFlagged';

/**
 * Refusals recorded before values carried the `refused` flag: each one's value is flagged once,
 * so that a walk finding the value refuses nothing drops them. Reads one settings document after
 * it has run; writes nothing on a database without refusals.
 */
export async function flagRefusedValues(services: Services): Promise<void> {
  if (await services.store.get('settings', REFUSALS_FLAGGED)) return;
  let seen = 0;
  for await (const conflict of allDocs<ConflictDoc>(services.store, 'conflicts')) {
    seen++;
    await services.store.transaction(async (tx) => {
      // read again: a walk committed since the listing may have dropped its refusals and the flag with them
      if (!(await tx.get('conflicts', conflict._id))) return;
      const value = await tx.get<ValueDoc>('identifiers', conflict._id);
      if (value && !value.refused) await tx.set('identifiers', { ...value, refused: true });
      // a value no record carries any more (a channel's id is its record's own and has no document)
      if (!value && !(await tx.get('records', conflict._id))) await tx.remove('conflicts', conflict._id);
    });
  }
  if (seen > 0) await services.store.transaction((tx) => tx.set('settings', { _id: REFUSALS_FLAGGED, at: new Date(services.clock.now()).toISOString() }));
}
