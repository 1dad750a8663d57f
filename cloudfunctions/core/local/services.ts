import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { systemClock, type Clock } from '../runtime/clock';
import { loadConfig, type Config } from '../runtime/config';
import { timeOrderedIds, type IdSource } from '../runtime/ids';
import { stderrLogger, type Logger } from '../runtime/log';
import { devSecrets, type Secrets } from '../runtime/secrets';
import type { Services } from '../runtime/services';
import { holdsNoDocuments, SqliteStore } from '../store/sqlite';
import { STARTED_WITH } from '../orders/waiting.store';
import { devPhoneExchanger } from '../identity/phone-exchange';

export const DEFAULT_DB = '.data/member-centre.db';

/** `--db`, else `MC_DB`, else `.data/member-centre.db` under the working directory. */
export function resolveDbPath(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return resolve(flag ?? env.MC_DB ?? DEFAULT_DB);
}

export interface LocalServicesOptions {
  dbFile: string;
  clock?: Clock;
  ids?: IdSource;
  log?: Logger;
  config?: Partial<Config>;
  /** The config in force, read and checked already (the CLI's): used as it is, not read again. */
  loadedConfig?: Config;
  durability?: 'full' | 'normal';
  secrets?: Secrets;
}

/** Where a database's keys are kept: beside it, so each database keeps the keys its phone hashes were made with. */
export const secretsFileOf = (dbFile: string): string => join(dirname(dbFile), 'secrets.json');

/** A database file and the journals SQLite keeps beside it. */
export const databaseFilesOf = (dbFile: string): string[] => [dbFile, `${dbFile}-wal`, `${dbFile}-shm`, `${dbFile}-journal`];

/** A database's own files (itself, its journals, its keys), which no output file may replace. */
export const dataFilesOf = (dbFile: string): string[] => [...databaseFilesOf(dbFile), secretsFileOf(dbFile)];

function emptyDatabase(file: string): boolean {
  try {
    return holdsNoDocuments(file, STARTED_WITH);
  } catch {
    return false; // unreadable here: taken to hold data, whose keys must not be replaced
  }
}

/** The embedded wiring used by the dev runtime, the CLI, tests and benchmarks. */
export function openLocalServices(options: LocalServicesOptions): Services {
  const clock = options.clock ?? systemClock;
  const secretsFile = secretsFileOf(options.dbFile);
  // A database that already holds data was written with its own keys: new ones would orphan its phone hashes.
  // Asked only when the keys are missing (it opens the database once more); its tables alone are no
  // data: a first run killed before it wrote the keys made only those.
  const file = existsSync(options.dbFile) ? statSync(options.dbFile) : null;
  const holdsData = !options.secrets && !existsSync(secretsFile) && !!file?.isFile() && file.size > 0 && !emptyDatabase(options.dbFile);
  // keys and config first: a refusal then leaves the database's folder as it found it (no -wal, no -shm)
  const config = options.loadedConfig ?? loadConfig(process.env, options.config);
  const secrets = options.secrets ?? devSecrets(secretsFile, process.env, { existingData: holdsData ? options.dbFile : undefined });
  return {
    store: new SqliteStore({ file: options.dbFile, durability: options.durability }),
    clock,
    ids: options.ids ?? timeOrderedIds,
    config,
    log: options.log ?? stderrLogger,
    secrets,
    phoneCodes: devPhoneExchanger(clock),
  };
}
