/**
 * A stand-in for @tarojs/taro in jsdom: what NutUI touches on import (getEnv, nextTick,
 * system info, selector queries, an event centre) and what the pages call (navigation,
 * storage, modals, scanCode, router params). Every call is a jest.fn to assert on.
 * Page lifecycle hooks do not fire outside Taro's runtime, except useRouter's params, a page's first
 * show, and the hide and show a test fires with `pageLifecycle`.
 */
import { useEffect, useRef } from 'react'

type Handler = (...args: unknown[]) => void

class Events {
  private handlers = new Map<string, Handler[]>()
  on(name: string, fn: Handler) {
    this.handlers.set(name, [...(this.handlers.get(name) ?? []), fn])
    return this
  }
  once(name: string, fn: Handler) {
    const wrap: Handler = (...args) => {
      this.off(name, wrap)
      fn(...args)
    }
    return this.on(name, wrap)
  }
  off(name?: string, fn?: Handler) {
    if (!name) this.handlers.clear()
    else if (!fn) this.handlers.delete(name)
    else this.handlers.set(name, (this.handlers.get(name) ?? []).filter((h) => h !== fn))
    return this
  }
  trigger(name: string, ...args: unknown[]) {
    for (const h of this.handlers.get(name) ?? []) h(...args)
    return this
  }
}

const storage = new Map<string, unknown>()
export const router = { params: {} as Record<string, string> }

const windowInfo = { windowWidth: 375, windowHeight: 812, screenWidth: 375, screenHeight: 812, pixelRatio: 2, statusBarHeight: 20, safeArea: { top: 0, bottom: 812, left: 0, right: 375, width: 375, height: 812 } }

const selectorQuery = () => {
  const query = {
    select: () => query,
    selectAll: () => query,
    selectViewport: () => query,
    boundingClientRect: (cb?: (r: unknown) => void) => {
      cb?.({ width: 0, height: 0, top: 0, left: 0 })
      return query
    },
    scrollOffset: () => query,
    fields: () => query,
    node: () => query,
    exec: (cb?: (r: unknown[]) => void) => cb?.([]),
  }
  return query
}

const Taro = {
  ENV_TYPE: { WEAPP: 'WEAPP', WEB: 'WEB', RN: 'RN' },
  getEnv: () => 'WEB',
  nextTick: (fn: () => void) => setTimeout(fn, 0),
  getSystemInfoSync: () => windowInfo,
  getWindowInfo: () => windowInfo,
  getDeviceInfo: () => ({ platform: 'devtools' }),
  getAppBaseInfo: () => ({ theme: 'light' }),
  getCurrentInstance: () => ({ router: { params: router.params, path: '/' }, page: {} }),
  createSelectorQuery: selectorQuery,
  eventCenter: new Events(),
  Events,
  pxTransform: (n: number) => `${n / 2}px`,
  navigateTo: jest.fn(async () => ({})),
  redirectTo: jest.fn(async () => ({})),
  switchTab: jest.fn(async () => ({})),
  reLaunch: jest.fn(async () => ({})),
  navigateBack: jest.fn(async () => ({})),
  showToast: jest.fn(async () => ({})),
  setNavigationBarTitle: jest.fn(async () => ({})),
  hideToast: jest.fn(),
  showLoading: jest.fn(),
  hideLoading: jest.fn(),
  showModal: jest.fn(async () => ({ confirm: true, cancel: false })),
  scanCode: jest.fn(async () => ({ result: '' })),
  getStorageSync: jest.fn((key: string) => (storage.has(key) ? storage.get(key) : '')),
  setStorageSync: jest.fn((key: string, value: unknown) => void storage.set(key, value)),
  removeStorageSync: jest.fn((key: string) => void storage.delete(key)),
  clearStorageSync: () => storage.clear(),
  vibrateShort: jest.fn(),
  getScreenBrightness: jest.fn(async () => ({ value: 0.4 })),
  setScreenBrightness: jest.fn(async () => ({})),
  setKeepScreenOn: jest.fn(async () => ({})),
  cloud: { init: jest.fn(), callFunction: jest.fn() },
}

export default Taro
export const { ENV_TYPE, getEnv, nextTick, getSystemInfoSync, getWindowInfo, getCurrentInstance, createSelectorQuery, eventCenter, pxTransform } = Taro
export const useRouter = () => ({ params: router.params, path: '/' })
/** The page going to the background and coming back: tests fire these with `pageLifecycle`. */
const lifecycle = new Events()
export const pageLifecycle = {
  hide: () => void lifecycle.trigger('hide'),
  show: () => void lifecycle.trigger('show'),
}
/** A hook calling the latest `fn` on a page event, as Taro's do. */
function lifecycleHook(name: 'show' | 'hide', onMount: boolean) {
  return (fn: () => void) => {
    const latest = useRef(fn)
    latest.current = fn
    useEffect(() => {
      const handler = () => latest.current()
      lifecycle.on(name, handler)
      if (onMount) handler() // a page's first show follows its mount
      return () => void lifecycle.off(name, handler)
    }, [])
  }
}
export const useDidShow = lifecycleHook('show', true)
export const useDidHide = lifecycleHook('hide', false)
export const useReachBottom = (_fn: () => void) => {}
export const usePageScroll = (_fn: () => void) => {}
export const useLaunch = (_fn: () => void) => {}
export const useReady = (_fn: () => void) => {}
export const useLoad = (_fn: () => void) => {}
export const useUnload = (_fn: () => void) => {}
/** What the page would answer WeChat's 转发: tests call the handler the page registered last. */
export const useShareAppMessage = jest.fn((_fn: () => unknown) => {})

/** Fresh storage, router params and call records for the next test. */
export function resetTaro(): void {
  storage.clear()
  router.params = {}
  for (const value of Object.values(Taro)) if (typeof value === 'function' && 'mockClear' in value) (value as jest.Mock).mockClear()
  useShareAppMessage.mockClear()
  Taro.showModal.mockImplementation(async () => ({ confirm: true, cancel: false }))
  Taro.scanCode.mockImplementation(async () => ({ result: '' }))
}
