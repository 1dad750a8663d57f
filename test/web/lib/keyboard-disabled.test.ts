import fc from 'fast-check'
import { runs, timeoutFor } from '../../support/property'
import { keyboardTaps } from '../../../src/lib/keyboard'

/**
 * H5: src/lib/keyboard.ts gives Taro's custom elements a tab stop and a button role. NutUI marks a
 * disabled button with the class nut-button-disabled alone, so a disabled 同意并继续 kept its tab
 * stop and was read as a usable button. It leaves the Tab order (tabindex -1) and says
 * aria-disabled="true" while disabled, and comes back when enabled.
 */
const flush = () => new Promise((done) => setTimeout(done, 0))

function page() {
  const doc = document.implementation.createHTMLDocument('h5')
  keyboardTaps(doc)
  const button = (disabled: boolean) => {
    const el = doc.createElement('taro-button-core')
    el.className = `nut-button nut-button-primary${disabled ? ' nut-button-disabled nut-button-primary-disabled' : ''} join-primary`
    el.textContent = '同意并继续'
    return el
  }
  return { doc, button }
}

const state = (el: Element) => ({ tabindex: el.getAttribute('tabindex'), ariaDisabled: el.getAttribute('aria-disabled'), role: el.getAttribute('role') })

describe('a disabled NutUI button under keyboardTaps', () => {
  it('appears out of the Tab order and announced as disabled', async () => {
    const { doc, button } = page()
    const agree = button(true)
    doc.body.append(agree)
    await flush()
    expect(state(agree)).toEqual({ tabindex: '-1', ariaDisabled: 'true', role: 'button' })
  })

  it('follows its disabled class on and off, as the consent tick turns it', async () => {
    await fc.assert(
      fc.asyncProperty(fc.boolean(), fc.array(fc.boolean(), { maxLength: 8 }), async (first, turns) => {
        const { doc, button } = page()
        const agree = button(first)
        doc.body.append(agree)
        for (const off of turns) {
          agree.classList.toggle('nut-button-disabled', off)
          await flush()
          expect(state(agree)).toEqual(off ? { tabindex: '-1', ariaDisabled: 'true', role: 'button' } : { tabindex: '0', ariaDisabled: null, role: 'button' })
        }
      }),
      { numRuns: runs(40) },
    )
  }, timeoutFor())

  it('does not tap on Enter while disabled, and taps once enabled', async () => {
    const { doc, button } = page()
    const agree = button(true)
    let taps = 0
    agree.addEventListener('click', () => taps++)
    doc.body.append(agree)
    await flush()
    agree.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }))
    expect(taps).toBe(0)
    agree.classList.remove('nut-button-disabled')
    await flush()
    agree.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }))
    expect(taps).toBe(1)
  })

  it('leaves a tab stop and a disabled state a page set itself alone', async () => {
    const { doc, button } = page()
    const own = button(false)
    own.setAttribute('tabindex', '2')
    own.setAttribute('aria-disabled', 'false')
    doc.body.append(own)
    await flush()
    own.classList.add('nut-button-disabled')
    await flush()
    expect(state(own)).toEqual({ tabindex: '2', ariaDisabled: 'false', role: 'button' })
  })
})
