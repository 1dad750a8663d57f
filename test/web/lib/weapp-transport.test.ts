import fc from 'fast-check'
import { runs, timeoutFor } from '../../support/property'
import { ERROR_CODES } from '../../../cloudfunctions/core/contracts/errors'
import { ApiError, callFunction } from '../../../src/api'
import { registry } from '../stubs/transport'

/**
 * The mini-program's transport (src/api/transport.weapp.ts, which `taro build --type weapp` picks
 * for ./transport): WeChat's wx.cloud.callFunction, answered here by a stand-in of Taro.cloud. The
 * client's envelope handling is the H5 build's; these check that a cloud answer reaches it the way
 * the dev runtime's HTTP answer does, and that WeChat's own failures become our codes.
 */
type Send = (name: string, event: Record<string, unknown>) => Promise<unknown>
type Cloud = { init: jest.Mock; callFunction: jest.Mock }
const g = globalThis as Record<string, unknown>
/** Taro.cloud as the transport last loaded sees it (a stand-in: every call a jest.fn). */
let cloud: Cloud

/**
 * A fresh copy of the weapp transport (it initialises the cloud once per launch), built with `env`
 * as CLOUD_ENV, and its own stand-in of Taro.cloud.
 */
function weappTransport(env: string): { send: Send; initTransport: () => void } {
  g.CLOUD_ENV = env
  let loaded: { send: Send; initTransport: () => void } | undefined
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    cloud = require('@tarojs/taro').default.cloud
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    loaded = require('../../../src/api/transport.weapp')
  })
  return loaded!
}

let consoleError: jest.SpyInstance
beforeEach(() => {
  // the transport writes WeChat's refusal to the console (DevTools, vConsole): kept out of the test output
  consoleError = jest.spyOn(console, 'error').mockImplementation(() => undefined)
})
afterEach(() => {
  consoleError.mockRestore()
  delete g.CLOUD_ENV
})

describe('weapp transport', () => {
  it('initialises the cloud once per launch, in the environment the build names, or the default one without', async () => {
    const named = weappTransport('prod-1a2b')
    cloud.callFunction.mockResolvedValue({ errMsg: 'cloud.callFunction:ok', result: { ok: true, data: {} } })
    named.initTransport()
    await named.send('member', { action: 'login' })
    await named.send('points', { action: 'summary' })
    expect(cloud.init.mock.calls).toEqual([[{ env: 'prod-1a2b', traceUser: true }]])

    const unnamed = weappTransport('')
    cloud.callFunction.mockResolvedValue({ errMsg: 'cloud.callFunction:ok', result: { ok: true, data: {} } })
    await unnamed.send('member', { action: 'login' })
    expect(cloud.init.mock.calls).toEqual([[{ traceUser: true }]])
  })

  it('calls the function by name with the event as its data, and answers what the function returned', async () => {
    const { send } = weappTransport('env-1')
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('member', 'points', 'codes', 'scenes'), fc.jsonValue(), async (name, result) => {
        cloud.callFunction.mockReset()
        cloud.callFunction.mockResolvedValue({ errMsg: 'cloud.callFunction:ok', result, requestID: 'r1' })
        const event = { action: 'login', requestId: 'a1' }
        expect(await send(name, event)).toEqual(result)
        expect(cloud.callFunction).toHaveBeenCalledWith({ name, data: event })
      }),
      { numRuns: runs(50) },
    )
  }, timeoutFor())

  it.each([
    ['no signal', 'UNAVAILABLE', { errCode: -1, errMsg: 'cloud.callFunction:fail request:fail timeout' }],
    ['the function timed out, a cold start past its timeout', 'UNAVAILABLE', { errCode: -504003, errMsg: 'Invoking task timed out after 3 seconds' }],
    ['a cloud environment that is not there, as a wrong MC_CLOUD_ENV gives', 'INTERNAL', { errCode: -501000, errMsg: 'cloud.callFunction:fail Error: errCode: -501000 | errMsg: [100003] env not exists' }],
    ['a function that is not deployed', 'INTERNAL', { errCode: -501000, errMsg: 'FunctionName parameter could not be found.' }],
  ])('turns WeChat refusing the call (%s) into %s, naming the function on the console', async (_why, code, failure) => {
    const { send } = weappTransport('env-1')
    cloud.callFunction.mockRejectedValue(failure)
    await expect(send('member', { action: 'login' })).rejects.toMatchObject({ name: 'ApiError', code })
    expect(consoleError).toHaveBeenCalledWith('callFunction failed', 'member', failure.errCode, failure.errMsg)
  })
})

describe('the client over the weapp transport', () => {
  let send: Send
  beforeEach(() => {
    send = weappTransport('env-1').send
    registry.handle = (name, event) => send(name, event)
  })

  it('resolves with the data of an ok envelope and rejects with the code and details of a refusal, as over HTTP', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), fc.constantFrom(...ERROR_CODES), async (data, code) => {
        cloud.callFunction.mockResolvedValueOnce({ result: { ok: true, data } })
        expect(await callFunction('member', 'profile', {})).toEqual(data)

        cloud.callFunction.mockResolvedValueOnce({ result: { ok: false, error: { code, message: 'refused', details: { at: '2026-11-23T02:00:00.000Z' } } } })
        const refusal = await callFunction('codes', 'redeem', { code: 'A2345678923456789ABCDE', requestId: 'r' }).catch((e: unknown) => e)
        expect(refusal).toBeInstanceOf(ApiError)
        expect(refusal).toMatchObject({ code, details: { message: 'refused', details: { at: '2026-11-23T02:00:00.000Z' } } })
      }),
      { numRuns: runs(40) },
    )
    expect(cloud.callFunction).toHaveBeenLastCalledWith({ name: 'codes', data: { code: 'A2345678923456789ABCDE', requestId: 'r', action: 'redeem' } })
  }, timeoutFor())

  it('takes a function that answered nothing usable (an older deployment, a crash caught by CloudBase) as INTERNAL', async () => {
    for (const result of [undefined, null, 'ok', { data: 1 }, { ok: false, error: { code: 'SOMETHING_NEW' } }]) {
      cloud.callFunction.mockResolvedValueOnce({ result })
      await expect(callFunction('member', 'login', {})).rejects.toMatchObject({ code: 'INTERNAL' })
    }
  })
})
