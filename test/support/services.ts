import { openLocalServices } from '../../cloudfunctions/core/local/services';
import { fixedClock } from '../../cloudfunctions/core/runtime/clock';
import { sequentialIds } from '../../cloudfunctions/core/runtime/ids';
import { silentLogger } from '../../cloudfunctions/core/runtime/log';
import { configSchema, type Config } from '../../cloudfunctions/core/runtime/config';
import type { Caller, Services } from '../../cloudfunctions/core/runtime/services';
import { RefusedJoinError } from '../../cloudfunctions/core/identity/refused-joins';
import type { Doc } from '../../cloudfunctions/core/store/port';
import { tempDir } from './temp';

export type TestServices = Services & {
  clock: ReturnType<typeof fixedClock>;
  /** The database file, for the CLI (`runCliAt(services.clock, services.dbFile, …)`) on the same store. */
  dbFile: string;
  /** Every document of a collection, by id order: for "nothing was written" checks. */
  dump(collection: string): Promise<Doc[]>;
  close(): Promise<void>;
};

/** Real services on a temp SQLite file, a fixed clock and predictable ids; `config` replaces top-level sections. */
export function openTestServices(start = '2026-11-23T02:00:00Z', config?: Partial<Config>): TestServices {
  const temp = tempDir();
  const clock = fixedClock(start);
  const dbFile = temp.file('mc.db');
  const services = openLocalServices({ dbFile, clock, ids: sequentialIds(), log: silentLogger, durability: 'normal', config });
  return {
    ...services,
    clock,
    dbFile,
    async dump(collection) {
      const all: Doc[] = [];
      let cursor: string | null = null;
      do {
        const page: { items: Doc[]; nextCursor: string | null } = await services.store.query(collection, { limit: 1000, cursor });
        all.push(...page.items);
        cursor = page.nextCursor;
      } while (cursor);
      return all;
    },
    async close() {
      await services.store.close();
      temp.cleanup();
    },
  };
}

/** A caller as the dev runtime makes it (appid `dev`, which dev phone codes are issued to). */
/**
 * The same store under the brand's edited config (member-centre.json changed and the server
 * restarted): `change` edits a copy of the current config, checked as loading it would check it.
 */
export function reconfigured(services: TestServices, change: (config: Config) => void): TestServices {
  const config = JSON.parse(JSON.stringify(services.config)) as Config;
  change(config);
  return { ...services, config: configSchema.parse(config) };
}

export const callerOf = (openid: string | null): Caller => ({ openid, unionid: null, appid: 'dev' });

/**
 * The same services on the same store, except that `step` runs (through the real
 * services) just before each of the first `times` transactions begins: another
 * request landing in the window between an action's reads and its transaction.
 */
export function withStepBeforeTransaction<S extends Services>(services: S, step: () => Promise<unknown>, times = 1): S {
  const { store } = services;
  let left = times;
  return {
    ...services,
    store: {
      transaction: async (fn) => {
        if (left > 0) {
          left--;
          await step();
        }
        return store.transaction(fn);
      },
      get: (collection, id) => store.get(collection, id),
      updateIf: (collection, id, expected, patch) => store.updateIf(collection, id, expected, patch),
      query: (collection, options) => store.query(collection, options),
      snapshot: store.snapshot && (() => store.snapshot!()),
      close: () => store.close(),
    },
  };
}

/**
 * The same services on the same store, except that `step` runs once (through the real services)
 * just before the first read outside a transaction that `when` picks: another request committing
 * between two reads of one action (on CloudBase each read is its own round trip).
 */
export function withStepBeforeRead<S extends Services>(
  services: S,
  when: (kind: 'get' | 'query', collection: string, target: unknown) => boolean,
  step: () => Promise<unknown>,
): S {
  const { store } = services;
  let pending = true;
  const before = async (kind: 'get' | 'query', collection: string, target: unknown) => {
    if (!pending || !when(kind, collection, target)) return;
    pending = false;
    await step();
  };
  return {
    ...services,
    store: {
      transaction: (fn) => store.transaction(fn),
      get: async (collection, id) => {
        await before('get', collection, id);
        return store.get(collection, id);
      },
      updateIf: (collection, id, expected, patch) => store.updateIf(collection, id, expected, patch),
      query: async (collection, options) => {
        await before('query', collection, options);
        return store.query(collection, options);
      },
      // the reads of a snapshot (an export's, a check's) are reads too
      snapshot: store.snapshot && (() => {
        const snapshot = store.snapshot!();
        return {
          get: async (collection, id) => {
            await before('get', collection, id);
            return snapshot.get(collection, id);
          },
          query: async (collection, options) => {
            await before('query', collection, options);
            return snapshot.query(collection, options);
          },
          release: () => snapshot.release(),
        };
      }),
      close: () => store.close(),
    },
  };
}

/**
 * The same services on the same store, except that after a transaction fails with a refused join,
 * `step` gets the refusal and runs (through the real services) just before the next transaction:
 * the one that records the refusal, after the request's rollback. A step that throws fails that
 * transaction (a busy store).
 */
export function withStepAfterRefusal<S extends Services>(services: S, step: (refusal: RefusedJoinError) => Promise<unknown>): S {
  const { store } = services;
  let refusal: RefusedJoinError | null = null;
  return {
    ...services,
    store: {
      transaction: async (fn) => {
        if (refusal) {
          const last = refusal;
          refusal = null;
          await step(last);
        }
        try {
          return await store.transaction(fn);
        } catch (error) {
          if (error instanceof RefusedJoinError) refusal = error;
          throw error;
        }
      },
      get: (collection, id) => store.get(collection, id),
      updateIf: (collection, id, expected, patch) => store.updateIf(collection, id, expected, patch),
      query: (collection, options) => store.query(collection, options),
      close: () => store.close(),
    },
  };
}
