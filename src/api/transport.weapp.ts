// Weapp transport: WeChat cloud functions, event = { action, ...input }.
import Taro from '@tarojs/taro'
import { callFailureCode } from './callFailure'
import { ApiError } from './errors'

let initialised = false

/**
 * Taro.cloud.init once per launch. CLOUD_ENV comes from defineConstants (env MC_CLOUD_ENV at
 * build time); without it the mini-program calls the account's default cloud environment.
 */
export function initTransport(): void {
  if (initialised) return
  initialised = true
  Taro.cloud.init(CLOUD_ENV ? { env: CLOUD_ENV, traceUser: true } : { traceUser: true })
}

export async function send(name: string, event: Record<string, unknown>): Promise<unknown> {
  initTransport()
  try {
    const res = await Taro.cloud.callFunction({ name, data: event })
    return res.result
  } catch (error) {
    // in WeChat DevTools' console and vConsole: which environment or function, what WeChat said
    const { errCode, errMsg } = (error ?? {}) as { errCode?: unknown; errMsg?: unknown }
    console.error('callFunction failed', name, errCode, errMsg ?? String(error))
    throw new ApiError(callFailureCode(error))
  }
}
