import { useEffect } from 'react'
import { callFunction } from '../api'
import { recordAttribution } from '../launch/attribution'
import { getAttribution } from '../launch/intent'
import { useRequest } from './useRequest'
import { useShowAgain } from './useShowAgain'

/**
 * member.login on mount and again (quietly, keeping what it had if that fails) each time the page
 * comes back into view. `joined`: a member with a bound phone, whose card the pages show;
 * `termsOutdated`: one whose consent is to an earlier version of the terms (the brand updated
 * them), who keeps their card and is asked to agree again. A joined member's scene join that could
 * not be sent when they bound their phone (no signal, or an in-store crowd colliding) is sent now:
 * the server counts the consumer as the scene's recruit only within days of binding.
 */
export function useMembership() {
  const request = useRequest(() => callFunction('member', 'login', {}))
  useShowAgain(() => request.reload({ keep: true }))
  const member = request.state.status === 'ready' ? request.state.data : null
  const joined = Boolean(member?.phoneBound)
  const termsOutdated = joined && !member?.consented
  useEffect(() => {
    if (joined && !termsOutdated && getAttribution()) void recordAttribution()
  }, [joined, termsOutdated, member])
  return { ...request, member, joined, termsOutdated }
}
