import { useDidShow } from '@tarojs/taro'
import { useCallback, useRef } from 'react'
import { replace } from './routes'

/**
 * Leaves the page for the next (`replace`: redirectTo, or switchTab for a tab) once, however
 * quickly its button is tapped again: a second tap while the next page opens (a subpackage on a
 * weak signal) would open it twice, or replace it with the page a second tap leads to. A page
 * that could not open, or this page shown again, lets the button be tapped again. Answers whether
 * this tap opened the page.
 */
export function useLeave(): (path: string, query?: Record<string, string | undefined>) => Promise<boolean> {
  const leaving = useRef(false)
  useDidShow(() => {
    leaving.current = false
  })
  return useCallback(async (path, query) => {
    if (leaving.current) return false
    leaving.current = true
    const opened = await replace(path, query)
    if (!opened) leaving.current = false
    return opened
  }, [])
}
