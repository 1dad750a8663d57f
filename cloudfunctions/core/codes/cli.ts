import { InvalidArgumentError } from 'commander';
import { closeSync, createWriteStream, existsSync, fchmodSync, fstatSync, fsyncSync, lstatSync, openSync, renameSync, rmSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { checkOutputFile } from '../channels/rows';
import { progressBar } from '../channels/progress';
import type { CliContext } from '../local/cli';
import { beijingTime, plural } from '../local/wording';
import type { Services } from '../runtime/services';
import { parseValidTo, VALID_TO_FORMS, type BatchDoc } from './batch';
import { allBatches, BATCHES, revokeKey, setBatchStatus, withdrawBatch } from './batches.store';
import { countRedeemed, REPEATS, type RepeatDoc } from './claims.store';
import { createBatch } from './create';

/** The rename on disk too (best effort: some file systems refuse to sync a folder). */
function syncFolderOf(file: string): void {
  try {
    const fd = openSync(dirname(resolve(file)), 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // the file itself is on disk; only its new name may wait for the next sync
  }
}

const integer = (value: string) => {
  if (!/^\d{1,9}$/.test(value)) throw new InvalidArgumentError('must be a whole number, at most 9 digits');
  return Number(value);
};

/** A count asked for (how many to show): 0 would list nothing and say nothing of it. */
const positive = (value: string) => {
  if (!/^\d{1,9}$/.test(value) || Number(value) === 0) throw new InvalidArgumentError('must be a whole number from 1, at most 9 digits');
  return Number(value);
};

const validTo = (value: string) => {
  const iso = parseValidTo(value);
  if (!iso) throw new InvalidArgumentError('must be a date YYYY-MM-DD (end of that day, Beijing time) or a time YYYY-MM-DD HH:MM (Beijing time unless it carries a zone)');
  return iso;
};

/** Hosts reserved for examples and tests (RFC 2606, 6761): `mc.example.com` is the shipped config's. */
const EXAMPLE_HOST = /(?:^|\.)(?:example\.(?:com|net|org)|example|test|invalid|localhost)$/i;

/** A batch id as the operator typed it: ids are upper case, as codes are, which are read in any case. */
const batchIdAsTyped = (typed: string) => typed.trim().toUpperCase();

/** `codes create|list|signals|revoke-batch|revoke-key`. */
export function registerCodeCommands({ program, run, dataFiles }: CliContext): void {
  const withServices = (fn: (services: Services) => Promise<void>) => () => run(fn);

  const codes = program.command('codes').description('one-item-one-code batches for the printer');

  codes
    .command('create')
    .description('create a batch and write one scan URL per line (https://<brandDomain>/c/<code>)')
    .requiredOption('--sku <sku>', 'product SKU')
    .requiredOption('--name <name>', 'product name shown to the consumer')
    .requiredOption('--points <n>', 'points one scan earns', integer)
    .requiredOption('--count <n>', 'number of codes (up to 33,554,431)', integer)
    .option('--valid-to <date>', `last day a code can be redeemed: ${VALID_TO_FORMS}`, validTo)
    .requiredOption('--out <file>', 'file for the printer (an existing file is kept unless --force)')
    .option('--force', 'replace an existing --out file')
    .action((options: { sku: string; name: string; points: number; count: number; validTo?: string; out: string; force?: boolean }) => {
      // a run from another folder than usual (the default database is under the working folder)
      // starts a database of its own, with keys of its own: its codes scan nowhere else
      const [database] = dataFiles();
      const newDatabase = !existsSync(database!);
      return run(async (services) => {
        // checked, not cleared: a refused batch leaves the file it would replace as it was; first, so
        // a folder or the database itself is refused as such, never offered --force
        checkOutputFile(options.out, 'the codes', dataFiles());
        // an earlier batch's printer file may be the only copy of its codes
        if (existsSync(options.out) && !options.force) {
          throw new Error(`${options.out} exists (an earlier batch's codes?): choose another --out, or add --force to replace it`);
        }
        // Written beside the target and renamed to it once the batch is active: a printer's hot
        // folder, or anyone copying the file, never finds a part of a run at --out.
        const part = `${options.out}.part`;
        checkOutputFile(part, 'the codes', dataFiles());
        if (existsSync(part)) {
          process.stderr.write(`replacing ${part}, left by a run stopped outright: its batch stays pending in codes list (its codes scan as withdrawn); withdraw it with codes revoke-batch (a run still writing it, with this --out, fails instead and withdraws its batch)\n`);
        }
        // The part-file this run made (device and inode): another run given the same --out may
        // replace it, and only this run's own file is activated, renamed to --out or removed.
        let made: { dev: number; ino: number } | null = null;
        const ours = () => {
          const now = made && lstatSync(part, { throwIfNoEntry: false });
          return !!now && now.dev === made!.dev && now.ino === made!.ino;
        };
        const bar = progressBar('writing codes');
        const started = Date.now();
        // Ctrl-C, a stop (SIGTERM: kill, timeout, a job stopped; SIGHUP: the terminal closed) or a
        // failure once the batch is recorded: the batch is withdrawn and its file removed, not left
        // pending beside a file that looks finished (a kill -9 leaves it pending: codes revoke-batch
        // withdraws it); a file whose batch may be active is kept
        let interrupted: NodeJS.Signals | null = null;
        let recorded: string | null = null;
        const onInterrupt = (signal: NodeJS.Signals) => void (interrupted = signal);
        const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
        for (const signal of signals) process.once(signal, onInterrupt);
        let batch: BatchDoc;
        try {
          batch = await createBatch(services, {
            sku: options.sku, name: options.name, points: options.points, count: options.count, validTo: options.validTo ?? null,
            open: (pending) => {
              recorded = pending._id;
              // said as the file is begun, so a long run can be stopped before anything prints it
              if (EXAMPLE_HOST.test(services.config.brandDomain)) {
                process.stderr.write(`warning: brandDomain is ${services.config.brandDomain}, an example domain (config/member-centre.json as shipped): a phone's WeChat scanner opens nothing at these links, which only this runtime's own app reads; set the brand's domain (brandDomain, with MC_CONFIG) before a printer gets them\n`);
              }
              // every line scans for points: readable by its owner alone, as the secrets are.
              // flush: on disk before the batch is activated, so a power cut then cannot leave an
              // active batch beside a cut-off file. A new file, never one a killed run left
              // (removed) or another run is writing (their lines would mix): a file of its own.
              rmSync(part, { force: true });
              const fd = openSync(part, 'wx', 0o600);
              fchmodSync(fd, 0o600);
              const { dev, ino } = fstatSync(fd);
              made = { dev, ino };
              return createWriteStream('', { fd, flush: true });
            },
            beforeActivate: () => {
              if (!ours()) throw new Error(`${part} was replaced while this run wrote it (another codes create with --out ${options.out}?)`);
              // a file that appeared at --out meanwhile (another run's, finished) is kept as the check before the run kept it
              if (!options.force && lstatSync(options.out, { throwIfNoEntry: false })) {
                throw new Error(`${options.out} appeared while this run wrote its codes (another codes create with the same --out?): choose another --out, or add --force to replace it`);
              }
            },
            onProgress: (done, total) => {
              if (interrupted) throw new Error('interrupted');
              bar.update(done, total, `${done.toLocaleString('en')} codes`);
            },
          });
          renameSync(part, options.out);
          syncFolderOf(options.out);
        } catch (error) {
          if (!recorded) throw error;
          bar.stop();
          const status = await withdrawBatch(services, recorded);
          // another run's part-file is left to that run
          const own = ours();
          if (status === 'revoked' && own) rmSync(part, { force: true });
          // active: the file was written whole (and flushed) before the batch was activated
          const kept = own ? part : options.out;
          const fate = status === 'revoked' ? `batch ${recorded} withdrawn${own ? ` and ${part} removed` : ''}; none of its codes will scan`
            : status === 'active' && !own && made ? `batch ${recorded} is active, but another run replaced ${part} before it was renamed: its codes are in no file; withdraw it with codes revoke-batch ${recorded}`
            : status === 'active' ? `batch ${recorded} is active all the same: ${kept} is kept and its codes scan`
            : `batch ${recorded} could not be withdrawn: run codes revoke-batch ${recorded} before anything prints ${part}`;
          if (!interrupted) {
            process.stderr.write(`${fate}\n`);
            throw error;
          }
          await services.store.close();
          process.stderr.write(`\ninterrupted: ${fate}: run the command again\n`);
          process.exit(interrupted === 'SIGINT' ? 130 : interrupted === 'SIGHUP' ? 129 : 143);
        } finally {
          for (const signal of signals) process.off(signal, onInterrupt);
          bar.stop();
        }
        const seconds = (Date.now() - started) / 1000;
        process.stdout.write(
          `batch ${batch._id}: ${plural(batch.count, 'code')} for ${batch.sku} (${batch.name}), ${plural(batch.points, 'point')} each, ` +
            `valid ${batch.validTo ? `to ${beijingTime(batch.validTo)}` : 'with no end'}, key ${batch.keyId}; written to ${options.out} in ${seconds.toFixed(1)} s\n`,
        );
        if (newDatabase) {
          process.stderr.write(`note: ${database} is a new database, started by this run: these codes scan only where it serves, with the secrets.json beside it (another database refuses them as not valid); for the one the server uses, give its --db (or MC_DB), or run from the folder that holds its .data/\n`);
        }
      }, { createsDatabase: true });
    });

  codes
    .command('list')
    .description('every batch, oldest first')
    .action(withServices(async (services) => {
      let batches = 0;
      for await (const b of allBatches(services.store)) {
        batches++;
        // tab-separated for a script: the numbers plain, without thousands separators
        process.stdout.write(`${b._id}\t${b.status}\t${b.sku}\t${b.name}\t${b.points} pts\t${b.count} ${b.count === 1 ? 'code' : 'codes'}\tkey ${b.keyId}\tvalid to ${b.validTo ? beijingTime(b.validTo) : '-'}\tcreated ${beijingTime(b.createdAt)}\n`);
      }
      // on stderr, so the list itself stays one batch per line for a script
      process.stderr.write(batches ? `${plural(batches, 'batch', 'batches')}\n` : 'no batches yet (codes create makes one)\n');
    }));

  codes
    .command('signals <batch>')
    .description('counterfeit signals of a batch: codes redeemed and repeat scans of redeemed codes')
    .option('--top <n>', 'show the most repeated codes', positive, 10)
    .action((typed: string, options: { top: number }) => withServices(async (services) => {
      const batchId = batchIdAsTyped(typed);
      const batch = await services.store.get<BatchDoc>(BATCHES, batchId);
      if (!batch) throw new Error(`no batch ${batchId}`);
      const redeemed = await countRedeemed(services.store, batch.keyId, batchId);
      let repeats = 0;
      const top: RepeatDoc[] = [];
      let cursor: string | null = null;
      do {
        const page: { items: RepeatDoc[]; nextCursor: string | null } = await services.store.query<RepeatDoc>(REPEATS, { where: { batchId }, limit: 1000, cursor });
        for (const signal of page.items) {
          repeats += signal.repeats;
          top.push(signal);
        }
        top.sort((a, b) => b.repeats - a.repeats).splice(options.top);
        cursor = page.nextCursor;
      } while (cursor);
      process.stdout.write(`batch ${batchId}: ${plural(redeemed, 'code')} redeemed, ${plural(repeats, 'repeat scan')} of redeemed codes\n`);
      for (const signal of top) process.stdout.write(`  serial ${signal.serial}: ${plural(signal.repeats, 'repeat')}, last ${beijingTime(signal.lastRepeatAt)}\n`);
    })());

  codes
    .command('revoke-batch <batch>')
    .description('withdraw a batch: its unredeemed codes are refused from now on (within the batch cache time)')
    .action((typed: string) => withServices(async (services) => {
      const batchId = batchIdAsTyped(typed);
      const done = await setBatchStatus(services, batchId, ['pending', 'active'], { status: 'revoked', revokedAt: new Date(services.clock.now()).toISOString() });
      if (!done && !(await services.store.get<BatchDoc>(BATCHES, batchId))) throw new Error(`no batch ${batchId} (codes list shows them)`);
      process.stdout.write(done ? `batch ${batchId} revoked\n` : `batch ${batchId} was revoked already\n`);
    })());

  codes
    .command('revoke-key <keyId>')
    .description('revoke a code key for good: no new batch is signed with it and every batch it signed is revoked')
    .action((keyId: string) => withServices(async (services) => {
      if (!/^[A-Z0-9]{1,2}$/.test(keyId)) throw new Error('key ids are 1-2 characters A-Z 0-9');
      // a typo must not read as a revocation while the leaked key stays live
      const configured = services.secrets.codeKeys.some((key) => key.id === keyId);
      const signed = await allBatches(services.store, { keyId }).next();
      if (!configured && signed.done) {
        throw new Error(`no key ${keyId}: the keys are ${services.secrets.codeKeys.map((key) => key.id).join(', ')} (MC_CODE_KEYS), and no batch names another`);
      }
      const revoked = await revokeKey(services, keyId);
      if (revoked.repeated) {
        process.stdout.write(`key ${keyId} was revoked already (since ${beijingTime(revoked.revokedAt)}); ${revoked.revokedNow ? `${plural(revoked.revokedNow, 'batch', 'batches')} it signed revoked now` : 'no batch revoked now'}\n`);
        return;
      }
      process.stdout.write(`key ${keyId} revoked (since ${beijingTime(revoked.revokedAt)}); ${plural(revoked.revokedNow, 'batch', 'batches')} revoked with it; warm instances refuse their codes within codes.batchCacheSeconds. Then drop it from MC_CODE_KEYS.\n`);
    })());
}
