import { Input, Text, View } from '@tarojs/components'
import { Button } from '@nutui/nutui-react-taro'
import { useState } from 'react'
import type { ErrorCode } from '../../../../cloudfunctions/core/contracts/errors'
import { ApiError, callFunction, errorDetails, errorTime, toApiError } from '../../../api'
import { BUTTON, DECORATIVE, fieldLabel, liveRegion } from '../../../lib/a11y'
import { formatDateTimeWords } from '../../../lib/format'
import { ROUTES, go } from '../../../lib/routes'
import { useLeave } from '../../../lib/useLeave'
import './index.css'

const CARD_NO = /^[A-Za-z0-9][A-Za-z0-9_\-.]{0,63}$/

const CARD_MESSAGES: Partial<Record<ErrorCode, string>> = {
  NOT_FOUND: '没有找到这张会员卡，请核对卡号；新办的卡可能需要一天后才能关联。',
  // without details.reason: the try met other requests at once (or the store was busy), and nothing was decided
  CONFLICT: '当前请求较多，请稍后再点一次「关联门店会员卡」。',
  FORBIDDEN: '门店未能确认这张会员卡属于您，请携带会员卡到门店处理。',
  NOT_BOUND: '请先入会并绑定手机号，再关联门店会员卡。',
}

/** Why a card cannot be linked here (details.reason of a CONFLICT): the store sorts it out. */
const CONFLICT_REASONS: Record<string, string> = {
  card_held: '这张会员卡已属于其他会员，请到门店处理。',
  cannot_join: '这张会员卡暂时无法关联到您的账户，请到门店处理。',
}

/** Wrong digits say how many tries are left before the card locks; a lock says until when. */
function lockMessage(failure: ApiError): string | null {
  const { triesLeft } = errorDetails(failure)
  const until = errorTime(failure)
  // the minute shown is the first one at which trying is open again
  const openAt = until ? formatDateTimeWords(new Date(Math.ceil(Date.parse(until) / 60_000) * 60_000).toISOString()) : null
  const locked = openAt ? `这张卡已锁定，请于 ${openAt} 后再试。` : '这张卡已暂时锁定，请稍后再试。'
  if (failure.code === 'CARD_MISMATCH' && typeof triesLeft === 'number') {
    if (triesLeft === 0) return `会员卡号与手机号后四位不匹配。输错次数过多，${locked}`
    // no-break spaces: the count and its 次 stay on one line (with keep-all in the message's style);
    // needed with WeChat's larger font sizes (at 150% the plain spaces split it on a 322 px phone)
    if (triesLeft === 1) return '会员卡号与手机号后四位不匹配。再输错\u00a01\u00a0次，这张卡将被暂时锁定，请仔细核对。'
    return `会员卡号与手机号后四位不匹配，请核对后重试（还可尝试\u00a0${triesLeft}\u00a0次）。`
  }
  // this consumer's wrong tries over every card
  if (failure.code === 'RATE_LIMITED' && openAt) return `尝试次数过多，请于 ${openAt} 后再试。`
  // locked by tries that may not have been this consumer's (the card is locked for everyone)
  return failure.code === 'LOCKED' && until ? `这张卡因多次验证失败已暂时锁定，请于 ${openAt} 后再试，或携带会员卡到门店办理。` : null
}

type Outcome = { kind: 'linked' | 'pending' } | { kind: 'error'; code: ErrorCode; text: string }

/** Link a store card the phone did not find: card number plus the last four digits of the phone on file (member.linkOffline). */
export default function StoreCardPage() {
  const [cardNo, setCardNo] = useState('')
  const [last4, setLast4] = useState('')
  const [busy, setBusy] = useState(false)
  const [outcome, setOutcome] = useState<Outcome | null>(null)
  const leave = useLeave()

  const submit = async () => {
    const card = cardNo.trim()
    if (!CARD_NO.test(card)) return setOutcome({ kind: 'error', code: 'INVALID_INPUT', text: '请输入会员卡上的卡号（字母或数字）' })
    if (last4 && !/^\d{4}$/.test(last4)) return setOutcome({ kind: 'error', code: 'INVALID_INPUT', text: '请输入 4 位数字' })
    setBusy(true)
    setOutcome(null)
    try {
      const result = await callFunction('member', 'linkOffline', { cardNo: card, ...(last4 ? { last4 } : {}) })
      setOutcome({ kind: result.status })
    } catch (error) {
      const failure = toApiError(error)
      const { reason } = errorDetails(failure)
      const text = failure.code === 'INVALID_INPUT' && !last4
        ? '请填写办卡时登记手机号的后四位'
        : lockMessage(failure) ?? (failure.code === 'CONFLICT' && typeof reason === 'string' ? CONFLICT_REASONS[reason] : undefined) ?? CARD_MESSAGES[failure.code] ?? failure.message
      setOutcome({ kind: 'error', code: failure.code, text })
    } finally {
      setBusy(false)
    }
  }

  if (outcome?.kind === 'linked' || outcome?.kind === 'pending') {
    const linked = outcome.kind === 'linked'
    return (
      <View className="mc-page">
        <View className="card-link card-link--done">
          <View className={`card-link__mark ${linked ? '' : 'card-link__mark--pending'}`} {...DECORATIVE}>{linked ? '✓' : '…'}</View>
          <View className="mc-outcome" {...liveRegion('status')}>
            <Text className="card-link__title">{linked ? '门店会员卡已关联' : '已提交，等待门店确认'}</Text>
            <Text className="card-link__desc">
              {linked ? '门店积分和等级已合并到您的会员账户。' : '这张卡需要门店核实，核实后会自动关联，无需再次提交。'}
            </Text>
          </View>
          <Button type="primary" shape="round" block className="card-link__action" onClick={() => void leave(ROUTES.member)}>
            返回会员首页
          </Button>
        </View>
      </View>
    )
  }

  return (
    <View className="mc-page">
      <View className="card-link">
        <Text className="card-link__title">关联门店会员卡</Text>
        {/* breaks only at punctuation (keep-all), each phrase short enough for a line on a 320 px phone: 关联 was split */}
        <Text className="card-link__desc mc-keep-words">门店办卡时登记的手机号与现在不同？输入卡号和登记手机号的后四位，即可关联，门店积分会合并到一起。</Text>
        <Text className="card-link__label">会员卡号</Text>
        <Input placeholderClass="mc-placeholder" className="card-link__input" maxlength={64} placeholder="会员卡背面的卡号" {...fieldLabel('会员卡号')} value={cardNo} onInput={(e) => setCardNo(e.detail.value)} />
        <Text className="card-link__label">登记手机号后四位</Text>
        <Input placeholderClass="mc-placeholder" className="card-link__input" type="number" maxlength={4} placeholder="例如 8000" {...fieldLabel('登记手机号后四位')} value={last4} onInput={(e) => setLast4(e.detail.value)} />
        {outcome?.kind === 'error' && (
          // the link beside the message, not inside its text: WeChat fires no tap on a text inside a text on older clients and on Mac
          <View className="card-link__error">
            {/* words kept whole: a lock's date (2026年12月8日) is not split over two lines */}
            <Text className="mc-keep-words" {...liveRegion('alert')}>{outcome.text}</Text>
            {outcome.code === 'NOT_BOUND' && (
              <Text className="card-link__join" {...BUTTON} onClick={() => go(ROUTES.join)}>
                {' '}去入会
              </Text>
            )}
          </View>
        )}
        <Button type="primary" shape="round" block className="card-link__action" loading={busy} disabled={busy || !cardNo.trim()} onClick={submit}>
          关联门店会员卡
        </Button>
        <Text className="card-link__note">24 小时内输错 5 次，这张卡将被暂时锁定。</Text>
      </View>
    </View>
  )
}
