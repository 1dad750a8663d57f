import type { ActionInput, ActionName, ActionOutput, Envelope, FunctionName } from '../../cloudfunctions/core/contracts'
import { ApiError, isErrorCode } from './errors'
import { send } from './transport'

function isEnvelope(value: unknown): value is Envelope<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { ok?: unknown }).ok === 'boolean'
}

/** Facts an error body carries beside its code (the developer message included, for times it mentions). */
function detailsOf(error: unknown): Record<string, unknown> {
  if (!error || typeof error !== 'object') return {}
  const { code: _code, ...rest } = error as Record<string, unknown>
  return rest
}

/**
 * Calls one action of a cloud function. Resolves with the envelope's `data`;
 * rejects with an ApiError (UNAVAILABLE when the service cannot be reached,
 * INTERNAL when the reply is not an envelope or carries an unknown code).
 */
export async function callFunction<F extends FunctionName, A extends ActionName<F>>(
  name: F,
  action: A,
  input: ActionInput<F, A>,
): Promise<ActionOutput<F, A>> {
  const reply = await send(name, { ...(input as Record<string, unknown>), action })
  if (!isEnvelope(reply)) throw new ApiError('INTERNAL')
  if (reply.ok) return reply.data as ActionOutput<F, A>
  const code = reply.error?.code
  throw new ApiError(isErrorCode(code) ? code : 'INTERNAL', detailsOf(reply.error))
}
