import { Text, View } from '@tarojs/components'
import { Button } from '@nutui/nutui-react-taro'
import { ROUTES, go } from '../lib/routes'
import './JoinInvite.css'

const BENEFITS = [
  { title: '积分通', text: '天猫、门店和小程序的积分合并到一个账户' },
  { title: '等级通', text: '各渠道消费共同累积成长值，升级更快' },
  { title: '扫码有礼', text: '扫描商品防伪码领积分，一物一码验真伪' },
]

/** For a visitor who has not joined yet: what membership gives, and the way in. */
export default function JoinInvite({ title = '加入会员，积分一处通用' }: { title?: string }) {
  return (
    <View className="join-invite">
      <View className="join-invite__card">
        <Text className="join-invite__brand">{BRAND_NAME}</Text>
        {/* broken between its phrases only: with text zoomed 积分 was split, 积 ending a line */}
        <Text className="join-invite__title mc-keep-words">{title}</Text>
        <Text className="join-invite__desc">授权手机号即可入会，已有的天猫、门店会员身份会自动关联</Text>
        {/* in the card, not below the benefits: on a 320 × 568 phone that was below the fold */}
        <Button shape="round" block className="join-invite__action" onClick={() => go(ROUTES.join)}>
          立即入会
        </Button>
      </View>
      <View className="join-invite__benefits">
        {BENEFITS.map((b) => (
          <View className="join-invite__benefit" key={b.title}>
            <Text className="join-invite__benefit-title">{b.title}</Text>
            <Text className="join-invite__benefit-text">{b.text}</Text>
          </View>
        ))}
      </View>
    </View>
  )
}
