/**
 * What a scan gave: WeChat's scanner returns the text of a code, or, for one of our own
 * mini-program codes, a `path` whose query carries the scene.
 */
export type Scanned =
  | { kind: 'redeem'; input: { q: string } | { code: string } }
  | { kind: 'landing'; scene?: string; q?: string }
  | { kind: 'unknown' }

/**
 * `brandDomain`: our printed links' host (BRAND_DOMAIN, from the same config the functions read);
 * another site's link is answered here, not sent to count against the consumer's invalid scans.
 */
export function readScan(result: string, brandDomain: string, path?: string): Scanned {
  const scene = path ? /[?&]scene=([^&]+)/.exec(path)?.[1] : undefined
  if (scene) return { kind: 'landing', scene: safeDecode(scene) }
  const text = result.trim()
  if (!text) return { kind: 'unknown' }
  if (/^https?:\/\//i.test(text)) {
    // As the server reads a link (scenes/scene.ts parseLink): https, the brand's host in any case,
    // then /c/ a product unit (redeemed) or /g/ /s/ /p/ a guide, store or package card (joins).
    const link = /^https:\/\/([^/?#]+)\/([a-z])\//.exec(text)
    if (!link || link[1]!.toLowerCase() !== brandDomain.toLowerCase()) return { kind: 'unknown' }
    if (link[2] === 'c') return { kind: 'redeem', input: { q: text } }
    if (/^[gsp]$/.test(link[2]!)) return { kind: 'landing', q: text }
    return { kind: 'unknown' }
  }
  // A product code alone is 22 to 30 letters and digits; a shop barcode (EAN, 8 to 14 digits) is
  // not one of ours and must not count against the consumer's invalid scans.
  if (/^[A-Za-z0-9]{22,30}$/.test(text)) return { kind: 'redeem', input: { code: text } }
  return { kind: 'unknown' }
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value)
  } catch {
    return value
  }
}
