/** What acts on a tap: NutUI's buttons (Taro's button element) and the views and texts given a role. */
const TAPPABLE = 'taro-button-core, [role="button"], [role="checkbox"]'

/** What does not act now: NutUI marks a disabled button with a class alone (Taro's element gets no disabled attribute). */
const DISABLED = '.nut-button-disabled, [disabled]'

/**
 * H5: what acts on a tap is reached with Tab and used with Enter or Space, as a browser's own
 * buttons are. Taro draws them as custom elements (taro-button-core, taro-view-core), which take
 * neither focus nor keys: a keyboard could not even tick the consent box to join. Each one gets a
 * tab stop as it appears, and Enter or Space on it taps it. A disabled one (同意并继续 before the
 * consent is ticked) is left out of the Tab order and announced as disabled, as a browser's own
 * disabled button is, until it is enabled again.
 */
export function keyboardTaps(doc: Document = document): void {
  // the tab stops and disabled states set here, which follow the button's state (not a page's own)
  const stops = new WeakSet<Element>()
  const marked = new WeakSet<Element>()
  const follow = (el: Element) => {
    const off = el.matches(DISABLED)
    if (stops.has(el)) el.setAttribute('tabindex', off ? '-1' : '0')
    if (off && !el.hasAttribute('aria-disabled')) {
      el.setAttribute('aria-disabled', 'true')
      marked.add(el)
    } else if (!off && marked.has(el)) {
      el.removeAttribute('aria-disabled')
      marked.delete(el)
    }
  }
  const reach = (node: Node) => {
    if (!(node instanceof Element)) return
    for (const el of [node, ...node.querySelectorAll(TAPPABLE)]) {
      if (!el.matches(TAPPABLE)) continue
      if (!el.hasAttribute('tabindex')) stops.add(el)
      // NutUI's buttons: read as buttons too, not as plain text
      if (!el.hasAttribute('role')) el.setAttribute('role', 'button')
      follow(el)
    }
  }
  reach(doc.body)
  new MutationObserver((changes) =>
    changes.forEach((change) => {
      if (change.type === 'attributes') {
        if (change.target instanceof Element && change.target.matches(TAPPABLE)) follow(change.target)
      } else change.addedNodes.forEach(reach)
    }),
  ).observe(doc.body, { childList: true, subtree: true, attributes: true, attributeFilter: ['class', 'disabled'] })
  doc.addEventListener('keydown', (event) => {
    const target = event.target
    if (!(target instanceof HTMLElement) || !target.matches(TAPPABLE)) return
    // a held key taps once, as a browser's own button does (held Space would tick the consent box on and off)
    if ((event.key !== 'Enter' && event.key !== ' ') || event.repeat) return
    event.preventDefault() // Space would scroll the page as well
    if (target.matches(DISABLED)) return // still focused as it turned disabled (验证并绑定 while it binds)
    target.click()
  })
}
