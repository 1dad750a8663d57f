/** `1 member`, `2 members`, `-1 point`: counts in the CLI's English read as English. */
export function plural(count: number, noun: string, nouns = `${noun}s`): string {
  return `${count} ${Math.abs(count) === 1 ? noun : nouns}`;
}

/** A stored (UTC) time as the operator reads it: `2027-12-31 23:59:59 Beijing`. */
export function beijingTime(iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return iso;
  return `${new Date(ms + 8 * 3600 * 1000).toISOString().slice(0, 19).replace('T', ' ')} Beijing`;
}
