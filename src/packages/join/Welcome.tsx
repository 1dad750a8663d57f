import { Text, View } from '@tarojs/components'
import { Button } from '@nutui/nutui-react-taro'
import type { ChannelsResult } from '../../../cloudfunctions/core/contracts'
import { LoadingView } from '../../components/StatusView'
import { DECORATIVE } from '../../lib/a11y'
import type { NextStep } from '../../launch/intent'
import type { RequestState } from '../../lib/useRequest'

interface Props {
  /** The phone bound just now; null when a member who joined before opens the page. */
  phoneMasked: string | null
  channels: RequestState<ChannelsResult>
  attributionLabel: string | null
  next: NextStep | undefined
  onContinue: () => void
}

/** The channel memberships binding the phone found, in words. */
export function foundChannels(channels: ChannelsResult): string[] {
  const names: string[] = []
  if (channels.tmall) names.push('天猫旗舰店会员')
  if (channels.offline) names.push('线下门店会员')
  if (channels.jd) names.push('京东旗舰店会员')
  return names
}

const CONTINUE_TEXT: Record<NextStep['kind'] | 'home', string> = {
  redeem: '继续领取扫码积分',
  order: '绑定包裹订单领积分',
  home: '查看我的会员卡',
}

export default function Welcome({ phoneMasked, channels, attributionLabel, next, onContinue }: Props) {
  const found = channels.status === 'ready' ? foundChannels(channels.data) : []
  return (
    <View className="join-step join-welcome">
      <View className="join-welcome__mark" {...DECORATIVE}>✓</View>
      <Text className="join-welcome__title">{phoneMasked ? '欢迎加入会员' : '您已是会员'}</Text>
      {phoneMasked && <Text className="join-welcome__phone">已绑定手机号 {phoneMasked}</Text>}
      {attributionLabel && <Text className="join-welcome__source">{attributionLabel}</Text>}

      <View className="join-welcome__found">
        {channels.status === 'loading' && <LoadingView text="正在查找您的其他会员身份…" compact />}
        {channels.status === 'error' && <Text className="join-welcome__text">暂时无法查询其他渠道的会员身份，稍后可在会员首页查看。</Text>}
        {channels.status === 'ready' && found.length > 0 && (
          <>
            <Text className="join-welcome__text">我们找到了您的：</Text>
            {found.map((name) => (
              <Text className="join-welcome__channel" key={name}>
                <Text {...DECORATIVE}>✓</Text> {name}
              </Text>
            ))}
            <Text className="join-welcome__text">积分和等级已合并到一个账户。</Text>
          </>
        )}
        {channels.status === 'ready' && found.length === 0 && (
          <Text className="join-welcome__text">暂未找到您在天猫或门店的会员身份。已是天猫或门店会员的，数据同步后会自动关联；以后在天猫、门店使用此手机号，积分也会自动合并。</Text>
        )}
      </View>

      <Button type="primary" shape="round" block className="join-primary" onClick={onContinue}>
        {CONTINUE_TEXT[next?.kind ?? 'home']}
      </Button>
    </View>
  )
}
