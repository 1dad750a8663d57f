import { levelFor } from '../levels/rules';
import { dueTotal } from '../points/rules';
import { pointsSummary } from '../points/summary.store';
import { COLLECTION, type AccountDoc } from '../points/types';
import { AppError } from '../runtime/errors';
import { allDocs } from '../store/all-docs';
import { decodeCursor, encodeCursor } from '../store/cursor';
import type { Services } from '../runtime/services';
import { readingSnapshot, StoreQueryError, type Doc } from '../store/port';
import { TxCache } from '../store/tx-cache';
import { applyRecordChanges, asideState, isCardLink, refusalsOf, setAside, type ConflictDoc, type MergeDoc, type MemberDoc, type RecordDoc, type ValueDoc } from './graph.store';
import { cluster, valueKey, type ClusterRecord } from './cluster';
import { identityRules } from './identity.rules';
import { liveMember } from './lookup';
import { normalizePhone, phoneKey } from './normalize';

/**
 * The CRM team's corrections. A manual merge is an identifier (`link:<id>`)
 * put on one record of each member, so it survives re-imports and joins like
 * any shared value, limits included. An unmerge keeps the two sides' records
 * apart from then on; each side gets back its own id and its own accounts.
 */

/** A merge's answer; `repeated` when the two were already joined by this merge (a retry), and nothing was written. */
export type MergeOutcome = MergeDoc & { repeated?: true };

export async function mergeMembers(services: Services, a: string, b: string): Promise<MergeOutcome> {
  if (a === b) throw new AppError('INVALID_INPUT', 'a member cannot be merged with itself');
  const joined = await services.store.transaction(async (tx): Promise<MergeDoc | 'already one'> => {
    const cache = new TxCache(tx);
    const get = cache.get.bind(cache);
    const [left, right] = [await liveMember(get, a), await liveMember(get, b)];
    if (!left || !right) throw new AppError('NOT_FOUND', 'both members must exist and be live');
    if (left._id === right._id) return 'already one';
    const linkId = services.ids.next('link');
    const changes = [];
    const linked = new Set<string>();
    for (const member of [left, right]) {
      // The link goes on the member's founding record if it still holds it, else on a record the
      // member is home to, never on one an earlier merge brought it or that joined it since:
      // undoing that earlier merge then takes only its own link away, never this one, and the
      // record carrying this link stays on this member's side of it.
      const records = await cache.getMany<RecordDoc>('records', member.records);
      const homes = member.records.map((id) => records.get(id)!).filter((r) => r.homeMemberId === member._id);
      const founded = homes.find((r) => r._id === member.founder)
        ?? homes.sort((x, y) => (x.createdAt < y.createdAt ? -1 : x.createdAt > y.createdAt ? 1 : x._id < y._id ? -1 : 1))[0];
      const record = founded ?? records.get(member.records[0]!)!;
      linked.add(record._id);
      const apart = record.apart.filter((id) => !(left.records.includes(id) || right.records.includes(id)));
      changes.push({ before: record, after: { ...record, apart, identifiers: [...record.identifiers, { type: 'link', value: linkId }] } });
    }
    // An earlier unmerge kept these apart: the operator now says otherwise.
    for (const member of [left, right]) {
      for (const id of member.records) {
        if (linked.has(id)) continue;
        const record = (await cache.get<RecordDoc>('records', id))!;
        const apart = record.apart.filter((other) => !(left.records.includes(other) || right.records.includes(other)));
        if (apart.length !== record.apart.length) changes.push({ before: record, after: { ...record, apart } });
      }
    }
    const outcome = await applyRecordChanges(cache, services, changes);
    // the join of these two: the walk may write others beside it (a buyer known by phone alone that
    // waited while two members held its phone joins the one they are now), which are not this merge
    const sides = new Set([left._id, right._id]);
    const merge = outcome.merges.find((m) => m.kind === 'merge' && sides.has(m.absorbed) && sides.has(m.survivor))
      ?? outcome.merges.find((m) => m.kind === 'merge' && sides.has(m.absorbed));
    // all of both, or nothing: the link, tried first, may join one side's records while a limit
    // then tears the other member apart (the transaction is rolled back)
    const joined = new Set([...left.records, ...right.records].map((id) => outcome.assignment.get(id)));
    if (!merge || joined.size !== 1) throw new AppError('CONFLICT', 'a limit forbids joining these members (e.g. two different phones)');
    // the ids as given, which a retry gives again (one may have been merged into another before)
    const made: MergeDoc = { ...merge, requested: [a, b], link: linkId };
    await tx.set('merges', made);
    return made;
  });
  if (joined !== 'already one') return joined;
  // A retry (the first answer was lost): the operator's merge of these two, still in force, is the
  // answer again. Queries cannot run inside a transaction; a read-only answer needs none.
  const earlier = await operatorMergeOf(services, a, b);
  if (!earlier) throw new AppError('CONFLICT', 'these members are already one (joined by a shared identifier or other merges, not by a merge of these two)');
  return { ...earlier, repeated: true };
}

/** The operator's merge in force that was given these two ids, if any. */
async function operatorMergeOf(services: Services, a: string, b: string): Promise<MergeDoc | null> {
  // it absorbed one of the ids each side has gone by: the one given, or one it was merged into since
  const ids = new Set<string>();
  for (const given of [a, b]) {
    let member = await services.store.get<MemberDoc>('members', given);
    ids.add(given);
    for (let hops = 0; member?.mergedInto && hops < 32; hops++) {
      ids.add(member.mergedInto);
      member = await services.store.get<MemberDoc>('members', member.mergedInto);
    }
  }
  // every merge of each: undone ones are kept, so the one in force may come after any number of them
  for (const absorbed of ids) {
    for await (const m of allDocs<MergeDoc>(services.store, 'merges', { where: { absorbed } })) {
      if (!m.undoneAt && m.requested && new Set([...m.requested, a, b]).size === 2) return m;
    }
  }
  return null;
}

/** A merge in force, as the operator reviews it before `members unmerge`. */
export interface MergeView {
  mergeId: string;
  at: string;
  /** The member id each side had when they were joined. */
  survivor: string;
  absorbed: string;
  /** The records the absorbed side brought that the member still holds. */
  records: string[];
  /** Who joined them: an operator (`members merge`), a store card linked, or a shared identifier (an import, a phone binding). */
  by: 'operator' | 'card' | 'shared';
}

/** A merge in force under a live member, with the merges above it (those that brought its survivor in). */
interface MergeInTree {
  merge: MergeDoc;
  above: ReadonlySet<string>;
}

/**
 * The merges in force that made a live member what it is: those into it and, through them, those
 * into the members it absorbed. Queries: outside a transaction.
 */
async function mergeTree(services: Services, memberId: string): Promise<MergeInTree[]> {
  const tree: MergeInTree[] = [];
  const seen = new Set<string>();
  for (const queue: { survivor: string; above: ReadonlySet<string>; split?: MergeDoc; kept?: ReadonlySet<string> }[] = [{ survivor: memberId, above: new Set() }]; queue.length; ) {
    const { survivor, above, split: left, kept } = queue.shift()!;
    if (seen.has(survivor)) continue;
    seen.add(survivor);
    for await (const merge of allDocs<MergeDoc>(services.store, 'merges', { where: { survivor } })) {
      if (merge.kind !== 'merge' || merge.undoneAt) continue;
      // reached through the split that retired it: only a merge whose records came here with others
      // of its survivor's (not one whose side alone came here, torn from the side it joined)
      if (left && !(merge.records.some((id) => left.records.includes(id)) && (await carriedWithOthers(services, merge, left)))) continue;
      // (nor, when the member the split left lives on, one it still holds records of: listed there)
      if (kept && merge.records.some((id) => kept.has(id))) continue;
      tree.push({ merge, above });
      // the merges into the member it absorbed, unless that member is live again (an unmerge or a
      // split gave it its id back): it lists them itself, and a merge is listed under one member
      if ((await services.store.get<MemberDoc>('members', merge.absorbed))?.status === 'active') continue;
      queue.push({ survivor: merge.absorbed, above: new Set([...above, merge._id]) });
    }
    // A member its records all left (some for this one, which was not live then) was merged into
    // no one: the merges made into it that this member holds the records of are this member's. So
    // are they when it lives on with others (a re-import gave the card two consumers bound their
    // phone to another phone: the card keeps its member, the consumers leave it together), as
    // long as it holds none of their records.
    for await (const split of allDocs<MergeDoc>(services.store, 'merges', { where: { absorbed: survivor } })) {
      if (split.kind !== 'split' || seen.has(split.survivor)) continue;
      const from = await services.store.get<MemberDoc>('members', split.survivor);
      if (from?.status === 'merged') queue.push({ survivor: split.survivor, above, split });
      else if (from?.status === 'active') queue.push({ survivor: split.survivor, above, split, kept: new Set(from.records) });
    }
  }
  return tree;
}

/**
 * Whether a split took records of `merge` away together with others that are not its absorbed
 * side's: a store card linked to one of its records (by another link than its own) goes back with
 * it when it is undone (`sidesOf`), so it is no other side to separate from.
 */
async function carriedWithOthers(services: Services, merge: MergeDoc, split: MergeDoc): Promise<boolean> {
  const others = split.records.filter((id) => !merge.records.includes(id));
  if (!others.length) return false;
  const links = async (id: string) => ((await services.store.get<RecordDoc>('records', id))?.identifiers ?? [])
    .filter((i) => isCardLink(i) && i.value !== merge.link).map((i) => i.value);
  const side = new Set<string>();
  for (const id of merge.records) for (const link of await links(id)) side.add(link);
  const rest = new Map(await Promise.all(others.map(async (id) => [id, await links(id)] as const)));
  for (let grown = true; grown; ) {
    grown = false;
    for (const [id, own] of rest) {
      if (!own.some((link) => side.has(link))) continue;
      for (const link of own) side.add(link);
      rest.delete(id);
      grown = true;
    }
  }
  return rest.size > 0;
}

/**
 * The live member a merge in force is listed under and undone in: the member its survivor is in,
 * else (its records left its survivor's member, retired or living on without them) the member
 * holding its records whose merges include it.
 */
async function holderOf(services: Services, merge: MergeDoc): Promise<MemberDoc | null> {
  const get = services.store.get.bind(services.store);
  const live = await liveMember(get, merge.survivor);
  if (live && merge.records.some((id) => live.records.includes(id))) return live;
  for (const id of merge.records) {
    const holder = await liveMember(get, (await get<RecordDoc>('records', id))?.memberId ?? null);
    if (holder && holder._id !== live?._id && (await mergeTree(services, holder._id)).some((n) => n.merge._id === merge._id)) return holder;
  }
  return live;
}

/**
 * The records of `node`'s merge that a later merge brought back after a split or an unmerge had
 * taken them away (a member separated, then merged back in by the operator): that later merge
 * accounts for them, and undoing this one leaves them. A merge above this one brought them along
 * with its survivor, and takes none of them.
 */
function broughtBackSince(node: MergeInTree, tree: readonly MergeInTree[]): Set<string> {
  const later = new Set(tree.filter(({ merge }) => merge.at > node.merge.at && !node.above.has(merge._id)).flatMap(({ merge }) => merge.records));
  return new Set(node.merge.records.filter((id) => later.has(id)));
}

/**
 * The merges in force that made a member what it is, newest first: those into it and, through
 * them, those into the members it absorbed. Imports and phone bindings join members without
 * printing the merge, so this is where an operator finds the id `members unmerge` takes.
 */
export async function mergesOf(services: Services, memberId: string): Promise<{ memberId: string; merges: MergeView[] }> {
  const live = await liveMember(services.store.get.bind(services.store), memberId);
  if (!live) throw new AppError('NOT_FOUND', `no live member ${memberId}`);
  const held = new Set(live.records);
  const tree = await mergeTree(services, live._id);
  const merges: MergeView[] = [];
  for (const node of tree) {
    const { merge } = node;
    // what a later split or unmerge took away is not this member's to separate any more
    const back = broughtBackSince(node, tree);
    const records = merge.records.filter((id) => held.has(id) && !back.has(id));
    // nor is one whose records are all the member holds: its survivor's side left it (a merge into a
    // member whose records a re-import took elsewhere), and there is nothing of it to separate
    if (!records.length || records.length === held.size) continue;
    const by = merge.requested ? 'operator' : merge.link && isCardLink({ type: 'link', value: merge.link }) ? 'card' : 'shared';
    merges.push({ mergeId: merge._id, at: merge.at, survivor: merge.survivor, absorbed: merge.absorbed, records, by });
  }
  merges.sort((x, y) => (x.at > y.at ? -1 : x.at < y.at ? 1 : 0));
  return { memberId: live._id, merges };
}

/** An unmerge's answer; `repeated` when the merge was undone before (a retry): the first answer again, nothing written. */
export interface UnmergeOutcome {
  restored: string;
  survivor: string;
  undoneAt: string;
  repeated?: true;
}

/**
 * Read before a merge's unmerge's transaction: the records it brought that later merges brought back
 * since (`broughtBackSince`); the records that were not its survivor's when it was made (those later
 * merges into the member brought, `members merge`, a card linked, an import joining another member,
 * and those on the other side of the merges that brought its survivor in since), which go with
 * either side by what they share; and the other merges in force that made the member it is in.
 */
async function mergedBackSince(services: Services, mergeId: string): Promise<{ mergedBack: Set<string>; later: Set<string>; others: string[]; holder?: string; held: string[] }> {
  const merge = await services.store.get<MergeDoc>('merges', mergeId);
  if (!merge || merge.kind !== 'merge' || merge.undoneAt) return { mergedBack: new Set(), later: new Set(), others: [], held: [] };
  const live = await holderOf(services, merge);
  const tree = live ? await mergeTree(services, live._id) : [];
  const node = tree.find((n) => n.merge._id === mergeId);
  const later = new Set(tree.filter((n) => n !== node && n.merge.at >= merge.at && !node?.above.has(n.merge._id)).flatMap((n) => n.merge.records));
  // Those above it brought its survivor (and it) into another member: what was on their other side
  // (the member an operator merged it into, a card the consumer linked) was not the survivor's.
  for (const above of tree.filter((n) => node?.above.has(n.merge._id))) {
    const held = new Set(above.merge.records);
    for (const id of (live?.records ?? [])) if (!held.has(id)) later.add(id);
  }
  return {
    mergedBack: node ? broughtBackSince(node, tree) : new Set(), later, others: tree.map((n) => n.merge._id).filter((id) => id !== mergeId), holder: live?._id,
    held: live?.records ?? [],
  };
}

/** Runs of an unmerge whose member changed between its queries and its transaction, before it is given up. */
const UNMERGE_RUNS = 5;

export async function unmergeMembers(services: Services, mergeId: string): Promise<UnmergeOutcome> {
  for (let run = 1; run <= UNMERGE_RUNS; run++) {
    const outcome = await unmergeOnce(services, mergeId);
    if (outcome) return outcome;
  }
  throw new AppError('CONFLICT', 'the member kept changing while it was being separated; try again');
}

/** The unmerge, or null when the member it is in changed since the queries read it (they are read again). */
async function unmergeOnce(services: Services, mergeId: string): Promise<UnmergeOutcome | null> {
  // queries cannot run inside a transaction
  const { mergedBack, later, others: otherMerges, holder: listedUnder, held } = await mergedBackSince(services, mergeId);
  return services.store.transaction(async (tx): Promise<UnmergeOutcome | null> => {
    const cache = new TxCache(tx);
    const merge = await cache.get<MergeDoc>('merges', mergeId);
    if (!merge || merge.kind !== 'merge') throw new AppError('NOT_FOUND', 'no such merge');
    if (merge.undoneAt) {
      const { restored, survivor } = merge.undone ?? { restored: merge.absorbed, survivor: merge.survivor };
      return { restored, survivor, undoneAt: merge.undoneAt, repeated: true as const };
    }
    // the member it was listed under (read before), while it still holds its records
    const listed = listedUnder ? await liveMember(cache.get.bind(cache), listedUnder) : null;
    const survivor = listed && merge.records.some((id) => listed.records.includes(id)) ? listed : await liveMember(cache.get.bind(cache), merge.survivor);
    if (!survivor) throw new AppError('CONFLICT', 'the surviving member is gone');
    // a merge, an import or an unmerge committed since the queries changed the member: what they
    // found (the records later merges brought, the merges in force) is of another member now
    if (survivor.records.length !== held.length || survivor.records.some((id) => !held.includes(id))) return null;
    const records = new Map<string, RecordDoc>();
    for (const id of survivor.records) records.set(id, (await cache.get<RecordDoc>('records', id))!);
    // a record separated since and merged back by another merge stays: that merge holds it now
    const brought = merge.records.filter((id) => records.has(id) && !mergedBack.has(id));
    if (!brought.length || brought.length === records.size) throw new AppError('CONFLICT', 'nothing left to separate');
    // This merge's link goes (one made before merges kept theirs: the operators' links both sides
    // carry); identifiers they really share stay, kept apart, as does a card its holder linked.
    const linksOf = (ids: Iterable<string>) => new Set([...ids].flatMap((id) => records.get(id)!.identifiers.filter((i) => i.type === 'link' && !isCardLink(i)).map((i) => i.value)));
    const broughtLinks = linksOf(brought);
    const links = merge.link ? new Set([merge.link]) : new Set([...linksOf(survivor.records.filter((id) => !brought.includes(id)))].filter((link) => broughtLinks.has(link)));
    // the survivor's side when they were joined: records made by then that no later merge brought
    const theirs = [...records.values()].filter((r) => !brought.includes(r._id) && !later.has(r._id) && r.createdAt <= merge.at).map((r) => r._id);
    const { back, stay } = await sidesOf(cache, services, [...records.values()], brought, theirs, links);

    const changes = [];
    for (const record of records.values()) {
      const others = back.includes(record._id) ? stay : back;
      const identifiers = record.identifiers.filter((i) => !(i.type === 'link' && links.has(i.value)));
      const after = { ...record, identifiers, apart: [...new Set([...record.apart, ...others])] };
      // a store card this merge's link joined ignores nothing any more: only a card's link sets
      // phones aside (the card's own, also one the store took off it since), and the card has one
      // link at a time; the merge keeps no phone of it, which erasure would leave behind
      if (merge.link && isCardLink({ type: 'link', value: merge.link }) && record.ignored?.length && record.identifiers.some((i) => i.type === 'link' && i.value === merge.link)) {
        delete after.ignored;
      }
      changes.push({ before: record, after });
    }
    const outcome = await applyRecordChanges(cache, services, changes);
    const undone = { restored: outcome.assignment.get(back[0]!)!, survivor: outcome.assignment.get(stay[0]!)! };
    // A merge still in force whose records went with the other side than its survivor (a card the
    // consumer linked, back with the consumer's WeChat record when their phone binding is undone) is
    // listed, and undone, under the member that holds them now.
    for (const id of otherMerges) {
      const other = await cache.get<MergeDoc>('merges', id);
      if (!other || other.kind !== 'merge' || other.undoneAt) continue;
      const held = other.records.filter((r) => records.has(r));
      const holders = new Set(held.map((r) => outcome.assignment.get(r)));
      const holder = holders.size === 1 ? [...holders][0]! : undefined;
      if (!holder || holder === (await liveMember(cache.get.bind(cache), other.survivor))?._id) continue;
      // (not one whose records are the whole of the member they went to: there is nothing of it to undo)
      if ((await cache.get<MemberDoc>('members', holder))!.records.every((r) => held.includes(r))) continue;
      cache.put('merges', { ...other, survivor: holder });
    }
    await cache.flush();
    const undoneAt = new Date(services.clock.now()).toISOString();
    await tx.set('merges', { ...merge, undoneAt, undone } satisfies MergeDoc);
    return { ...undone, undoneAt };
  });
}

/**
 * The two sides an unmerge separates: the records the absorbed member brought,
 * with every record joined to them by what they really share without the
 * survivor's own records (`theirs`: a card imported since with the same email
 * as one of them), and any store card a consumer linked to one of them; and
 * the rest. Operators' links are left out: this merge's, and those of later
 * merges, which joined a member to the survivor, not to a record that happens
 * to carry the link. Another record joined to both sides stays with the
 * survivor, as do all when nothing but the links told them apart.
 */
async function sidesOf(cache: TxCache, services: Services, records: RecordDoc[], brought: string[], theirs: string[], undone: ReadonlySet<string>): Promise<{ back: string[]; stay: string[] }> {
  const rules = identityRules(services);
  const excluded = new Set<string>();
  const unlinked: ClusterRecord[] = [];
  for (const record of records) {
    // card links stay, but not the one this unmerge takes away (staff confirmed a card wrongly)
    const identifiers = record.identifiers.filter((i) => (i.type !== 'link' || (isCardLink(i) && !undone.has(i.value))) && !record.ignored?.includes(valueKey(i)));
    for (const i of identifiers) {
      const doc = await cache.get<ValueDoc>('identifiers', valueKey(i));
      if (doc && setAside(doc, rules)) excluded.add(valueKey(i));
    }
    unlinked.push({ id: record._id, identifiers, apart: record.apart });
  }
  const reached = (from: ReadonlySet<string>, without: ReadonlySet<string>) => new Set(
    cluster(unlinked.filter((r) => !without.has(r.id)), excluded, rules).groups.filter((group) => group.some((id) => from.has(id))).flat());
  // Each side is what it reaches without the other: a value the two sides share (the phone a
  // binding joined them by, an import's shared email) joins neither to the other's records. A card
  // the consumer linked goes with the consumer's WeChat record; a record both sides reach stays.
  const mine = new Set(brought);
  const survivors = new Set(theirs);
  const kept = reached(survivors, mine);
  // and a card linked to a record going back goes with it, also when both sides reach it
  const cardLinks = (id: string) => unlinked.find((r) => r.id === id)!.identifiers.filter(isCardLink).map(valueKey);
  const withCards = (ids: Iterable<string>) => {
    const back = new Set(ids);
    for (let grown = true; grown; ) {
      grown = false;
      const links = new Set([...back].flatMap(cardLinks));
      for (const r of unlinked) if (!back.has(r.id) && cardLinks(r.id).some((key) => links.has(key))) { back.add(r.id); grown = true; }
    }
    return back;
  };
  // nothing else told them apart: the brought records go back, with the cards linked to them, or alone
  let back = withCards([...brought, ...[...reached(mine, survivors)].filter((id) => !kept.has(id))]);
  if (back.size === records.length) back = withCards(brought);
  if (back.size === records.length) back = mine;
  return { back: [...back], stay: records.map((r) => r._id).filter((id) => !back.has(id)) };
}

export interface ExportLine {
  memberId: string;
  identifiers: { type: string; value: string }[];
  points: { available: number };
  growth: number;
  level: string;
}

interface BalanceDoc extends Doc {
  points?: number;
  growth?: number;
}

/**
 * Points due to expire that the expiry job has not swept yet, by member: `points.summary` does
 * not count them as available, and neither does the export. Found through the accounts' next
 * expiry, so a store whose job runs nightly reads only the few due since.
 */
async function dueByMember(services: Services): Promise<Map<string, number>> {
  const now = new Date(services.clock.now()).toISOString();
  const due = new Map<string, number>();
  for await (const account of allDocs<AccountDoc>(services.store, COLLECTION.accounts, { orderBy: 'nextExpiry', direction: 'asc' })) {
    if (account.nextExpiry > now) break;
    if (account.memberId) due.set(account.memberId, (due.get(account.memberId) ?? 0) + dueTotal(account, now));
  }
  return due;
}

/**
 * Every live member, as `members export` writes it: phones only as their keyed hash. Read in one
 * snapshot where the store has them (SQLite): a merge committing while the export reads (a consumer
 * binding a phone at the server) would otherwise list the member merged away, with identifiers its
 * survivor holds as well.
 */
export async function* exportMembers(services: Services): AsyncGenerator<ExportLine> {
  const reading = readingSnapshot(services.store);
  try {
    yield* exportLines({ ...services, store: reading.store });
  } finally {
    reading.release();
  }
}

async function* exportLines(services: Services): AsyncGenerator<ExportLine> {
  const due = await dueByMember(services);
  const { levels } = services.config;
  for await (const member of allDocs<MemberDoc>(services.store, 'members', { where: { status: 'active' } })) {
    const identifiers = new Map<string, { type: string; value: string }>();
    for (const id of member.records) {
      const record = await services.store.get<RecordDoc>('records', id);
      // not a value the record no longer goes by (a linked store card's old phone is its new holder's)
      for (const i of record?.identifiers ?? []) if (i.type !== 'link' && !record!.ignored?.includes(valueKey(i))) identifiers.set(valueKey(i), i);
    }
    const balance = await services.store.get<BalanceDoc>('balances', member._id);
    const growth = balance?.growth ?? 0;
    yield {
      memberId: member._id,
      identifiers: [...identifiers.values()].sort((x, y) => (x.type + x.value < y.type + y.value ? -1 : 1)),
      // a member with points due: from their accounts, as points.summary counts (a sweep committing
      // since the accounts were scanned would otherwise be taken off twice)
      points: { available: due.has(member._id) ? (await pointsSummary(services, member)).available : balance?.points ?? 0 },
      growth,
      // as the configured thresholds give it now, as points.summary does (the stored one waits for `points relevel`)
      level: levelFor(growth, levels).code,
    };
  }
}

/** A join a limit (or an operator's unmerge) refused, as the CRM team reviews it. */
export interface ConflictView {
  at: string;
  /** The identifier the two sides share: a phone is shown only as one (its value is a keyed hash). */
  type: string;
  value: string | null;
  reason: ConflictDoc['reason'];
  /** For `limit`: the type a member may hold only `limit` of, which the join would have exceeded. */
  limitType?: string;
  limit?: number;
  /** A record of each side, and the member it is in now (null once erased). */
  between: { recordId: string; memberId: string | null }[];
  /**
   * Set when the join was asked for (a phone bound, a store card linked) rather than found by the
   * graph: the side that asked, which does not carry the value (the other side does).
   */
  askedBy?: string;
}

/** Refused joins, newest first: a page of up to `limit` (1-1000) and the cursor of the next. */
export async function listConflicts(services: Services, limit: number, cursor: string | null = null): Promise<{ conflicts: ConflictView[]; nextCursor: string | null }> {
  const page = await services.store.query<ConflictDoc>('conflicts', { orderBy: 'at', direction: 'desc', limit, cursor });
  const conflicts: ConflictView[] = [];
  for (const doc of page.items) {
    // a value's refusals, newest first (a page holds `limit` values, each with all of its refusals)
    for (const refusal of refusalsOf(doc).slice().reverse()) {
      const between = [];
      for (const recordId of refusal.between) {
        const record = await services.store.get<RecordDoc>('records', recordId);
        between.push({ recordId, memberId: (await liveMember(services.store.get.bind(services.store), record?.memberId ?? null))?._id ?? null });
      }
      // one asked for and joined since (an operator's merge, a limit raised) is settled
      if (refusal.askedBy && between[0]!.memberId && between[0]!.memberId === between[1]?.memberId) continue;
      conflicts.push({
        at: refusal.at, type: doc.type, value: doc.type === 'phone' ? null : doc.value, reason: refusal.reason,
        ...(refusal.limitType ? { limitType: refusal.limitType, limit: services.config.identity.limits[refusal.limitType] } : {}),
        between,
        ...(refusal.askedBy ? { askedBy: refusal.askedBy } : {}),
      });
    }
  }
  // newest first within the page: a value's document sits where its latest refusal puts it
  conflicts.sort((x, y) => (x.at > y.at ? -1 : x.at < y.at ? 1 : 0));
  return { conflicts, nextCursor: page.nextCursor };
}

/** An identifier value set aside (it joins no one), as the CRM team reviews it to tell the store or fix the data. */
export interface SharedView {
  type: string;
  /**
   * As an operator may see it: a phone only as the start of its keyed hash (`members export` prints it
   * whole), never in clear, unless it is one of `identity.blockedPhones`, written as the config writes it.
   */
  value: string;
  /** `blocked`: the config's `identity.blockedPhones` alone sets it aside; `shared`: on more records of a channel than allowed. */
  why: 'shared' | 'blocked';
  /** The records carrying it, by channel (a value lists its first 64 records; these count them all). */
  channels: Record<string, number>;
  records: number;
  /** The first few records that carry it (`offline:O12`). */
  firstRecords: string[];
}

/** How many records of a value are named; the rest are counted. */
const RECORDS_NAMED = 5;
/** Enough of a phone's keyed hash to find it in `members export`; none of the number. */
const HASH_SHOWN = 8;

/**
 * The values set aside under the rules as configured now (a number taken off `identity.blockedPhones`
 * is not, one past a threshold lowered since is), most records first, then by type and value: the
 * first `limit`, and how many there are. Identifiers are indexed by id alone (an import writes millions
 * of them, and the values set aside by the rules now are not all marked so), so every one is read, a
 * page at a time; those set aside are few and kept.
 */
/**
 * The values set aside, most records first, `limit` of them after `cursor` (one a page before gave:
 * the record count and id of its last value); `total` counts them all.
 */
export async function listShared(services: Services, limit: number, cursor: string | null = null): Promise<{ shared: SharedView[]; total: number; nextCursor: string | null }> {
  const after = cursor === null ? null : decodeCursor(cursor);
  if (after && typeof after.value !== 'number') throw new StoreQueryError('malformed cursor');
  const rules = identityRules(services);
  // the config's own test numbers (13800138000…) are no customer's: named as the config names them
  const configured = new Map(services.config.identity.blockedPhones.map((phone) => [normalizePhone(phone), phone] as const)
    .filter((entry): entry is [string, string] => !!entry[0])
    .map(([normal, phone]) => [phoneKey(services.secrets.phoneHashKey, normal), phone]));
  // with the stored id, to order by (the shown start of two phones' hashes may be the same)
  const found: { id: string; view: SharedView }[] = [];
  for await (const doc of allDocs<ValueDoc>(services.store, 'identifiers', { pageSize: 1000 })) {
    const state = asideState(doc, rules);
    if (!state.quarantined) continue;
    const channels = Object.fromEntries(Object.entries(doc.channels).filter(([, count]) => count > 0));
    found.push({
      id: doc._id,
      view: {
        type: doc.type,
        value: doc.type !== 'phone' ? doc.value : configured.get(doc.value) ?? `${doc.value.slice(0, HASH_SHOWN)}…`,
        why: state.blocked ? 'blocked' : 'shared',
        channels,
        records: Math.max(doc.records.length, Object.values(channels).reduce((sum, count) => sum + count, 0)),
        firstRecords: doc.records.slice(0, RECORDS_NAMED),
      },
    });
  }
  found.sort((x, y) => y.view.records - x.view.records || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
  // past the cursor in that order: fewer records, or as many and a later id
  const rest = after === null ? found : found.filter(({ id, view }) => view.records < Number(after.value) || (view.records === after.value && id > after.id));
  const page = rest.slice(0, limit);
  const last = page[page.length - 1];
  const nextCursor = rest.length > limit && last ? encodeCursor({ value: last.view.records, id: last.id }) : null;
  return { shared: page.map(({ view }) => view), total: found.length, nextCursor };
}

export type { ValueDoc };
