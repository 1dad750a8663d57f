import { NEVER } from './types';

/**
 * Beijing time without a time-zone library: China has kept UTC+08:00 all year
 * since 1991, so a fixed offset is exact for every date a member can have.
 */
export const BEIJING_OFFSET_MS = 8 * 3600 * 1000;

const TIME = /^(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3})\d*)?)?)?\s*(Z|z|[+-]\d{2}:?\d{2})?$/;

/**
 * A time as partners write it (`2026-11-01 12:30:00`, `2026/11/01 12:30`,
 * `2026-11-01`, ISO with `Z` or an offset) as ISO UTC, or null. Without a zone
 * it is Beijing time; a date alone is its Beijing midnight. Impossible dates
 * (`2026-02-30`) are null, never rolled over.
 */
export function parseBeijingTime(input: string): string | null {
  const m = TIME.exec(input.trim());
  if (!m) return null;
  const [, y, mo, d, h = '0', mi = '0', s = '0', ms = '0', zone] = m;
  const fields = [Number(y), Number(mo), Number(d), Number(h), Number(mi), Number(s), Number(ms.padEnd(3, '0'))] as const;
  const [year, month, day, hour, minute, second, milli] = fields;
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) return null;
  const wall = Date.UTC(year, month - 1, day, hour, minute, second, milli);
  const check = new Date(wall);
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) return null;
  let offset = BEIJING_OFFSET_MS;
  if (zone && zone.toUpperCase() === 'Z') offset = 0;
  else if (zone) {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    const zh = Number(digits.slice(0, 2));
    const zm = Number(digits.slice(2));
    if (zh > 14 || zm > 59) return null;
    offset = sign * (zh * 60 + zm) * 60_000;
  }
  return new Date(wall - offset).toISOString();
}

/** The calendar year in Beijing of an instant. */
/** A stored (UTC) time as the operator reads it: `2027-12-31 23:59:59 Beijing`. */
export function beijingTime(iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return iso;
  return `${new Date(ms + BEIJING_OFFSET_MS).toISOString().slice(0, 19).replace('T', ' ')} Beijing`;
}

export const beijingYear = (iso: string): number => new Date(Date.parse(iso) + BEIJING_OFFSET_MS).getUTCFullYear();

/**
 * When points earned at `at` expire: 23:59:59 Beijing time on 31 December of
 * the year `yearsAfterEarning` after the year of `at` (null: never).
 */
export function expiryOf(at: string, rule: { yearsAfterEarning: number } | null): string {
  if (!rule) return NEVER;
  const year = beijingYear(at) + rule.yearsAfterEarning;
  let expiry = yearEnds.get(year);
  if (!expiry) yearEnds.set(year, (expiry = new Date(Date.UTC(year, 11, 31, 23, 59, 59) - BEIJING_OFFSET_MS).toISOString()));
  return expiry;
}

/** 23:59:59 Beijing time on 31 December, by year (an import asks for the same few years a million times). */
const yearEnds = new Map<number, string>();

const CANONICAL_ISO = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.\d{3}Z$/;
const ZONED_ISO = /^\d{4}-\d{2}-\d{2}T.*(Z|z|[+-]\d{2}:?\d{2})$/;

const daysIn = (year: number, month: number) => new Date(Date.UTC(year, month, 0)).getUTCDate();

/**
 * A canonical ISO string, or null when `value` is not an ISO instant with its zone (`Z` or an
 * offset). Impossible dates are null, never rolled over (`Date.parse` reads `2026-02-30` as 2
 * March). A canonical string (what this code writes) is returned as it is: an import checks a
 * million of them.
 */
export function isoOrNull(value: string): string | null {
  const m = CANONICAL_ISO.exec(value);
  if (!m) return ZONED_ISO.test(value) ? parseBeijingTime(value) : null;
  const [year, month, day, hour, minute, second] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const valid = month >= 1 && month <= 12 && day >= 1 && hour <= 23 && minute <= 59 && second <= 59 && day <= daysIn(year, month);
  return valid ? value : null;
}
