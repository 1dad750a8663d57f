import { Text, View } from '@tarojs/components'
import Taro from '@tarojs/taro'
import { useEffect, useState } from 'react'
import type { BindPhoneResult, MemberLoginResult } from '../../../cloudfunctions/core/contracts'
import { callFunction, toApiError } from '../../api'
import { ErrorView, LoadingView } from '../../components/StatusView'
import { clearNextStep, getNextStep } from '../../launch/intent'
import { ROUTES } from '../../lib/routes'
import { useLeave } from '../../lib/useLeave'
import { useRequest } from '../../lib/useRequest'
import { attributionText, recordAttribution } from './attribution'
import PhoneStep from './PhoneStep'
import TermsStep from './TermsStep'
import Welcome from './Welcome'
import './index.css'

type Step = 'terms' | 'phone' | 'welcome'
const STEPS: { key: Step; label: string }[] = [
  { key: 'terms', label: '同意条款' },
  { key: 'phone', label: '绑定手机' },
  { key: 'welcome', label: '完成' },
]

const stepOf = (m: MemberLoginResult): Step => (!m.consented ? 'terms' : !m.phoneBound ? 'phone' : 'welcome')

function Steps({ current }: { current: Step }) {
  const at = STEPS.findIndex((s) => s.key === current)
  return (
    <View className="join-steps">
      {STEPS.map((s, i) => (
        <View className={`join-steps__item ${i <= at ? 'join-steps__item--on' : ''}`} key={s.key}>
          <Text className="join-steps__num">{i + 1}</Text>
          <Text className="join-steps__label">{s.label}</Text>
        </View>
      ))}
    </View>
  )
}

/** Join: privacy terms and consent, then the phone, then a welcome naming the memberships found. */
export default function JoinPage() {
  const login = useRequest(() => callFunction('member', 'login', {}))
  const [override, setOverride] = useState<Step | null>(null)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const [bound, setBound] = useState<BindPhoneResult | null>(null)
  const [source, setSource] = useState<string | null>(null)
  const channels = useRequest(() => callFunction('member', 'channels', {}))
  const leave = useLeave()

  const member = login.state.status === 'ready' ? login.state.data : null
  const step: Step | null = override ?? (member ? stepOf(member) : null)
  // a member whose consent is to earlier terms (the brand updated them) agrees again and goes back
  const renewing = Boolean(member?.phoneBound && !member.consented)
  // a member agreeing to updated terms is not joining: the page's title (加入会员) says what it is.
  // Set both ways: H5 keeps the last title set for the path and shows it on the join page's next load
  useEffect(() => {
    void Taro.setNavigationBarTitle({ title: renewing ? '会员隐私条款' : '加入会员' }).catch(() => undefined)
  }, [renewing])

  const agree = async () => {
    if (!member) return
    setBusy(true)
    setError(null)
    try {
      const next = await callFunction('member', 'consent', { version: member.termsVersion })
      // back to the card: a next step kept for a join long ago is no errand of this visit
      // busy until the card opened: a second tap meanwhile would agree and open it again
      if (renewing && next.phoneBound) {
        clearNextStep()
        await leave(ROUTES.member)
        return
      }
      setOverride(stepOf(next))
    } catch (e) {
      const failure = toApiError(e)
      setError(failure.message)
      if (failure.code === 'TERMS_OUTDATED') login.reload({ quiet: true })
    } finally {
      setBusy(false)
    }
  }

  // a code whose send got no answer (offline, timed out): 重试 sends the same code again, which the server
  // may have bound with already. WeChat exchanges a code once, so that retry can be refused as used
  // (PHONE_CODE_INVALID) although the phone is bound: the page then asks login before saying so
  const [lostCode, setLostCode] = useState<string | null>(null)

  const joined = async (result: BindPhoneResult | null) => {
    setBound(result)
    setSource(attributionText()) // read before recording clears it
    await recordAttribution()
    channels.reload()
    setOverride('welcome')
  }

  const boundMeanwhile = () => callFunction('member', 'login', {}).then((m) => m.phoneBound, () => false)

  const bind = async (code: string) => {
    const retrying = code === lostCode
    setBusy(true)
    setError(null)
    setLostCode(null)
    try {
      await joined(await callFunction('member', 'bindPhone', { code }))
    } catch (e) {
      const failure = toApiError(e)
      if (retrying && failure.code === 'PHONE_CODE_INVALID' && (await boundMeanwhile())) return await joined(null)
      setError(failure.message)
      // only a send that got no answer may have gone through; a refusal (PHONE_CONFLICT, …) is an answer.
      // CONFLICT is no refusal: the server is busy, or an earlier send of this code is still binding it
      // (the lost one 重试 sent again): 重试 sends it once more, and is answered that send's binding
      if (failure.code === 'UNAVAILABLE' || failure.code === 'CONFLICT') setLostCode(code)
      if (failure.code === 'CONSENT_REQUIRED') setOverride('terms')
    } finally {
      setBusy(false)
    }
  }

  const refused = (reason: 'declined' | 'failed') => {
    setLostCode(null) // a tap since then: 重试 beside its refusal would send the earlier code
    setError(reason === 'declined' ? '需要授权手机号才能成为会员，您可以稍后再来' : '暂时无法获取微信手机号，请稍后再试')
  }

  // a second tap while the next page opens (a subpackage on a weak signal) would find the step taken
  // and send the consumer home, closing the page that was opening
  const proceed = async () => {
    const next = getNextStep()
    const opened = next?.kind === 'redeem'
      ? leave(ROUTES.scan, { q: next.q, code: next.code })
      : next?.kind === 'order'
        ? leave(ROUTES.order, { campaign: next.campaignId, platform: next.platform, bonus: next.bonus === undefined ? undefined : String(next.bonus) })
        : leave(ROUTES.member)
    // taken only once its page opened, and only if no page kept another step meanwhile; one that
    // could not open stays (never taken) for another tap, and the button still names it
    if ((await opened) && JSON.stringify(getNextStep()) === JSON.stringify(next)) clearNextStep()
  }

  return (
    <View className="mc-page join-page">
      {login.state.status === 'loading' && <LoadingView />}
      {login.state.status === 'error' && <ErrorView error={login.state.error} onRetry={() => login.reload()} />}
      {member && step && (
        <>
          {!renewing && <Steps current={step} />}
          {step === 'terms' && <TermsStep version={member.termsVersion} busy={busy} error={error} onAgree={agree} renewing={renewing} />}
          {step === 'phone' && <PhoneStep busy={busy} error={error} onCode={bind} onRetry={lostCode ? () => void bind(lostCode) : undefined} onRefused={refused} />}
          {step === 'welcome' && (
            <Welcome phoneMasked={bound?.phoneMasked ?? null} channels={channels.state} attributionLabel={source} next={getNextStep()} onContinue={proceed} />
          )}
        </>
      )}
    </View>
  )
}
