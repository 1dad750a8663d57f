import { callFailureCode } from '../../../src/api/callFailure'
import { tillScreenControl, type ScreenApi } from '../../../src/lib/tillScreen'

/** A phone's screen calls, each answered only when the test lets it: the order they were made in is the log. */
function phone(platform: string, brightness = 0.4) {
  const log: string[] = []
  const pending: (() => void)[] = []
  const later = <T>(entry: string, value: T) => new Promise<T>((resolve) => {
    log.push(entry)
    pending.push(() => resolve(value))
  })
  const api: ScreenApi = {
    platform: () => platform,
    getBrightness: () => later('get', brightness),
    setBrightness: (value) => later(`set ${value}`, undefined),
    keepOn: (on) => later(`keepOn ${on}`, undefined),
  }
  // answers each call once made, letting the chain make the next (a few microtasks each)
  const answerAll = async () => {
    for (let turns = 0; turns < 100; turns++) {
      pending.shift()?.()
      await Promise.resolve()
    }
  }
  return { api, log, answerAll }
}

describe('the screen at the till', () => {
  it('closed while it was still being lit: ends at the brightness it had and no longer kept on', async () => {
    const { api, log, answerAll } = phone('ios')
    const screen = tillScreenControl(api)
    const opened = screen(true)
    const closed = screen(false) // before getBrightness answered
    await answerAll()
    await Promise.all([opened, closed])
    expect(log).toEqual(['get', 'set 1', 'keepOn true', 'set 0.4', 'keepOn false'])
  })

  it('on Android gives the brightness back to the system, which auto-brightness then follows', async () => {
    const { api, log, answerAll } = phone('android')
    const screen = tillScreenControl(api)
    const done = [screen(true), screen(false)]
    await answerAll()
    await Promise.all(done)
    expect(log).toEqual(['set 1', 'keepOn true', 'set -1', 'keepOn false'])
  })

  it('opened twice reads the brightness once, so closing restores the one from before', async () => {
    const { api, log, answerAll } = phone('ios')
    const screen = tillScreenControl(api)
    const done = [screen(true), screen(true), screen(false), screen(false)]
    await answerAll()
    await Promise.all(done)
    expect(log).toEqual(['get', 'set 1', 'keepOn true', 'keepOn true', 'set 0.4', 'keepOn false', 'keepOn false'])
  })

  it('a brightness the phone refuses to give back still lets the screen sleep again', async () => {
    const log: string[] = []
    const screen = tillScreenControl({
      platform: () => 'android',
      getBrightness: async () => 0.4,
      setBrightness: async (value) => {
        log.push(`set ${value}`)
        if (value === -1) throw new Error('setScreenBrightness:fail')
      },
      keepOn: async (on) => void log.push(`keepOn ${on}`),
    })
    await screen(true)
    await screen(false)
    expect(log).toEqual(['set 1', 'keepOn true', 'set -1', 'keepOn false'])
  })

  it('a phone that refuses leaves the next calls working', async () => {
    const screen = tillScreenControl({
      platform: () => 'ios',
      getBrightness: () => Promise.reject(new Error('getScreenBrightness:fail')),
      setBrightness: () => Promise.resolve(),
      keepOn: () => Promise.resolve(),
    })
    await expect(screen(true)).resolves.toBeUndefined()
    await expect(screen(false)).resolves.toBeUndefined()
  })
})

describe('a failed cloud call', () => {
  it.each([
    // WeChat's own words for a missing environment or function, or a function that failed to run
    [{ errCode: -501000, errMsg: 'cloud.callFunction:fail Error: errCode: -501000 | errMsg: [100003] env not exists' }, 'INTERNAL'],
    [new Error('errCode: -404011 cloud function execution error | errMsg: cloud.callFunction:fail … error code -501000, FunctionName parameter could not be found.'), 'INTERNAL'],
    [{ errCode: -504002, errMsg: 'functions execute fail' }, 'INTERNAL'],
    // the signal's: try again later
    [{ errMsg: 'cloud.callFunction:fail request:fail timeout' }, 'UNAVAILABLE'],
    [{ errCode: -501004, errMsg: 'concurrent requests over the quota' }, 'UNAVAILABLE'],
    [{ errCode: -501000, errMsg: 'cloud.callFunction:fail Error: errCode: -501000 | errMsg: [ResourceUnavailable] try again' }, 'UNAVAILABLE'], // -501000 alone says little
    [{ errCode: -1, errMsg: 'cloud.callFunction:fail' }, 'UNAVAILABLE'],
    [new Error('network'), 'UNAVAILABLE'],
    [undefined, 'UNAVAILABLE'],
  ])('%p is %s', (error, code) => {
    expect(callFailureCode(error)).toBe(code)
  })
})
