import { channelName } from '../contracts/channel-names';
import type { LedgerEntry } from './types';

/**
 * The Chinese line a member reads in the points history for each entry. Pure:
 * derived from the entry's kind, key and source, unless the writer gave a note
 * (a scanned product's name, ...).
 */
export function describeEntry(entry: Pick<LedgerEntry, '_id' | 'kind' | 'source' | 'note' | 'of' | 'points' | 'growth'>): string {
  const prefix = entry._id.slice(0, entry._id.indexOf(':'));
  // what moved: a refund of an order whose points expired already, an order of a channel that
  // earns growth alone, an opening of growth without points move the level, not points
  const what = entry.points === 0 && entry.growth !== 0 ? '成长值' : '积分';
  // what the points came from, then its name: 扫码积分 · 玫瑰精华水, 包裹卡 · 双11包裹卡 (a no-break
  // space before the dot: a line broken there would start with it, or end with it alone)
  if (entry.note && entry.kind === 'earn' && prefix === 'scan') return `扫码积分\u00a0· ${entry.note}`;
  if (entry.note && entry.kind === 'earn' && (prefix === 'card' || prefix === 'package')) return `包裹卡\u00a0· ${entry.note}`;
  if (entry.note) return entry.note;
  const channel = channelName(entry.source.channel);
  switch (entry.kind) {
    case 'earn':
      if (prefix === 'order') return `${channel}订单 ${entry.source.ref} 消费得${what}`;
      if (prefix === 'scan') return '扫码积分';
      if (prefix === 'card' || prefix === 'package') return '包裹卡奖励积分';
      return '获得积分';
    case 'reverse':
      return entry.of?.startsWith('order:') ? `${channel}订单 ${entry.source.ref} 退款扣回${what}` : `退款扣回${what}`;
    case 'migrate':
      // the points the membership held when it came in (an opening balance; may be owed)
      return `${channel}会员原有${what}`;
    case 'expire':
      return '积分过期';
    case 'adjust':
      // an operator's correction of growth alone (a migration's mistake) says so: it explains a level changed
      return what === '成长值' ? '客服调整成长值' : '客服调整';
    case 'redeem':
      return '积分兑换';
    case 'settle':
      return '抵还欠分';
  }
}
