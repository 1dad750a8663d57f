import { Text, View } from '@tarojs/components'
import { callFunction } from '../../../api'
import { useRequest } from '../../../lib/useRequest'
import './index.css'

const SECTIONS: { title: string; body: string[] }[] = [
  {
    title: '一、我们收集哪些信息',
    body: [
      '手机号：通过微信授权获取，用于识别您在天猫旗舰店、线下门店和小程序的会员身份。手机号加密保存，页面只显示掩码（如 138****8000）。',
      '昵称、生日：由您自愿填写，用于称呼您和发放生日权益。',
      '消费与积分记录：来自天猫、门店和扫码，用于计算积分、成长值和会员等级。',
    ],
  },
  {
    title: '二、我们如何使用',
    body: [
      '把同一手机号在各渠道的会员身份合并为一个会员，积分与等级统一累积和使用。',
      '记录您通过哪位导购、哪家门店或哪张包裹卡加入会员，用于门店服务和导购激励。',
      '我们不会向第三方出售您的个人信息；与天猫、门店系统交换数据时只使用加密后的手机号。',
    ],
  },
  {
    title: '三、您的权利',
    body: [
      '您可以在「我的」中查看和修改昵称；生日只能设置一次。',
      '您可以随时在「我的」点击「删除我的数据」。删除后手机号、昵称、生日和渠道关联将被清除，积分流水仅以匿名形式保留用于对账。',
    ],
  },
]

/** Names of buttons the terms point to: kept on one line, the paragraph breaking around them. */
const WHOLE = /(「删除我的数据」)/

/** The privacy terms a member agrees to (member.consent records the version). */
export default function TermsPage() {
  const login = useRequest(() => callFunction('member', 'login', {}))
  const version = login.state.status === 'ready' ? login.state.data.termsVersion : null
  return (
    <View className="mc-page">
      <View className="terms">
        <Text className="terms__title">会员隐私条款</Text>
        {version && <Text className="terms__version">版本 {version}</Text>}
        {SECTIONS.map((s) => (
          <View className="terms__section" key={s.title}>
            <Text className="terms__heading">{s.title}</Text>
            {s.body.map((p) => (
              <Text className="terms__para" key={p}>
                {p.split(WHOLE).map((part, i) => (i % 2 ? <Text className="mc-nowrap" key={i}>{part}</Text> : part))}
              </Text>
            ))}
          </View>
        ))}
      </View>
    </View>
  )
}
