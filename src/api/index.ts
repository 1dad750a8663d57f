export { callFunction } from './client'
export { ApiError, toApiError } from './errors'
export { ERROR_MESSAGES } from './messages'
export { initTransport } from './transport'
