import { Text, View } from '@tarojs/components'
import { Cell, Tag } from '@nutui/nutui-react-taro'
import type { MemberLoginResult } from '../../../cloudfunctions/core/contracts'
import { shortMemberId } from './format'

/** The member's card and account status, as answered by member.login. */
export default function MemberCard({ member }: { member: MemberLoginResult }) {
  return (
    <View>
      <View className="member-card">
        <View className="member-card__top">
          <Text className="member-card__brand">会员中心</Text>
          {member.isNew && <Text className="member-card__badge">新会员</Text>}
        </View>
        <Text className="member-card__label">会员号</Text>
        <Text className="member-card__id">{shortMemberId(member.memberId)}</Text>
        <Text className="member-card__greeting">
          {member.isNew ? '欢迎加入，绑定手机号即可累积积分' : '欢迎回来'}
        </Text>
      </View>

      <View className="mc-section-title">账户状态</View>
      <Cell.Group>
        <Cell
          align="center"
          title="手机号"
          description={member.phoneBound ? undefined : '绑定后可合并各渠道积分'}
          extra={
            <Tag type={member.phoneBound ? 'success' : 'warning'} round>
              {member.phoneBound ? '已绑定' : '未绑定手机号'}
            </Tag>
          }
        />
        <Cell
          align="center"
          title="隐私条款"
          description={`当前版本 ${member.termsVersion}`}
          extra={
            <Tag type={member.consented ? 'success' : 'warning'} round>
              {member.consented ? '已同意' : '未同意'}
            </Tag>
          }
        />
      </Cell.Group>
    </View>
  )
}
