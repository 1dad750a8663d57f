import { Image, Text, View } from '@tarojs/components'
import { useEffect, useMemo, useState } from 'react'
import { callFunction } from '../api'
import { barcodeImage } from '../lib/barcode'
import { qrImage } from '../lib/qr'
import { useRequest } from '../lib/useRequest'
import { ErrorView, LoadingView } from './StatusView'
import './MemberCode.css'

/** Fetch a new token this long before the current one expires, so the till never sees a stale one. */
const REFRESH_EARLY_MS = 5_000
const MIN_REFRESH_MS = 5_000

/**
 * The dynamic member code shown at the till: QR of member.memberCode's token and barcode of its digits,
 * replaced shortly before it expires. Tapping the barcode shows it large.
 */
export default function MemberCode() {
  const { state, reload } = useRequest(() => callFunction('member', 'memberCode', {}))
  const [now, setNow] = useState(() => Date.now())
  const [enlarged, setEnlarged] = useState(false)

  const token = state.status === 'ready' ? state.data.token : null
  // the digits form prints at twice the density of the token, so a till's scanner reads it
  const barcode = state.status === 'ready' ? (state.data.barcode ?? state.data.token) : null
  const expiresAt = state.status === 'ready' ? Date.parse(state.data.expiresAt) : NaN
  const images = useMemo(() => (token && barcode ? { qr: qrImage(token), bar: barcodeImage(barcode) } : null), [token, barcode])

  useEffect(() => {
    if (Number.isNaN(expiresAt)) return
    const wait = Math.max(MIN_REFRESH_MS, expiresAt - Date.now() - REFRESH_EARLY_MS)
    const refresh = setTimeout(() => reload({ quiet: true }), wait)
    const tick = setInterval(() => setNow(Date.now()), 1000)
    return () => {
      clearTimeout(refresh)
      clearInterval(tick)
    }
  }, [expiresAt, reload])

  if (state.status === 'loading') return <LoadingView text="正在生成会员码…" compact />
  if (state.status === 'error') return <ErrorView error={state.error} title="会员码暂时无法显示" onRetry={() => reload()} compact />

  const seconds = Math.max(0, Math.ceil((expiresAt - now) / 1000))
  return (
    <View className="member-code">
      <View className="member-code__bar" onClick={() => setEnlarged(true)}>
        <Image className="member-code__bar-image" src={images!.bar.src} mode="scaleToFill" aria-label="会员条形码" />
      </View>
      <Image className="member-code__qr" src={images!.qr.src} mode="aspectFit" aria-label="会员二维码" />
      <Text className="member-code__hint">结账时向店员出示，积分自动累积</Text>
      <Text className="member-code__timer">动态码 · {seconds} 秒后自动刷新 · 点击条形码放大</Text>
      {enlarged && (
        <View className="member-code__overlay" onClick={() => setEnlarged(false)}>
          <View className="member-code__overlay-inner">
            <Image className="member-code__overlay-bar" src={images!.bar.src} mode="scaleToFill" aria-label="放大的会员条形码" />
          </View>
          <Text className="member-code__overlay-hint">点击任意处关闭</Text>
        </View>
      )}
    </View>
  )
}
