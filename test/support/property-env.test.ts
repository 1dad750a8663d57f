import fc from 'fast-check';
import { configureFromEnv, propertiesUnderWay, runs, stopProperties, timeoutFor } from './property';

// The knobs every property is steered by (FC_SEED, FC_PATH, FC_RUNS; docs/testing.md), and a
// property outliving its test stopped before the next test starts.

const KNOBS = ['FC_SEED', 'FC_PATH', 'FC_RUNS', 'SOME_PROPERTY_RUNS'] as const;

function withEnv<T>(env: Partial<Record<(typeof KNOBS)[number], string>>, body: () => T): T {
  const saved = Object.fromEntries(KNOBS.map((k) => [k, process.env[k]]));
  const globals = fc.readConfigureGlobal();
  for (const k of KNOBS) delete process.env[k];
  Object.assign(process.env, env);
  // as a test file starts (before the setup's configureFromEnv): none of the sweep's seed or runs
  fc.resetConfigureGlobal();
  const restore = () => {
    for (const k of KNOBS) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
    fc.configureGlobal(globals);
  };
  try {
    const out = body();
    if (out instanceof Promise) return out.finally(restore) as T;
    restore();
    return out;
  } catch (error) {
    restore();
    throw error;
  }
}

describe('property runs from the environment', () => {
  it('a property keeps its own runs and timeout at the defaults', () => {
    withEnv({}, () => {
      expect(runs(40)).toBe(40);
      expect(runs(40, 'SOME_PROPERTY_RUNS')).toBe(40);
      expect(timeoutFor(300_000, 40, 'SOME_PROPERTY_RUNS')).toBe(300_000);
      expect(timeoutFor()).toBe(60_000);
    });
  });

  it('FC_RUNS multiplies every property\'s runs and its test\'s timeout, never below one run or the default timeout', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 500 }), fc.constantFrom('0.1', '0.5', '1', '2', '7.5'), (base, multiplier) => withEnv({ FC_RUNS: multiplier }, () => {
      const m = Number(multiplier);
      expect(runs(base)).toBe(Math.max(1, Math.round(base * m)));
      expect(runs(base, 'SOME_PROPERTY_RUNS')).toBe(runs(base));
      expect(timeoutFor(120_000)).toBe(Math.round(120_000 * Math.max(1, m)));
      expect(timeoutFor(120_000, base, 'SOME_PROPERTY_RUNS')).toBe(timeoutFor(120_000));
    })));
  });

  it('a property\'s older knob sets its runs outright, over FC_RUNS, and its timeout follows', () => {
    withEnv({ FC_RUNS: '3', SOME_PROPERTY_RUNS: '400' }, () => {
      expect(runs(40, 'SOME_PROPERTY_RUNS')).toBe(400);
      expect(timeoutFor(300_000, 40, 'SOME_PROPERTY_RUNS')).toBe(3_000_000);
      expect(runs(40)).toBe(120);
    });
  });

  it('a mistyped knob is refused rather than run at some other count', () => {
    for (const bad of ['two', '0', '-1', 'NaN']) {
      withEnv({ FC_RUNS: bad }, () => expect(() => runs(40)).toThrow(/FC_RUNS must be a positive number/));
    }
    withEnv({ FC_SEED: '12abc' }, () => expect(() => configureFromEnv()).toThrow(/FC_SEED must be an integer/));
    withEnv({ FC_PATH: '3:1' }, () => expect(() => configureFromEnv()).toThrow(/set FC_SEED too/));
  });

  it('FC_RUNS scales a property that gives no runs of its own from fast-check\'s 100', () => {
    withEnv({ FC_RUNS: '0.2' }, () => {
      configureFromEnv();
      expect(fc.check(fc.property(fc.nat(), () => true)).numRuns).toBe(20);
    });
  });
});

describe('replaying a property from the environment', () => {
  const failing = () => fc.property(fc.array(fc.nat(1000)), (xs) => xs.reduce((a, b) => a + b, 0) < 1500);

  it('FC_SEED gives every property that seed, and the same values each time', () => {
    withEnv({ FC_SEED: '-12345' }, () => {
      configureFromEnv();
      const seen = (): number[] => {
        const values: number[] = [];
        const out = fc.check(fc.property(fc.nat(), (n) => { values.push(n); }), { numRuns: runs(30) });
        expect(out.seed).toBe(-12345);
        return values;
      };
      expect(seen()).toEqual(seen());
    });
  });

  it('the seed and path a failure prints, set as FC_SEED and FC_PATH, run the shrunk counterexample first', () => {
    fc.assert(fc.property(fc.integer(), (seed) => {
      const failure = withEnv({}, () => fc.check(failing(), { seed, numRuns: runs(100) }));
      fc.pre(failure.failed);
      const message = (() => { try { fc.assert(failing(), { seed, numRuns: runs(100) }); } catch (e) { return String(e); } return ''; })();
      const printed = /\{ seed: (-?\d+), path: "([\d:]+)"/.exec(message);
      expect(printed).not.toBeNull();
      withEnv({ FC_SEED: printed![1], FC_PATH: printed![2] }, () => {
        configureFromEnv();
        let first: number[] | undefined;
        const replayed = fc.check(fc.property(fc.array(fc.nat(1000)), (xs) => { first ??= xs; return xs.reduce((a, b) => a + b, 0) < 1500; }), { numRuns: runs(100) });
        expect(first).toEqual(failure.counterexample![0]);
        expect(replayed.failed).toBe(true);
        expect(replayed.counterexample).toEqual(failure.counterexample);
      });
    }), { numRuns: runs(20) });
  });
});

describe('a property outliving its test', () => {
  it('is stopped and awaited: the run under way finishes, no other run starts, and fc.assert has returned', () => withEnv({}, async () => {
    let started = 0;
    let finished = 0;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => { release = resolve; });
    let settled = false;
    const errors = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    // as a test that timed out leaves it: fc.assert not awaited, a run waiting on something
    const left = fc.assert(fc.asyncProperty(fc.nat(), async () => {
      started++;
      await gate;
      finished++;
    }), { numRuns: 1000 }).finally(() => { settled = true; });
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toBe(1);

    const stopping = stopProperties();
    release();
    await stopping;
    expect({ started, finished, settled }).toEqual({ started: 1, finished: 1, settled: true });
    await left;
    expect(errors).toHaveBeenCalledWith(expect.stringMatching(/stopped when its test ended, after 1 run\(s\)\. Replay: FC_SEED=-?\d+$/));
    errors.mockRestore();
  }));

  it('also when it has found a counterexample and is shrinking it', async () => {
    let runsAfterStop = 0;
    let stopped = false;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => { release = resolve; });
    let settled = false;
    const errors = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const left = fc.assert(fc.asyncProperty(fc.array(fc.nat(), { minLength: 5 }), async (xs) => {
        if (stopped) runsAfterStop++;
        await gate;
        return xs.length < 5;
      }), { numRuns: 1000 }).then(() => 'passed', (e: unknown) => String(e)).finally(() => { settled = true; });
      await new Promise((resolve) => setImmediate(resolve));
      const stopping = stopProperties();
      stopped = true;
      release();
      await stopping;
      expect({ runsAfterStop, settled }).toEqual({ runsAfterStop: 0, settled: true });
      // what it had reached, with what replays it
      expect(await left).toMatch(/\{ seed: -?\d+, path: "\d+", endOnFailure: true \}/);
      expect(errors).toHaveBeenCalledWith(expect.stringMatching(/stopped when its test ended, after 1 run\(s\), a counterexample found.*Replay: FC_SEED=-?\d+ FC_PATH=\d+/));
    } finally {
      errors.mockRestore();
    }
  });

  it('a test whose property finished leaves nothing to stop', async () => {
    await fc.assert(fc.asyncProperty(fc.nat(), async () => true), { numRuns: runs(5) });
    expect(propertiesUnderWay()).toBe(0);
    await stopProperties();
  });

  it('a property whose generator throws fails its test at once and leaves nothing to stop (else the next test waited two minutes for it)', async () => {
    const throwing = fc.nat().map((n) => {
      if (n >= 0) throw new URIError('URI malformed');
      return n;
    });
    await expect(fc.assert(fc.asyncProperty(throwing, async () => true), { numRuns: runs(5) })).rejects.toThrow('URI malformed');
    expect(() => fc.assert(fc.property(throwing, () => true), { numRuns: runs(5) })).toThrow('URI malformed');
    expect(propertiesUnderWay()).toBe(0);
  });
});
