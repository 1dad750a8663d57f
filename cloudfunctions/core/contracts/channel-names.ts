/**
 * The Chinese name a consumer knows each channel by. Shared with the
 * mini-program (the package-card order page names the card's platform), so it
 * imports nothing.
 */
// a Map, not an object: a platform can come from a link, and `constructor` is no channel
const CHANNEL_NAMES = new Map([
  ['tmall', '天猫'],
  ['jd', '京东'],
  ['douyin', '抖音'],
  ['pdd', '拼多多'],
  ['offline', '门店'],
  ['pos', '门店'],
  ['wechat', '小程序'],
  ['youzan', '有赞'],
  ['taobao', '淘宝'],
  ['suning', '苏宁'],
  ['vip', '唯品会'],
  ['kuaishou', '快手'],
  ['xiaohongshu', '小红书'],
  ['meituan', '美团'],
  ['eleme', '饿了么'],
]);

/** A channel a brand added whose name this list does not know is told as another channel: never its config code. */
export const channelName = (channel: string): string => CHANNEL_NAMES.get(channel) ?? '其他渠道';
