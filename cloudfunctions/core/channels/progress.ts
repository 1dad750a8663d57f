import { existsSync } from 'node:fs';
import { SingleBar, Presets } from 'cli-progress';
import { plural } from '../local/wording';

/** Without a terminal (cron, a pipe), a line this often says how far a long run is. */
const LOG_EVERY_MS = 10_000;

/**
 * A progress bar on a terminal. Piped or in CI, a line on stderr every 10 seconds instead, so a
 * cron log shows a long import moving (a short one prints nothing but its summary).
 */
export function progressBar(label: string, { counting = false } = {}): { update(done: number, total: number, note: string): void; stop(): void } {
  if (!process.stderr.isTTY || process.env.CI) {
    let next = Date.now() + LOG_EVERY_MS;
    return {
      update(done, total, note) {
        if (Date.now() < next) return;
        next = Date.now() + LOG_EVERY_MS;
        process.stderr.write(counting ? `${label}: ${note}\n` : `${label}: ${total ? Math.floor((done / total) * 100) : 0}% | ${note}\n`);
      },
      stop: () => {},
    };
  }
  // `counting`: a run whose total is unknown until it ends (points expire) shows what it did so far
  const bar = new SingleBar(
    { format: counting ? `${label} | {note}` : `${label} {bar} {percentage}% | {note}`, stream: process.stderr, hideCursor: true, clearOnComplete: true },
    Presets.shades_classic,
  );
  let started = false;
  return {
    update(done, total, note) {
      if (!started) {
        bar.start(total, 0, { note });
        started = true;
      }
      bar.update(done, { note });
    },
    stop() {
      if (started) bar.stop();
      started = false;
    },
  };
}

/**
 * An import's progress note: the rows imported, and while the next window of rows is read (a
 * million, grouped before any is written: 20 to 30 s at the start of a big file) how many are in.
 */
export function progressNote(imported: number, reading?: number): string {
  const done = plural(imported, 'row') + ' imported';
  return reading ? `${done}, reading the next rows (${reading.toLocaleString('en-US')} so far; they are written once read and grouped)` : done;
}

/**
 * Ctrl-C (or a stop: SIGTERM, as `kill` and `timeout` send) during an import or an expiry run: say
 * what stays and how to finish, rather than end silently. Every batch is one transaction, so what
 * was written is whole, and running the command again adds nothing twice. `bar` is stopped first:
 * on a terminal it hid the cursor, which would otherwise stay hidden in the operator's shell.
 * Returns the function that stops listening.
 */
export function explainInterrupt(done: () => string, rejectsFile?: string, bar?: { stop(): void }): () => void {
  const onInterrupt = (signal: NodeJS.Signals) => {
    bar?.stop();
    process.stderr.write(`\ninterrupted after ${done()}: every batch written so far stays whole; run the same command again to finish (it adds nothing twice)\n`);
    // Added now, this runs after the import's own exit listener has written its last rejects.
    process.once('exit', () => {
      if (rejectsFile && existsSync(rejectsFile)) process.stderr.write(`rows rejected so far: ${rejectsFile}\n`);
    });
    process.exit(signal === 'SIGTERM' ? 143 : 130);
  };
  process.once('SIGINT', onInterrupt);
  process.once('SIGTERM', onInterrupt);
  return () => {
    process.off('SIGINT', onInterrupt);
    process.off('SIGTERM', onInterrupt);
  };
}

/**
 * Told before an import starts: the columns of its file it does not read. A column under another
 * name (`mobile` for `phone`) would otherwise be dropped from every row without a word.
 */
export const warnIgnoredColumns = (columns: string[], readColumns: readonly string[]) =>
  void process.stderr.write(`ignored: ${columns.length > 1 ? 'columns' : 'column'} ${columns.join(', ')}, which this import does not read (it reads ${readColumns.join(', ')})\n`);

/** An import that rejected every row it read did nothing: a failure (exit 1) for cron to see, not a run that went fine. */
export function failIfAllRejected(summary: { read: number; rejected: number }, rejectsFile: string | null): void {
  if (summary.read > 0 && summary.rejected === summary.read) throw new Error(`every row was rejected, so nothing was imported; the reasons are in ${rejectsFile}`);
}
