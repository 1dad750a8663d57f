import type { ErrorCode } from '../../cloudfunctions/core/contracts/errors'

/**
 * WeChat's refusals that are the deployment's, not the signal's: no such environment (a wrong
 * MC_CLOUD_ENV) or function, the function failing to run, no cloud for this appid. Retrying
 * will not help, so the consumer is told 系统开小差了 rather than to look for a signal.
 */
const DEPLOYMENT_FAULTS = new Set([-501005, -501009, -404011, -504002, -601034])
/** -501000 comes with many messages; these name an environment or function that is not there. */
const NOT_DEPLOYED = /env not exists|environment invalid|environment not found|FunctionName parameter could not be found|function not found/i

/** A failed `wx.cloud.callFunction` as one of our codes: UNAVAILABLE (try again later) unless WeChat names a deployment fault. */
export function callFailureCode(error: unknown): Extract<ErrorCode, 'UNAVAILABLE' | 'INTERNAL'> {
  const { errCode, errMsg } = (error ?? {}) as { errCode?: unknown; errMsg?: unknown; message?: unknown }
  const text = `${typeof errMsg === 'string' ? errMsg : ''} ${error instanceof Error ? error.message : ''}`
  // the code is a field, or only written into the message (`errCode: -501000 | errMsg: …`)
  const codes = [typeof errCode === 'number' ? errCode : NaN, ...[...text.matchAll(/-\d{6}/g)].map((m) => Number(m[0]))]
  return codes.some((code) => DEPLOYMENT_FAULTS.has(code)) || NOT_DEPLOYED.test(text) ? 'INTERNAL' : 'UNAVAILABLE'
}
