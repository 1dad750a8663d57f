import { Image, Text, View } from '@tarojs/components'
import Taro, { useDidHide, useDidShow } from '@tarojs/taro'
import { useEffect, useMemo, useRef, useState } from 'react'
import { callFunction } from '../api'
import { BUTTON, imageLabel } from '../lib/a11y'
import { barcodeImage, crispWidth } from '../lib/barcode'
import { tillScreenControl } from '../lib/tillScreen'
import { qrImage } from '../lib/qr'
import { useRequest } from '../lib/useRequest'
import { ErrorView, LoadingView } from './StatusView'
import './MemberCode.css'

/** Fetch a new token this long before the current one expires, so the till never sees a stale one. */
const REFRESH_EARLY_MS = 5_000
const MIN_REFRESH_MS = 5_000
/**
 * No code for want of a network: tried again while on screen, so it is back with the signal;
 * each try waits for the last one's answer, then 5 s, 10 s, then every 15 s.
 */
const RETRY_MS = [5_000, 10_000, 15_000]

/**
 * The sideways barcode's length in px: the window's height less room at the ends, so the quiet
 * zones at both ends stay on a short phone, where WeChat's title and tab bars take their share.
 */
function enlargedLength(win: WindowSize): number {
  return Math.min(640, Math.max(300, win.height - 80))
}

/** The card's inner width: the page and the card each pad 32 of the 750 design units a side. */
const cardWidth = (win: WindowSize) => (win.width * (750 - 4 * 32)) / 750

/**
 * The narrowest bar the card draws, in CSS px (0.5: about 0.08 mm, 3 mil, on a phone's screen, the
 * finest element a till's handheld imager is rated to read), and never under one device pixel.
 * The digits' 352 modules take 352 px at a pixel ratio of 1, wider than the card on any phone
 * 320 to 414 px wide: there the card offers the enlarged code, which has the screen's height.
 */
const MIN_MODULE_PX = 0.5

interface WindowSize {
  width: number
  height: number
  pixelRatio: number
}

function windowSize(): WindowSize {
  try {
    const { windowWidth, windowHeight, pixelRatio } = Taro.getWindowInfo()
    return { width: windowWidth, height: windowHeight, pixelRatio: pixelRatio || 2 }
  } catch {
    return { width: 375, height: 640, pixelRatio: 2 }
  }
}

/** The screen at the till (WeChat only: H5 has no brightness to set). */
function weappScreen(): (on: boolean) => Promise<void> {
  if (process.env.TARO_ENV !== 'weapp') return async () => {}
  return tillScreenControl({
    platform: () => Taro.getDeviceInfo().platform,
    getBrightness: async () => (await Taro.getScreenBrightness()).value,
    setBrightness: (value) => Taro.setScreenBrightness({ value }),
    keepOn: (keepScreenOn) => Taro.setKeepScreenOn({ keepScreenOn }),
  })
}

/**
 * The dynamic member code shown at the till: QR of member.memberCode's token and barcode of its digits,
 * replaced shortly before it expires. Tapping the barcode shows it large.
 */
export default function MemberCode() {
  const { state, reload } = useRequest(() => callFunction('member', 'memberCode', {}))
  const [now, setNow] = useState(() => Date.now())
  const [enlarged, setEnlarged] = useState(false)
  // Another tab or the background: no ticking and no fetching for a code nobody sees.
  const [shown, setShown] = useState(true)
  const [tillScreen] = useState(weappScreen)
  // failed tries in a row, and whether the page was hidden without a code (back, it tries at once)
  const failures = useRef(0)
  const failing = useRef(false)
  const away = useRef(false)
  useDidHide(() => {
    setShown(false)
    away.current = failing.current
  })
  // the clock stood still while hidden: read it now, so a code that lapsed meanwhile is not shown for a frame
  useDidShow(() => {
    setNow(Date.now())
    setShown(true)
  })

  const code = state.status === 'ready' ? state.data : null
  const token = code?.token ?? null
  // the digits form prints at twice the density of the token, so a till's scanner reads it
  const barcode = code ? (code.barcode ?? code.token) : null
  // When the code lapses, on this phone's clock: its life on the server's clock, counted from its
  // arrival. The server's expiry against a phone set minutes fast would refresh at once and then
  // stand at 0 (the same second's code again); set slow, the till would refuse it long before.
  // (A function deployed before `issuedAt` leaves the server's expiry as it is.)
  const expiresAt = useMemo(() => {
    if (!code) return NaN
    return code.issuedAt ? Date.now() + (Date.parse(code.expiresAt) - Date.parse(code.issuedAt)) : Date.parse(code.expiresAt)
  }, [code])
  const images = useMemo(() => (token && barcode ? { qr: qrImage(token), bar: barcodeImage(barcode) } : null), [token, barcode])

  useEffect(() => {
    if (Number.isNaN(expiresAt) || !shown) return
    // the clock stood still while hidden: a new code counts down from now, not from then
    setNow(Date.now())
    const due = expiresAt - Date.now() - REFRESH_EARLY_MS
    // back on screen with a code about to lapse: a new one at once
    const wait = due <= 0 ? 0 : Math.max(MIN_REFRESH_MS, due)
    const refresh = setTimeout(() => reload({ quiet: true }), wait)
    const tick = setInterval(() => setNow(Date.now()), 1000)
    return () => {
      clearTimeout(refresh)
      clearInterval(tick)
    }
  }, [expiresAt, reload, shown])

  // A refusal (a deleted member) or a server fault is final; a network failure is not, and the
  // till is waiting. Each failed answer is a new error state: the next try is timed from it,
  // never started over a try still in flight on a slow signal.
  const failure = state.status === 'error' && state.error.code === 'UNAVAILABLE' ? state.error : null
  failing.current = failure !== null
  useEffect(() => {
    if (state.status === 'ready') failures.current = 0
  }, [state.status])
  useEffect(() => {
    if (!failure || !shown) return
    const wait = away.current ? 0 : RETRY_MS[Math.min(failures.current, RETRY_MS.length - 1)]!
    away.current = false
    const retry = setTimeout(() => {
      failures.current++
      reload({ quiet: true })
    }, wait)
    return () => clearTimeout(retry)
  }, [failure, shown, reload])

  useEffect(() => {
    if (!enlarged || !shown) return
    void tillScreen(true)
    return () => void tillScreen(false)
  }, [enlarged, shown, tillScreen])
  // measured when the code is (re)drawn or enlarged, so a rotated or resized window is followed
  const win = useMemo(() => windowSize(), [images, enlarged])
  const modules = images?.bar.modules ?? 1
  const barWidth = crispWidth(cardWidth(win), modules, win.pixelRatio)
  const barFits = barWidth <= cardWidth(win) && barWidth / modules >= MIN_MODULE_PX
  const length = crispWidth(enlargedLength(win), modules, win.pixelRatio)

  if (state.status === 'loading') return <LoadingView text="正在生成会员码…" compact />
  if (state.status === 'error') return <ErrorView error={state.error} title="会员码暂时无法显示" onRetry={() => reload()} compact />

  // Lapsed, its renewal still on the way (a weak signal, or back after a while away): a till
  // refuses an expired code, so it is not shown as if it would pass.
  if (expiresAt <= now) return <LoadingView text="正在刷新会员码…" compact />

  const seconds = Math.max(0, Math.ceil((expiresAt - now) / 1000))
  return (
    <View className="member-code">
      {/* the buttons say what a tap does: an image alone names a button only by what it shows */}
      <View className="member-code__bar" {...BUTTON} aria-label={barFits ? '放大会员条形码' : '显示会员条形码'} onClick={() => setEnlarged(true)}>
        {barFits ? (
          <Image className="member-code__bar-image" style={{ width: `${barWidth}px` }} src={images!.bar.src} mode="scaleToFill" {...imageLabel('会员条形码')} />
        ) : (
          <Text className="member-code__bar-more">点击显示条形码</Text>
        )}
      </View>
      <Image className="member-code__qr" src={images!.qr.src} mode="aspectFit" {...imageLabel('会员二维码')} />
      <Text className="member-code__hint mc-keep-words">结账时向店员出示，积分自动累积</Text>
      <Text className="member-code__timer mc-keep-words">动态码 · {seconds} 秒后自动刷新{barFits ? ' · 点击条形码放大' : ''}</Text>
      {enlarged && (
        <View className="member-code__overlay" {...BUTTON} aria-label="关闭放大的会员条形码" onClick={() => setEnlarged(false)}>
          {/* the hint turns with the code, beside it: under the code's end it covered the last bars and the quiet zone a till needs */}
          <View className="member-code__overlay-inner" style={{ width: `${length}px` }}>
            <Image className="member-code__overlay-bar" style={{ width: `${length}px` }} src={images!.bar.src} mode="scaleToFill" {...imageLabel('放大的会员条形码')} />
            <Text className="member-code__overlay-hint">点击任意处关闭</Text>
          </View>
        </View>
      )}
    </View>
  )
}
