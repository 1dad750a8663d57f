import { waitFor } from '@testing-library/react'
import Taro from '@tarojs/taro'
import { ApiError, errorTime } from '../../../src/api'
import { go, ROUTES, watchPageLoadFailures } from '../../../src/lib/routes'
import { ERROR_MESSAGES } from '../../../src/api/messages'
import { ERROR_CODES } from '../../../cloudfunctions/core/contracts/errors'
import { entryFrom, forgetH5Entry, launchEntry, newEntry } from '../../../src/launch/entry'
import { code128Bars, crispWidth } from '../../../src/lib/barcode'
import { balanceClass, formatDate, formatDateTime, formatDateTimeWords, formatPoints, maskPhones, signedPoints } from '../../../src/lib/format'
import { base64, gifDataUrl } from '../../../src/lib/gif'
import { qrImage } from '../../../src/lib/qr'
import { readScan } from '../../../src/packages/scan/scanned'
import { productCodeIn } from '../../../src/lib/product-code'

describe('messages', () => {
  it('has a Chinese message for every error code, without English or stack traces', () => {
    for (const code of ERROR_CODES) {
      expect(ERROR_MESSAGES[code]).toMatch(/[\u4e00-\u9fa5]/)
      expect(ERROR_MESSAGES[code]).not.toMatch(/[A-Za-z]{3,}/)
    }
  })

  it('finds the time an error refers to', () => {
    expect(errorTime(new ApiError('CODE_ALREADY_REDEEMED', { at: '2026-11-20T06:30:00.000Z' }))).toBe('2026-11-20T06:30:00.000Z')
    expect(errorTime(new ApiError('CODE_ALREADY_REDEEMED', { message: 'code used at 2026-11-20T06:30:00Z' }))).toBe('2026-11-20T06:30:00Z')
    expect(errorTime(new ApiError('CODE_ALREADY_REDEEMED'))).toBeNull()
  })
})

describe('formats', () => {
  it('shows times in Beijing time', () => {
    expect(formatDate('2027-12-31T15:59:59Z')).toBe('2027年12月31日')
    expect(formatDateTime('2026-11-23T02:05:00Z')).toBe('2026-11-23 10:05')
    // inside a sentence, as the dates beside it: Beijing time, across the day's edge
    expect(formatDateTimeWords('2026-12-07T21:19:00Z')).toBe('2026年12月8日 05:19')
    expect(formatDateTimeWords('not a time')).toBe('')
    expect(formatDate('nonsense')).toBe('')
  })
  it('groups and signs points', () => {
    expect(formatPoints(1234567)).toBe('1,234,567')
    expect(formatPoints(-1200)).toBe('-1,200')
    expect(signedPoints(50)).toBe('+50')
    expect(signedPoints(-50)).toBe('-50')
  })
  it('sizes a balance down from seven digits and again from ten, so it stays on a 320 px card at larger text', () => {
    const size = (points: number) => balanceClass('b', formatPoints(points))
    expect([size(0), size(999_999)]).toEqual(['b', 'b'])
    expect([size(1_234_567), size(12_345_678), size(999_999_999)]).toEqual(['b b--long', 'b b--long', 'b b--long'])
    expect(size(1_000_000_000)).toBe('b b--longer')
  })
  it('masks phone numbers in free text', () => {
    expect(maskPhones('电话13812348000，订单123456789012')).toBe('电话138****8000，订单123456789012')
  })
})

describe('launch entries', () => {
  it('reads scene and q, decoding as WeChat delivers them', () => {
    expect(entryFrom({ scene: 'g%3DG001' })).toEqual({ scene: 'g=G001' })
    expect(entryFrom({ q: encodeURIComponent('https://brand.example/c/AB12CD34') })).toEqual({ q: 'https://brand.example/c/AB12CD34' })
    expect(entryFrom({ scene: '1001' })).toBeNull() // WeChat's numeric launch scene is not ours
    expect(entryFrom({})).toBeNull()
  })
  it('hands the home page only a code that opened the home page (weapp)', () => {
    const env = process.env.TARO_ENV
    process.env.TARO_ENV = 'weapp'
    try {
      expect(launchEntry({ path: 'pages/member/index', query: { scene: 'g%3DG001' } })).toEqual({ scene: 'g=G001' })
      expect(launchEntry({ query: { scene: 'g%3DG001' } })).toEqual({ scene: 'g=G001' })
      // the landing page opened by the code reads it itself; going home later must not open it again
      expect(launchEntry({ path: 'packages/join/landing/index', query: { scene: 'g%3DG001' } })).toBeNull()
      expect(launchEntry({ path: 'pages/member/index', query: {} })).toBeNull()
    } finally {
      process.env.TARO_ENV = env
    }
  })
  it('takes a WeChat entry once: a return to the foreground with the same options opens nothing again (weapp)', () => {
    const env = process.env.TARO_ENV
    process.env.TARO_ENV = 'weapp'
    try {
      const guide = { path: 'pages/member/index', query: { scene: 'g%3DG002' }, scene: 1047 }
      expect(newEntry(guide)).toEqual({ scene: 'g=G002' }) // the launch
      expect(newEntry(guide)).toBeNull() // its show, and back from the camera
      expect(newEntry({ path: 'pages/member/index', query: {} })).toBeNull()
      expect(newEntry(guide)).toBeNull()
      // another code, and a plain-link code scanned again (WeChat adds the scan's time)
      expect(newEntry({ path: 'pages/member/index', query: { scene: 's%3DSH001' } })).toEqual({ scene: 's=SH001' })
      const card = (time: string) => ({ path: 'pages/member/index', query: { q: 'https%3A%2F%2Fbrand.example%2Fp%2FC1', scancode_time: time } })
      expect(newEntry(card('1765000000'))).toEqual({ q: 'https://brand.example/p/C1' })
      expect(newEntry(card('1765000000'))).toBeNull()
      expect(newEntry(card('1765000300'))).toEqual({ q: 'https://brand.example/p/C1' })
    } finally {
      process.env.TARO_ENV = env
    }
  })
  it('H5: says a page could not be loaded (offline), and reloads at the page asked for once the network is back', () => {
    const listeners: Record<string, ((event: unknown) => void)[]> = {}
    const reload = jest.fn()
    const target = { addEventListener: (type: string, listener: (event: unknown) => void) => (listeners[type] ??= []).push(listener), location: { reload } }
    watchPageLoadFailures(target as never, async () => false)
    const fire = (type: string, event: unknown) => [...(listeners[type] ?? [])].forEach((listener) => listener(event))
    const failed = () => ({ reason: Object.assign(new Error('Loading CSS chunk 68 failed.'), { name: 'ChunkLoadError' }), preventDefault: jest.fn() })
    const first = failed()
    fire('unhandledrejection', first)
    fire('unhandledrejection', failed())
    expect(Taro.showToast).toHaveBeenCalledWith({ title: '页面暂时无法打开，请稍后再试', icon: 'none' })
    expect(first.preventDefault).toHaveBeenCalled()
    expect(reload).not.toHaveBeenCalled()
    fire('online', {})
    expect(reload).toHaveBeenCalledTimes(1)
    expect(listeners.online).toHaveLength(1) // armed once, however many pages failed
    // any other failure is not ours to explain
    const other = { reason: new Error('other'), preventDefault: jest.fn() }
    fire('unhandledrejection', other)
    expect(other.preventDefault).not.toHaveBeenCalled()
  })

  it('H5: with only the server down (the browser stays online), reloads once the server answers again', async () => {
    jest.useFakeTimers()
    try {
      const listeners: Record<string, ((event: unknown) => void)[]> = {}
      const reload = jest.fn()
      const target = { addEventListener: (type: string, listener: (event: unknown) => void) => (listeners[type] ??= []).push(listener), location: { reload } }
      let up = false
      const probe = jest.fn(async () => up)
      watchPageLoadFailures(target as never, probe)
      listeners.unhandledrejection!.forEach((listener) => listener({ reason: Object.assign(new Error('Loading chunk 7 failed.'), { name: 'ChunkLoadError' }), preventDefault: jest.fn() }))
      await jest.advanceTimersByTimeAsync(10_000)
      expect(probe).toHaveBeenCalledTimes(2)
      expect(reload).not.toHaveBeenCalled()
      up = true
      await jest.advanceTimersByTimeAsync(5_000)
      expect(reload).toHaveBeenCalledTimes(1)
      // the network coming back later reloads no second time, and the asking stops
      listeners.online!.forEach((listener) => listener({}))
      await jest.advanceTimersByTimeAsync(20_000)
      expect(reload).toHaveBeenCalledTimes(1)
      expect(probe).toHaveBeenCalledTimes(3)
    } finally {
      jest.useRealTimers()
    }
  })

  it('H5: reads the entry from the address only, not from the launch options Taro hands every show again', () => {
    const env = process.env.TARO_ENV
    process.env.TARO_ENV = 'h5'
    try {
      window.history.replaceState(null, '', '/#/pages/member/index?q=https%3A%2F%2Fbrand.example%2Fg%2FG001')
      expect(launchEntry({ path: 'pages/member/index', query: { q: 'https%3A%2F%2Fbrand.example%2Fg%2FG001' } })).toEqual({ q: 'https://brand.example/g/G001' })
      forgetH5Entry()
      // the tab hidden and shown again: the same options, the entry gone from the address
      expect(launchEntry({ path: 'pages/member/index', query: { q: 'https%3A%2F%2Fbrand.example%2Fg%2FG001' } })).toBeNull()
    } finally {
      process.env.TARO_ENV = env
    }
  })

  it('takes the entry out of the H5 address, keeping the rest, so a reload does not open the code again', () => {
    window.history.replaceState(null, '', '/?q=https%3A%2F%2Fbrand.example%2Fc%2FAB12&from=ad#/pages/member/index?scene=g%3DG001&tab=1')
    forgetH5Entry()
    expect(window.location.pathname + window.location.search + window.location.hash).toBe('/?from=ad#/pages/member/index?tab=1')
    window.history.replaceState(null, '', '/?scene=s%3DS01#/pages/member/index')
    const length = window.history.length
    forgetH5Entry()
    expect(window.location.pathname + window.location.search + window.location.hash).toBe('/#/pages/member/index')
    expect(window.history.length).toBe(length)
  })

  it('reads a scan result', () => {
    expect(readScan('https://brand.example/c/AB12CD34', 'brand.example')).toEqual({ kind: 'redeem', input: { q: 'https://brand.example/c/AB12CD34' } })
    expect(readScan(' A2345678923456789ABCDE ', 'brand.example')).toEqual({ kind: 'redeem', input: { code: 'A2345678923456789ABCDE' } })
    for (const place of ['g/G001', 's/SH001', 'p/P11']) {
      expect(readScan(`https://brand.example/${place}`, 'brand.example')).toEqual({ kind: 'landing', q: `https://brand.example/${place}` })
    }
    // a shop barcode or someone else's link is not sent to be redeemed (it would count as an invalid scan)
    expect(readScan('6901234567892', 'brand.example')).toEqual({ kind: 'unknown' })
    expect(readScan('https://example.com/pay?id=1', 'brand.example')).toEqual({ kind: 'unknown' })
    // our kind of link on another site, or one the server would refuse (it counts as an invalid scan)
    expect(readScan('https://evil.example.org/c/AB12CD34', 'brand.example')).toEqual({ kind: 'unknown' })
    expect(readScan('https://evil.example.org/g/G001', 'brand.example')).toEqual({ kind: 'unknown' })
    expect(readScan('https://brand.example.evil.org/c/AB12CD34', 'brand.example')).toEqual({ kind: 'unknown' })
    for (const refused of ['http://brand.example/c/AB12CD34', 'HTTPS://brand.example/c/AB12CD34', 'https://brand.example/C/AB12CD34']) {
      expect(readScan(refused, 'brand.example')).toEqual({ kind: 'unknown' })
    }
    // the host in any case, as the server takes it
    expect(readScan('https://Brand.Example/c/AB12CD34', 'brand.example')).toEqual({ kind: 'redeem', input: { q: 'https://Brand.Example/c/AB12CD34' } })
    expect(readScan('', 'brand.example', 'pages/member/index?scene=s%3DS01')).toEqual({ kind: 'landing', scene: 's=S01' })
    expect(readScan('你好', 'brand.example')).toEqual({ kind: 'unknown' })
    expect(productCodeIn('https://brand.example/c/AB12CD34?x=1')).toBe('AB12CD34')
  })
})

describe('code images', () => {
  it('sizes a barcode to whole device pixels per module, as wide as fits', () => {
    expect(crispWidth(311, 165, 3)).toBe(275) // 933 device px: 5 per module
    for (const [available, modules, ratio] of [[311, 165, 2], [474, 143, 3], [640, 201, 2.75], [50, 165, 1]]) {
      const width = crispWidth(available, modules, ratio)
      const perModule = (width * ratio) / modules
      expect(Number.isInteger(Math.round(perModule * 1e9) / 1e9)).toBe(true)
      // fits, and one device pixel more per module would not (or it is already the narrowest)
      expect(width <= available || perModule === 1).toBe(true)
      expect(width + modules / ratio > available).toBe(true)
    }
  })
  it('base64 matches Node', () => {
    for (const s of ['', 'a', 'ab', 'abc', 'abcd', '会员']) expect(base64(Buffer.from(s))).toBe(Buffer.from(s).toString('base64'))
  })
  it('writes a GIF89a of the right size', () => {
    const bytes = Buffer.from(gifDataUrl(300, 2, (x) => x % 3 === 0).split(',')[1]!, 'base64')
    expect(bytes.subarray(0, 6).toString()).toBe('GIF89a')
    expect(bytes.readUInt16LE(6)).toBe(300)
    expect(bytes.readUInt16LE(8)).toBe(2)
    expect(bytes[bytes.length - 1]).toBe(0x3b)
  })
  it('draws a member token as a QR code and a Code 128 barcode', () => {
    const token = 'MC1.m_abcdefghijklmnop.1795000000.AbCdEfGhIjKlMnOp'
    expect(qrImage(token).src).toMatch(/^data:image\/gif;base64,/)
    const bars = code128Bars(token)
    expect(bars).toMatch(/^11010010000/) // START B
    expect(bars.endsWith('1100011101011')).toBe(true) // STOP
  })
})

describe('page navigation', () => {
  it('says so when a page cannot be opened (a subpackage that fails to download), instead of doing nothing', async () => {
    ;(Taro.navigateTo as jest.Mock).mockRejectedValueOnce(new Error('navigateTo:fail'))
    go(ROUTES.scan, { q: 'x' })
    await waitFor(() => expect(Taro.showToast).toHaveBeenCalledWith({ title: '页面暂时无法打开，请稍后再试', icon: 'none' }))
    ;(Taro.showToast as jest.Mock).mockClear()
    go(ROUTES.scan)
    await new Promise((done) => setTimeout(done, 0))
    expect(Taro.showToast).not.toHaveBeenCalled()
  })

  describe('the double-tap guard', () => {
    beforeEach(() => {
      jest.useFakeTimers()
      ;(Taro.navigateTo as jest.Mock).mockClear()
    })
    afterEach(() => jest.useRealTimers())

    it('opens a page once for a double tap, also when the push is answered at once (H5): one back then returns to the page tapped on', async () => {
      go(ROUTES.scan)
      await jest.advanceTimersByTimeAsync(100)
      go(ROUTES.scan)
      go(ROUTES.join)
      expect(Taro.navigateTo).toHaveBeenCalledTimes(1)
      // back on this page, a tap later opens the next one
      await jest.advanceTimersByTimeAsync(1000)
      go(ROUTES.join)
      expect(Taro.navigateTo).toHaveBeenCalledTimes(2)
    })

    it('holds taps while a push goes unanswered (a subpackage downloading), but not for ever', async () => {
      ;(Taro.navigateTo as jest.Mock).mockImplementationOnce(() => new Promise(() => undefined))
      go(ROUTES.scan)
      await jest.advanceTimersByTimeAsync(1500)
      go(ROUTES.scan)
      expect(Taro.navigateTo).toHaveBeenCalledTimes(1)
      await jest.advanceTimersByTimeAsync(2000)
      go(ROUTES.scan)
      expect(Taro.navigateTo).toHaveBeenCalledTimes(2)
    })
  })
})

describe('a count of 积分 stays with its number', () => {
  it('joins the number and 积分 with a no-break space in the expiry notice and the notes of what was owed', () => {
    const { expiryNotice, owedNote, creditTitle, repaidNote } = require('../../../src/lib/format') as typeof import('../../../src/lib/format')
    expect(expiryNotice({ points: 1234567, at: '2099-12-31T15:59:59.000Z' }).text).toMatch(/^1,234,567\u00a0积分将于 /)
    expect(owedNote(-150)).toBe('还有 150\u00a0积分待抵扣，将从之后获得的积分中扣除')
    expect(creditTitle(50, 0)).toBe('+50\u00a0积分已抵扣欠分')
    expect(repaidNote(50, 20)).toBe('其中 30\u00a0积分已抵扣欠分')
  })
})
