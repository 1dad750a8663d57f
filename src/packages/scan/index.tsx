import { Text, Textarea, View } from '@tarojs/components'
import Taro, { useRouter } from '@tarojs/taro'
import { Button } from '@nutui/nutui-react-taro'
import { useCallback, useEffect, useRef, useState } from 'react'
import { ApiError, callFunction, errorTime, toApiError } from '../../api'
import { LoadingView } from '../../components/StatusView'
import { setNextStep } from '../../launch/intent'
import { fieldLabel } from '../../lib/a11y'
import { newAttemptId } from '../../lib/attempt'
import { ROUTES, decodeParam, go } from '../../lib/routes'
import { productCodeIn } from '../../lib/product-code'
import { useLeave } from '../../lib/useLeave'
import Result, { type Redeemed } from './Result'
import { readScan } from './scanned'
import './index.css'

type Input = { q: string } | { code: string }

/** Which code an input sends: a product link and its code typed bare are the same (any other link as it is). */
const attemptKey = (input: Input) => ('code' in input ? input.code : productCodeIn(input.q) ?? input.q)
type ScanState =
  | { status: 'idle'; hint?: string }
  | { status: 'redeeming'; input: Input }
  | { status: 'done'; input: Input; requestId: string; result: { ok: true; data: Redeemed } | { ok: false; error: ApiError }; consented?: boolean }

/**
 * Scan a product's one-item-one-code for points: WeChat's scanner in the mini-program; in a
 * browser (no camera), paste the code or its URL. Opened with ?q= or ?code= it redeems at once.
 */
export default function ScanPage() {
  const { params } = useRouter()
  const [state, setState] = useState<ScanState>({ status: 'idle' })
  const [text, setText] = useState('')
  const leave = useLeave()

  // a try that seemed to fail: the same code sent again (返回, then the code still in the box or
  // scanned again) repeats that attempt, which may have gone through with its answer lost
  const failedTry = useRef<{ key: string; requestId: string } | null>(null)

  // a new scan is a new attempt; 重试 repeats the attempt, so an answer it finds already made is its own
  const redeem = useCallback(async (input: Input, retryOf?: string) => {
    const key = attemptKey(input)
    const requestId = retryOf ?? (failedTry.current?.key === key ? failedTry.current.requestId : newAttemptId())
    setState({ status: 'redeeming', input })
    try {
      const data = await callFunction('codes', 'redeem', { ...input, requestId })
      failedTry.current = null
      setState({ status: 'done', input, requestId, result: { ok: true, data } })
    } catch (error) {
      const failure = toApiError(error)
      failedTry.current = { key, requestId }
      // not a member yet: one who agreed to the terms already is asked only for the phone (a login
      // that fails leaves the whole way to join said)
      const consented = failure.code === 'NOT_BOUND' && !errorTime(failure) ? (await callFunction('member', 'login', {}).catch(() => null))?.consented : undefined
      setState({ status: 'done', input, requestId, result: { ok: false, error: failure }, consented })
    }
  }, [])

  const handle = useCallback(
    (result: string, path?: string) => {
      const scanned = readScan(result, BRAND_DOMAIN, path)
      if (scanned.kind === 'redeem') void redeem(scanned.input)
      else if (scanned.kind === 'landing') go(ROUTES.landing, { scene: scanned.scene, q: scanned.q })
      else setState({ status: 'idle', hint: '没有识别到本品牌的二维码，请重新扫描' })
    },
    [redeem],
  )

  useEffect(() => {
    const q = decodeParam(params.q)
    const code = decodeParam(params.code)
    if (q) void redeem({ q })
    else if (code) void redeem({ code })
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [])

  const scan = async () => {
    try {
      // wxCode: our round mini-program codes (guides, stores, package cards); Taro's types predate it
      const scanType = ['qrCode', 'barCode', 'wxCode'] as unknown as Taro.scanCode.Option['scanType']
      const res = await Taro.scanCode({ onlyFromCamera: false, scanType })
      handle(res.result ?? '', (res as { path?: string }).path)
    } catch (error) {
      // cancelled by the consumer: stay on the page. Otherwise the camera would not open (WeChat
      // or the mini-program denied it), and a button that does nothing would be all they saw.
      const message = (error as { errMsg?: unknown } | null)?.errMsg
      if (typeof message === 'string' && !/cancel/i.test(message)) {
        setState({ status: 'idle', hint: '未能完成扫码，请重试；如相机无法打开，请在手机设置中允许微信使用相机' })
      }
    }
  }

  const joinThenRedeem = (input: Input) => {
    setNextStep({ kind: 'redeem', ...input })
    void leave(ROUTES.join) // the join flow comes back here with the same code
  }

  if (state.status === 'redeeming') return <View className="mc-page"><LoadingView text="正在验证并领取积分…" /></View>
  if (state.status === 'done') {
    return (
      <View className="mc-page">
        <Result
          result={state.result}
          consented={state.consented}
          onJoin={() => joinThenRedeem(state.input)}
          onAgain={() => {
            // a redeemed code is done with; a refused one stays in the box to be corrected
            if (state.result.ok) setText('')
            setState({ status: 'idle' })
          }}
          onPoints={() => void leave(ROUTES.points)}
          onRetry={() => void redeem(state.input, state.requestId)}
        />
      </View>
    )
  }

  return (
    <View className="mc-page">
      <View className="scan-panel">
        <View className="scan-panel__frame">
          <View className="scan-panel__corner scan-panel__corner--tl" />
          <View className="scan-panel__corner scan-panel__corner--tr" />
          <View className="scan-panel__corner scan-panel__corner--bl" />
          <View className="scan-panel__corner scan-panel__corner--br" />
          <Text className="scan-panel__frame-text">商品防伪积分码</Text>
        </View>
        <Text className="scan-panel__title">扫描商品包装上的二维码</Text>
        <Text className="scan-panel__desc">每件商品的码只能领取一次积分，首次扫码即验证正品。</Text>
        {state.hint && <Text className="scan-panel__hint">{state.hint}</Text>}
        {process.env.TARO_ENV === 'weapp' ? (
          <Button type="primary" shape="round" block className="scan-panel__action" onClick={scan}>
            扫一扫
          </Button>
        ) : (
          <View className="scan-paste">
            <Text className="scan-paste__label">浏览器中无法使用相机，请粘贴二维码中的链接或防伪码：</Text>
            <Textarea className="scan-paste__input" value={text} maxlength={300} placeholder="例如 https://…/c/XXXX" {...fieldLabel('二维码链接或防伪码')} onInput={(e) => setText(e.detail.value)} />
            <Button type="primary" shape="round" block className="scan-panel__action" disabled={!text.trim()} onClick={() => handle(text)}>
              领取积分
            </Button>
          </View>
        )}
      </View>
    </View>
  )
}
