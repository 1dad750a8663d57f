import { fireEvent, screen, waitFor } from '@testing-library/react'
import Taro from '@tarojs/taro'

/**
 * Taps the button named `text` twice in a row, as a quick double tap does, and checks that the
 * page it leads to was opened once (`navigation`: how it opens, redirectTo or switchTab).
 */
export async function expectOpensOnce(text: string, navigation: 'redirectTo' | 'switchTab'): Promise<void> {
  const tap = await screen.findByText(text)
  fireEvent.click(tap)
  fireEvent.click(tap)
  await waitFor(() => expect(Taro[navigation]).toHaveBeenCalled())
  // a second navigation would be on its way by now
  await Promise.resolve()
  expect(Taro[navigation]).toHaveBeenCalledTimes(1)
}
