import { useCallback, useEffect, useRef, useState } from 'react'
import type { PointsHistoryEntry, PointsHistoryResult } from '../../../cloudfunctions/core/contracts'
import { ApiError, callFunction, toApiError } from '../../api'

export const PAGE_SIZE = 20
/** Most entries fetched again on coming back to the tab (a consumer scrolled far down keeps the first ones). */
const REFRESH_MAX = 200
/** points.history's most entries per call (HISTORY_MAX; a value from contracts would bring zod into the package). */
const REFRESH_PAGE = 50

export interface HistoryState {
  entries: PointsHistoryEntry[]
  /** null: no more pages. */
  nextCursor: string | null
  /** first: the first page is loading; more: a further page is. */
  loading: 'first' | 'more' | null
  error: ApiError | null
  /** Answers set so far: one that sets the same entries again (a quiet refresh) still counts. */
  answers: number
  /** Entries the last answer added below those shown (a further page); 0 after a first page or a refresh. */
  appended: number
}

/** points.history, newest first, one page at a time (`loadMore` on reaching the bottom). */
export function usePointsHistory() {
  const [state, setState] = useState<HistoryState>({ entries: [], nextCursor: null, loading: 'first', error: null, answers: 0, appended: 0 })
  const busy = useRef(false)
  const generation = useRef(0)

  /**
   * Starts a fetch that supersedes any in flight: their answers will be dropped, so a page
   * shown as loading below the list stops being shown (loadMore would wait for it forever).
   */
  const supersede = useCallback(() => {
    setState((s) => (s.loading === 'more' ? { ...s, loading: null } : s))
    return ++generation.current
  }, [])

  /** `quiet`: a refresh on coming back to the tab, which keeps the entries shown, even when it fails. */
  const fetchPage = useCallback(async (cursor: string | null, replace: boolean, quiet = false) => {
    if (busy.current && !replace) return
    busy.current = true
    const mine = supersede()
    if (!quiet) setState((s) => ({ ...s, loading: replace ? 'first' : 'more', error: null }))
    try {
      const page = await callFunction('points', 'history', { cursor, limit: PAGE_SIZE })
      if (mine !== generation.current) return
      setState((s) => ({ entries: replace ? page.entries : [...s.entries, ...page.entries], nextCursor: page.nextCursor, loading: null, error: null, answers: s.answers + 1, appended: replace ? 0 : page.entries.length }))
    } catch (error) {
      if (mine !== generation.current) return
      // a quiet refresh that failed still counts as an answer: it superseded a next page asked for;
      // the list shown stays, an empty one (还没有积分记录) included
      setState((s) => (quiet && s.answers > 0 ? { ...s, answers: s.answers + 1, appended: 0 } : { ...s, loading: null, error: toApiError(error) }))
    } finally {
      if (mine === generation.current) busy.current = false
    }
  }, [supersede])

  useEffect(() => {
    void fetchPage(null, true)
  }, [fetchPage])

  const shown = useRef(state.entries)
  shown.current = state.entries

  /**
   * Coming back to the tab: the history fetched again from the top down to the last entry
   * shown (at most REFRESH_MAX entries), so the consumer keeps the list and the place they had
   * and sees whatever changed in it meanwhile: a scan on top, and an order credited with an
   * older date in the middle. Quiet: a failure keeps what is shown.
   */
  const refresh = useCallback(async () => {
    const last = shown.current[shown.current.length - 1]?.id
    if (shown.current.length <= PAGE_SIZE || !last) return fetchPage(null, true, true)
    busy.current = true
    const mine = supersede()
    try {
      const entries: PointsHistoryEntry[] = []
      let cursor: string | null = null
      do {
        const page: PointsHistoryResult = await callFunction('points', 'history', { cursor, limit: REFRESH_PAGE })
        if (mine !== generation.current) return
        entries.push(...page.entries)
        cursor = page.nextCursor
      } while (cursor && entries.length < REFRESH_MAX && !entries.some((entry) => entry.id === last))
      setState((s) => ({ entries, nextCursor: cursor, loading: null, error: null, answers: s.answers + 1, appended: 0 }))
    } catch {
      // what is shown stays (the next show tries again), and counts as an answer: the refresh
      // superseded a next page asked for
      if (mine === generation.current) setState((s) => ({ ...s, answers: s.answers + 1, appended: 0 }))
    } finally {
      if (mine === generation.current) busy.current = false
    }
  }, [fetchPage, supersede])
  const reload = useCallback(() => fetchPage(null, true), [fetchPage])
  const loadMore = useCallback(() => {
    if (state.nextCursor && !state.loading) void fetchPage(state.nextCursor, false)
  }, [fetchPage, state.nextCursor, state.loading])

  return { history: state, reload, refresh, loadMore }
}
