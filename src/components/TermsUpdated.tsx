import { Text, View } from '@tarojs/components'
import { Button } from '@nutui/nutui-react-taro'
import { liveRegion } from '../lib/a11y'
import { ROUTES, go } from '../lib/routes'
import './TermsUpdated.css'

/**
 * For a member whose consent is to an earlier version of the privacy terms: their card stays (at the
 * till the member code must not vanish because the brand updated its terms), with the way to read
 * and agree to the new version.
 */
export default function TermsUpdated() {
  return (
    <View className="terms-updated" {...liveRegion('alert')}>
      <View className="terms-updated__text">
        <Text className="terms-updated__title">会员隐私条款已更新</Text>
        {/* with larger text the first phrase is wider than its column: 新版条款 and its comma stay together */}
        <Text className="terms-updated__desc mc-keep-words">
          请阅读并同意<Text className="mc-nowrap">新版条款，</Text>同意后可继续修改个人资料。
        </Text>
      </View>
      <Button type="primary" size="small" shape="round" className="terms-updated__action" onClick={() => go(ROUTES.join)}>
        查看并同意
      </Button>
    </View>
  )
}
