import type { ErrorCode } from '../../cloudfunctions/core/contracts/errors'

/** What the consumer reads for each error code. Typed as a full Record: a new code fails tsc until it has a message. */
export const ERROR_MESSAGES: Record<ErrorCode, string> = {
  INVALID_INPUT: '提交的信息有误，请检查后重试',
  UNKNOWN_ACTION: '暂不支持该操作，请更新小程序后重试',
  UNAUTHENTICATED: '登录已失效，请重新进入小程序',
  FORBIDDEN: '没有权限进行此操作',
  NOT_FOUND: '没有找到相关信息',
  CONFLICT: '当前请求较多，请稍后再试',
  NOT_BOUND: '请先绑定手机号，再领取积分和权益',
  CONSENT_REQUIRED: '请先阅读并同意会员隐私条款',
  TERMS_OUTDATED: '隐私条款已更新，请重新阅读并同意',
  PHONE_CODE_INVALID: '手机号授权已失效，请重新授权',
  PHONE_CONFLICT: '该手机号已绑定其他会员，请联系客服处理',
  CARD_MISMATCH: '会员卡号与手机号后四位不匹配，请核对后重试',
  INSUFFICIENT_POINTS: '可用积分不足',
  IDEMPOTENCY_MISMATCH: '请求重复且内容不一致，请刷新后重试',
  CODE_INVALID: '无法识别该码，请确认是否为正品防伪码',
  CODE_EXPIRED: '该二维码已过期',
  CODE_ALREADY_REDEEMED: '该码已被使用',
  RATE_LIMITED: '操作过于频繁，请稍后再试',
  LOCKED: '尝试次数过多，已暂时锁定，请稍后再试',
  INTERNAL: '系统开小差了，请稍后再试',
  UNAVAILABLE: '网络不给力，服务暂时无法连接，请稍后再试',
}
