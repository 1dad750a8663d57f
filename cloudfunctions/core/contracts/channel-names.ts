/**
 * The Chinese name a consumer knows each channel by. Shared with the
 * mini-program (the package-card order page names the card's platform), so it
 * imports nothing.
 */
const CHANNEL_NAMES: Record<string, string> = {
  tmall: '天猫',
  jd: '京东',
  douyin: '抖音',
  pdd: '拼多多',
  offline: '门店',
  pos: '门店',
  wechat: '小程序',
  youzan: '有赞',
};

export const channelName = (channel: string): string => CHANNEL_NAMES[channel] ?? channel;
