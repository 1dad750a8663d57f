/**
 * A role a screen reader announces: the browser (H5) reads `role`, WeChat `aria-role` (which the
 * weapp templates carry through config/aria). A view or text that acts on a tap is a button.
 */
export const roleOf = (role: string) => ({ role, 'aria-role': role })

export const BUTTON = roleOf('button')

/**
 * A message read out when it appears: `status` when the reader may finish first (loading), `alert`
 * at once (an error). A browser takes that from the role alone; WeChat is told with aria-live too
 * (weapp only, so H5 keeps the role it had).
 */
export const liveRegion = (role: 'status' | 'alert') => ({
  ...roleOf(role),
  ...(process.env.TARO_ENV === 'weapp' ? { 'aria-live': role === 'alert' ? 'assertive' : 'polite' } : {}),
})

/**
 * An image read by what it shows. H5 draws Image as a custom element around an <img> without alt:
 * the element is named (role img), and the <img> inside, given an empty alt, is not read again as
 * an image without a name.
 */
export const imageLabel = (label: string) => ({ ...roleOf('img'), 'aria-label': label, nativeProps: { alt: '' } })

/**
 * A mark drawn for the eye alone (the ✓ or ! in a circle, a row's ›, a ticked box's ✓): a screen
 * reader would read it out as 感叹号, 对号 or a bare symbol beside the words that say the same.
 * Hidden from both readers: H5 reads aria-hidden, and WeChat too (config/aria carries it to the WXML).
 */
export const DECORATIVE = { 'aria-hidden': 'true' } as const

/**
 * A text box's name, read when it is focused, also once it holds text and its placeholder is gone.
 * WeChat reads aria-label on the input (config/aria carries it). In H5 Taro draws Input and Textarea
 * as custom elements around the real <input> or <textarea>, which is the one focused: the name goes
 * on that one, through nativeProps.
 */
export const fieldLabel = (label: string) =>
  process.env.TARO_ENV === 'weapp' ? { 'aria-label': label } : { nativeProps: { 'aria-label': label } }
