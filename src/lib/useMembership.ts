import { callFunction } from '../api'
import { useRequest } from './useRequest'
import { useShowAgain } from './useShowAgain'

/** member.login on mount and again (quietly, keeping what it had if that fails) each time the page comes back into view. */
export function useMembership() {
  const request = useRequest(() => callFunction('member', 'login', {}))
  useShowAgain(() => request.reload({ keep: true }))
  const member = request.state.status === 'ready' ? request.state.data : null
  return { ...request, member, joined: Boolean(member?.consented && member.phoneBound) }
}
