// H5 transport: the local dev runtime serves every cloud function at POST /cloud/NAME.
import { ApiError } from './errors'
import { getDevOpenid } from './devIdentity'

const TIMEOUT_MS = 15_000

export function initTransport(): void {}

/** Sends one event; resolves with the raw reply, rejects with UNAVAILABLE if nothing usable came back. */
export async function send(name: string, event: Record<string, unknown>): Promise<unknown> {
  const controller = new AbortController()
  const timer = setTimeout(() => controller.abort(), TIMEOUT_MS)
  try {
    const res = await fetch(`/cloud/${encodeURIComponent(name)}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-WX-OPENID': getDevOpenid() },
      body: JSON.stringify(event),
      signal: controller.signal,
    })
    // Error envelopes come with 4xx/5xx statuses, so read the body whatever the status.
    return await res.json()
  } catch {
    throw new ApiError('UNAVAILABLE') // offline, timed out, or not a JSON answer (no runtime behind the URL)
  } finally {
    clearTimeout(timer)
  }
}
