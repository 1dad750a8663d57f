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

/** The home page, which takes the entry; a page a code opens directly reads its own query. */
const HOME_PAGE = 'pages/member/index'

/** Whether the app was opened (or brought back) on the home page; an unknown path counts as home. */
export function opensHomePage(path: string | undefined): boolean {
  const page = (path ?? '').replace(/^[#/]+/, '').split('?')[0]
  return page === '' || page === HOME_PAGE
}

/** H5 (hash router): the page in the address. */
export function h5Path(): string {
  if (typeof window === 'undefined' || !window.location) return ''
  return window.location.hash.replace(/^#/, '').split('?')[0] ?? ''
}

export type LaunchOptions = { path?: string; query?: Record<string, unknown> } | undefined

/**
 * The code the app was opened with, for the home page to route. A code that opens another page
 * (the landing page, say) is that page's to read: handing it to the home page as well would
 * open the landing page a second time when the consumer later goes home.
 */
export function launchEntry(options: LaunchOptions): Entry | null {
  // H5: the address only. Taro hands every show (each time the browser tab comes back) the
  // launch's options, query and all, long after the entry was taken and left the address.
  if (process.env.TARO_ENV === 'h5') return opensHomePage(h5Path()) ? entryFrom(h5Query()) : null
  if (!opensHomePage(options?.path)) return null
  return entryFrom(options?.query)
}

/** WeChat's launch or show options of the entry last taken (weapp). */
let lastTaken: string | null = null

/**
 * The code the app was opened or brought back with, once per entry. WeChat hands every return to
 * the foreground (back from the camera, the phone unlocked at the till) the options of the entry
 * that last brought the app up, on some clients query and all: taken again, it opened the landing
 * page a second time at the next visit home. A plain-link code's query carries its scan time
 * (`scancode_time`), so scanning it again is a new entry; the same mini-program code scanned
 * again while the app still runs is not told apart, and leads where it led already.
 */
export function newEntry(options: LaunchOptions): Entry | null {
  const entry = launchEntry(options)
  if (!entry || process.env.TARO_ENV === 'h5') return entry
  const taken = JSON.stringify([options?.path ?? '', options?.query ?? {}])
  if (taken === lastTaken) return null
  lastTaken = taken
  return entry
}

/**
 * H5: the address without its entry once the app has taken it. WeChat hands a launch its code
 * once; a browser keeps `?q=` in the address, and a reload opened the code again. The rest of the address stays, and no history entry is added.
 */
export function forgetH5Entry(): void {
  if (typeof window === 'undefined' || !window.history?.replaceState) return
  const withoutEntry = (query: string) => query.split('&').filter((pair) => pair && !/^(scene|q)=/.test(pair)).join('&')
  const { pathname, search, hash } = window.location
  const at = hash.indexOf('?')
  const route = at < 0 ? hash : hash.slice(0, at)
  const searchLeft = withoutEntry(search.replace(/^\?/, ''))
  const hashLeft = at < 0 ? '' : withoutEntry(hash.slice(at + 1))
  const next = `${pathname}${searchLeft ? `?${searchLeft}` : ''}${route}${hashLeft ? `?${hashLeft}` : ''}`
  if (next !== `${pathname}${search}${hash}`) window.history.replaceState(window.history.state, '', next)
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
