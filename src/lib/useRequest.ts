import { useCallback, useEffect, useRef, useState } from 'react'
import { ApiError, toApiError } from '../api'

export type RequestState<T> =
  | { status: 'loading' }
  | { status: 'error'; error: ApiError }
  | { status: 'ready'; data: T }

/**
 * Runs `load` on mount and whenever `reload` is called (or `deps` change). A quiet reload
 * (coming back to a tab) keeps showing the data it has instead of flashing the loading view,
 * and keeps it when it fails too: a phone with a weak signal at the till must not lose its
 * card by switching tabs. The next show tries again.
 */
export function useRequest<T>(load: () => Promise<T>, deps: unknown[] = []) {
  const [state, setState] = useState<RequestState<T>>({ status: 'loading' })
  const [attempt, setAttempt] = useState(0)
  const quiet = useRef(false)
  const loader = useRef(load)
  loader.current = load

  useEffect(() => {
    let live = true
    const isQuiet = quiet.current
    if (!isQuiet) setState({ status: 'loading' })
    quiet.current = false
    loader
      .current()
      .then((data) => live && setState({ status: 'ready', data }))
      .catch((error: unknown) => live && setState((shown) => (isQuiet && shown.status === 'ready' ? shown : { status: 'error', error: toApiError(error) })))
    return () => {
      live = false
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [attempt, ...deps])

  const reload = useCallback((options: { quiet?: boolean } = {}) => {
    quiet.current = Boolean(options.quiet)
    setAttempt((n) => n + 1)
  }, [])

  return { state, reload, setState }
}
