import { View } from '@tarojs/components'
import ComingSoon from '../../components/ComingSoon'
import icon from '../../assets/tabbar/points-active.png'

export default function PointsPage() {
  return (
    <View className="mc-page">
      <ComingSoon
        icon={icon}
        title="积分明细即将开放"
        description="线上下单、门店消费和扫码所得的积分将汇总到同一个账户，这里会展示可用积分、即将过期的积分和每一笔变动。"
      />
    </View>
  )
}
