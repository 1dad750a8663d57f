import { Text, View } from '@tarojs/components'
import { Button } from '@nutui/nutui-react-taro'
import { useState } from 'react'
import { BUTTON, DECORATIVE, liveRegion, roleOf } from '../../lib/a11y'
import { ROUTES, go } from '../../lib/routes'

interface Props {
  version: string
  busy: boolean
  error: string | null
  onAgree: () => void
  /** A member agreeing again to terms the brand updated since they joined. */
  renewing?: boolean
}

const POINTS = [
  '我们收集您的手机号（加密保存，仅显示掩码）、昵称和生日，用于会员身份识别和权益发放；',
  '我们会用手机号关联您在天猫旗舰店和线下门店的会员身份，合并积分与等级；',
  '您可以随时在「我的」点击「删除我的数据」，清除您的个人信息。',
]

/** Privacy terms first: nothing personal is collected before the consumer agrees (member.consent). */
export default function TermsStep({ version, busy, error, onAgree, renewing = false }: Props) {
  const [checked, setChecked] = useState(false)
  return (
    <View className="join-step">
      <Text className="join-step__title">{renewing ? '会员隐私条款已更新' : '会员隐私条款'}</Text>
      <Text className="join-step__desc">{renewing ? '请阅读更新后的要点，同意后继续使用会员服务：' : '加入会员前，请阅读以下要点：'}</Text>
      <View className="join-terms">
        {POINTS.map((p) => (
          <Text className="join-terms__item mc-keep-words" key={p}>
            {p}
          </Text>
        ))}
      </View>
      <View className="join-check" onClick={() => setChecked(!checked)} {...roleOf('checkbox')} aria-checked={checked}>
        <View className={`join-check__box ${checked ? 'join-check__box--on' : ''}`} {...DECORATIVE}>{checked ? '✓' : ''}</View>
        {/* the link beside the words, not inside a text: WeChat fires no tap on a text inside a text
            before base library 2.30.3, nor ever on Mac, and the tap would tick the box instead */}
        <View className="join-check__text mc-keep-words">
          <Text>我已阅读并同意</Text>
          <Text
            className="join-link"
            {...BUTTON}
            onClick={(e) => {
              e.stopPropagation()
              go(ROUTES.terms)
            }}
          >
            《会员隐私条款》
          </Text>
          <Text className="join-check__version">（版本 {version}）</Text>
        </View>
      </View>
      {error && <Text className="join-error mc-keep-words" {...liveRegion('alert')}>{error}</Text>}
      <Button type="primary" shape="round" block className="join-primary" disabled={!checked || busy} loading={busy} onClick={onAgree}>
        同意并继续
      </Button>
    </View>
  )
}
