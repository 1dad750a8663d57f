import type { Command } from 'commander';
import { buildCli } from '../../cloudfunctions/core/local/cli';
import type { Clock } from '../../cloudfunctions/core/runtime/clock';
import { tempDir } from './temp';

/** What one `member-centre …` run printed, and whether it failed (and with what). */
export interface CliRun {
  out: string;
  err: string;
  failed: boolean;
  error?: unknown;
}

/** Commander exits the process on errors; in a test every command throws instead. */
export function throwingInsteadOfExiting(command: Command): Command {
  command.exitOverride();
  for (const sub of command.commands) throwingInsteadOfExiting(sub);
  return command;
}

/** The operator's commands in-process, as `member-centre --db DB …` runs them, capturing what they print. */
export const runCli = (db: string, ...args: string[]): Promise<CliRun> => runCliAt(undefined, db, ...args);

/**
 * As runCli, on `clock` (the system's when undefined): a test whose files carry dates must not
 * change its answers with the day it runs on (orders of 2025 expire as they enter from 2027 on).
 */
export const runCliAt = (clock: Clock | undefined, db: string, ...args: string[]): Promise<CliRun> => runCliWithArgs(clock, '--db', db, ...args);

/** `member-centre` with these arguments alone, no `--db` added (MC_DB or the default decides), on `clock`. */
export async function runCliWithArgs(clock: Clock | undefined, ...args: string[]): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const stdout = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => (out.push(String(chunk)), true));
  const stderr = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => (err.push(String(chunk)), true));
  try {
    await throwingInsteadOfExiting(buildCli({ clock })).parseAsync(['node', 'member-centre', ...args]);
    return { out: out.join(''), err: err.join(''), failed: false };
  } catch (error) {
    return { out: out.join(''), err: err.join('') || String(error), failed: true, error };
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
}

/**
 * A fresh database for each test of the describe block it is called in, and `cli` on it, which
 * throws with what a failed command said, on `clock` (the system's when undefined). `temp` and `db`
 * are the current test's.
 */
export function cliOnFreshDatabase(clock?: Clock): {
  cli(...args: string[]): Promise<CliRun>;
  /** As `cli`, answering a failed command's run instead of throwing. */
  run(...args: string[]): Promise<CliRun>;
  readonly temp: ReturnType<typeof tempDir>;
  readonly db: string;
} {
  let temp: ReturnType<typeof tempDir>;
  let db: string;
  beforeEach(() => {
    temp = tempDir();
    db = temp.file('mc.db');
  });
  afterEach(() => {
    process.exitCode = undefined;
    temp.cleanup();
  });
  return {
    cli: async (...args) => {
      const run = await runCliAt(clock, db, ...args);
      if (run.failed) throw new Error(run.err);
      return run;
    },
    run: (...args) => runCliAt(clock, db, ...args),
    get temp() {
      return temp;
    },
    get db() {
      return db;
    },
  };
}
