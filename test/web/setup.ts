// jsdom lacks a few things NutUI and the pages touch.
// A 2D context that accepts any property and any call (NutUI's bundled lottie draws on import).
const fakeContext = () => {
  const state: Record<string | symbol, unknown> = {}
  return new Proxy(state, {
    get: (target, key) => (key in target ? target[key] : () => ({ data: [], width: 0 })),
    set: (target, key, value) => {
      target[key] = value
      return true
    },
  })
}
HTMLCanvasElement.prototype.getContext = fakeContext as unknown as HTMLCanvasElement['getContext']
if (!globalThis.crypto?.getRandomValues) {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  Object.defineProperty(globalThis, 'crypto', { value: require('node:crypto').webcrypto })
}
if (!window.matchMedia) {
  window.matchMedia = ((query: string) => ({ matches: false, media: query, onchange: null, addListener() {}, removeListener() {}, addEventListener() {}, removeEventListener() {}, dispatchEvent: () => false })) as typeof window.matchMedia
}
class NoObserver {
  observe() {}
  unobserve() {}
  disconnect() {}
  takeRecords() {
    return []
  }
}
globalThis.IntersectionObserver ??= NoObserver as unknown as typeof IntersectionObserver
globalThis.ResizeObserver ??= NoObserver as unknown as typeof ResizeObserver

// Async state updates after a test's last assertion are expected here; keep the output readable.
const consoleError = console.error
console.error = (...args: unknown[]) => {
  if (typeof args[0] === 'string' && args[0].includes('not wrapped in act(')) return
  // NutUI's loading icon sets `-webkitMask` inline (its code, not ours; browsers take it)
  if (typeof args[0] === 'string' && args[0].includes('Unsupported style property %s') && args[1] === '-webkitMask') return
  consoleError(...args)
}
const consoleWarn = console.warn
console.warn = (...args: unknown[]) => {
  if (typeof args[0] === 'string' && args[0].includes('Lottie')) return // NutUI's bundled lottie, on import
  consoleWarn(...args)
}
