/**
 * Replaces src/api/transport in the web tests: every call goes to the handlers a test
 * installed with mockApi (test/web/support/api.ts), recorded in `calls`.
 */
export type Reply = unknown
export const registry: { handle: (name: string, event: Record<string, unknown>) => Promise<Reply> } = {
  handle: async () => ({ ok: false, error: { code: 'UNAVAILABLE', message: 'no handler' } }),
}

export function initTransport(): void {}

export function send(name: string, event: Record<string, unknown>): Promise<Reply> {
  return registry.handle(name, event)
}
