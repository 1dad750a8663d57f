import type { Doc, Patch } from './port';

/** What a patch or an increment does to a document, for adapters and caches that apply them in memory. */

/** `doc` with `deltas` added to its numeric fields (absent counts as 0). */
export function applyDeltas<T extends Doc>(doc: T, deltas: Record<string, number>): T {
  const next: Record<string, unknown> = { ...doc };
  for (const [field, delta] of Object.entries(deltas)) {
    if (field === '_id') continue;
    const value = next[field] ?? 0;
    if (typeof value !== 'number') throw new Error(`cannot increment non-numeric field ${field}`);
    next[field] = value + delta;
  }
  return next as T;
}

export function applyPatch<T extends Doc>(current: T, patch: Patch): T {
  const next: Record<string, unknown> = { ...current };
  for (const [field, value] of Object.entries(patch)) {
    if (field === '_id') continue;
    if (value !== undefined) next[field] = value;
  }
  return next as T;
}

/** An increment may not also set a field it moves: the adapters would not agree on which wins. */
export function checkIncrement(deltas: Record<string, number>, patch: Patch): void {
  for (const field of Object.keys(deltas)) {
    if (field === '_id' || field in patch) throw new Error(`increment of ${field} cannot also set it`);
    if (!Number.isFinite(deltas[field])) throw new Error(`increment of ${field} must be a finite number`);
  }
}
