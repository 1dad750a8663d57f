import { View } from '@tarojs/components'
import ComingSoon from '../../components/ComingSoon'
import icon from '../../assets/tabbar/mine-active.png'

export default function MinePage() {
  return (
    <View className="mc-page">
      <ComingSoon
        icon={icon}
        title="个人中心即将开放"
        description="会员码、个人资料、已关联的渠道（微信、天猫、门店）和隐私设置都将在这里管理。"
      />
    </View>
  )
}
