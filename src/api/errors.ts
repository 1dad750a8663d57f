import { ERROR_STATUS, type ErrorCode } from '../../cloudfunctions/core/contracts/errors'
import { ERROR_MESSAGES } from './messages'

/** A failed call: a stable code from the contracts and a Chinese message for the consumer. */
export class ApiError extends Error {
  readonly code: ErrorCode

  constructor(code: ErrorCode) {
    super(ERROR_MESSAGES[code])
    this.name = 'ApiError'
    this.code = code
  }
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(ERROR_STATUS, value)
}

/** Any thrown value as an ApiError; unknown failures count as INTERNAL. */
export function toApiError(error: unknown): ApiError {
  return error instanceof ApiError ? error : new ApiError('INTERNAL')
}
