import { useCallback, useEffect, useRef, useState } from 'react'
import { ApiError, toApiError } from '../api'

export type RequestState<T> =
  | { status: 'loading' }
  | { status: 'error'; error: ApiError }
  | { status: 'ready'; data: T }

/**
 * Runs `load` on mount and whenever `reload` is called (or `deps` change). A `quiet` reload
 * keeps showing the data it has instead of flashing the loading view. With `keep` it keeps
 * that data when it fails too: coming back to a tab with a weak signal at the till must not
 * wipe the card, and the next show tries again. Not for what expires (the member code): shown
 * after it lapsed, it would be refused.
 */
export function useRequest<T>(load: () => Promise<T>, deps: unknown[] = []) {
  const [state, setState] = useState<RequestState<T>>({ status: 'loading' })
  const [attempt, setAttempt] = useState(0)
  const quiet = useRef(false)
  const keep = useRef(false)
  const loader = useRef(load)
  loader.current = load

  useEffect(() => {
    let live = true
    const keepOnFailure = keep.current
    if (!quiet.current) setState({ status: 'loading' })
    quiet.current = false
    keep.current = false
    loader
      .current()
      .then((data) => live && setState({ status: 'ready', data }))
      .catch((error: unknown) => live && setState((shown) => (keepOnFailure && shown.status === 'ready' ? shown : { status: 'error', error: toApiError(error) })))
    return () => {
      live = false
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [attempt, ...deps])

  const reload = useCallback((options: { quiet?: boolean; keep?: boolean } = {}) => {
    quiet.current = Boolean(options.quiet || options.keep)
    keep.current = Boolean(options.keep)
    setAttempt((n) => n + 1)
  }, [])

  return { state, reload, setState }
}
