import { Input, Text, View } from '@tarojs/components'
import { useRouter } from '@tarojs/taro'
import { Button } from '@nutui/nutui-react-taro'
import { useRef, useState } from 'react'
import { channelName } from '../../../../cloudfunctions/core/contracts/channel-names'
import type { ErrorCode } from '../../../../cloudfunctions/core/contracts/errors'
import { callFunction, errorDetails, toApiError, type ApiError } from '../../../api'
import { ErrorView, LoadingView } from '../../../components/StatusView'
import { setNextStep } from '../../../launch/intent'
import { DECORATIVE, fieldLabel, liveRegion } from '../../../lib/a11y'
import { newAttemptId } from '../../../lib/attempt'
import { formatDate, formatDateTimeWords, formatPoints, owedNote, repaidBy, repaidNote, spendablePoints } from '../../../lib/format'
import { ROUTES, decodeParam } from '../../../lib/routes'
import { useLeave } from '../../../lib/useLeave'
import { useMembership } from '../../../lib/useMembership'
import '../index.css'
import './index.css'

/** Tmall, JD and Douyin order ids are long digit strings; other platforms' ids are checked as the server does. */
const DIGITS_ONLY = new Set(['tmall', 'jd', 'douyin'])
const DIGIT_ID = /^\d{6,32}$/
const ANY_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/

const ALREADY_BOUND = '这笔订单已经绑定过，包裹卡积分每笔订单只能领取一次。'

/** What an order binding's refusal means for this order, where the general message would be vague. */
const ORDER_MESSAGES: Partial<Record<ErrorCode, string>> = {
  NOT_FOUND: '没有找到这笔订单。请核对订单号；刚下的单需在发货后 1-2 天才能绑定。',
  // only members bind orders: joining again is no way on, the brand's service can join the two
  FORBIDDEN: '这笔订单不属于当前会员：下单账号的手机号与您的会员手机号不同。如需合并会员身份，请联系品牌客服。',
  // without details.reason `bound`: the binding met too many others at once, and may be tried again
  CONFLICT: '当前领取人数较多，请稍后再点一次「绑定订单」。',
  CODE_ALREADY_REDEEMED: ALREADY_BOUND,
  CODE_EXPIRED: '该包裹卡活动已结束。',
  RATE_LIMITED: '输入的订单号多次未能匹配您的订单，请一小时后再试；如确认订单号无误，请联系品牌客服。',
}

/** What a refusal says: the buyer's own order is told why it earns nothing (details.reason). */
function refusalText(failure: ApiError): string {
  const details = errorDetails(failure)
  if (failure.code === 'FORBIDDEN') {
    if (details.reason === 'refunded') return '这笔订单已退款，不能领取包裹卡积分。'
    if (details.reason === 'unpaid') return '这笔订单没有实付金额，不能领取包裹卡积分。'
    if (details.reason === 'before_campaign' && typeof details.ordersFrom === 'string') {
      return `这笔订单在本次包裹卡活动开始前支付，不能领取包裹卡积分（限 ${formatDate(details.ordersFrom)}及以后支付的订单）。`
    }
  }
  if (failure.code === 'CONFLICT' && details.reason === 'bound') return ALREADY_BOUND
  return ORDER_MESSAGES[failure.code] ?? failure.message
}

/** `earlier`: bound before this try, judged once when the answer came (the page may be looked at again much later). */
type Outcome = { tone: 'ok'; points: number; available: number; boundAt: string; earlier: boolean } | { tone: 'error'; code: ErrorCode; text: string }

/**
 * Package card: bind the order the card came with (scenes.bindOrder) for its
 * bonus points, on the card's platform (`platform`, from the landing page; a
 * link without one is a Tmall card, as all were before cards named theirs).
 */
export default function OrderPage() {
  const { state, reload, joined, member } = useMembership()
  const params = useRouter().params
  const campaign = decodeParam(params.campaign)
  const platform = decodeParam(params.platform) ?? 'tmall'
  // the card's bonus, as the landing page read it: shown only (the server decides what is credited)
  const bonus = Number(decodeParam(params.bonus))
  const namedBonus = Number.isSafeInteger(bonus) && bonus > 0 ? bonus : null
  const name = channelName(platform)
  const digitsOnly = DIGITS_ONLY.has(platform)
  const [orderId, setOrderId] = useState('')
  const leave = useLeave()
  const [busy, setBusy] = useState(false)
  const [outcome, setOutcome] = useState<Outcome | null>(null)
  // a try that seemed to fail: binding the same order again repeats that attempt, which may have gone through
  const failedTry = useRef<{ orderId: string; requestId: string } | null>(null)

  const submit = async () => {
    const id = orderId.replace(/\s/g, '')
    if (!(digitsOnly ? DIGIT_ID : ANY_ID).test(id)) {
      const text = digitsOnly ? `请输入正确的${name}订单号（纯数字，可在${name}「我的订单」中复制）` : `请输入正确的${name}订单号（可在${name}「我的订单」中复制）`
      setOutcome({ tone: 'error', code: 'INVALID_INPUT', text })
      return
    }
    setBusy(true)
    setOutcome(null)
    const requestId = failedTry.current?.orderId === id ? failedTry.current.requestId : newAttemptId()
    try {
      const result = await callFunction('scenes', 'bindOrder', { platform, orderId: id, ...(campaign ? { campaignId: campaign } : {}), requestId })
      failedTry.current = null
      setOutcome({ tone: 'ok', points: result.points, available: result.available, boundAt: result.boundAt, earlier: result.repeated })
    } catch (error) {
      const failure = toApiError(error)
      failedTry.current = { orderId: id, requestId }
      setOutcome({ tone: 'error', code: failure.code, text: refusalText(failure) })
    } finally {
      setBusy(false)
    }
  }

  const joinFirst = () => {
    setNextStep({ kind: 'order', campaignId: campaign, platform, ...(namedBonus ? { bonus: namedBonus } : {}) })
    void leave(ROUTES.join) // the join comes back here (redirectTo): pushed, this page would stay below it
  }

  return (
    <View className="mc-page">
      {state.status === 'loading' && <LoadingView />}
      {state.status === 'error' && <ErrorView error={state.error} onRetry={() => reload()} />}
      {state.status === 'ready' && !joined && (
        <View className="join-step">
          <Text className="join-step__title">先加入会员，再绑定订单</Text>
          <Text className="join-step__desc">{`包裹卡积分会发到您的会员账户。请先${member?.consented ? '' : '同意隐私条款并'}绑定下单时使用的手机号。`}</Text>
          <Button type="primary" shape="round" block className="join-primary" onClick={joinFirst}>
            立即入会
          </Button>
        </View>
      )}
      {state.status === 'ready' && joined && outcome?.tone === 'ok' && (
        <View className="join-step join-welcome">
          <View className="join-welcome__mark join-welcome__mark--credited" {...DECORATIVE}>✓</View>
          {/* words kept whole: a date (2026年12月7日) or +1,200 积分 is not split over two lines */}
          <View className="mc-outcome" {...liveRegion('status')}>
            {outcome.earlier ? (
              <>
                <Text className="join-welcome__title">这笔订单已绑定过</Text>
                <Text className="join-welcome__phone mc-keep-words">{`已于 ${formatDateTimeWords(outcome.boundAt)} 领取 +${formatPoints(outcome.points)}\u00a0积分`}</Text>
              </>
            ) : (
              <>
                <Text className="join-welcome__title">订单绑定成功</Text>
                <Text className="order-points">{repaidBy(outcome.points, outcome.available) === outcome.points ? `+${formatPoints(outcome.points)}\u00a0积分已抵扣欠分` : `+${formatPoints(outcome.points)}\u00a0积分`}</Text>
                {repaidNote(outcome.points, outcome.available) && <Text className="join-welcome__phone mc-keep-words">{repaidNote(outcome.points, outcome.available)}</Text>}
              </>
            )}
            <Text className="join-welcome__phone mc-keep-words">当前可用积分 {formatPoints(spendablePoints(outcome.available))}</Text>
            {owedNote(outcome.available) && <Text className="join-welcome__phone mc-keep-words">{owedNote(outcome.available)}</Text>}
          </View>
          <Button type="primary" shape="round" block className="join-primary" onClick={() => void leave(ROUTES.points)}>
            查看积分明细
          </Button>
        </View>
      )}
      {state.status === 'ready' && joined && outcome?.tone !== 'ok' && (
        <View className="join-step">
          <Text className="join-step__title">{namedBonus ? `绑定${name}订单领 ${formatPoints(namedBonus)}\u00a0积分` : `绑定${name}订单`}</Text>
          <Text className="join-step__desc">输入包裹对应的{name}订单号，每笔订单可领取一次包裹卡积分。</Text>
          <Input placeholderClass="mc-placeholder" className="join-input order-input" type={digitsOnly ? 'number' : 'text'} maxlength={digitsOnly ? 32 : 64} placeholder={`${name}订单号`} {...fieldLabel(`${name}订单号`)} value={orderId} onInput={(e) => setOrderId(e.detail.value)} />
          {outcome?.tone === 'error' && <Text className="join-error mc-keep-words" {...liveRegion('alert')}>{outcome.text}</Text>}
          <Button type="primary" shape="round" block className="join-primary" loading={busy} disabled={busy} onClick={submit}>
            绑定订单
          </Button>
        </View>
      )}
    </View>
  )
}
