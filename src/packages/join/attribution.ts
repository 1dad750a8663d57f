import { callFunction, toApiError } from '../../api'
import { clearAttribution, getAttribution } from '../../launch/intent'

/** Pauses before trying a join again that met others on the same store, guide or campaign at once. */
const COLLISION_PAUSES_MS = [300, 1000]

/**
 * Records where a just-bound member came from (scenes.join: first touch, once, on the
 * server). Cleared once the server has answered for good; kept for a later try when
 * the service could not be reached, or when the join kept colliding with others (an
 * in-store event: many joins credit one store at once), after trying it again twice.
 */
export async function recordAttribution(): Promise<void> {
  const attribution = getAttribution()
  if (!attribution) return
  for (let attempt = 0; ; attempt++) {
    try {
      await callFunction('scenes', 'join', attribution.scene ? { scene: attribution.scene } : { q: attribution.q ?? '' })
      clearAttribution()
      return
    } catch (error) {
      const { code } = toApiError(error)
      if (code === 'CONFLICT' && attempt < COLLISION_PAUSES_MS.length) {
        await new Promise((resolve) => setTimeout(resolve, COLLISION_PAUSES_MS[attempt]))
        continue
      }
      if (code !== 'UNAVAILABLE' && code !== 'INTERNAL' && code !== 'CONFLICT') clearAttribution()
      return
    }
  }
}

/** What the welcome screen says about the source: 导购推荐入会 · 小林 · 南京西路店 */
export function attributionText(): string | null {
  const a = getAttribution()
  if (!a) return null
  const prefix = { guide: '导购推荐入会', store: '门店扫码入会', packageCard: '包裹卡扫码入会', product: '商品扫码入会' }[a.kind]
  // the landing's label names the guide as 导购 小林: the prefix already says 导购
  const label = a.kind === 'guide' ? a.label?.replace(/^导购 /, '') : a.label
  return label ? `${prefix} · ${label}` : prefix
}
