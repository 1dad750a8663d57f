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
