/** Time is passed in so rules are testable and jobs can run "as of" a date. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock that stands still until moved; for tests and replays. */
export function fixedClock(start: number | string | Date): Clock & { set(at: number | string | Date): void; advance(ms: number): void } {
  let current = new Date(start).getTime();
  return {
    now: () => current,
    set: (at) => { current = new Date(at).getTime(); },
    advance: (ms) => { current += ms; },
  };
}
