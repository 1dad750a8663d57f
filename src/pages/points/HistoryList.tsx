import { Text, View } from '@tarojs/components'
import { useEffect } from 'react'
import type { PointsHistoryEntry } from '../../../cloudfunctions/core/contracts'
import { EmptyView, ErrorView, LoadingView } from '../../components/StatusView'
import { BUTTON } from '../../lib/a11y'
import { formatDateTime, maskPhones, signedPoints } from '../../lib/format'
import type { HistoryState } from './usePointsHistory'

/** What each kind of ledger entry is, in a word. */
export const KIND_LABELS: Record<PointsHistoryEntry['kind'], string> = {
  earn: '获得',
  redeem: '兑换',
  expire: '过期',
  reverse: '退款扣回',
  adjust: '调整',
  // an opening balance that came in owed says so (see kindLabel): 转入 beside −1,234 reads as points received
  migrate: '转入',
  // shown inside the credit or refund that settled it; a line of its own only if the server ever sends one
  settle: '抵还欠分',
}

/** The entry's kind, in a word: an owed opening balance (门店会员原有积分 −1,234) came in as a debt. */
export const kindLabel = (entry: Pick<PointsHistoryEntry, 'kind' | 'points'>): string =>
  entry.kind === 'migrate' && entry.points < 0 ? '欠分转入' : KIND_LABELS[entry.kind]

function Entry({ entry }: { entry: PointsHistoryEntry }) {
  const tone = entry.points > 0 ? 'plus' : entry.points < 0 ? 'minus' : 'zero'
  // a line that moved growth alone (a refund of points that had expired, an order of a channel
  // earning growth only) says by how much: a bare 0 would not explain a level gone down
  const amount = entry.points === 0 && entry.growth !== 0 ? `成长值 ${signedPoints(entry.growth)}` : signedPoints(entry.points)
  return (
    <View className="history__entry">
      <View className="history__main">
        <Text className="history__desc">{maskPhones(entry.description)}</Text>
        <Text className="history__meta">
          <Text className={`history__kind history__kind--${entry.kind}`}>{kindLabel(entry)}</Text>
          <Text className="history__time">{formatDateTime(entry.at)}</Text>
        </Text>
      </View>
      <Text className={`history__points history__points--${tone}`}>{amount}</Text>
    </View>
  )
}

/**
 * The lines the consumer reads: the lots of one expiry night are one 积分过期 line (every order
 * of a year expires at 23:59:59 on 31 December, and the server lists each lot, also across pages),
 * and an entry that moves nothing (an order under one yuan, the opening of 0 erasure writes for a
 * card it releases) is no line.
 */
export function shownLines(entries: PointsHistoryEntry[]): PointsHistoryEntry[] {
  const lines: PointsHistoryEntry[] = []
  for (const entry of entries) {
    if (entry.points === 0 && entry.growth === 0) continue
    const last = lines[lines.length - 1]
    if (last && entry.kind === 'expire' && last.kind === 'expire' && last.at === entry.at) {
      lines[lines.length - 1] = { ...last, points: last.points + entry.points, growth: last.growth + entry.growth }
    } else lines.push(entry)
  }
  return lines
}

interface Props {
  history: HistoryState
  onRetry: () => void
  onMore: () => void
}

/** Fewer lines than this may not fill the screen, and a list that cannot scroll never reaches its bottom. */
const SCREENFUL = 10

export default function HistoryList({ history, onRetry, onMore }: Props) {
  const { entries, loading, error, nextCursor, answers, appended } = history
  const lines = shownLines(entries)
  // a page whose entries all folded into lines already shown (one expiry night's lots) or were
  // hidden leaves the list as tall as it was, with the consumer at its bottom: Taro's reach-bottom
  // fires again only after a scroll away from the bottom, which nothing prompts
  const addedNothing = appended > 0 && shownLines(entries.slice(0, entries.length - appended)).length === lines.length
  // so it, and a list too short to scroll, gets the next page without waiting for a scroll that cannot come
  const short = !loading && !error && nextCursor !== null && (lines.length < SCREENFUL || addedNothing)
  // after every answer, not only one that lengthens the list: a quiet refresh on coming back to
  // the tab sets the same entries again, after superseding (and so dropping) a next page asked for
  useEffect(() => {
    if (short) onMore()
  }, [short, answers, onMore])
  if (loading === 'first') return <LoadingView text="正在加载积分明细…" compact />
  if (error && entries.length === 0) return <ErrorView error={error} title="积分明细暂时无法加载" onRetry={onRetry} compact />
  if (lines.length === 0 && !nextCursor) {
    return <EmptyView title="还没有积分记录" description="在天猫、门店消费或扫描商品防伪码，积分都会记在这里" />
  }
  return (
    <View className="history">
      {lines.map((entry) => (
        <Entry entry={entry} key={entry.id} />
      ))}
      <View className="history__footer">
        {loading === 'more' && <Text>正在加载更多…</Text>}
        {!loading && error && (
          <Text className="history__more" {...BUTTON} onClick={onMore}>
            加载失败，点击重试
          </Text>
        )}
        {!loading && !error && nextCursor && (
          <Text className="history__more" {...BUTTON} onClick={onMore}>
            加载更多
          </Text>
        )}
        {!loading && !error && !nextCursor && <Text>没有更多记录了</Text>}
      </View>
    </View>
  )
}
