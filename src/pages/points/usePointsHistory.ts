import { useCallback, useEffect, useRef, useState } from 'react'
import type { PointsHistoryEntry } from '../../../cloudfunctions/core/contracts'
import { ApiError, callFunction, toApiError } from '../../api'

export const PAGE_SIZE = 20

export interface HistoryState {
  entries: PointsHistoryEntry[]
  /** null: no more pages. */
  nextCursor: string | null
  /** first: the first page is loading; more: a further page is. */
  loading: 'first' | 'more' | null
  error: ApiError | null
}

/**
 * The newest page, fetched on coming back to the tab, above the entries already shown: the
 * consumer who scrolled far down keeps the list (and the place) they had. When the page does
 * not reach them (more than a page of new entries), it replaces them.
 */
function mergeNewest(shown: HistoryState, page: { entries: PointsHistoryEntry[]; nextCursor: string | null }): HistoryState {
  const fresh = new Set(page.entries.map((entry) => entry.id))
  const reaches = shown.entries.some((entry) => fresh.has(entry.id))
  if (!reaches) return { entries: page.entries, nextCursor: page.nextCursor, loading: null, error: null }
  return { entries: [...page.entries, ...shown.entries.filter((entry) => !fresh.has(entry.id))], nextCursor: shown.nextCursor, loading: null, error: null }
}

/** points.history, newest first, one page at a time (`loadMore` on reaching the bottom). */
export function usePointsHistory() {
  const [state, setState] = useState<HistoryState>({ entries: [], nextCursor: null, loading: 'first', error: null })
  const busy = useRef(false)
  const generation = useRef(0)

  /** `quiet`: a refresh on coming back to the tab, which keeps the entries shown, even when it fails. */
  const fetchPage = useCallback(async (cursor: string | null, replace: boolean, quiet = false) => {
    if (busy.current && !replace) return
    busy.current = true
    const mine = ++generation.current
    if (!quiet) setState((s) => ({ ...s, loading: replace ? 'first' : 'more', error: null }))
    try {
      const page = await callFunction('points', 'history', { cursor, limit: PAGE_SIZE })
      if (mine !== generation.current) return
      setState((s) => (quiet ? mergeNewest(s, page) : { entries: replace ? page.entries : [...s.entries, ...page.entries], nextCursor: page.nextCursor, loading: null, error: null }))
    } catch (error) {
      if (mine !== generation.current) return
      setState((s) => (quiet && s.entries.length ? s : { ...s, loading: null, error: toApiError(error) }))
    } finally {
      if (mine === generation.current) busy.current = false
    }
  }, [])

  useEffect(() => {
    void fetchPage(null, true)
  }, [fetchPage])

  const reload = useCallback(() => fetchPage(null, true), [fetchPage])
  const refresh = useCallback(() => fetchPage(null, true, true), [fetchPage])
  const loadMore = useCallback(() => {
    if (state.nextCursor && !state.loading) void fetchPage(state.nextCursor, false)
  }, [fetchPage, state.nextCursor, state.loading])

  return { history: state, reload, refresh, loadMore }
}
