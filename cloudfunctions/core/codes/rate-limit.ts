import type { DocStore } from '../store/port';

/**
 * Invalid scans per caller in a sliding hour, kept in the memory of the
 * instance that answers (time passed in). A forged or used code therefore
 * costs no store write; the price is that each warm cloud instance counts on
 * its own, so a caller spread over k instances gets at most k × limit tries
 * an hour. With 60-bit tags that still leaves guessing hopeless: the limit is
 * there to stop a code farmer hammering, not to keep tags secret.
 */
export class InvalidScanLimiter {
  private readonly hits = new Map<string, number[]>();

  constructor(private readonly limit: number, private readonly windowMs = 3600_000, private readonly maxCallers = 100_000) {}

  private recent(key: string, now: number): number[] {
    const all = this.hits.get(key);
    if (!all) return [];
    const live = all.filter((at) => at > now - this.windowMs);
    if (live.length === 0) this.hits.delete(key);
    else if (live.length !== all.length) this.hits.set(key, live);
    return live;
  }

  /** True when the caller already made `limit` invalid attempts in the last hour. */
  blocked(key: string, now: number): boolean {
    return this.recent(key, now).length >= this.limit;
  }

  /**
   * Counts one invalid attempt and answers whether it may be answered as such: false when the
   * caller had made `limit` already. Attempts sent side by side all pass the check made before
   * them (their answers come after an await), so the one past the limit is stopped here.
   */
  admit(key: string, now: number): boolean {
    if (this.blocked(key, now)) return false;
    this.hit(key, now);
    return true;
  }

  /**
   * As `admit`, but one attempt (an order id) tried again within the window is not counted
   * again: it tells the caller nothing new, and a buyer told to wait for their order may well try it twice.
   */
  admitDistinct(key: string, attempt: string, now: number): boolean {
    const tried = `${key}\n${attempt}`;
    if (this.recent(tried, now).length > 0) return true;
    if (!this.admit(key, now)) return false;
    this.hit(tried, now);
    return true;
  }

  /** Counts one invalid attempt. */
  hit(key: string, now: number): void {
    const live = this.recent(key, now);
    if (!this.hits.has(key) && this.hits.size >= this.maxCallers) {
      // forget the caller seen longest ago (Map keeps insertion order)
      const oldest = this.hits.keys().next().value;
      if (oldest !== undefined) this.hits.delete(oldest);
    }
    this.hits.delete(key);
    this.hits.set(key, [...live, now].slice(-this.limit));
  }
}

const limiters = new WeakMap<DocStore, Map<string, InvalidScanLimiter>>();

/** The instance's limiter of one kind of invalid attempt (`scans`, `orders`), per store, made on first use. */
export function limiterFor(store: DocStore, kind: string, limit: number): InvalidScanLimiter {
  let kinds = limiters.get(store);
  if (!kinds) limiters.set(store, (kinds = new Map()));
  let limiter = kinds.get(kind);
  if (!limiter) kinds.set(kind, (limiter = new InvalidScanLimiter(limit)));
  return limiter;
}
