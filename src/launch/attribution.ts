import { callFunction, toApiError } from '../api'
import { clearAttribution, getAttribution } from './intent'

/** Pauses before trying a join again that met others on the same store, guide or campaign at once. */
const COLLISION_PAUSES_MS = [300, 1000]

/** The last join asked for: the join page and the membership check may both ask at once, and each waits its turn. */
let recording: Promise<void> | null = null

/**
 * Records where a just-bound member came from (scenes.join: first touch, once, on the
 * server). Cleared once the server has answered for good; kept for a later try when
 * the service could not be reached, or when the join kept colliding with others (an
 * in-store event: many joins credit one store at once), after trying it again twice.
 * A kept one is tried again the next time a page finds the member joined (useMembership),
 * within the days the server still counts the consumer as the scene's recruit.
 */
export function recordAttribution(): Promise<void> {
  const next = (recording ?? Promise.resolve()).then(join)
  recording = next
  void next.finally(() => {
    if (recording === next) recording = null
  })
  return next
}

async function join(): Promise<void> {
  const attribution = getAttribution()
  if (!attribution) return
  // a code scanned meanwhile saved another: that one is the next join's, not ours to clear
  const sent = JSON.stringify(attribution)
  const done = () => {
    if (JSON.stringify(getAttribution()) === sent) clearAttribution()
  }
  for (let attempt = 0; ; attempt++) {
    try {
      await callFunction('scenes', 'join', attribution.scene ? { scene: attribution.scene } : { q: attribution.q ?? '' })
      done()
      return
    } catch (error) {
      const { code } = toApiError(error)
      if (code === 'CONFLICT' && attempt < COLLISION_PAUSES_MS.length) {
        await new Promise((resolve) => setTimeout(resolve, COLLISION_PAUSES_MS[attempt]))
        continue
      }
      if (code !== 'UNAVAILABLE' && code !== 'INTERNAL' && code !== 'CONFLICT') done()
      return
    }
  }
}
