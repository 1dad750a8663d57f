import fc from 'fast-check';

/**
 * One way to steer every fast-check property from the environment (docs/testing.md):
 *
 * - FC_SEED: the seed of every property (fast-check otherwise draws one per property and prints it
 *   when the property fails);
 * - FC_PATH: with FC_SEED, the path of a counterexample to replay (run that one test alone, `-t`);
 * - FC_RUNS: a multiplier of every property's runs (`2` doubles them, `0.5` halves them); its test's
 *   timeout grows with it.
 *
 * fast-check lets a property's own `numRuns` win over the global one, so a property passes its runs
 * through `runs()` and its test's timeout through `timeoutFor()`. An older knob of one property
 * (MODEL_RUNS, LINK_LIMIT_RUNS, ...) still sets that property's runs outright and wins over FC_RUNS.
 */

const FAST_CHECK_DEFAULT_RUNS = 100;

function positiveNumber(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, not ${JSON.stringify(raw)}`);
  return value;
}

/** FC_RUNS, 1 when unset. */
export function runsMultiplier(): number {
  return positiveNumber('FC_RUNS') ?? 1;
}

/** How much longer than at its defaults a property with this base count (and older knob) runs. */
function factor(base: number, knob?: string): number {
  const own = knob === undefined ? undefined : positiveNumber(knob);
  return own !== undefined ? own / base : runsMultiplier();
}

/** The runs of a property whose own count is `base`: its older knob if set, else base × FC_RUNS. */
export function runs(base: number, knob?: string): number {
  return Math.max(1, Math.round(base * factor(base, knob)));
}

/**
 * A property test's jest timeout: `ms` at the default runs, longer in proportion when FC_RUNS (or
 * the property's own knob, given with its base count) asks for more runs; never shorter.
 */
export function timeoutFor(ms = 60_000, base?: number, knob?: string): number {
  const scale = base === undefined ? runsMultiplier() : factor(base, knob);
  return Math.round(ms * Math.max(1, scale));
}

/** Reads FC_SEED, FC_PATH and FC_RUNS into fast-check's global settings (the jest setup calls it). */
export function configureFromEnv(): void {
  // `path` is not among fast-check's typed global settings, but check() spreads the global settings
  // under a property's own parameters (fast-check 4.10), so a global path reaches the property
  const settings: fc.GlobalParameters & { path?: string } = { ...fc.readConfigureGlobal() };
  const seed = process.env.FC_SEED;
  if (seed !== undefined && seed.trim() !== '') {
    const value = Number(seed);
    if (!Number.isSafeInteger(value)) throw new Error(`FC_SEED must be an integer (the seed a failing property printed), not ${JSON.stringify(seed)}`);
    settings.seed = value;
  }
  const path = process.env.FC_PATH;
  if (path !== undefined && path.trim() !== '') {
    if (settings.seed === undefined) throw new Error('FC_PATH replays a counterexample of one seed: set FC_SEED too');
    if (!/^\d+(:\d+)*$/.test(path.trim())) throw new Error(`FC_PATH must be a path a failing property printed (like "12:3:0"), not ${JSON.stringify(path)}`);
    settings.path = path.trim();
  }
  // a property that gives no numRuns of its own gets fast-check's default, scaled
  if (process.env.FC_RUNS !== undefined) settings.numRuns = runs(FAST_CHECK_DEFAULT_RUNS);
  fc.configureGlobal(settings);
}

/*
 * A test that times out does not stop its property: jest moves on to the next test while the
 * property keeps running in the background, sharing the process' state (MC_CONFIG, the in-process
 * CLI runner) with it. Every property carries the plugin below (installed globally by the jest
 * setup): when the test ends, stopProperties() lets the run under way finish, starts no other
 * run or shrink, and waits until the property has returned.
 */

let epoch = 0;
const active = new Set<Promise<void>>();

function stoppingPlugin(): fc.Plugin<unknown> {
  return () => {
    const born = epoch;
    let stopped = false;
    let finish!: () => void;
    const done = new Promise<void>((resolve) => { finish = resolve; });
    active.add(done);
    const end = () => {
      active.delete(done);
      finish();
    };
    return {
      // a generator that throws ends the property at once, before any hook below: it is over, not running
      decorateGenerate: (nestedGenerate) => (mrng, biasFactor) => {
        try {
          return nestedGenerate(mrng, biasFactor);
        } catch (error) {
          end();
          throw error;
        }
      },
      decorateRun: (nestedRun) => (value) => {
        if (epoch !== born) {
          stopped = true;
          // returned as it is, not in a promise: a synchronous property's run must stay synchronous
          return new fc.PreconditionFailure(true) as never;
        }
        return nestedRun(value);
      },
      onAllRunsComplete: (details) => {
        if (!stopped) return;
        const replay = details.failed ? `FC_SEED=${details.seed} FC_PATH=${details.counterexamplePath}` : `FC_SEED=${details.seed}`;
        // its test has already been reported (most likely as timed out); say what it had reached
        console.error(`fast-check: a property was stopped when its test ended, after ${details.numRuns} run(s)${details.failed ? ', a counterexample found and its shrinking cut short' : ''}. Replay: ${replay}${process.env.FC_RUNS ? ` FC_RUNS=${process.env.FC_RUNS}` : ''}`);
      },
      afterAll: end,
    };
  };
}

let installed = false;

/** Installs the plugin that lets stopProperties() end a property (once per test file). */
export function installStopping(): void {
  if (installed) return;
  installed = true;
  fc.installGlobalPlugin(stoppingPlugin());
}

/** How many properties are under way (started and not returned): none once every fc.assert has. */
export const propertiesUnderWay = () => active.size;

/** Stops every property still running (its test over) and waits until each has returned. */
export async function stopProperties(): Promise<void> {
  if (active.size === 0) return;
  epoch++;
  while (active.size > 0) await Promise.all([...active]);
  // what the property's test does once fc.assert has returned (its finally) runs now, not in the next test
  await new Promise((resolve) => setImmediate(resolve));
}
