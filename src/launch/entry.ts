/**
 * How the app was opened: a mini-program code carries `scene` (g=, s=, p=), a printed
 * plain-link QR code carries `q` (the scanned URL). WeChat hands them to the entry page's
 * query; in H5 they come in the address (search or hash). The first page takes the entry
 * once and sends the consumer to the landing page.
 */
import { decodeParam } from '../lib/routes'

export interface Entry {
  scene?: string
  q?: string
}

let pending: Entry | null = null

/** The scene or scanned URL in a page or launch query, if any. */
export function entryFrom(query: Record<string, unknown> | undefined): Entry | null {
  if (!query) return null
  const scene = typeof query.scene === 'string' ? decodeParam(query.scene) : undefined
  const q = typeof query.q === 'string' ? decodeParam(query.q) : undefined
  if (scene && /^[a-z]=/.test(scene)) return { scene }
  if (q) return { q }
  return null
}

/** H5: the query of the address, from `?…` before the hash or after it. */
export function h5Query(): Record<string, string> {
  if (typeof window === 'undefined' || !window.location) return {}
  const out: Record<string, string> = {}
  const parts = [window.location.search, window.location.hash.split('?')[1] ?? '']
  for (const part of parts) {
    for (const pair of part.replace(/^\?/, '').split('&')) {
      const at = pair.indexOf('=')
      if (at > 0) out[pair.slice(0, at)] = pair.slice(at + 1)
    }
  }
  return out
}

export function setPendingEntry(entry: Entry | null): void {
  pending = entry
}

/** The entry the app was opened with, handed out once. */
export function takePendingEntry(): Entry | null {
  const entry = pending
  pending = null
  return entry
}
