import { Text, View } from '@tarojs/components'
import { useReachBottom } from '@tarojs/taro'
import type { PointsSummaryResult } from '../../../cloudfunctions/core/contracts'
import { callFunction } from '../../api'
import JoinInvite from '../../components/JoinInvite'
import TermsUpdated from '../../components/TermsUpdated'
import { ErrorView, LoadingView } from '../../components/StatusView'
import { DECORATIVE, roleOf } from '../../lib/a11y'
import { balanceClass, expiryNotice, formatPoints, pointsOwed, spendablePoints } from '../../lib/format'
import { useMembership } from '../../lib/useMembership'
import { useRequest } from '../../lib/useRequest'
import { useInviteShare } from '../../lib/share'
import { useShowAgain } from '../../lib/useShowAgain'
import HistoryList from './HistoryList'
import { usePointsHistory } from './usePointsHistory'
import './index.css'

function Summary({ summary }: { summary: PointsSummaryResult }) {
  const soonest = summary.expiring.find((lot) => lot.points > 0)
  const expiry = soonest ? expiryNotice(soonest) : null
  const available = formatPoints(spendablePoints(summary.available))
  return (
    <View>
      <View className="points-summary">
        <View className="points-summary__main">
          <Text className="points-summary__label">可用积分</Text>
          {/* eight digits and more (12,345,678) would push 成长值 off the card at full size, and seven
              (1,234,567) ran off a 320 px screen with text 1.6 times larger (WeChat's larger font sizes) */}
          <Text className={balanceClass('points-summary__value', available)}>{available}</Text>
        </View>
        <View className="points-summary__side">
          <Text className="points-summary__label">成长值</Text>
          <Text className="points-summary__growth">{formatPoints(summary.growth)}</Text>
          <Text className="points-summary__level">{summary.level.name}</Text>
        </View>
      </View>
      {expiry && (
        // a warning only when it is near: a year ahead it is a date to know, not an alarm
        <View className={`points-notice ${expiry.urgent ? '' : 'points-notice--calm'}`} {...roleOf('note')}>
          {expiry.urgent && <Text className="points-notice__mark" {...DECORATIVE}>!</Text>}
          <Text className="points-notice__text mc-keep-words">{expiry.text}</Text>
        </View>
      )}
      {pointsOwed(summary.available) > 0 && (
        <View className="points-notice points-notice--owed" {...roleOf('note')}>
          <Text className="points-notice__text mc-keep-words">{`有 ${formatPoints(pointsOwed(summary.available))}\u00a0积分待抵扣，将从之后获得的积分中扣除`}</Text>
        </View>
      )}
    </View>
  )
}

function MemberPoints() {
  const summary = useRequest(() => callFunction('points', 'summary', {}))
  const { history, reload, refresh, loadMore } = usePointsHistory()
  useReachBottom(loadMore)
  useShowAgain(() => {
    summary.reload({ keep: true })
    void refresh()
  })

  return (
    <View>
      {summary.state.status === 'loading' && <LoadingView text="正在加载积分…" />}
      {summary.state.status === 'error' && <ErrorView error={summary.state.error} title="积分暂时无法加载" onRetry={() => summary.reload()} />}
      {summary.state.status === 'ready' && <Summary summary={summary.state.data} />}

      <View className="mc-section-title">积分明细</View>
      <View className="points-history-card">
        <HistoryList history={history} onRetry={reload} onMore={loadMore} />
      </View>
    </View>
  )
}

export default function PointsPage() {
  useInviteShare()
  const { state, reload, joined, termsOutdated } = useMembership()
  return (
    <View className="mc-page">
      {state.status === 'loading' && <LoadingView text="正在加载…" />}
      {state.status === 'error' && <ErrorView error={state.error} onRetry={() => reload()} />}
      {state.status === 'ready' && !joined && <JoinInvite title="入会后累积和查看积分" />}
      {state.status === 'ready' && termsOutdated && <TermsUpdated />}
      {state.status === 'ready' && joined && <MemberPoints />}
    </View>
  )
}
