/**
 * An id for one attempt of an action, kept across its 重试, so the server can tell the answer to
 * a lost attempt from the same thing done again. Not a secret: it only tells one member's
 * attempts apart, so the time and Math.random do (the mini-program has no crypto API to rely on).
 */
export const newAttemptId = (): string => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 10)}`
