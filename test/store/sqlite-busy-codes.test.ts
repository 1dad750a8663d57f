import Database from 'better-sqlite3';
import { failureMessage } from '../../cloudfunctions/core/local/cli';
import { StoreBusyError } from '../../cloudfunctions/core/store/port';
import { SqliteStore } from '../../cloudfunctions/core/store/sqlite';
import { tempDir } from '../support/temp';
import { CONTRACT_COLLECTIONS } from './contract';

/**
 * better-sqlite3 gives SQLite's extended result codes (SQLITE_CONSTRAINT_PRIMARYKEY, not
 * SQLITE_CONSTRAINT). A BEGIN IMMEDIATE can be refused with SQLITE_BUSY_RECOVERY while another
 * process rebuilds the WAL index after a crash (an import killed with kill -9, then run again
 * beside a server): that is another process's lock, to be waited out as SQLITE_BUSY is, not a
 * fault to answer as INTERNAL. The refusal is given at the writer's own BEGIN statement, as
 * SQLite gives it: holding SQLite's recovery lock from a test is not possible portably.
 */
type Control = { begin: { run: () => unknown } };
const controlOf = (store: SqliteStore) => (store as unknown as { control: Control }).control;

/** The writer's BEGIN IMMEDIATE refused with `code` for its first `times` tries, then run as it is. */
function refuseBegin(store: SqliteStore, code: string, times: number): void {
  const control = controlOf(store);
  const real = control.begin;
  let left = times;
  control.begin = {
    run: () => {
      if (left > 0) {
        left--;
        throw new Database.SqliteError('database is locked', code);
      }
      return real.run();
    },
  };
}

describe('SQLite store: another process\'s lock under an extended busy code', () => {
  let temp: ReturnType<typeof tempDir>;
  let store: SqliteStore;
  beforeEach(() => {
    temp = tempDir();
    store = new SqliteStore({ file: temp.file('busy.db'), collections: CONTRACT_COLLECTIONS, durability: 'normal', busyTimeoutMs: 2000 });
  });
  afterEach(async () => {
    await store.close();
    temp.cleanup();
  });

  it('waits out a BEGIN refused as SQLITE_BUSY_RECOVERY and runs the transaction, as it does for SQLITE_BUSY', async () => {
    refuseBegin(store, 'SQLITE_BUSY_RECOVERY', 2);
    await expect(store.transaction((tx) => tx.create('things', { _id: 't1', kind: 'a', rank: 1 }))).resolves.toBeUndefined();
    expect(await store.get('things', 't1')).toMatchObject({ rank: 1 });
  });

  it('refuses as busy (safe to retry), never as an internal fault, when the extended busy outlasts the busy timeout', async () => {
    const quick = new SqliteStore({ file: temp.file('quick.db'), collections: CONTRACT_COLLECTIONS, durability: 'normal', busyTimeoutMs: 20 });
    try {
      refuseBegin(quick, 'SQLITE_BUSY_RECOVERY', Number.MAX_SAFE_INTEGER);
      await expect(quick.transaction((tx) => tx.create('things', { _id: 't1', kind: 'a', rank: 1 }))).rejects.toBeInstanceOf(StoreBusyError);
    } finally {
      await quick.close();
    }
  });

  it('is told to an operator as another process holding the database, as SQLITE_BUSY is', () => {
    const refused = new StoreBusyError(new Database.SqliteError('database is locked', 'SQLITE_BUSY_RECOVERY'));
    expect(failureMessage(refused)).toMatch(/another command or the server held the database/);
  });
});
