/**
 * OneID clustering: which channel records are one person.
 *
 * Contract (the same shape as a union-find's): "same member" is an equivalence
 * relation over records. Two records are joined when they share an identifier
 * value that is allowed to join, unless the join would give one member more
 * values of a limited type than the limit allows (one phone, one unionid, one
 * Tmall id by default) or would put together records an operator has kept
 * apart. A refused join is reported as a conflict, never silently merged.
 *
 * The partition is a function of the set of records and the set of excluded
 * (quarantined or blocked) values only: records are taken in id order and
 * values in (type priority, value) order, so the arrival order of records, or
 * how they were split across files, cannot change who is joined with whom.
 */

export interface IdentifierValue {
  type: string;
  value: string;
}

export interface ClusterRecord {
  id: string;
  identifiers: IdentifierValue[];
  /** Records this one must never be joined with (an operator's unmerge). */
  apart?: string[];
}

export interface ClusterRules {
  /** Most distinct values of a type one member may hold; types not listed are unlimited. */
  limits: Record<string, number>;
  /** Types in the order their joins are tried; unlisted types come after, by name. */
  priority: string[];
  /**
   * Records that only follow the holders of their values (a buyer an order file knows by phone
   * alone): such a record joins the one group holding a value, and none when the value's holders
   * are more than one group (two members a limit keeps apart): whose orders they were is not known.
   */
  follows?: (recordId: string) => boolean;
}

export interface Conflict {
  /** The identifier whose join was refused. */
  type: string;
  value: string;
  /** A record of each side that carries the value. */
  between: [string, string];
  reason: 'limit' | 'apart';
  /** The limited type that would have been exceeded. */
  limitType?: string;
}

export interface Clustering {
  /** Groups of record ids, each sorted, groups ordered by their first id. */
  groups: string[][];
  conflicts: Conflict[];
}

export const valueKey = (identifier: IdentifierValue) => `${identifier.type}:${identifier.value}`;

interface Group {
  records: Set<string>;
  limited: Map<string, Set<string>>;
}

export function cluster(records: readonly ClusterRecord[], excluded: ReadonlySet<string>, rules: ClusterRules): Clustering {
  const sorted = [...records].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const parent = new Map<string, string>();
  const groups = new Map<string, Group>();
  const apart = new Map<string, Set<string>>();

  for (const record of sorted) {
    parent.set(record.id, record.id);
    const limited = new Map<string, Set<string>>();
    for (const identifier of record.identifiers) {
      if (rules.limits[identifier.type] === undefined) continue;
      if (!limited.has(identifier.type)) limited.set(identifier.type, new Set());
      limited.get(identifier.type)!.add(identifier.value);
    }
    groups.set(record.id, { records: new Set([record.id]), limited });
    for (const other of record.apart ?? []) {
      if (!apart.has(record.id)) apart.set(record.id, new Set());
      if (!apart.has(other)) apart.set(other, new Set());
      apart.get(record.id)!.add(other);
      apart.get(other)!.add(record.id);
    }
  }

  const find = (id: string): string => {
    let root = id;
    while (parent.get(root) !== root) root = parent.get(root)!;
    let node = id;
    while (node !== root) {
      const next = parent.get(node)!;
      parent.set(node, root);
      node = next;
    }
    return root;
  };

  /** Why groups a and b may not become one, or null if they may. */
  const refusal = (a: Group, b: Group): Pick<Conflict, 'reason' | 'limitType'> | null => {
    for (const [type, values] of a.limited) {
      const others = b.limited.get(type);
      if (!others) continue;
      const union = new Set([...values, ...others]);
      if (union.size > rules.limits[type]!) return { reason: 'limit', limitType: type };
    }
    const [small, large] = a.records.size <= b.records.size ? [a, b] : [b, a];
    for (const id of small.records) {
      for (const other of apart.get(id) ?? []) if (large.records.has(other)) return { reason: 'apart' };
    }
    return null;
  };

  const union = (rootA: string, rootB: string) => {
    const [keep, drop] = rootA < rootB ? [rootA, rootB] : [rootB, rootA];
    const kept = groups.get(keep)!;
    const dropped = groups.get(drop)!;
    for (const id of dropped.records) kept.records.add(id);
    for (const [type, values] of dropped.limited) {
      if (!kept.limited.has(type)) kept.limited.set(type, new Set());
      for (const value of values) kept.limited.get(type)!.add(value);
    }
    groups.delete(drop);
    parent.set(drop, keep);
  };

  // Every joinable value and the records that carry it (followers apart: they join last).
  const carriers = new Map<string, { identifier: IdentifierValue; records: string[] }>();
  const followers = new Map<string, { identifier: IdentifierValue; records: string[] }>();
  for (const record of sorted) {
    const into = rules.follows?.(record.id) ? followers : carriers;
    for (const identifier of record.identifiers) {
      const key = valueKey(identifier);
      if (excluded.has(key)) continue;
      const entry = into.get(key) ?? { identifier, records: [] };
      if (entry.records[entry.records.length - 1] !== record.id) entry.records.push(record.id);
      into.set(key, entry);
    }
  }
  const rank = (type: string) => {
    const index = rules.priority.indexOf(type);
    return index === -1 ? rules.priority.length : index;
  };
  const edges = [...carriers.values()]
    .filter((entry) => entry.records.length > 1)
    .sort((a, b) => rank(a.identifier.type) - rank(b.identifier.type) || (a.identifier.type < b.identifier.type ? -1 : a.identifier.type > b.identifier.type ? 1 : 0) || (a.identifier.value < b.identifier.value ? -1 : a.identifier.value > b.identifier.value ? 1 : 0));

  const conflicts: Conflict[] = [];
  for (const { identifier, records: carrying } of edges) {
    // Each carrier joins the first group of this value that will take it. A refusal names two
    // records that carry the value: this one and the first carrier of the group it was refused.
    const roots: string[] = [];
    const firstCarriers: string[] = [];
    for (const id of carrying) {
      let joined = false;
      let refused: { carrier: string; why: Pick<Conflict, 'reason' | 'limitType'> } | null = null;
      for (let i = 0; i < roots.length; i++) {
        const mine = find(id);
        const theirs = find(roots[i]!);
        if (mine === theirs) { joined = true; break; }
        const why = refusal(groups.get(mine)!, groups.get(theirs)!);
        if (why) { refused ??= { carrier: firstCarriers[i]!, why }; continue; }
        union(mine, theirs);
        roots[i] = find(theirs);
        joined = true;
        break;
      }
      if (!joined) {
        roots.push(find(id));
        firstCarriers.push(id);
        if (refused) {
          const pair = [id, refused.carrier].sort() as [string, string];
          conflicts.push({ type: identifier.type, value: identifier.value, between: pair, ...refused.why });
        }
      }
    }
  }

  // A follower joins the one group that holds its value; with none, or with two a limit or an
  // operator keeps apart, it stays with the value's other followers alone. One that group refuses
  // (its own group, joined through another value, holds too much) is a refused join like any other:
  // reported between it and the first carrier of the group (a holder's, or the first follower's).
  for (const key of [...followers.keys()].sort()) {
    const { identifier, records: following } = followers.get(key)!;
    const holding = carriers.get(key)?.records ?? [];
    const holders = new Set(holding.map(find));
    let root = holders.size === 1 ? [...holders][0]! : null;
    let first = holders.size === 1 ? holding[0]! : null;
    for (const id of following) {
      const mine = find(id);
      if (root === null) { root = mine; first = id; continue; }
      const theirs = find(root);
      if (mine === theirs) continue;
      const why = refusal(groups.get(mine)!, groups.get(theirs)!);
      if (why) {
        conflicts.push({ type: identifier.type, value: identifier.value, between: [id, first!].sort() as [string, string], ...why });
        continue;
      }
      union(mine, theirs);
      root = find(theirs);
    }
  }

  const result = [...groups.values()].map((group) => [...group.records].sort());
  result.sort((a, b) => (a[0]! < b[0]! ? -1 : 1));
  return { groups: result, conflicts };
}
