import { useCallback, useEffect, useState } from 'react'
import type { MemberLoginResult } from '../../../cloudfunctions/core/contracts'
import { ApiError, callFunction, toApiError } from '../../api'

export type LoginState =
  | { status: 'loading' }
  | { status: 'error'; error: ApiError }
  | { status: 'ready'; member: MemberLoginResult }

/** Logs the caller in (member.login) on mount; `retry` runs it again. */
export function useMemberLogin(): { state: LoginState; retry: () => void } {
  const [state, setState] = useState<LoginState>({ status: 'loading' })
  const [attempt, setAttempt] = useState(0)

  useEffect(() => {
    let live = true
    setState({ status: 'loading' })
    callFunction('member', 'login', {})
      .then((member) => live && setState({ status: 'ready', member }))
      .catch((error: unknown) => live && setState({ status: 'error', error: toApiError(error) }))
    return () => {
      live = false
    }
  }, [attempt])

  const retry = useCallback(() => setAttempt((n) => n + 1), [])
  return { state, retry }
}
