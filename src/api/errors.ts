import { ERROR_STATUS, type ErrorCode } from '../../cloudfunctions/core/contracts/errors'
import { ERROR_MESSAGES } from './messages'

/**
 * A failed call: a stable code from the contracts and a Chinese message for the consumer.
 * `details` keeps whatever facts the error body carried beside code and message (for
 * CODE_ALREADY_REDEEMED: when the code was used); never shown raw.
 */
export class ApiError extends Error {
  readonly code: ErrorCode
  readonly details: Record<string, unknown>

  constructor(code: ErrorCode, details: Record<string, unknown> = {}) {
    super(ERROR_MESSAGES[code])
    this.name = 'ApiError'
    this.code = code
    this.details = details
  }
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(ERROR_STATUS, value)
}

/** Any thrown value as an ApiError; unknown failures count as INTERNAL. */
export function toApiError(error: unknown): ApiError {
  return error instanceof ApiError ? error : new ApiError('INTERNAL')
}

/** The `details` the server gave a refusal (a finer cause, a count left, a time), or an empty object. */
export function errorDetails(error: ApiError): Record<string, unknown> {
  const details = error.details.details
  return details && typeof details === 'object' ? (details as Record<string, unknown>) : {}
}

const ISO_TIME = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})/

/** The time an error refers to (when a code was used), from its details or, failing that, its developer message. */
export function errorTime(error: ApiError): string | null {
  const found: unknown[] = []
  const visit = (value: unknown, depth: number) => {
    if (typeof value === 'string') found.push(value)
    else if (value && typeof value === 'object' && depth < 2) Object.values(value).forEach((v) => visit(v, depth + 1))
  }
  visit(error.details, 0)
  for (const value of found) {
    const match = typeof value === 'string' ? ISO_TIME.exec(value) : null
    if (match) return match[0]
  }
  return null
}
