import { useDidShow } from '@tarojs/taro'
import { useRef } from 'react'

/**
 * Calls `fn` when the page is shown again (back from another page or tab), not on the
 * first show, which the mount already loads for.
 */
export function useShowAgain(fn: () => void): void {
  const mountedAt = useRef(Date.now())
  const seen = useRef(false)
  useDidShow(() => {
    const first = !seen.current && Date.now() - mountedAt.current < 1500
    seen.current = true
    if (!first) fn()
  })
}
