import { registry } from '../stubs/transport'
import { resetTaro } from '../stubs/taro'

/** One action's answer: data, an error code (with optional extra error fields), a promise that never settles, or a function of the event. */
export type Answer =
  | { data: unknown }
  | { error: string; details?: Record<string, unknown> }
  | { pending: true }
  | ((event: Record<string, unknown>) => Answer)

export const calls: { fn: string; action: string; event: Record<string, unknown> }[] = []

/** Installs answers keyed `function.action`; an action without one answers UNAVAILABLE. */
export function mockApi(answers: Record<string, Answer>): void {
  calls.length = 0
  registry.handle = async (fn, event) => {
    const action = String(event.action)
    calls.push({ fn, action, event })
    let answer = answers[`${fn}.${action}`]
    while (typeof answer === 'function') answer = answer(event)
    if (!answer) return { ok: false, error: { code: 'UNAVAILABLE', message: 'no handler' } }
    if ('pending' in answer) return new Promise(() => {})
    if ('error' in answer) return { ok: false, error: { code: answer.error, message: 'test', ...answer.details } }
    return { ok: true, data: answer.data }
  }
}

export const callsOf = (fn: string, action: string) => calls.filter((c) => c.fn === fn && c.action === action)

export function resetAll(): void {
  resetTaro()
  calls.length = 0
  window.localStorage.clear()
  delete process.env.TARO_ENV
}

/** A joined member's login answer. */
export const JOINED = { data: { memberId: 'm_1', isNew: false, phoneBound: true, consented: true, termsVersion: '2026-11-01' } }
/** A visitor who has not agreed to the terms yet. */
export const VISITOR = { data: { memberId: 'm_2', isNew: true, phoneBound: false, consented: false, termsVersion: '2026-11-01' } }
