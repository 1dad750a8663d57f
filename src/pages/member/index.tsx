import { Text, View } from '@tarojs/components'
import { Button } from '@nutui/nutui-react-taro'
import { useDidShow } from '@tarojs/taro'
import { callFunction } from '../../api'
import JoinInvite from '../../components/JoinInvite'
import MemberCode from '../../components/MemberCode'
import TermsUpdated from '../../components/TermsUpdated'
import { ErrorView, LoadingView } from '../../components/StatusView'
import { takePendingEntry } from '../../launch/entry'
import { BUTTON } from '../../lib/a11y'
import { ROUTES, go } from '../../lib/routes'
import { useLeave } from '../../lib/useLeave'
import { useMembership } from '../../lib/useMembership'
import { useRequest } from '../../lib/useRequest'
import { useInviteShare } from '../../lib/share'
import { useShowAgain } from '../../lib/useShowAgain'
import ChannelList from './ChannelList'
import MemberCard from './MemberCard'
import './index.css'

/** The joined member's home: card, quick actions, member code, linked channels. */
function MemberHome() {
  const profile = useRequest(() => callFunction('member', 'profile', {}))
  const points = useRequest(() => callFunction('points', 'summary', {}))
  const channels = useRequest(() => callFunction('member', 'channels', {}))
  const leave = useLeave()
  useShowAgain(() => {
    // the masked phone too: a card drawn without it (a failed first call) gets it back
    profile.reload({ keep: true })
    points.reload({ keep: true })
    channels.reload({ keep: true })
  })

  return (
    <View>
      <MemberCard profile={profile.state.status === 'ready' ? profile.state.data : null} points={points.state} onRetryPoints={() => points.reload()} />

      <View className="member-actions">
        <Button type="primary" shape="round" className="member-actions__scan" onClick={() => go(ROUTES.scan)}>
          扫码领积分
        </Button>
        <Button shape="round" fill="outline" className="member-actions__points" onClick={() => void leave(ROUTES.points)}>
          积分明细
        </Button>
      </View>

      <View className="mc-section-title">会员码</View>
      <MemberCode />

      <View className="mc-section-title">会员渠道</View>
      {channels.state.status === 'loading' && <LoadingView compact />}
      {channels.state.status === 'error' && <ErrorView error={channels.state.error} title="渠道信息暂时无法加载" onRetry={() => channels.reload()} compact />}
      {channels.state.status === 'ready' && <ChannelList channels={channels.state.data} />}
    </View>
  )
}

export default function MemberPage() {
  useInviteShare()
  const { state, reload, joined, termsOutdated } = useMembership()

  // Opened (or brought back from the background) through a guide's, store's, package card's or
  // product's code: go to its landing page, once per code.
  useDidShow(() => {
    const entry = takePendingEntry()
    if (entry) go(ROUTES.landing, { scene: entry.scene, q: entry.q })
  })

  return (
    <View className="mc-page">
      {state.status === 'loading' && <LoadingView text="正在加载会员信息…" />}
      {state.status === 'error' && <ErrorView error={state.error} title="暂时无法加载会员信息" onRetry={() => reload()} />}
      {state.status === 'ready' && !joined && <JoinInvite />}
      {state.status === 'ready' && termsOutdated && <TermsUpdated />}
      {state.status === 'ready' && joined && <MemberHome />}
      {state.status === 'ready' && !joined && (
        <Text className="member-page__scan-link mc-keep-words" {...BUTTON} onClick={() => go(ROUTES.scan)}>
          手上有商品防伪码？先扫码验真
        </Text>
      )}
    </View>
  )
}
