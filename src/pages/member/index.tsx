import { Text, View } from '@tarojs/components'
import { Button, Loading } from '@nutui/nutui-react-taro'
import MemberCard from './MemberCard'
import { useMemberLogin } from './useMemberLogin'
import './index.css'

export default function MemberPage() {
  const { state, retry } = useMemberLogin()

  return (
    <View className="mc-page">
      {state.status === 'loading' && (
        <View className="member-card member-card--placeholder">
          <Loading type="circular" direction="vertical" className="member-loading">
            正在加载会员信息…
          </Loading>
        </View>
      )}

      {state.status === 'error' && (
        <View className="member-error">
          <View className="member-error__mark">!</View>
          <Text className="member-error__title">暂时无法加载会员信息</Text>
          <Text className="member-error__message">{state.error.message}</Text>
          <Button type="primary" shape="round" className="member-error__retry" onClick={retry}>
            重新加载
          </Button>
          <Text className="member-error__code">错误码 {state.error.code}</Text>
        </View>
      )}

      {state.status === 'ready' && <MemberCard member={state.member} />}
    </View>
  )
}
