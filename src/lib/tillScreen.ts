/** What the till screen needs of WeChat (Taro's calls in the app; stand-ins in tests). */
export interface ScreenApi {
  /** `android`, `ios`, `devtools`… */
  platform(): string
  getBrightness(): Promise<number>
  setBrightness(value: number): Promise<unknown>
  keepOn(on: boolean): Promise<unknown>
}

/**
 * At the till: the screen at full brightness and kept on while the code is large, and as it was
 * afterwards. Calls run one after another, so a code closed while it was still being enlarged
 * (a second tap, a tab tapped at once) ends as it was, not lit after the overlay has gone. On
 * Android the brightness is given back to the system (-1): the value read there is the one
 * before auto-brightness adjusted it, and restoring it would pin the screen at that level.
 */
export function tillScreenControl(api: ScreenApi): (on: boolean) => Promise<void> {
  let chain: Promise<void> = Promise.resolve()
  let restore: number | undefined
  const apply = async (on: boolean): Promise<void> => {
    // each step on its own: a brightness the phone refuses must not keep the screen from sleeping again
    try {
      if (on && restore === undefined) {
        restore = api.platform() === 'android' ? -1 : await api.getBrightness()
        await api.setBrightness(1)
      } else if (!on && restore !== undefined) {
        const value = restore
        restore = undefined
        await api.setBrightness(value)
      }
    } catch {
      // a phone that refuses leaves the brightness as it was: the code still shows
    }
    try {
      await api.keepOn(on)
    } catch {
      // nor is the code any less readable for a screen that may dim
    }
  }
  return (on) => (chain = chain.then(() => apply(on)))
}
