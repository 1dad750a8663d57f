export { callFunction } from './client'
export { ApiError, errorDetails, errorTime, toApiError } from './errors'
export { ERROR_MESSAGES } from './messages'
export { initTransport } from './transport'
