import Taro from '@tarojs/taro'

/**
 * What to carry through the join flow: where the consumer came from (a guide's,
 * a store's or a package card's code, recorded with scenes.join once bound) and what
 * they were doing (redeeming a product code, binding an order) so it resumes after.
 */
export interface Attribution {
  scene?: string
  q?: string
  kind: 'guide' | 'store' | 'packageCard' | 'product'
  /** Shown to the consumer: 导购 小林 · 南京西路店 */
  label?: string
}

export type NextStep = { kind: 'redeem'; q?: string; code?: string } | { kind: 'order'; campaignId?: string; platform?: string; bonus?: number }

interface Intent {
  attribution?: Attribution
  next?: NextStep
}

const KEY = 'mc.intent'

function read(): Intent {
  try {
    const value = Taro.getStorageSync(KEY) as unknown
    return value && typeof value === 'object' ? (value as Intent) : {}
  } catch {
    return {}
  }
}

function write(intent: Intent): void {
  try {
    if (intent.attribution || intent.next) Taro.setStorageSync(KEY, intent)
    else Taro.removeStorageSync(KEY)
  } catch {
    // storage full or disabled: the flow still works, it just does not resume
  }
}

export const getAttribution = (): Attribution | undefined => read().attribution
export const setAttribution = (attribution: Attribution): void => write({ ...read(), attribution })
export const clearAttribution = (): void => write({ ...read(), attribution: undefined })

export const getNextStep = (): NextStep | undefined => read().next
export const setNextStep = (next: NextStep): void => write({ ...read(), next })
export const clearNextStep = (): void => write({ ...read(), next: undefined })

/** Forgets what the phone kept for a join: after an erasure, or another identity. */
export const forgetIntent = (): void => write({})
