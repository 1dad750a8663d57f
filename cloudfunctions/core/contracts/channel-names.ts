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
]);

export const channelName = (channel: string): string => CHANNEL_NAMES.get(channel) ?? channel;
