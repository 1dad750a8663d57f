/** What acts on a tap: NutUI's buttons (Taro's button element) and the views and texts given a role. */
const TAPPABLE = 'taro-button-core, [role="button"], [role="checkbox"]'

/**
 * H5: what acts on a tap is reached with Tab and used with Enter or Space, as a browser's own
 * buttons are. Taro draws them as custom elements (taro-button-core, taro-view-core), which take
 * neither focus nor keys: a keyboard could not even tick the consent box to join. Each one gets a
 * tab stop as it appears, and Enter or Space on it taps it.
 */
export function keyboardTaps(doc: Document = document): void {
  const reach = (node: Node) => {
    if (!(node instanceof Element)) return
    for (const el of [node, ...node.querySelectorAll(TAPPABLE)]) {
      if (!el.matches(TAPPABLE)) continue
      if (!el.hasAttribute('tabindex')) el.setAttribute('tabindex', '0')
      // NutUI's buttons: read as buttons too, not as plain text
      if (!el.hasAttribute('role')) el.setAttribute('role', 'button')
    }
  }
  reach(doc.body)
  new MutationObserver((changes) => changes.forEach((change) => change.addedNodes.forEach(reach))).observe(doc.body, { childList: true, subtree: true })
  doc.addEventListener('keydown', (event) => {
    const target = event.target
    if (!(target instanceof HTMLElement) || !target.matches(TAPPABLE)) return
    // a held key taps once, as a browser's own button does (held Space would tick the consent box on and off)
    if ((event.key !== 'Enter' && event.key !== ' ') || event.repeat) return
    event.preventDefault() // Space would scroll the page as well
    target.click()
  })
}
