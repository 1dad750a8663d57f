import { Text, View } from '@tarojs/components'
import type { ChannelsResult } from '../../../cloudfunctions/core/contracts'
import { BUTTON } from '../../lib/a11y'
import { ROUTES, go } from '../../lib/routes'

interface Row {
  key: string
  name: string
  linked: boolean
  /** What to do while unlinked. */
  hint: string
  action?: { text: string; onClick: () => void }
}

function rows(channels: ChannelsResult): Row[] {
  // A card already submitted waits for the store: say so, and offer another card rather than
  // inviting the same one again (the one submitted may have been mistyped).
  const offlinePending = !channels.offline && channels.offlinePending === true
  const offlineRefused = !channels.offline && !offlinePending && channels.offlineRefused === true
  const list: Row[] = [
    { key: 'wechat', name: '微信小程序', linked: channels.wechat, hint: '' },
    { key: 'tmall', name: '天猫旗舰店', linked: channels.tmall, hint: '天猫会员用同一手机号，积分自动合并，数据同步后显示' },
    {
      key: 'offline',
      name: '线下门店',
      linked: channels.offline,
      hint: offlinePending ? '会员卡已提交，待门店确认'
        : offlineRefused ? '门店未能确认您提交的卡，可到店咨询'
        : '在门店办过卡？输入卡号即可关联',
      action: { text: offlinePending || offlineRefused ? '关联其他卡' : '关联门店会员卡', onClick: () => go(ROUTES.storeCard) },
    },
  ]
  if (channels.jd) list.push({ key: 'jd', name: '京东旗舰店', linked: true, hint: '' })
  return list
}

/** Which channels the member is known in, and how to link the others. */
export default function ChannelList({ channels }: { channels: ChannelsResult }) {
  return (
    <View className="channels">
      {rows(channels).map((row) => (
        <View className="channels__row" key={row.key}>
          <View className={`channels__dot ${row.linked ? 'channels__dot--on' : ''}`} />
          <View className="channels__body">
            <Text className="channels__name">{row.name}</Text>
            {/* breaks only at punctuation (keep-all): each phrase is short enough for one line on a 320 px phone, so 关联 or 积分 is never split */}
            {!row.linked && <Text className="channels__hint mc-keep-words">{row.hint}</Text>}
          </View>
          {row.linked ? (
            <Text className="channels__state channels__state--on">已关联</Text>
          ) : row.action ? (
            <Text className="channels__action" {...BUTTON} onClick={row.action.onClick}>
              {row.action.text}
            </Text>
          ) : (
            <Text className="channels__state">未关联</Text>
          )}
        </View>
      ))}
    </View>
  )
}
