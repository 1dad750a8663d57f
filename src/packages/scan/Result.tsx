import { Text, View } from '@tarojs/components'
import { Button } from '@nutui/nutui-react-taro'
import type { ApiError } from '../../api'
import { errorDetails, errorTime } from '../../api'
import { DECORATIVE, liveRegion } from '../../lib/a11y'
import { creditTitle, formatDateTimeWords, formatPoints, owedNote, repaidNote, spendablePoints } from '../../lib/format'

export interface Redeemed {
  sku: string
  name: string
  points: number
  available: number
  /** When the code was redeemed: the first scan's time when this member scanned it before. */
  redeemedAt: string
  /** This member had redeemed it before, in another attempt. */
  repeated: boolean
}

interface Props {
  result: { ok: true; data: Redeemed } | { ok: false; error: ApiError }
  /** The visitor agreed to the current terms already (NOT_BOUND): joining asks only for the phone. */
  consented?: boolean
  onJoin: () => void
  onAgain: () => void
  onPoints: () => void
  onRetry: () => void
}

interface Look {
  tone: 'ok' | 'warn' | 'error'
  mark: string
  title: string
  lines: string[]
  primary: { text: string; onClick: () => void }
  secondary?: { text: string; onClick: () => void }
}

function look({ result, consented, onJoin, onAgain, onPoints, onRetry }: Props): Look {
  if (result.ok) {
    const { data } = result
    // the same code scanned again says so, with when (a 重试 of a lost answer is no repeat: it shows the credit)
    const earlier = data.repeated
    return {
      tone: 'ok',
      mark: '✓',
      title: earlier ? '这个码的积分您已领取过' : creditTitle(data.points, data.available),
      lines: [
        `${data.name} 正品验证通过`,
        ...(earlier ? [`已于 ${formatDateTimeWords(data.redeemedAt)} 领取 +${formatPoints(data.points)}\u00a0积分`] : []),
        ...(!earlier && repaidNote(data.points, data.available) ? [repaidNote(data.points, data.available)!] : []),
        `当前可用积分 ${formatPoints(spendablePoints(data.available))}`,
        // the points went to what the member owed: without this, +50 and 可用 0 look like a loss
        ...(owedNote(data.available) ? [owedNote(data.available)!] : []),
      ],
      primary: { text: '查看积分明细', onClick: onPoints },
      secondary: { text: '继续扫码', onClick: onAgain },
    }
  }
  const { error } = result
  switch (error.code) {
    case 'CODE_ALREADY_REDEEMED':
      return usedLook(errorTime(error), onAgain)
    // INVALID_INPUT: what was sent is no code or link of ours as printed (too long, not ASCII):
    // sent again it would be refused again, so no 重试
    case 'INVALID_INPUT':
    case 'CODE_INVALID':
      // a batch the brand withdrew: the goods may be genuine, so no word of fakes
      if (errorDetails(error).reason === 'withdrawn') {
        return { tone: 'warn', mark: '!', title: '该码已停用', lines: ['这批商品的扫码积分活动已停止，无法领取积分。如有疑问，请联系品牌客服。'], primary: { text: '继续扫码', onClick: onAgain } }
      }
      return {
        tone: 'error',
        mark: '×',
        title: '无法识别该码',
        lines: ['这不是本品牌的\u200b有效防伪码，请确认扫描的是\u200b商品包装上的\u200b积分码。'],
        primary: { text: '重新扫码', onClick: onAgain },
      }
    case 'CODE_EXPIRED':
      return { tone: 'warn', mark: '!', title: '该码已过期', lines: ['这批商品的扫码积分活动已结束。'], primary: { text: '继续扫码', onClick: onAgain } }
    case 'NOT_BOUND': {
      // a used code: joining would not bring its points, so no invitation
      const usedAt = errorTime(error)
      if (usedAt) return usedLook(usedAt, onAgain)
      // the code is genuine and unused: the server names the product and its points
      const { name, points } = errorDetails(error)
      const product = typeof name === 'string' ? name : null
      const earns = typeof points === 'number' ? ` ${formatPoints(points)} ` : ''
      return {
        tone: 'warn',
        mark: '★',
        title: '加入会员即可领取积分',
        lines: [
          ...(product ? [`${product} 正品验证通过`] : []),
          `您还不是会员。入会只需${consented ? '' : '同意隐私条款并'}绑定手机号，完成后即可领取这件商品的${earns}积分。`,
        ],
        primary: { text: '立即入会领积分', onClick: onJoin },
      }
    }
    case 'UNAVAILABLE':
      // no answer came: the points may have been credited all the same. 重试 sends the same attempt,
      // which answers the credit made, and never credits the code twice
      return {
        tone: 'warn',
        mark: '!',
        title: '未能确认\u200b积分\u200b是否到账',
        lines: ['网络不给力，没有收到领取结果。', '请点「重试」确认，同一个码的积分\u200b不会重复发放。'],
        primary: { text: '重试', onClick: onRetry },
        secondary: { text: '返回', onClick: onAgain },
      }
    case 'CONFLICT':
      // a simultaneous scan still settling, or the store busy: nothing to refresh here; 重试 sends
      // the same attempt, which answers a credit made meanwhile
      return {
        tone: 'warn',
        mark: '!',
        title: '暂时无法\u200b领取积分',
        lines: ['当前领取人数较多，请稍后再点「重试」，同一个码的积分\u200b不会重复发放。'],
        primary: { text: '重试', onClick: onRetry },
        secondary: { text: '返回', onClick: onAgain },
      }
    case 'RATE_LIMITED':
      return { tone: 'warn', mark: '!', title: '操作太频繁了', lines: ['无效扫码次数过多，请一小时后再试。'], primary: { text: '返回', onClick: onAgain } }
    default:
      return { tone: 'error', mark: '!', title: '暂时无法\u200b领取积分', lines: [error.message], primary: { text: '重试', onClick: onRetry }, secondary: { text: '返回', onClick: onAgain } }
  }
}

function usedLook(when: string | null, onAgain: () => void): Look {
  return {
    tone: 'warn',
    mark: '!',
    title: '该码已被使用',
    lines: [
      when ? `此码已于 ${formatDateTimeWords(when)} 被扫描领取积分。` : '此码的积分已被领取。',
      '每件商品的防伪码只能领取一次积分。如果您刚购买的商品显示已被使用，请通过官方渠道核实商品来源。',
    ],
    primary: { text: '继续扫码', onClick: onAgain },
  }
}

/** The outcome of one redemption: success (or scanned by this member before), already used (with when), invalid, expired, not a member, rate limited. */
export default function Result(props: Props) {
  const l = look(props)
  return (
    <View className={`scan-result scan-result--${l.tone}`}>
      <View className="scan-result__mark" {...DECORATIVE}>{l.mark}</View>
      {/* read out as it appears: points credited as a status, a code refused (used, invalid, expired, not a member yet) at once */}
      <View className="mc-outcome" {...liveRegion(props.result.ok ? 'status' : 'alert')}>
        {/* words kept whole (zero-width spaces part a title longer than a line with text zoomed): 暂时无法领取积分
            left 分 alone on a line at 320 px, and 未能确认积分是否到账 was split 是 / 否 */}
        <Text className="scan-result__title mc-keep-words">{l.title}</Text>
        {/* words kept whole: a date (2026年12月7日) or 积分 is not split over two lines, nor 重复发放 or 防伪码
            (zero-width spaces part a line longer than one with text zoomed) */}
        {l.lines.map((line) => (
          <Text className="scan-result__line mc-keep-words" key={line}>
            {line}
          </Text>
        ))}
      </View>
      <Button type="primary" shape="round" block className="scan-result__primary" onClick={l.primary.onClick}>
        {l.primary.text}
      </Button>
      {l.secondary && (
        <Button shape="round" fill="outline" block className="scan-result__secondary" onClick={l.secondary.onClick}>
          {l.secondary.text}
        </Button>
      )}
    </View>
  )
}
