/** `1,000,000`: a count as an operator reads it (the progress notes write them so); not for lines a script reads. */
export const counted = (count: number): string => count.toLocaleString('en-US');

/** `1 member`, `2 members`, `-1 point`, `1,000 codes`: counts in the CLI's English read as English. */
export function plural(count: number, noun: string, nouns = `${noun}s`): string {
  return `${counted(count)} ${Math.abs(count) === 1 ? noun : nouns}`;
}

// (in points/time.ts: the scenes' own refusals, which reach the cloud functions, use it too)
export { beijingTime } from '../points/time';
