/**
 * Gives the groups of a fresh clustering their member ids, keeping ids stable.
 * A member id goes first to the group holding its founding record (the
 * earliest-created record whose home it is), older members first: when a
 * shared value found late, or a consumer's new phone, splits a member, the id
 * stays with the record it began with, not with whichever record joined it
 * later and sorts first. A group holding no founder takes the earliest-created
 * of its records' home (then current) members no group has taken. So a merge
 * keeps the older member, and an unmerge gives the absorbed side its own id
 * back. Pure.
 */

export interface RecordState {
  /** The member the record belongs to now (null: not yet placed). */
  memberId: string | null;
  /** The member the record came home to first; an unmerge restores it. */
  homeMemberId: string | null;
  /** When the record was made: the earliest of a member's home records founded it. */
  createdAt?: string;
}

export interface Reconciled {
  /** Member id of every record in the groups. */
  assignment: Map<string, string>;
  /** Each assigned member's records. */
  members: Map<string, string[]>;
  created: string[];
  /** Old members left with no records, and the member that took most of them. */
  retired: { memberId: string; into: string; records: string[] }[];
  /** Records whose home member is set or changes. */
  rehomed: Map<string, string>;
}

export function reconcile(
  groups: readonly string[][],
  records: ReadonlyMap<string, RecordState>,
  createdAt: ReadonlyMap<string, string>,
  newMemberId: () => string,
): Reconciled {
  const claimed = new Set<string>();
  const assignment = new Map<string, string>();
  const members = new Map<string, string[]>();
  const created: string[] = [];
  const rehomed = new Map<string, string>();
  const age = (id: string) => createdAt.get(id) ?? '\uffff';
  const earliest = (ids: Iterable<string>) =>
    [...new Set(ids)].filter((id) => !claimed.has(id)).sort((a, b) => (age(a) < age(b) ? -1 : age(a) > age(b) ? 1 : a < b ? -1 : a > b ? 1 : 0))[0];

  // each live member's founding record among these, and the group holding it
  const founders = new Map<string, { id: string; at: string }>();
  for (const [id, state] of records) {
    const home = state.homeMemberId;
    if (!home || !createdAt.has(home)) continue;
    const at = state.createdAt ?? '\uffff';
    const known = founders.get(home);
    if (!known || at < known.at || (at === known.at && id < known.id)) founders.set(home, { id, at });
  }
  const groupOf = new Map<string, number>();
  groups.forEach((group, index) => group.forEach((id) => groupOf.set(id, index)));
  const founded = new Map<number, string>();
  for (const memberId of [...founders.keys()].sort((a, b) => (age(a) < age(b) ? -1 : age(a) > age(b) ? 1 : a < b ? -1 : 1))) {
    const index = groupOf.get(founders.get(memberId)!.id);
    if (index === undefined || founded.has(index)) continue;
    founded.set(index, memberId);
    claimed.add(memberId);
  }

  for (const [index, group] of groups.entries()) {
    const states = group.map((id) => records.get(id));
    const homes = states.map((s) => s?.homeMemberId).filter((id): id is string => !!id);
    const current = states.map((s) => s?.memberId).filter((id): id is string => !!id);
    let memberId = founded.get(index) ?? earliest(homes) ?? earliest(current);
    if (!memberId) {
      memberId = newMemberId();
      created.push(memberId);
    }
    claimed.add(memberId);
    members.set(memberId, group);
    for (const id of group) assignment.set(id, memberId);
  }

  for (const [id, assigned] of assignment) {
    const home = records.get(id)?.homeMemberId;
    // A home that is now another live group's no longer fits: this group is home.
    // A home that was absorbed stays, so an unmerge can give the record back to it.
    if (!home || (home !== assigned && members.has(home))) rehomed.set(id, assigned);
  }

  const retired: Reconciled['retired'] = [];
  const before = new Map<string, string[]>();
  for (const [id, state] of records) if (state.memberId) before.set(state.memberId, [...(before.get(state.memberId) ?? []), id]);
  for (const [memberId, ids] of before) {
    if (members.has(memberId)) continue;
    const counts = new Map<string, number>();
    for (const id of ids) {
      const to = assignment.get(id);
      if (to) counts.set(to, (counts.get(to) ?? 0) + 1);
    }
    const into = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]?.[0];
    if (into) retired.push({ memberId, into, records: ids.sort() });
  }
  return { assignment, members, created, retired, rehomed };
}
