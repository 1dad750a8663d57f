/**
 * What a failed CLI command says is the error's own message, however the error was made. Under jest
 * better-sqlite3 makes its errors with the SqliteError class of the test file that loaded its native
 * addon first (one addon per worker, a realm per test file), so an error from SQLite is often not
 * `instanceof Error` in the file under test: `serve on a damaged database file`
 * (test/local/cli-store-faults.test.ts) then read `SqliteError: file is not a database` and failed
 * whenever another SQLite test had run before it in the same worker
 * (`npx jest test/store/sqlite-busy-codes.test.ts test/local/cli-store-faults.test.ts --runInBand`).
 */
import { runInNewContext } from 'node:vm';
import { failureMessage } from '../../cloudfunctions/core/local/cli';
import { StoreBusyError } from '../../cloudfunctions/core/store/port';

/** An error made in another realm, as the SqliteError of another test file's module instance is. */
const foreign = (message: string, code: string): unknown =>
  runInNewContext('Object.assign(new Error(message), { name: "SqliteError", code })', { message, code });

describe('a CLI failure made by an error of another realm', () => {
  it('says the error\'s message, not its name before it', () => {
    const error = foreign('file is not a database', 'SQLITE_NOTADB');
    expect(error instanceof Error).toBe(false);
    expect(failureMessage(error)).toBe('file is not a database');
  });

  it('says what to do for a full disk and for another process holding the database', () => {
    expect(failureMessage(foreign('database or disk is full', 'SQLITE_FULL'))).toMatch(/^database or disk is full: the disk is full\./);
    expect(failureMessage(new StoreBusyError(foreign('database is locked', 'SQLITE_BUSY')))).toMatch(/^database is locked: another command or the server held the database/);
  });
});
