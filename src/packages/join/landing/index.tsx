import { Text, View } from '@tarojs/components'
import { useRouter } from '@tarojs/taro'
import { Button } from '@nutui/nutui-react-taro'
import { useEffect, useState } from 'react'
import { ApiError, callFunction, toApiError } from '../../../api'
import { EmptyView, ErrorView, LoadingView } from '../../../components/StatusView'
import { entryFrom } from '../../../launch/entry'
import { clearNextStep, getAttribution, setAttribution, setNextStep, type Attribution } from '../../../launch/intent'
import { formatPoints } from '../../../lib/format'
import { productCodeIn } from '../../../lib/product-code'
import { ROUTES, replace } from '../../../lib/routes'
import { useLeave } from '../../../lib/useLeave'
import { recordAttribution } from '../attribution'
import { sceneLabel } from './resolve'
import '../index.css'
import './index.css'

type LandingState =
  | { status: 'loading' }
  | { status: 'invalid' }
  | { status: 'ended'; name: string; member: boolean | null }
  /** `recognised`: the code was resolved, and what failed after it (member.login) is no fault of the code's. */
  | { status: 'error'; error: ApiError; recognised?: boolean }
  | { status: 'invite'; attribution: Attribution; bonus?: number }
  | { status: 'welcomeBack'; attribution: Attribution }

const TITLES: Record<Attribution['kind'], string> = {
  guide: '您的专属导购邀请您加入会员',
  store: '欢迎光临，加入会员享积分与等级权益',
  packageCard: '感谢购买！加入会员，绑定订单领积分',
  product: '扫码验真，领取积分',
}

/**
 * Where a code opens the app: a guide's or store's mini-program code (scene g=/s=), a package
 * card (p=), or a printed plain link (q = https://<domain>/c/<code> or /g/<guideId>). Resolves it,
 * keeps the attribution for the join, and sends the consumer on.
 */
export default function LandingPage() {
  const { params } = useRouter()
  const entry = entryFrom(params)
  const [view, setView] = useState<LandingState>({ status: 'loading' })
  const [attempt, setAttempt] = useState(0)
  // a next page that could not open: 重新加载 tries it again, not the resolve and the join already done
  const [stuck, setStuck] = useState<{ path: string; query?: Record<string, string | undefined> } | null>(null)
  const retryStuck = async (to: NonNullable<typeof stuck>) => {
    setView({ status: 'loading' })
    if (!(await replace(to.path, to.query))) setView({ status: 'error', error: new ApiError('UNAVAILABLE') })
  }

  // its buttons open their page once however quickly tapped again
  const leave = useLeave()

  useEffect(() => {
    let live = true
    let recognised = false
    // a next page that could not open (its subpackage not downloaded) leaves a retry, not a spinner
    const onTo = async (path: string, query?: Record<string, string | undefined>) => {
      if (await replace(path, query) || !live) return
      setStuck({ path, query })
      setView({ status: 'error', error: new ApiError('UNAVAILABLE') })
    }
    const run = async () => {
      if (!entry) return setView({ status: 'invalid' })
      // A product code needs no resolving to be redeemed: the scan page checks it, once (checked
      // here as well, a misprinted code would count twice towards the invalid-scan limit).
      if (productCodeIn(entry.q)) return onTo(ROUTES.scan, { q: entry.q })
      const input = entry.scene ? { scene: entry.scene } : { q: entry.q ?? '' }
      let resolved
      try {
        resolved = await callFunction('scenes', 'resolve', input)
      } catch (error) {
        const failure = toApiError(error)
        if (['INVALID_INPUT', 'NOT_FOUND', 'CODE_INVALID', 'CODE_EXPIRED'].includes(failure.code)) return live && setView({ status: 'invalid' })
        return live && setView({ status: 'error', error: failure })
      }
      recognised = true
      if (resolved.kind === 'product') return onTo(ROUTES.scan, entry.q ? { q: entry.q } : { code: resolved.code })
      if (resolved.kind === 'packageCard' && resolved.ended) {
        // a member is not invited to join, a visitor is given the way to
        const caller = await callFunction('member', 'login', {}).catch(() => null)
        // a member whose consent is to earlier terms is a member all the same (the tabs show their card);
        // unknown (no answer): neither invited to join nor told they are a member, the 会员 tab sorts it out
        return live && setView({ status: 'ended', name: resolved.campaignName, member: caller ? caller.phoneBound : null })
      }

      const attribution: Attribution = { ...input, kind: resolved.kind, label: sceneLabel(resolved) }
      // kept before anything else can fail (a weak signal in a crowded store), unless a join kept
      // earlier waits to be sent: for a member that one is the first touch
      const kept = getAttribution()
      if (!kept) setAttribution(attribution)
      // so is a package card's order, bound right after joining (a member goes to it straight away)
      if (resolved.kind === 'packageCard') setNextStep({ kind: 'order', campaignId: resolved.campaignId, platform: resolved.platform, bonus: resolved.bonus })
      const member = await callFunction('member', 'login', {})
      if (member.phoneBound) {
        // no errand for a later join: a member binds the order now, and a step kept would send
        // them to this card's order page again when they next agree to updated terms
        clearNextStep()
        // the kept join goes first, and stays kept, in place of this one, when it cannot be sent now either
        await recordAttribution()
        if (kept && !getAttribution()) {
          setAttribution(attribution)
          await recordAttribution()
        }
        if (resolved.kind === 'packageCard') return onTo(ROUTES.order, { campaign: resolved.campaignId, platform: resolved.platform, bonus: String(resolved.bonus) })
        return live && setView({ status: 'welcomeBack', attribution })
      }
      // a visitor joins through the code scanned last, the one that brought them to join
      setAttribution(attribution)
      // a package card names its bonus: the reason to join now
      return live && setView({ status: 'invite', attribution, ...(resolved.kind === 'packageCard' ? { bonus: resolved.bonus } : {}) })
    }
    run().catch((error) => live && setView({ status: 'error', error: toApiError(error), recognised }))
    return () => {
      live = false
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [attempt])

  return (
    <View className="mc-page">
      {view.status === 'loading' && <LoadingView text="正在识别二维码…" />}
      {view.status === 'error' && <ErrorView error={view.error} title={stuck ? '页面暂时无法打开' : view.recognised ? '暂时无法加载' : '二维码暂时无法识别'} onRetry={() => (stuck ? void retryStuck(stuck) : setAttempt((n) => n + 1))} />}
      {view.status === 'invalid' && (
        <EmptyView title="无法识别的二维码" description="这个二维码不是本品牌的导购、门店或包裹卡二维码，或已失效。" mark="?">
          <Button type="primary" shape="round" className="landing-action" onClick={() => void leave(ROUTES.member)}>
            返回会员首页
          </Button>
        </EmptyView>
      )}
      {view.status === 'ended' && (
        <EmptyView
          title="包裹卡活动已结束"
          description={
            view.member ? `「${view.name}」活动已结束，感谢您的支持。出示会员码消费、扫码仍可累积积分。`
            : view.member === null ? `「${view.name}」活动已结束，感谢您的支持。会员消费和扫码仍可累积积分。`
            : `「${view.name}」活动已结束，感谢您的支持。加入会员后，消费和扫码仍可累积积分。`
          }
          mark="!"
        >
          {view.member ? (
            <Button type="primary" shape="round" className="landing-action" onClick={() => void leave(ROUTES.member)}>
              查看我的会员卡
            </Button>
          ) : view.member === null ? (
            <Button type="primary" shape="round" className="landing-action" onClick={() => void leave(ROUTES.member)}>
              返回会员首页
            </Button>
          ) : (
            <Button type="primary" shape="round" className="landing-action" onClick={() => void leave(ROUTES.join)}>
              立即入会
            </Button>
          )}
        </EmptyView>
      )}
      {(view.status === 'invite' || view.status === 'welcomeBack') && (
        <View className="join-step landing">
          {/* broken at its spaces only: 上海徐家汇旗舰店 was split 旗 / 舰店 with text zoomed */}
          <Text className="landing__badge mc-keep-words">{view.attribution.label ?? BRAND_NAME}</Text>
          <Text className="join-step__title">
            {view.status === 'invite' ? (view.bonus ? `感谢购买！加入会员，绑定订单领 ${formatPoints(view.bonus)}\u00a0积分` : TITLES[view.attribution.kind]) : '您已是会员，欢迎回来'}
          </Text>
          {/* broken between its words only (zero-width spaces part a phrase longer than a line with
              text zoomed): 天猫 was split 天 / 猫, and 累积积分 累 / 积分 */}
          <Text className="join-step__desc mc-keep-words">
            {view.status === 'invite'
              ? '授权手机号\u200b即可入会，天猫、门店的\u200b会员积分\u200b自动合并，消费和扫码\u200b都能累积积分。'
              : // the server records only a member's first touch: nothing is said to be recorded
                '到店消费时\u200b出示会员码，即可累积积分。'}
          </Text>
          {view.status === 'invite' ? (
            <Button type="primary" shape="round" block className="join-primary" onClick={() => void leave(ROUTES.join)}>
              立即入会
            </Button>
          ) : (
            <Button type="primary" shape="round" block className="join-primary" onClick={() => void leave(ROUTES.member)}>
              查看我的会员卡
            </Button>
          )}
        </View>
      )}
    </View>
  )
}
