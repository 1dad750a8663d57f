/** A member id short enough to read aloud at the till: the last 8 letters and digits, upper case, in two groups. */
export function shortMemberId(memberId: string): string {
  const tail = memberId.replace(/[^0-9a-z]/gi, '').slice(-8).toUpperCase()
  return tail.length > 4 ? `${tail.slice(0, 4)} ${tail.slice(4)}` : tail
}
