/**
 * The H5 build's stand-in for WeChat's identity: a per-browser dev openid, sent as
 * X-WX-OPENID and honoured only by the local dev runtime.
 */
const STORAGE_KEY = 'mc.devOpenid'
let memory: string | null = null

function randomId(): string {
  const bytes = new Uint8Array(12)
  globalThis.crypto.getRandomValues(bytes)
  return Array.from(bytes, (b) => (b % 36).toString(36)).join('')
}

function storage(): Storage | null {
  try {
    return globalThis.localStorage ?? null
  } catch {
    return null // storage disabled (private mode, sandboxed frame)
  }
}

/** The current dev openid, created as `dev_<random>` on first use. */
export function getDevOpenid(): string {
  const stored = storage()?.getItem(STORAGE_KEY) ?? memory
  if (stored) return stored
  const created = `dev_${randomId()}`
  setDevOpenid(created)
  return created
}

/** Switch this browser to another dev identity (for a dev identity switcher). */
export function setDevOpenid(openid: string): void {
  memory = openid
  storage()?.setItem(STORAGE_KEY, openid)
}
