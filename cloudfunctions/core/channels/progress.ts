import { SingleBar, Presets } from 'cli-progress';

/** A progress bar on a terminal; nothing when output is piped or in CI. */
export function progressBar(label: string): { update(done: number, total: number, note: string): void; stop(): void } {
  if (!process.stderr.isTTY || process.env.CI) return { update: () => {}, stop: () => {} };
  const bar = new SingleBar(
    { format: `${label} {bar} {percentage}% | {note}`, stream: process.stderr, hideCursor: true, clearOnComplete: true },
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
