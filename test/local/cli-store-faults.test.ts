import { rmSync, writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { failureMessage } from '../../cloudfunctions/core/local/cli';
import { SqliteStore } from '../../cloudfunctions/core/store/sqlite';
import { CONTRACT_COLLECTIONS } from '../store/contract';
import { runCli } from '../support/cli';
import { tempDir } from '../support/temp';

describe('a CLI command whose database may not be written', () => {
  it('says so, what stays and what to do, not that another process was busy with it', async () => {
    const temp = tempDir();
    const store = new SqliteStore({ file: temp.file('mc.db'), collections: CONTRACT_COLLECTIONS });
    // the refusal a connection that may not write gets from SQLite (here PRAGMA query_only; a file
    // of another user or a read-only disk is refused with the same code), as a command meets it
    (store as unknown as { writer: Database.Database }).writer.pragma('query_only = 1');
    const failure = await store.transaction((tx) => tx.create('things', { _id: 't', kind: 'a', rank: 1 })).then(() => null, (error: unknown) => error);
    (store as unknown as { writer: Database.Database }).writer.pragma('query_only = 0');
    await store.close();
    temp.cleanup();
    const message = failureMessage(failure);
    expect(message).not.toMatch(/busy|conflicting writes|held the database/);
    // (ends with: under jest's several workers an error of the native module may not be an Error of this realm, and reads as `SqliteError: …`)
    expect(message).toMatch(/attempt to write a readonly database: this user may not write/);
    expect(message.slice(message.indexOf('attempt'))).toBe('attempt to write a readonly database: this user may not write the database file, its -wal and -shm, or their folder '
      + '(their owner or mode, or a read-only disk). What earlier transactions wrote stays (an import keeps the batches before this one); '
      + 'give this user write access and run the same command again');
  });
});

describe('serve on a damaged database file', () => {
  it('names the file it cannot open, as the other commands do', async () => {
    const temp = tempDir();
    try {
      const db = temp.file('mc.db');
      const made = await runCli(db, 'import', 'members', '--channel', 'offline', '--file', temp.write('m.csv', 'channelMemberId\nC1\n'));
      expect(made.failed).toBe(false);
      // its keys stay beside it; the file itself is overwritten
      for (const file of [`${db}-wal`, `${db}-shm`]) rmSync(file, { force: true });
      writeFileSync(db, 'this is no SQLite database, a file copied over it\n'.repeat(200));
      const run = await runCli(db, 'serve', '--port', '10999');
      expect(run.failed).toBe(true);
      expect(run.err).toContain(`cannot open the database at ${db}: file is not a database`);
    } finally {
      process.exitCode = undefined;
      temp.cleanup();
    }
  });
});
