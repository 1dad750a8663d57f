/**
 * Gives the groups of a fresh clustering their member ids, keeping ids stable.
 * Members are placed oldest first: each takes the group holding its founding
 * record (the record it was made for, `founders`; else its earliest-created
 * home record) when no older member took that group, else the first group no
 * member took that holds one of its home records. So a merge keeps the older
 * member, an unmerge gives the absorbed side its own id back, and when a shared
 * value found late or a consumer's new phone splits a member, its id stays with
 * the record it began with, not with whichever record joined it later and
 * sorts first. A group left over takes the earliest of its records' home, then
 * current, members no group has taken, else a new member founded on its
 * earliest-created record. Pure.
 */

export interface RecordState {
  /** The member the record belongs to now (null: not yet placed). */
  memberId: string | null;
  /** The member the record came home to first; an unmerge restores it. */
  homeMemberId: string | null;
  /** When the record was made. */
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
  /** The founding record of each member in `members` (the record a new member was made for). */
  founders: Map<string, string>;
}

export function reconcile(
  groups: readonly string[][],
  records: ReadonlyMap<string, RecordState>,
  createdAt: ReadonlyMap<string, string>,
  newMemberId: () => string,
  /** Founding records members keep (`members.founder`); a member without one is founded on its earliest-created home record. */
  knownFounders: ReadonlyMap<string, string> = new Map(),
): Reconciled {
  const claimed = new Set<string>();
  const assignment = new Map<string, string>();
  const members = new Map<string, string[]>();
  const created: string[] = [];
  const rehomed = new Map<string, string>();
  const founders = new Map<string, string>();
  const age = (id: string) => createdAt.get(id) ?? '\uffff';
  const byAge = (a: string, b: string) => (age(a) < age(b) ? -1 : age(a) > age(b) ? 1 : a < b ? -1 : a > b ? 1 : 0);
  const earliest = (ids: Iterable<string>) => [...new Set(ids)].filter((id) => !claimed.has(id)).sort(byAge)[0];
  const madeAt = (id: string) => records.get(id)?.createdAt ?? '\uffff';
  const firstMade = (ids: readonly string[]) => [...ids].sort((a, b) => (madeAt(a) < madeAt(b) ? -1 : madeAt(a) > madeAt(b) ? 1 : a < b ? -1 : 1))[0]!;

  const groupOf = new Map<string, number>();
  groups.forEach((group, index) => group.forEach((id) => groupOf.set(id, index)));
  const taken = new Map<number, string>();
  const take = (index: number, memberId: string) => {
    taken.set(index, memberId);
    claimed.add(memberId);
  };
  // every live member with a home record here, oldest first: its home records, in group order
  const homeRecords = new Map<string, string[]>();
  for (const group of groups) {
    for (const id of group) {
      const home = records.get(id)?.homeMemberId;
      if (!home || !createdAt.has(home)) continue;
      const ids = homeRecords.get(home);
      if (ids) ids.push(id);
      else homeRecords.set(home, [id]);
    }
  }
  for (const memberId of [...homeRecords.keys()].sort(byAge)) {
    const homes = homeRecords.get(memberId)!;
    // the founder kept, while it is still one of the member's home records (a merge's survivor may have rehomed it)
    const known = knownFounders.get(memberId);
    const founder = known !== undefined && records.get(known)?.homeMemberId === memberId && groupOf.has(known) ? known : firstMade(homes);
    const founded = groupOf.get(founder)!;
    const index = !taken.has(founded) ? founded : homes.map((id) => groupOf.get(id)!).find((i) => !taken.has(i));
    if (index === undefined) continue;
    take(index, memberId);
    // its founder went to an older member's group: the member is now founded on what it keeps
    founders.set(memberId, index === founded ? founder : firstMade(homes.filter((id) => groupOf.get(id) === index)));
  }

  for (const [index, group] of groups.entries()) {
    let memberId = taken.get(index);
    if (!memberId) {
      const states = group.map((id) => records.get(id));
      memberId = earliest(states.map((s) => s?.homeMemberId).filter((id): id is string => !!id)) ?? earliest(states.map((s) => s?.memberId).filter((id): id is string => !!id));
      if (memberId) {
        const known = knownFounders.get(memberId);
        founders.set(memberId, known !== undefined && group.includes(known) ? known : firstMade(group));
      } else {
        memberId = newMemberId();
        created.push(memberId);
        founders.set(memberId, firstMade(group));
      }
      claimed.add(memberId);
    }
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
  return { assignment, members, created, retired, rehomed, founders };
}
