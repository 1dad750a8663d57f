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

/** A calendar day as written (`1995-01-01`, a birthday: no time zone) in words: 1995年1月1日. */
export function formatDay(day: string): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day)
  return match ? `${match[1]}年${Number(match[2])}月${Number(match[3])}日` : day
}

/** 2026-11-23 10:30: compact, for lists (积分明细) */
export function formatDateTime(iso: string): string {
  const d = beijing(iso)
  if (!d) return ''
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`
}

/** 2026年11月23日 10:30: a time inside a sentence (请于 … 后再试), written as the dates beside it are */
export function formatDateTimeWords(iso: string): string {
  const d = beijing(iso)
  if (!d) return ''
  return `${formatDate(iso)} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`
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
/**
 * The class of a formatted balance, with its smaller size: from seven digits (1,234,567 ran off a 320 px screen
 * with WeChat's larger text), smaller again from ten (1,000,000,000, the most an opening carries).
 */
export const balanceClass = (base: string, formatted: string): string =>
  formatted.length >= 13 ? `${base} ${base}--longer` : formatted.length >= 9 ? `${base} ${base}--long` : base
export const pointsOwed = (available: number) => Math.max(0, -available)

const DAY_MS = 86_400_000
/**
 * Within this long of expiring, the days left are worth counting; a year ahead, the date alone
 * is enough. No call to use them: the mini-program has nowhere to spend points yet.
 */
const URGENT_MS = 30 * DAY_MS

/** What the next expiry says, the same on the card and on 积分: 300 积分将于 2026年12月31日 过期（还剩 25 天）, urgent within a month. */
export function expiryNotice(lot: { points: number; at: string }, now = Date.now()): { text: string; urgent: boolean } {
  const urgent = Date.parse(lot.at) - now < URGENT_MS
  // calendar days in Beijing, where lots expire at 23:59:59 (China keeps UTC+8 all year)
  const beijingDay = (ms: number) => Math.floor((ms + BEIJING_MS) / DAY_MS)
  const daysLeft = beijingDay(Date.parse(lot.at)) - beijingDay(now)
  // no-break spaces: the days left stay on one line (with keep-all in the notice's style)
  const left = urgent ? (daysLeft <= 0 ? '（今天到期）' : `（还剩\u00a0${daysLeft}\u00a0天）`) : ''
  return { text: `${formatPoints(lot.points)}\u00a0积分将于 ${formatDate(lot.at)} 过期${left}`, urgent }
}

/** Said after a credit that left the member still owing: the points went to the debt, not to 可用. */
export const owedNote = (available: number): string | null =>
  pointsOwed(available) > 0 ? `还有 ${formatPoints(pointsOwed(available))}\u00a0积分待抵扣，将从之后获得的积分中扣除` : null

/**
 * Of `points` just credited, those that went to what the member owed: the member's available
 * points before the credit were `available - points`, and a debt is repaid first.
 */
export const repaidBy = (points: number, available: number): number => Math.min(points, Math.max(0, points - available))

/** The headline of a credit (a scan, a package card's bonus): all of it may have gone to a debt, which +50 beside 可用 0 does not say. */
export const creditTitle = (points: number, available: number): string =>
  repaidBy(points, available) === points && points > 0 ? `+${formatPoints(points)}\u00a0积分已抵扣欠分` : `积分已到账 +${formatPoints(points)}`

/** Said under a credit part of which repaid a debt. */
export const repaidNote = (points: number, available: number): string | null => {
  const repaid = repaidBy(points, available)
  return repaid > 0 && repaid < points ? `其中 ${formatPoints(repaid)}\u00a0积分已抵扣欠分` : null
}
