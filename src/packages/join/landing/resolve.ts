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

/** A plain-link product code, read locally: https://<domain>/c/<code>, the path starting with it (a guide's link carrying `/c/…` in its query is no product). */
export function productCodeIn(q: string | undefined): string | undefined {
  return q ? /^https?:\/\/[^/?#]+\/c\/([A-Za-z0-9_-]{4,64})(?:[/?#]|$)/i.exec(q)?.[1] : undefined
}
