import Taro from '@tarojs/taro'

/** Every page's path. Tab pages live in the main package; the rest in subpackages. */
export const ROUTES = {
  member: '/pages/member/index',
  points: '/pages/points/index',
  mine: '/pages/mine/index',
  join: '/packages/join/index',
  landing: '/packages/join/landing/index',
  order: '/packages/join/order/index',
  scan: '/packages/scan/index',
  terms: '/packages/account/terms/index',
  storeCard: '/packages/account/store-card/index',
} as const

const TABS: string[] = [ROUTES.member, ROUTES.points, ROUTES.mine]

export function withQuery(path: string, query: Record<string, string | undefined> = {}): string {
  const pairs = Object.entries(query).filter((pair): pair is [string, string] => typeof pair[1] === 'string' && pair[1] !== '')
  return pairs.length ? `${path}?${pairs.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&')}` : path
}

const CANNOT_OPEN = '页面暂时无法打开，请稍后再试'

/**
 * A page that could not be opened says so: a subpackage is downloaded on first use, which a
 * weak signal can fail, and a tap that does nothing looks broken. Answers whether it opened
 * (in H5, Taro answers once the address changed, before the page's script has loaded).
 */
function opened(navigation: Promise<unknown> | undefined): Promise<boolean> {
  return Promise.resolve(navigation).then(() => true, () => {
    void Taro.showToast({ title: CANNOT_OPEN, icon: 'none' })
    return false
  })
}

/** How often H5 asks whether the server answers again, after a page could not be fetched. */
const SERVER_PROBE_MS = 5_000

/** Whether the server that served the app answers (H5). */
const serverAnswers = (): Promise<boolean> =>
  fetch(window.location.href, { method: 'HEAD', cache: 'no-store' }).then((response) => response.ok, () => false)

/**
 * H5: a page whose script or style cannot be fetched (offline, or the server down) fails outside
 * any promise of ours (the tab bar's own switch, say): the old page stayed on screen without a
 * word, and the router, already at the new address, took the next tap on that tab for the page it
 * was on. So: said, and once the network is back, or the server answers again (the browser stays
 * `online` when only the server is down), the app reloads at the address it was asked for.
 */
export function watchPageLoadFailures(
  target: Pick<Window, 'addEventListener'> & { location: Pick<Location, 'reload'> } = window,
  probe: () => Promise<boolean> = serverAnswers,
): void {
  let reloadArmed = false
  let reloaded = false
  const reload = () => {
    if (reloaded) return
    reloaded = true
    target.location.reload()
  }
  const poll = () => setTimeout(() => void probe().then((up) => (up ? reload() : reloaded || poll())), SERVER_PROBE_MS)
  target.addEventListener('unhandledrejection', (event: PromiseRejectionEvent) => {
    const reason = event.reason as { name?: string } | null
    if (reason?.name !== 'ChunkLoadError') return
    event.preventDefault()
    void Taro.showToast({ title: CANNOT_OPEN, icon: 'none' })
    if (reloadArmed) return
    reloadArmed = true
    target.addEventListener('online', reload, { once: true })
    poll()
  })
}

/** A double tap's second tap comes within this of the first (H5 answers a push at once, before the page shows). */
const DOUBLE_TAP_MS = 600
/** How long a push may go unanswered (a subpackage downloading) before taps open pages again. */
const PUSH_TIMEOUT_MS = 3000

/**
 * The last push: a second tap before its page has opened would push the page a second time (and
 * one back would land on it again), so taps are let go while it is unanswered and within a
 * double tap of it. A push that failed holds nothing: the tap may be tried again at once.
 */
let lastPush: { at: number; answered: boolean } | null = null

/** Forgets the last push, as if it were long ago (the page tests, each of which starts afresh). */
export function forgetLastPush(): void {
  lastPush = null
}

/** Opens a page: tab pages with switchTab, others pushed on the stack, once per tap however quick the second. */
export function go(path: string, query?: Record<string, string | undefined>): void {
  if (TABS.includes(path)) {
    void opened(Taro.switchTab({ url: path }))
    return
  }
  const now = Date.now()
  if (lastPush && now - lastPush.at < (lastPush.answered ? DOUBLE_TAP_MS : PUSH_TIMEOUT_MS)) return
  const push = { at: now, answered: false }
  lastPush = push
  const navigation = Taro.navigateTo({ url: withQuery(path, query) })
  void Promise.resolve(navigation).then(
    () => void (push.answered = true),
    () => void (lastPush === push && (lastPush = null)),
  )
  void opened(navigation)
}

/** Replaces the current page (a flow's next step that should not come back on "back"); answers whether it opened. */
export function replace(path: string, query?: Record<string, string | undefined>): Promise<boolean> {
  return opened(TABS.includes(path) ? Taro.switchTab({ url: path }) : Taro.redirectTo({ url: withQuery(path, query) }))
}

/** Router params arrive URI-encoded in weapp and sometimes twice in H5: decode until stable. */
export function decodeParam(value: string | undefined): string | undefined {
  if (!value) return undefined
  let current = value
  for (let i = 0; i < 3; i++) {
    try {
      const next = decodeURIComponent(current)
      if (next === current) break
      current = next
    } catch {
      break
    }
  }
  return current
}
