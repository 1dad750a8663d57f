import { Text, View } from '@tarojs/components'
import type { PointsSummaryResult, ProfileResult } from '../../../cloudfunctions/core/contracts'
import type { RequestState } from '../../lib/useRequest'
import { BUTTON } from '../../lib/a11y'
import { balanceClass, expiryNotice, formatPoints, pointsOwed, spendablePoints } from '../../lib/format'

interface Props {
  profile: ProfileResult | null
  points: RequestState<PointsSummaryResult>
  onRetryPoints: () => void
}

/** The member card: level, masked phone, available points, progress to the next level, what expires next. */
export default function MemberCard({ profile, points, onRetryPoints }: Props) {
  const summary = points.status === 'ready' ? points.data : null
  const next = summary?.nextLevel ?? null
  const progress = summary && next ? Math.min(1, Math.max(0, summary.growth / Math.max(1, next.minGrowth))) : 1
  const expiring = summary?.expiring.find((lot) => lot.points > 0) ?? null
  const balance = summary ? formatPoints(spendablePoints(summary.available)) : ''

  return (
    <View className="member-card">
      <View className="member-card__top">
        <Text className="member-card__brand">{BRAND_NAME}</Text>
        <Text className="member-card__level">{summary ? summary.level.name : '会员'}</Text>
      </View>
      <Text className="member-card__phone">{profile?.phoneMasked ?? ''}</Text>

      <Text className="member-card__label">可用积分</Text>
      {points.status === 'loading' && <Text className="member-card__points member-card__points--muted">…</Text>}
      {points.status === 'error' && (
        <View className="member-card__points-error" {...BUTTON} onClick={onRetryPoints}>
          <Text>积分暂时无法显示（{points.error.message}）</Text>
          <Text className="member-card__link">点击重试</Text>
        </View>
      )}
      {/* points owed (a refund taken back, a negative store balance) show once, as what is owed, not also as a negative balance */}
      {/* smaller from seven digits, as 积分's balance: the card hides what leaves it */}
      {summary && <Text className={balanceClass('member-card__points', balance)}>{balance}</Text>}
      {summary && pointsOwed(summary.available) > 0 && <Text className="member-card__note mc-keep-words">{`待抵扣 ${formatPoints(pointsOwed(summary.available))}\u00a0积分，将从之后获得的积分中扣除`}</Text>}

      {summary && (
        <View className="member-card__progress">
          <View className="member-card__track">
            {/* rounded down: a bar drawn full beside 再得 1 升级 would say the level is reached */}
            <View className="member-card__fill" style={{ width: `${Math.floor(progress * 100)}%` }} />
          </View>
          <Text className="member-card__progress-text mc-keep-words">
            {next
              ? `成长值 ${formatPoints(summary.growth)} / ${formatPoints(next.minGrowth)}，再得 ${formatPoints(next.growthNeeded)} 升级${next.name}`
              : `成长值 ${formatPoints(summary.growth)}，已是最高等级`}
          </Text>
        </View>
      )}

      {/* as 积分 says it: the days left within a month */}
      {expiring && <Text className="member-card__expiring mc-keep-words">{expiryNotice(expiring).text}</Text>}
    </View>
  )
}
