/** `1 member`, `2 members`, `-1 point`: counts in the CLI's English read as English. */
export function plural(count: number, noun: string, nouns = `${noun}s`): string {
  return `${count} ${Math.abs(count) === 1 ? noun : nouns}`;
}

// (in points/time.ts: the scenes' own refusals, which reach the cloud functions, use it too)
export { beijingTime } from '../points/time';
