// Weapp transport: WeChat cloud functions, event = { action, ...input }.
import Taro from '@tarojs/taro'
import { ApiError } from './errors'

let initialised = false

/** Taro.cloud.init once per launch; CLOUD_ENV comes from defineConstants (env MC_CLOUD_ENV). */
export function initTransport(): void {
  if (initialised) return
  initialised = true
  const cloud = Taro.cloud as typeof Taro.cloud & { DYNAMIC_CURRENT_ENV?: string }
  const env = CLOUD_ENV === 'DYNAMIC_CURRENT_ENV' ? cloud.DYNAMIC_CURRENT_ENV : CLOUD_ENV
  cloud.init({ env, traceUser: true })
}

export async function send(name: string, event: Record<string, unknown>): Promise<unknown> {
  initTransport()
  try {
    const res = await Taro.cloud.callFunction({ name, data: event })
    return res.result
  } catch {
    throw new ApiError('UNAVAILABLE') // network failure, or the function could not be invoked
  }
}
