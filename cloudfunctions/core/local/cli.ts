import { Command, Help, InvalidArgumentError } from 'commander';
import { existsSync, readdirSync, rmdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { registerIdentityCommands } from '../identity/cli';
import { registerPointsCommands } from '../points/cli';
import { registerCodeCommands } from '../codes/cli';
import { recordWaitingMarked, STARTED_WITH } from '../orders/waiting.store';
import { registerSceneCommands } from '../scenes/cli';
import { checkPhoneHashKey, recordPhoneHashKey } from '../identity/key-check';
import type { Clock } from '../runtime/clock';
import { loadConfig, type Config } from '../runtime/config';
import { isAppError } from '../runtime/errors';
import type { Services } from '../runtime/services';
import { fileHead } from '../channels/rows';
import { hasVisibleText } from '../contracts/text';
import { StoreBusyError } from '../store/port';
import { removeUnusedEmptyDatabase } from '../store/sqlite';
import { DEFAULT_DB, databaseFilesOf, dataFilesOf, openLocalServices, resolveDbPath, secretsFileOf } from './services';
import { createLocalServer } from './server';

const DEFAULT_PORT = 10086;

/** The first 16 bytes of every SQLite database file. */
const SQLITE_HEADER = 'SQLite format 3\0';

/** What each capability's commands get: where to hang them and how to open the store. */
export interface CliContext {
  program: Command;
  /** `member-centre import …` */
  importCommand: Command;
  /**
   * Opens the embedded services on the `--db` database; close the store when done. `config`: the
   * config in force when the command has read it already (it is read once a run).
   */
  open(config?: Config): Services;
  /** The `--db` database's own files, which no output file may replace. */
  dataFiles(): string[];
  /**
   * Runs a command on freshly opened services, reports a failure as `CODE: message` (exit 1), and closes them.
   * Only commands that bring data in (`createsDatabase`) may start a new database: for the others a
   * missing file is a mistyped --db, and an empty database would answer as if it held no one.
   */
  run(fn: (services: Services) => Promise<void>, options?: { createsDatabase?: boolean }): Promise<void>;
}

/** Each capability adds its own commands here (see <capability>/cli.ts). */
const registrars: ((context: CliContext) => void)[] = [registerIdentityCommands, registerPointsCommands, registerCodeCommands, registerSceneCommands];

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new InvalidArgumentError('must be a port number 1-65535');
  return port;
}

/**
 * Ends the command with an error of the operation, not of its typing: the
 * pointer to --help that follows a mistyped command would only mislead.
 */
function fail(program: Command, message: string): never {
  program.showHelpAfterError(false);
  return program.error(message);
}

/**
 * `MC_DB` exported empty or of spaces (a script's variable never set) names no file: refused, as an
 * empty `--db` is, instead of opening the working folder or starting a database named " ".
 */
function checkDbVariable(program: Command): void {
  const value = process.env.MC_DB;
  if (program.opts<{ db?: string }>().db !== undefined || value === undefined || hasVisibleText(value)) return;
  fail(program, `MC_DB is set but names no file (${JSON.stringify(value)}): give it the database's path, or unset it for the default ${DEFAULT_DB}`);
}

/**
 * The config is read as the services open, before the database: a mistake in it (a misspelt section,
 * a file MC_CONFIG names that is not there) is said as such, not as a database that cannot be opened,
 * which would send the operator to their backups.
 */
function checkConfig(program: Command): Config {
  try {
    return loadConfig();
  } catch (error) {
    return fail(program, messageOf(error));
  }
}

/**
 * A file that is not an SQLite database given as --db (the CSV to import, an export): said as such
 * before the services open. Opened, it would be taken for a database holding data whose secrets.json
 * was lost, and the operator sent looking for keys that never existed.
 */
function checkIsDatabase(program: Command, dbFile: string): void {
  let size: number;
  try {
    const stat = statSync(dbFile);
    if (!stat.isFile()) return; // a folder: said as such when it fails to open
    size = stat.size;
  } catch {
    return; // nothing there yet
  }
  if (size > 0 && fileHead(dbFile, SQLITE_HEADER.length).toString('latin1') !== SQLITE_HEADER) {
    fail(program, `cannot open the database at ${dbFile}: file is not a database (not an SQLite file: the file to import, or an export, given as --db?); check --db or MC_DB`);
  }
}

const isKeysMismatch = (error: unknown) => isAppError(error) && error.details?.reason === 'keys';

const keysMismatch = (dbFile: string) =>
  `the keys in ${secretsFileOf(dbFile)} (or the MC_* keys set in the environment) are not the ones ${dbFile} was written with: `
  + 'put back the secrets.json that was beside it originally (new members would be created for people already there, instead of found by phone)';

function registerServe({ program, open }: CliContext): void {
  program
    .command('serve')
    .description('serve the cloud functions at POST /cloud/NAME (and the H5 app with --app) on 127.0.0.1')
    .option('--port <n>', `port (default: $PORT or ${DEFAULT_PORT})`, parsePort)
    .option('--app <dir>', 'folder of the built H5 app to serve at /')
    .action(async (options: { port?: number; app?: string }) => {
      let port = options.port ?? DEFAULT_PORT;
      if (options.port === undefined && process.env.PORT) {
        try {
          port = parsePort(process.env.PORT);
        } catch (error) {
          fail(program, `PORT=${process.env.PORT} ${(error as Error).message} (or leave PORT unset for ${DEFAULT_PORT})`);
        }
      }
      const appDir = options.app ? resolve(options.app) : undefined;
      if (appDir && !existsSync(resolve(appDir, 'index.html'))) {
        fail(program, `no H5 build in ${appDir}: run npm run build:h5 first`);
      }
      checkDbVariable(program);
      const dbFile = resolveDbPath(program.opts<{ db?: string }>().db);
      const config = checkConfig(program);
      checkIsDatabase(program, dbFile);
      const startsDatabase = !existsSync(dbFile);
      let services: Services;
      try {
        services = open(config);
      } catch (error) {
        // a damaged file or a folder given as --db: named, as the other commands name it
        return fail(program, `cannot open the database at ${dbFile}: ${openFailure(dbFile, error)}`);
      }
      try {
        if ((await checkPhoneHashKey(services)) === 'unrecorded') await recordPhoneHashKey(services);
        // before the first request: a database the server starts has no account of an earlier version
        if (startsDatabase) await recordWaitingMarked(services);
      } catch (error) {
        await services.store.close();
        fail(program, isKeysMismatch(error) ? keysMismatch(dbFile) : `cannot open the database at ${dbFile}: ${openFailure(dbFile, error)}`);
      }
      const server = createLocalServer({ services, appDir });
      server.once('error', (error: NodeJS.ErrnoException) => {
        const reason = error.code === 'EADDRINUSE'
          ? `port ${port} is already in use: stop what runs there, or choose another port with --port N (npm start: PORT=N npm start)`
          : `cannot listen on 127.0.0.1:${port}: ${error.message}`;
        void services.store.close().finally(() => fail(program, reason));
      });
      server.listen(port, '127.0.0.1', () => {
        process.stdout.write(`会员中心 running at http://127.0.0.1:${port}/\n`);
      });
      const stop = () => {
        // a store another process holds past its busy timeout still closes: nothing of ours is left to write
        server.close(() => void services.store.close().catch(() => undefined).then(() => process.exit(0)));
        server.closeIdleConnections();
        // requests under way get a moment to be answered; a client holding one half-sent would
        // otherwise keep the server up until Node's five-minute request timeout
        setTimeout(() => server.closeAllConnections(), 3000).unref();
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}

/**
 * The rules in force: config/member-centre.json with the file MC_CONFIG names over it, checked as the
 * functions check it. The page builds read the brand's name and link host from here (config/index.ts).
 */
function registerConfig({ program }: CliContext): void {
  program
    .command('config')
    .description('print the brand config in force (config/member-centre.json, with the file MC_CONFIG names over it), checked')
    .action(() => {
      let config: ReturnType<typeof loadConfig>;
      try {
        config = loadConfig();
      } catch (error) {
        return fail(program, (error as Error).message);
      }
      process.stdout.write(`${JSON.stringify(config, null, 2)}\n`);
    });
}

/**
 * A command that starts a database and is then refused (a bonus of 0, a mistyped channel) leaves
 * none behind, nor the keys it made for it: a mistyped --db would otherwise answer the next
 * command as an empty database instead of as no database. One that wrote anything stays, as does
 * one another command has open (it started on the file this one made: see
 * removeUnusedEmptyDatabase), and keys another database beside it may have started with.
 */
function discardNewDatabase(file: string, withSecrets: boolean): void {
  if (!existsSync(file) || !removeUnusedEmptyDatabase(file, STARTED_WITH)) return;
  if (withSecrets && !anotherDatabaseBeside(file)) rmSync(secretsFileOf(file), { force: true });
}

/**
 * Whether the folder of `file` holds another database, or an empty file (one a command is starting
 * as this one is refused): it shares the secrets.json there, and its phone hashes may have been
 * made with the keys this command made.
 */
function anotherDatabaseBeside(file: string): boolean {
  const dir = dirname(file);
  const own = [...databaseFilesOf(file), secretsFileOf(file)];
  return readdirSync(dir).some((name) => {
    const path = join(dir, name);
    if (own.includes(path)) return false;
    try {
      const stat = statSync(path);
      return stat.isFile() && (stat.size === 0 || fileHead(path, SQLITE_HEADER.length).toString('latin1') === SQLITE_HEADER);
    } catch {
      return false;
    }
  });
}

/**
 * An error's own message. Read by shape, not `instanceof Error`: better-sqlite3 makes its errors with
 * the SqliteError class of whichever module instance loaded its native addon first, which under jest
 * (a realm per test file, one addon per worker) is another file's, and `String(error)` would prefix
 * `SqliteError: `.
 */
const messageOf = (error: unknown): string => {
  const message = (error as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : String(error);
};

/** Where a database this user may not write stops it. */
const NOT_WRITABLE = 'this user may not write the database file, its -wal and -shm, or their folder (their owner or mode, or a read-only disk)';

/** Why a database could not be opened, with what to do where it is the operator's to do. */
export function openFailure(file: string, error: unknown): string {
  const message = messageOf(error);
  const code = String((error as { code?: unknown } | null)?.code);
  if (existsSync(file) && statSync(file).isDirectory()) return `${message}: it is a folder; give the database file's path (for example ${join(file, 'member-centre.db')})`;
  if (/^SQLITE_BUSY(_|$)/.test(code)) return `${message}: another command or the server is writing it; run this again once it has finished`;
  // a folder this user may not write (SQLITE_READONLY_DIRECTORY: the -wal and -shm cannot be made
  // beside the file) or a read-only disk is refused as the database is opened, before any command runs
  if (/^SQLITE_READONLY/.test(code)) return `${message}: ${NOT_WRITABLE}; nothing was written: give this user write access and run this again`;
  return message;
}

/** What a failed command says: an error's code and message, and for a full disk, a database this user may not write or one another process held what is kept and what to do. */
export function failureMessage(failure: unknown): string {
  if (isAppError(failure)) return `${failure.code}: ${failure.message}`;
  const message = messageOf(failure);
  // another process (the server, an import) kept the write lock past the busy timeout
  const cause = failure instanceof StoreBusyError ? failure.cause : null;
  if (cause && /^SQLITE_BUSY(_|$)/.test(String((cause as { code?: unknown }).code))) {
    return `${messageOf(cause)}: another command or the server held the database for more than 5 s. `
      + 'What earlier transactions wrote stays (an import keeps the batches before this one); run the same command again';
  }
  if ((failure as { code?: unknown } | null)?.code === 'SQLITE_FULL') {
    return `${message}: the disk is full. What earlier transactions wrote stays (an import keeps the batches before this one); make room and run the same command again`;
  }
  // SQLITE_READONLY and its extended codes: a file copied in by another user (root), a disk mounted read-only
  if (/^SQLITE_READONLY/.test(String((failure as { code?: unknown } | null)?.code))) {
    return `${message}: ${NOT_WRITABLE}. `
      + 'What earlier transactions wrote stays (an import keeps the batches before this one); give this user write access and run the same command again';
  }
  return message;
}

/**
 * Every option's value is checked as it is parsed: another option given for it (`--id --help`,
 * `--channel --file f.csv`) is taken as the value by commander, which then complains of something
 * else or does the wrong thing (no value of ours starts with `--`, nor is empty); and an option given twice
 * (`--channel offline … --channel tmall`) would silently take the last.
 */
function checkOptionValues(command: Command): void {
  for (const option of command.options) {
    if (option.variadic || (!option.required && !option.optional)) continue;
    const parse = option.parseArg as ((value: string, previous: unknown) => unknown) | undefined;
    // a CLI is built for one run: whether this option was seen is this run's
    let given = false;
    option.argParser((value: string, previous: unknown) => {
      if (value.startsWith('--')) throw new InvalidArgumentError(`it needs a value, not the option ${value}.`);
      // `--out "$FILE"` with FILE unset: an export would go to the terminal, --db to the default database
      if (value === '') throw new InvalidArgumentError(`it needs a value, not an empty one (a variable unset in a script?).`);
      // `--reason "  "`, `--name "　"`, `--channel " "`: a value that shows nothing is no value either
      // (no option of ours takes one: names and reasons are read by people, ids and paths typed by them)
      if (!hasVisibleText(value)) throw new InvalidArgumentError(`it needs a value, not one of spaces alone (or other characters that show nothing).`);
      if (given) throw new InvalidArgumentError(`${option.long} is given twice: give it once.`);
      given = true;
      return parse ? parse(value, previous) : value;
    });
  }
  for (const sub of command.commands) checkOptionValues(sub);
}

/**
 * A command's required options lead its usage line (`member-centre import members --channel <channel>
 * --file <file> [options]`), as docs/cli.md writes them, and its options list says `(required)`.
 */
function showRequiredOptions(command: Command, path = ''): void {
  const required = command.options.filter((option) => option.mandatory).map((option) => option.flags);
  if (required.length > 0) command.usage(`${required.join(' ')} ${command.usage()}`);
  // a command's own mistake (an option left out or mistyped) points to its own help, which lists its options;
  // a group's (`points bogus`) to the group's, which lists its commands
  if (path) command.showHelpAfterError(`(member-centre ${path} --help lists its ${command.commands.length === 0 ? 'options' : 'commands'})`);
  for (const sub of command.commands) showRequiredOptions(sub, `${path} ${sub.name()}`.trim());
}

/** `clock`: the system's unless given (tests, and replays "as of" a date; ARCHITECTURE §3). */
export function buildCli({ clock }: { clock?: Clock } = {}): Command {
  const program = new Command('member-centre')
    .description('会员中心 operator CLI and local runtime')
    .option('--db <path>', 'SQLite database file (default: $MC_DB or .data/member-centre.db)')
    .showHelpAfterError('(member-centre --help lists the commands)')
    // an option a command cannot run without is said to be one: listed as the others are, it read as optional
    .configureHelp({
      optionDescription(option) {
        const described = Help.prototype.optionDescription.call(this, option);
        return option.mandatory ? `${described} (required)` : described;
      },
    })
    // `--as-of 2027-12-31 20:00` unquoted: the shell makes the time an argument of its own
    .configureOutput({
      outputError: (text, write) =>
        // rawArgs: what the command line was given, kept by commander though not in its types
        write(/too many arguments/.test(text) && (program as unknown as { rawArgs: string[] }).rawArgs.some((arg) => /^\d{1,2}:\d{2}(:\d{2})?$/.test(arg))
          ? `${text}a date and time with a space between them is one value only in quotes: --as-of "2027-12-31 20:00"\n`
          : text),
    });
  const importCommand = program.command('import').description('import channel data (CSV with a header row, or JSONL)');
  const dbFile = () => resolveDbPath(program.opts<{ db?: string }>().db);
  const open = (config?: Config) => openLocalServices({ dbFile: dbFile(), clock, loadedConfig: config });
  const run: CliContext['run'] = async (fn, options = {}) => {
    checkDbVariable(program);
    if (!options.createsDatabase && !existsSync(dbFile())) {
      fail(program, `no database at ${dbFile()}: check --db or MC_DB (serve, the imports, codes create, stores add and campaigns add start one)`);
    }
    // what this run would start: removed again if the command is refused (see discardNewDatabase)
    const starts = { database: !existsSync(dbFile()), secrets: !existsSync(secretsFileOf(dbFile())) };
    // and the folders it would make for it (a mistyped --db under a new path), deepest first
    const newFolders: string[] = [];
    for (let dir = dirname(resolve(dbFile())); !existsSync(dir) && dir !== dirname(dir); dir = dirname(dir)) newFolders.push(dir);
    const config = checkConfig(program);
    checkIsDatabase(program, dbFile());
    let services: Services;
    try {
      services = open(config);
    } catch (error) {
      // a folder given as --db, a database without its keys: said once, without a stack trace
      return fail(program, `cannot open the database at ${dbFile()}: ${openFailure(dbFile(), error)}`);
    }
    let failure: unknown = null;
    try {
      // recorded once the command succeeds: a refused one on a new database leaves none behind
      const keys = await checkPhoneHashKey(services);
      // a database this run starts holds no account an earlier version left unmarked (see
      // recordWaitingMarked): marked before the command writes, so a first run that fails or is
      // stopped part-way leaves it marked too (a refused one still leaves none: see discardNewDatabase)
      if (starts.database) await recordWaitingMarked(services);
      await fn(services);
      if (keys === 'unrecorded') await recordPhoneHashKey(services);
    } catch (error) {
      failure = error;
    }
    try {
      await services.store.close();
    } catch (error) {
      failure ??= error;
    }
    if (failure === null) return;
    if (isKeysMismatch(failure)) fail(program, keysMismatch(dbFile()));
    if (starts.database) {
      try {
        discardNewDatabase(dbFile(), starts.secrets);
        for (const dir of newFolders) if (existsSync(dir) && readdirSync(dir).length === 0) rmdirSync(dir);
      } catch {
        // a database that cannot even be read back (the disk is full) stays: the failure says why
      }
    }
    fail(program, failureMessage(failure));
  };
  const context: CliContext = { program, importCommand, open, dataFiles: () => dataFilesOf(dbFile()), run };
  for (const register of [registerServe, registerConfig, ...registrars]) register(context);
  checkOptionValues(program);
  showRequiredOptions(program);
  return program;
}

export async function run(argv: string[]): Promise<void> {
  await buildCli().parseAsync(argv);
}
