/** Display formats. Times are shown in Beijing time whatever the phone's zone. */

const BEIJING_MS = 8 * 3600 * 1000
const pad = (n: number) => String(n).padStart(2, '0')

function beijing(iso: string): Date | null {
  const ms = Date.parse(iso)
  return Number.isNaN(ms) ? null : new Date(ms + BEIJING_MS)
}

/** 2027年12月31日 */
export function formatDate(iso: string): string {
  const d = beijing(iso)
  return d ? `${d.getUTCFullYear()}年${d.getUTCMonth() + 1}月${d.getUTCDate()}日` : ''
}

/** 2026-11-23 10:30 */
export function formatDateTime(iso: string): string {
  const d = beijing(iso)
  if (!d) return ''
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`
}

/** 1,280 */
export function formatPoints(n: number): string {
  const sign = n < 0 ? '-' : ''
  return sign + String(Math.abs(Math.trunc(n))).replace(/\B(?=(\d{3})+(?!\d))/g, ',')
}

/** +120 / -50 / 0, for ledger lines. */
export function signedPoints(n: number): string {
  return n > 0 ? `+${formatPoints(n)}` : formatPoints(n)
}

/** Hides all but the first three and last four digits of anything that looks like a mainland mobile. */
export function maskPhones(text: string): string {
  return text.replace(/(^|\D)(1[3-9]\d)\d{4}(\d{4})(?=\D|$)/g, '$1$2****$3') // no lookbehind: older iOS engines lack it
}

/**
 * Points a member can spend, and points still to be made up, from a balance that may be
 * negative (a refund took back points already spent). Only a negative total is owed: an
 * account in debt beside another in credit is already netted in the balance.
 */
export const spendablePoints = (available: number) => Math.max(0, available)
export const pointsOwed = (available: number) => Math.max(0, -available)

/** Said after a credit that left the member still owing: the points went to the debt, not to 可用. */
export const owedNote = (available: number): string | null =>
  pointsOwed(available) > 0 ? `还有 ${formatPoints(pointsOwed(available))} 积分待抵扣，将从之后获得的积分中扣除` : null
