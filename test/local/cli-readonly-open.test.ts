/**
 * A database this user may not write is, most often, refused as it is opened, before any command
 * runs: SQLite opens it read-only and the store's first write there (journal_mode = WAL, the schema)
 * fails. A folder of another user (root copied the database in) or a read-only disk answers
 * SQLITE_READONLY_DIRECTORY (seen running a command as `nobody` on a root-owned folder); a file of
 * another user in a folder this user may write opens, and fails at the command's first write
 * (test/local/cli-store-faults.test.ts). Both must say what to do, not the bare SQLite message.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { runInNewContext } from 'node:vm';
import { openFailure } from '../../cloudfunctions/core/local/cli';
import { runCli } from '../support/cli';
import { tempDir } from '../support/temp';

const HINT = 'this user may not write the database file, its -wal and -shm, or their folder (their owner or mode, or a read-only disk); '
  + 'nothing was written: give this user write access and run this again';

describe('a database this user may not write, refused as it is opened', () => {
  it('says what to do for the code a folder of another user gives (from another realm, as better-sqlite3 makes it under jest)', () => {
    const error = runInNewContext('Object.assign(new Error("attempt to write a readonly database"), { name: "SqliteError", code: "SQLITE_READONLY_DIRECTORY" })');
    expect(openFailure('/srv/mc/member-centre.db', error)).toBe(`attempt to write a readonly database: ${HINT}`);
  });

  it('says so on the command line, naming the file', async () => {
    const temp = tempDir();
    try {
      const db = temp.file('mc.db');
      expect((await runCli(db, 'import', 'members', '--channel', 'offline', '--file', temp.write('m.csv', 'channelMemberId\nC1\n'))).failed).toBe(false);
      // a real SQLite refusal to write, met as the store opens the file: its header's write version
      // past SQLite's own (and the journal back to a rollback one, so setting WAL is a write)
      const fd = openSync(db, 'r+');
      writeSync(fd, Buffer.from([3, 1]), 0, 2, 18);
      closeSync(fd);
      const run = await runCli(db, 'members', 'conflicts');
      expect(run.failed).toBe(true);
      expect(run.err).toContain(`cannot open the database at ${db}: attempt to write a readonly database: ${HINT}`);
    } finally {
      process.exitCode = undefined;
      temp.cleanup();
    }
  });
});
