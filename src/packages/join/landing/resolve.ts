import type { ScenesResolveResult } from '../../../../cloudfunctions/core/contracts'

/** Who invited the consumer, in words: 导购 小林 · 南京西路店 / 双11 包裹卡 */
export function sceneLabel(resolved: ScenesResolveResult): string | undefined {
  switch (resolved.kind) {
    case 'guide':
      return [resolved.guideName && `导购 ${resolved.guideName}`, resolved.storeName].filter(Boolean).join(' · ') || undefined
    case 'store':
      return resolved.storeName || undefined
    case 'packageCard':
      return resolved.campaignName || undefined
    case 'product':
      return resolved.name || undefined
  }
}
