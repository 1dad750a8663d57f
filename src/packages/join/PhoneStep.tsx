import { Button as TaroButton, Input, Text, View } from '@tarojs/components'
import { Button } from '@nutui/nutui-react-taro'
import Taro from '@tarojs/taro'
import { useEffect, useState } from 'react'
import { BUTTON, fieldLabel, liveRegion } from '../../lib/a11y'

interface Props {
  busy: boolean
  error: string | null
  /** The one-time code to exchange on the server (WeChat's phone button or the dev stand-in). */
  onCode: (code: string) => void
  /** No code: the consumer said no (`declined`), or WeChat could not give one (`failed`). */
  onRefused: (reason: 'declined' | 'failed') => void
  /** Set when the last send got no answer: sends its code again (the phone button would ask WeChat for a new one). */
  onRetry?: () => void
}

const PHONE = /^1[3-9]\d{9}$/

/**
 * WeChat: the phone-number button. Its code, never a number, goes to member.bindPhone. The
 * consumer has just agreed to our terms, so the same tap records WeChat's privacy agreement
 * (agreePrivacyAuthorization) instead of WeChat putting its own privacy popup over this step; the
 * step says so just above the button, with the guideline to open (PrivacyNotice).
 */
function WechatPhoneButton({ busy, onCode, onRefused }: Omit<Props, 'error' | 'onRetry'>) {
  return (
    <TaroButton
      className="join-phone-button"
      openType="getPhoneNumber|agreePrivacyAuthorization"
      disabled={busy}
      onGetPhoneNumber={(e) => {
        const { code, errMsg = '', errno } = e.detail as { code?: string; errMsg?: string; errno?: number }
        if (code) onCode(code)
        // "user deny", or 104: the privacy agreement was refused; anything else is WeChat's failure
        else onRefused(/deny|cancel/i.test(errMsg) || errno === 104 ? 'declined' : 'failed')
      }}
    >
      {busy ? '正在绑定…' : '微信手机号一键绑定'}
    </TaroButton>
  )
}

/** The guideline's name until WeChat gives the one set in the mini-program's admin console. */
const GUIDELINE = '《小程序隐私保护指引》'

/**
 * The phone button's tap also agrees to the mini-program's privacy guideline, and WeChat expects
 * the page to say so and to offer the guideline: its name, as WeChat holds it (getPrivacySetting),
 * opens it in WeChat (openPrivacyContract, base library 2.32.3 on). H5 has no such guideline (the
 * dev form agrees to nothing in WeChat, and our own terms were the step before): the same words,
 * with nothing to open; so too on a WeChat too old to open it.
 */
function PrivacyNotice() {
  const weapp = process.env.TARO_ENV === 'weapp'
  const [name, setName] = useState(GUIDELINE)
  useEffect(() => {
    if (!weapp || typeof Taro.getPrivacySetting !== 'function') return
    let shown = true
    Taro.getPrivacySetting({
      success: ({ privacyContractName: named }) => {
        if (shown && named) setName(named.startsWith('《') ? named : `《${named}》`)
      },
    })
    return () => {
      shown = false
    }
  }, [weapp])
  const canOpen = weapp && typeof Taro.openPrivacyContract === 'function'
  const open = () => Taro.openPrivacyContract({ fail: () => void Taro.showToast({ title: '暂时无法打开隐私保护指引，请稍后再试', icon: 'none' }) })
  // the link beside the words, not inside a text (WeChat fires no tap on a text inside a text before 2.30.3)
  return (
    <View className="join-privacy mc-keep-words">
      <Text>绑定即表示您已阅读并同意</Text>
      {canOpen ? (
        <Text className="join-link" {...BUTTON} onClick={open}>
          {name}
        </Text>
      ) : (
        <Text>{name}</Text>
      )}
    </View>
  )
}

/** H5 (dev runtime): a phone form standing in for WeChat's button; the local stand-in resolves the code. */
function DevPhoneForm({ busy, onCode }: Omit<Props, 'error' | 'onRefused'>) {
  const [phone, setPhone] = useState('')
  const [invalid, setInvalid] = useState(false)
  const submit = () => {
    const digits = phone.replace(/\D/g, '')
    if (!PHONE.test(digits)) {
      setInvalid(true)
      return
    }
    setInvalid(false)
    onCode(`dev:${digits}:${Date.now()}`)
  }
  return (
    <View className="join-dev-form">
      <Input placeholderClass="mc-placeholder" className="join-input" type="number" maxlength={11} placeholder="请输入 11 位手机号" {...fieldLabel('手机号')} value={phone} onInput={(e) => setPhone(e.detail.value)} />
      {invalid && (
        <Text className="join-error mc-keep-words" {...liveRegion('alert')}>
          请输入正确的 11 位手机号
        </Text>
      )}
      <Button type="primary" shape="round" block className="join-primary" loading={busy} disabled={busy} onClick={submit}>
        验证并绑定
      </Button>
      <Text className="join-note">浏览器开发版：手机号由本地模拟的微信接口验证</Text>
    </View>
  )
}

export default function PhoneStep(props: Props) {
  return (
    <View className="join-step">
      <Text className="join-step__title">绑定手机号</Text>
      {/* a phrase longer than a line (text zoomed) breaks anywhere: each 。 is kept with the word before it, never alone on a line */}
      <Text className="join-step__desc mc-keep-words">
        用于识别您在天猫、门店的会员身份，把积分和等级合并到<Text className="mc-nowrap">一起。</Text>页面只显示掩码后的<Text className="mc-nowrap">号码。</Text>
      </Text>
      <PrivacyNotice />
      {process.env.TARO_ENV === 'weapp' ? <WechatPhoneButton {...props} /> : <DevPhoneForm busy={props.busy} onCode={props.onCode} />}
      {props.error && (
        <Text className="join-error mc-keep-words" {...liveRegion('alert')}>
          {props.error}
        </Text>
      )}
      {props.error && props.onRetry && (
        <Text className="join-link join-retry" {...BUTTON} onClick={props.onRetry}>
          重试
        </Text>
      )}
    </View>
  )
}
