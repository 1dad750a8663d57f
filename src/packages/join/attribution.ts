import { getAttribution } from '../../launch/intent'

export { recordAttribution } from '../../launch/attribution'

/** What the welcome screen says about the source: 导购推荐入会 · 小林 · 南京西路店 */
export function attributionText(): string | null {
  const a = getAttribution()
  if (!a) return null
  const prefix = { guide: '导购推荐入会', store: '门店扫码入会', packageCard: '包裹卡扫码入会', product: '商品扫码入会' }[a.kind]
  // the landing's label names the guide as 导购 小林: the prefix already says 导购
  const label = a.kind === 'guide' ? a.label?.replace(/^导购 /, '') : a.label
  return label ? `${prefix} · ${label}` : prefix
}
