import { useShareAppMessage } from '@tarojs/taro'
import { ROUTES } from './routes'
import { SHARE_IMAGE } from './share-image'

/** What a member forwards to a friend: the member centre's home, with nothing of the sharer in it. */
export const inviteShare = () => ({ title: `${BRAND_NAME}｜积分、等级一卡通用`, path: ROUTES.member, imageUrl: SHARE_IMAGE })

/** Turns on 转发 in the page's ··· menu (its config sets enableShareAppMessage) with `inviteShare`. */
export function useInviteShare(): void {
  useShareAppMessage(inviteShare)
}
