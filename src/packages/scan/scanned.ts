/**
 * What a scan gave: WeChat's scanner returns the text of a code, or, for one of our own
 * mini-program codes, a `path` whose query carries the scene.
 */
export type Scanned =
  | { kind: 'redeem'; input: { q: string } | { code: string } }
  | { kind: 'landing'; scene?: string; q?: string }
  | { kind: 'unknown' }

export function readScan(result: string, path?: string): Scanned {
  const scene = path ? /[?&]scene=([^&]+)/.exec(path)?.[1] : undefined
  if (scene) return { kind: 'landing', scene: safeDecode(scene) }
  const text = result.trim()
  if (!text) return { kind: 'unknown' }
  if (/^https?:\/\//i.test(text)) {
    // A guide's plain link joins; everything else (product codes) is redeemed.
    if (/^https?:\/\/[^/]+\/g\//i.test(text)) return { kind: 'landing', q: text }
    return { kind: 'redeem', input: { q: text } }
  }
  if (/^[A-Za-z0-9_-]{4,64}$/.test(text)) return { kind: 'redeem', input: { code: text } }
  return { kind: 'unknown' }
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value)
  } catch {
    return value
  }
}
