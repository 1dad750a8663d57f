import { Text, View } from '@tarojs/components'
import Taro from '@tarojs/taro'
import { useState } from 'react'
import { callFunction, toApiError } from '../../api'
import DevIdentitySwitcher from '../../components/DevIdentitySwitcher'
import JoinInvite from '../../components/JoinInvite'
import TermsUpdated from '../../components/TermsUpdated'
import { ErrorView, LoadingView } from '../../components/StatusView'
import { forgetIntent } from '../../launch/intent'
import { BUTTON, DECORATIVE } from '../../lib/a11y'
import { formatPoints } from '../../lib/format'
import { ROUTES, go } from '../../lib/routes'
import { useMembership } from '../../lib/useMembership'
import { useRequest } from '../../lib/useRequest'
import { useInviteShare } from '../../lib/share'
import Profile from './Profile'
import './index.css'

function Links({ joined, onDeleted }: { joined: boolean; onDeleted: () => void }) {
  const [busy, setBusy] = useState<'checking' | 'deleting' | null>(null)

  const remove = async () => {
    setBusy('checking')
    try {
      // the balance the deletion forfeits, named before the consumer confirms; when it cannot be read
      // now, the warning still stands without the figure (silence would read as nothing to lose)
      const available = await callFunction('points', 'summary', {}).then((summary) => summary.available, () => null)
      const forfeited = available === null
        ? '您现有的积分（含天猫、门店带来的积分）将一并清零。'
        : available > 0 ? `您现有的 ${formatPoints(available)}\u00a0积分（含天猫、门店带来的积分）将一并清零。` : ''
      const answer = await Taro.showModal({
        title: '删除我的数据',
        content: `将删除您的手机号、昵称、生日和各渠道的会员关联，且无法恢复。${forfeited}积分记录只以匿名形式保留。确定删除吗？`,
        confirmText: '确认删除',
        confirmColor: '#c0392b',
        cancelText: '再想想',
      })
      if (!answer.confirm) return
      setBusy('deleting')
      const deleted = () => {
        forgetIntent() // the scene and the scan kept for a join were the erased member's
        void Taro.showToast({ title: '已删除', icon: 'success' })
        onDeleted()
      }
      try {
        await callFunction('member', 'delete', { confirm: true })
      } catch (error) {
        const failure = toApiError(error)
        // no answer (a weak signal, a timeout): the erasure may have gone through. Whether the
        // consumer is still a member with a phone says which, so 删除失败 is never said of data erased
        if (failure.code !== 'UNAVAILABLE' && failure.code !== 'INTERNAL') throw failure
        const now = await callFunction('member', 'login', {}).catch(() => null)
        if (now && !now.phoneBound) return deleted()
        if (!now) {
          void Taro.showModal({ title: '未能确认是否已删除', content: '网络不给力，暂时无法确认删除结果。请稍后回到此页查看，如仍显示您的资料，请再点「删除我的数据」。', showCancel: false })
          return
        }
        throw failure
      }
      deleted()
    } catch (error) {
      void Taro.showModal({ title: '删除失败', content: toApiError(error).message, showCancel: false })
    } finally {
      setBusy(null)
    }
  }

  return (
    <View className="mine-card mine-links">
      {joined && (
        <View className="mine-link" {...BUTTON} onClick={() => go(ROUTES.storeCard)}>
          <Text>关联门店会员卡</Text>
          <Text className="mine-link__arrow" {...DECORATIVE}>›</Text>
        </View>
      )}
      <View className="mine-link" {...BUTTON} onClick={() => go(ROUTES.terms)}>
        <Text>会员隐私条款</Text>
        <Text className="mine-link__arrow" {...DECORATIVE}>›</Text>
      </View>
      {joined && (
        <View className="mine-link mine-link--danger" {...BUTTON} onClick={busy ? undefined : remove}>
          <Text>{busy === 'deleting' ? '正在删除…' : busy === 'checking' ? '请稍候…' : '删除我的数据'}</Text>
          <Text className="mine-link__arrow" {...DECORATIVE}>›</Text>
        </View>
      )}
    </View>
  )
}

function MemberProfile({ locked }: { locked: boolean }) {
  const profile = useRequest(() => callFunction('member', 'profile', {}))
  if (profile.state.status === 'loading') return <LoadingView text="正在加载个人资料…" />
  if (profile.state.status === 'error') return <ErrorView error={profile.state.error} title="个人资料暂时无法加载" onRetry={() => profile.reload()} />
  return <Profile profile={profile.state.data} locked={locked} onSaved={(data) => profile.setState({ status: 'ready', data })} />
}

export default function MinePage() {
  useInviteShare()
  const { state, reload, joined, termsOutdated } = useMembership()
  return (
    <View className="mc-page">
      {state.status === 'loading' && <LoadingView text="正在加载…" />}
      {state.status === 'error' && <ErrorView error={state.error} onRetry={() => reload()} />}
      {state.status === 'ready' && !joined && <JoinInvite title="入会后可管理个人资料" />}
      {state.status === 'ready' && termsOutdated && <TermsUpdated />}
      {state.status === 'ready' && joined && (
        <>
          <View className="mc-section-title">个人资料</View>
          <MemberProfile locked={termsOutdated} />
        </>
      )}
      {state.status !== 'loading' && (
        <>
          <View className="mc-section-title">设置与隐私</View>
          <Links joined={joined} onDeleted={() => reload()} />
        </>
      )}
      {process.env.TARO_ENV === 'h5' && <DevIdentitySwitcher />}
    </View>
  )
}
