import { InvalidArgumentError } from 'commander';
import { userInfo } from 'node:os';
import { explainInterrupt, failIfAllRejected, progressBar, progressNote, warnIgnoredColumns } from '../channels/progress';
import type { CliContext } from '../local/cli';
import { beijingTime, counted, plural } from '../local/wording';
import { importOrdersFile } from '../orders/import.store';
import { AppError } from '../runtime/errors';
import { expirePoints } from './expire.store';
import { liveMember } from './accounts.store';
import { checkAdjustReason, postAdjust } from './ledger';
import { relevel } from './relevel.store';
import { isoOrNull, parseBeijingTime } from './time';
import { verifyPoints, type Difference } from './verify.store';
import { COLLECTION, type BalanceDoc } from './types';
import { levelName } from '../levels/rules';
import { pageLimit, shellQuoted } from '../identity/cli';
import { unknownChannelProblem } from '../identity/records';
import { isWaitingCursor, listWaitingBuyers, markEarlierWaiting, waitingOrdersOf, waitingTotals } from '../orders/waiting.store';

/** Fen as yuan with two decimals, thousands grouped: `1,299.00`. */
const yuan = (fen: number) => `${Math.trunc(fen / 100).toLocaleString('en-US')}.${String(Math.abs(fen) % 100).padStart(2, '0')}`;

/** DELTA: 0 only beside --growth (a correction of growth alone). */
function parseDelta(value: string, growth: number | undefined): number {
  if (!/^[+-]?\d{1,9}$/.test(value) || (Number(value) === 0 && growth === undefined)) {
    throw new InvalidArgumentError(`delta ${value} must be a ${growth === undefined ? 'non-zero ' : ''}whole number of points, at most 9 digits, e.g. 50 or -30${growth === undefined ? '' : ', or 0 to change growth alone'}`);
  }
  // +0 and -0 are 0: JSON would store -0 as 0 anyway
  return Number(value) || 0;
}

/** --growth: as DELTA, never 0 (leave it out to change points alone). */
function parseGrowth(value: string): number {
  if (!/^[+-]?\d{1,9}$/.test(value) || Number(value) === 0) throw new InvalidArgumentError(`must be a non-zero whole number of growth, at most 9 digits, e.g. 3000 or -500`);
  return Number(value);
}

/** An adjustment bigger than this is checked twice: 100000 typed for 1000 would hand out a fortune that `points verify` cannot see as wrong. */
export const LARGE_ADJUSTMENT = 10_000;

function parseAsOf(value: string): string {
  const at = isoOrNull(value) ?? parseBeijingTime(value);
  if (!at) throw new InvalidArgumentError('must be a time, e.g. 2028-01-01 or 2028-01-01T00:00:00+08:00');
  return at;
}

/** `points verify` lists this many differences unless told otherwise. */
const DEFAULT_VERIFY_MAX = 50;

function parseMax(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 20_000) throw new InvalidArgumentError('must be a whole number from 1 to 20000 (--all lists every difference)');
  return n;
}

function parseBatch(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 20_000) throw new InvalidArgumentError('must be 1-20000');
  return n;
}

/** Who is at the keyboard, for the audit trail of adjustments. */
const operatorName = () => process.env.USER || process.env.USERNAME || userInfo().username || 'unknown';

/** `import orders`, `points verify|expire|adjust`. */
export function registerPointsCommands({ program, importCommand, run, dataFiles }: CliContext): void {
  importCommand
    .command('orders')
    .description('import channel orders for points (columns: orderId, channelMemberId or phone/phoneSha256, amountFen or amount, status, refundFen, paidAt, refundedAt, storeId)')
    .requiredOption('--channel <channel>', 'channel the file comes from, e.g. tmall, offline, jd')
    .requiredOption('--file <file>', 'CSV with a header row, or JSON lines (.jsonl or .ndjson)')
    .option('--rejects <file>', 'where rejected rows go (default: FILE.rejects.jsonl)')
    .option('--batch <n>', 'rows per transaction (default 2000)', parseBatch)
    .action((options: { channel: string; file: string; rejects?: string; batch?: number }) => run(async (services) => {
      const bar = progressBar('importing orders');
      const started = Date.now();
      let imported = 0;
      const rejectsFile = options.rejects ?? `${options.file}.rejects.jsonl`;
      const stopExplaining = explainInterrupt(() => plural(imported, 'row'), rejectsFile, bar);
      try {
        const summary = await importOrdersFile(services, {
          channel: options.channel,
          file: options.file,
          rejectsFile,
          dataFiles: dataFiles(),
          onIgnoredColumns: warnIgnoredColumns,
          batchSize: options.batch,
          // parsing and hashing on the second core while this thread writes
          readAhead: true,
          onProgress: (done, total, s, reading) => {
            imported = s.read;
            bar.update(done, total, progressNote(s.read, reading));
          },
        });
        bar.stop();
        const seconds = (Date.now() - started) / 1000;
        process.stdout.write(
          // the rows first, each counted once, so they add up to those read; then what they did to points
          `read ${plural(summary.read, 'row')} in ${seconds.toFixed(1)} s: ${plural(summary.credited, 'new order', 'new orders')}, ` +
            `${plural(summary.refundedEarlier, 'refund')} of orders imported before, ${counted(summary.unchanged)} unchanged, ${counted(summary.rejected)} rejected; ` +
            `${plural(summary.points, 'point')} earned (${plural(summary.pending, 'order')} for buyers not imported yet, kept until they are` +
            `${summary.expiredPoints ? `; ${plural(summary.expiredPoints, 'point')} of orders paid too long ago expired as they entered` : ''}), ` +
            `${plural(summary.refunded, 'refund')} took back ${plural(summary.reversedPoints, 'point')}\n`,
        );
        const reasons = Object.entries(summary.reasons).sort(([, a], [, b]) => b - a);
        if (reasons.length) process.stdout.write(`rejected: ${reasons.map(([reason, n]) => `${reason} ${counted(n)}`).join(', ')}\n`);
        if (summary.rejectsFile) process.stdout.write(`rejected rows and reasons: ${summary.rejectsFile}\n`);
        failIfAllRejected(summary, summary.rejectsFile);
      } finally {
        stopExplaining();
        bar.stop();
      }
    }, { createsDatabase: true }));

  program
    .command('orders')
    .description('orders imported for points: those waiting for their buyer')
    .command('waiting')
    .description('orders whose buyer is not imported yet (or, known by phone alone, whom no member holding the phone has taken), their points waiting: channel by channel, oldest first')
    .option('--channel <channel>', 'one channel only, e.g. tmall')
    .option('--limit <n>', 'how many buyers, each with all its waiting orders (at most 1000)', '100')
    .option('--after <cursor>', 'the next page: the cursor the page before printed')
    .action((options: { channel?: string; limit: string; after?: string }) => run(async (services) => {
      const problem = options.channel === undefined ? null : unknownChannelProblem(options.channel, services.config.identity.priority);
      if (problem) throw new AppError('INVALID_INPUT', problem);
      const limit = pageLimit(options.limit);
      if (options.after !== undefined && !isWaitingCursor(options.after)) {
        throw new AppError('INVALID_INPUT', `--after takes the cursor an earlier orders waiting printed (after "more:"), got ${options.after}`);
      }
      // a database from before accounts were listed so: those already waiting are marked, once
      await markEarlierWaiting(services);
      const { buyers, nextCursor } = await listWaitingBuyers(services, { channel: options.channel, limit, cursor: options.after ?? null });
      let orders = 0;
      for (const b of buyers) {
        const hint = b.elsewhere.length ? `  (${b.elsewhere.join(', ')} is imported: a file of that channel imported as ${b.channel}?)` : '';
        for await (const o of waitingOrdersOf(services, b.accountId)) {
          orders++;
          const amount = (o.amountFen === null ? `${plural(o.points, 'point')}` : `${yuan(o.amountFen)} yuan`) + (o.refundFen === null ? '' : ` (refunded ${yuan(o.refundFen)})`);
          process.stdout.write(`${b.channel}  ${o.orderId}  buyer ${b.buyer}  ${amount}  paid ${beijingTime(o.paidAt)}  waiting since ${beijingTime(b.since)}${hint}\n`);
        }
      }
      // the counts per channel (all pages), then what this page listed, and last the next page as a command to run
      const totals = await waitingTotals(services, options.channel);
      for (const t of totals) {
        // buyers by member id of a channel none of whose members was ever imported: a wrong --channel, likely
        const none = t.channelHasMembers || t.byPhone === t.buyers ? '' : `; no ${t.channel} member is imported at all: were these orders imported under the wrong --channel, or is the ${t.channel} members file still to come?`;
        const phones = t.byPhone ? ` (${counted(t.byPhone)} known by phone alone)` : '';
        process.stderr.write(`${t.channel}: ${plural(t.buyers, 'buyer')} waiting${phones}, ${plural(t.points, 'point')}${none}\n`);
      }
      const channelArg = options.channel === undefined ? '' : ` --channel ${options.channel}`;
      const more = nextCursor ? ` (more: orders waiting${channelArg} --limit ${limit} --after ${shellQuoted(nextCursor)})` : '';
      const listed = totals.length ? `${plural(orders, 'order')} of ${plural(buyers.length, 'buyer')} listed` : 'no orders waiting for their buyer';
      process.stderr.write(`${listed}${buyers.length ? '; they count for the member once import members brings the buyer in' : ''}${more}\n`);
    }));

  const points = program.command('points').description('the points ledger: check it, expire points, adjust a member');

  points
    .command('verify')
    .description('recompute every account and member balance from the ledger and report differences (exit 1 if any)')
    .option('--max <n>', `differences to list (default ${DEFAULT_VERIFY_MAX}, at most 20000; --all lists every one)`, parseMax)
    .option('--all', 'list every difference, each as it is found (none is held in memory), then the counts')
    .action((options: { max?: number; all?: boolean }) => run(async (services) => {
      if (options.all && options.max !== undefined) throw new AppError('INVALID_INPUT', 'give --max N or --all, not both');
      const line = (d: Difference) => `  ${d.kind} ${d.id}: ${d.problem}\n`;
      // --all: each difference as it is found, and the counts after them, since they are known only then
      const report = await verifyPoints(services, options.all
        ? { maxDetails: 0, onDifference: (d) => process.stdout.write(line(d)) }
        : { maxDetails: options.max ?? DEFAULT_VERIFY_MAX });
      process.stdout.write(`checked ${plural(report.entries, 'ledger entry', 'ledger entries')}, ${plural(report.accounts, 'account')}, ${plural(report.balances, 'balance')}, ${plural(report.members, 'member')}: `);
      if (report.differences === 0) {
        process.stdout.write('no differences\n');
        return;
      }
      process.stdout.write(`${plural(report.differences, 'difference')}${options.all ? ' (listed above)' : ''}\n`);
      for (const d of report.details) process.stdout.write(line(d));
      if (!options.all && report.differences > report.details.length) {
        process.stdout.write(`  … and ${counted(report.differences - report.details.length)} more (points verify --all lists every one)\n`);
      }
      process.exitCode = 1;
    }));

  points
    .command('relevel')
    .description('after a change of level thresholds in the config: give every member the level their growth now gives (idempotent)')
    .action(() => run(async (services) => {
      const summary = await relevel(services);
      process.stdout.write(`checked ${plural(summary.balances, 'balance')}: ${plural(summary.changed, 'level')} changed to the configured thresholds\n`);
    }));

  points
    .command('expire')
    .description('expire every lot due as of a time (default now); idempotent and resumable')
    .option('--as-of <time>', 'ISO time or Beijing date/time, not later than now', parseAsOf)
    .option('--allow-future', 'let --as-of lie in the future (a rehearsal on a copy of the data, a demo)')
    .action((options: { asOf?: string; allowFuture?: boolean }) => run(async (services) => {
      const asOf = options.asOf ?? new Date(services.clock.now()).toISOString();
      // An expiry cannot be undone: a date typed a year ahead would take points members still own.
      if (Date.parse(asOf) > services.clock.now() && !options.allowFuture) {
        throw new AppError('INVALID_INPUT', `--as-of ${beijingTime(asOf)} is in the future; lots due by then still belong to their members (add --allow-future to expire them anyway)`);
      }
      const bar = progressBar('expiring points', { counting: true });
      let accounts = 0;
      const stopExplaining = explainInterrupt(() => plural(accounts, 'account'), undefined, bar);
      const summary = await expirePoints(services, asOf, {
        onProgress: (s) => {
          accounts = s.accounts;
          bar.update(0, 0, `${plural(s.lots, 'lot')} on ${plural(s.accounts, 'account')} so far`);
        },
      }).finally(() => {
        stopExplaining();
        bar.stop();
      });
      process.stdout.write(`as of ${beijingTime(asOf)}: expired ${plural(summary.lots, 'lot')}, ${plural(summary.points, 'point')}, on ${plural(summary.accounts, 'account')}\n`);
    }));

  points
    .command('adjust <member> <delta>')
    .description('add (or with a negative delta take away) points for a member, and with --growth its growth, audited with the reason and $USER')
    .requiredOption('--reason <reason>', 'why, kept on the ledger entry')
    .option('--growth <g>', 'also add (or with a negative number take away, never below zero) growth, the level following; DELTA may then be 0', parseGrowth)
    .option('--request-id <id>', 'makes a retried command replay instead of adjusting twice (default: a new id)')
    .option('--yes', `confirms an adjustment of more than ${LARGE_ADJUSTMENT.toLocaleString('en-US')} points or growth`)
    .action((member: string, deltaText: string, options: { reason: string; growth?: number; requestId?: string; yes?: boolean }) => {
      const growth = options.growth ?? 0;
      return run(async (services) => {
        // in the run, so a mistyped DELTA is said as the command's other refusals are (thrown before it, the bin would prefix `member-centre: `)
        const delta = parseDelta(deltaText, options.growth);
        if (Math.abs(delta) > LARGE_ADJUSTMENT && !options.yes) {
          throw new AppError('INVALID_INPUT', `${delta > 0 ? '+' : ''}${plural(delta, 'point')} is more than ${plural(LARGE_ADJUSTMENT, 'point')}: check the number, then run again with --yes`);
        }
        // 30000 typed for 3000 would lift a member two levels that points verify cannot see as wrong
        if (Math.abs(growth) > LARGE_ADJUSTMENT && !options.yes) {
          throw new AppError('INVALID_INPUT', `${growth > 0 ? '+' : ''}${counted(growth)} growth is more than ${counted(LARGE_ADJUSTMENT)} growth: check the number, then run again with --yes`);
        }
        // the ledger key is `adjust:<id>`: said in the operator's terms rather than the key's
        if (options.requestId !== undefined && !/^[^\s#]{1,193}$/.test(options.requestId)) {
          throw new AppError('INVALID_INPUT', '--request-id must be 1-193 characters without spaces or #');
        }
        // Refused before the request is named: a run that cannot adjust has nothing to repeat. A
        // request already posted replays as it is, whatever became of the member since.
        checkAdjustReason(options.reason);
        const posted = options.requestId !== undefined && (await services.store.get('ledger', `adjust:${options.requestId}`)) !== null;
        const target = posted ? null : await liveMember(services.store.get.bind(services.store), member);
        if (!posted && !target) throw new AppError('NOT_FOUND', `no live member ${member}`);
        // a member merged into another: its points are the survivor's, and the message says whose
        const whose = !target || target._id === member ? member : `${target._id} (${member} was merged into it)`;
        const requestId = options.requestId ?? services.ids.next('adj');
        // said before anything is written: a run cut off before its answer is repeated with it, not doubled
        if (!options.requestId) process.stderr.write(`request ${requestId}: if this run is cut off before it answers, run it again with --request-id ${requestId}\n`);
        const at = new Date(services.clock.now()).toISOString();
        const result = await services.store.transaction((tx) =>
          postAdjust(tx, services, {
            key: `adjust:${requestId}`, memberId: member, points: delta, ...(options.growth !== undefined && { growth: options.growth }), reason: options.reason, operator: operatorName(), at,
          }),
        );
        const total = result.entries.reduce((sum, e) => sum + e.points, 0);
        const signed = (n: number, unit: string) => `${n > 0 ? '+' : ''}${unit === 'point' ? plural(n, unit) : `${counted(n)} ${unit}`}`;
        let moved = signed(total, 'point');
        let level = '';
        if (options.growth !== undefined) {
          const grown = result.entries.reduce((sum, e) => sum + e.growth, 0);
          moved = `${total === 0 ? '' : `${moved} and `}${signed(grown, 'growth')}`;
          // the level the correction left, by name: what the operator set out to fix
          const balance = target && !result.replayed ? await services.store.get<BalanceDoc>(COLLECTION.balances, target._id) : null;
          if (balance) level = `; level now ${levelName(balance.level, services.config.levels)} (${balance.level})`;
        }
        process.stdout.write(`${result.replayed ? 'already done' : 'adjusted'}: ${moved} for ${whose} (request ${requestId})${level}\n`);
      });
    });
}
