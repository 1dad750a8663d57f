import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { forgetLastPush } from '../../../src/lib/routes'
import { act, fireEvent, render, screen, waitFor } from '@testing-library/react'
import Taro from '@tarojs/taro'
import { pageLifecycle, useShareAppMessage } from '../stubs/taro'
import { registry } from '../stubs/transport'
import MemberPage from '../../../src/pages/member/index'
import { setPendingEntry } from '../../../src/launch/entry'
import { getAttribution, setAttribution } from '../../../src/launch/intent'
import { JOINED, VISITOR, callsOf, mockApi, resetAll } from '../support/api'
import { barcodeImage } from '../../../src/lib/barcode'
import PointsPage from '../../../src/pages/points/index'
import MinePage from '../../../src/pages/mine/index'


const SUMMARY = {
  data: {
    available: 1280,
    owed: 0,
    // more than a month ahead on any day the tests run, so the notice is the date alone (no days left)
    expiring: [{ points: 120, at: '2099-12-31T15:59:59.000Z' }],
    growth: 640,
    level: { code: 'normal', name: '普通会员' },
    nextLevel: { code: 'silver', name: '银卡', minGrowth: 1000, growthNeeded: 360 },
  },
}
const PROFILE = { data: { memberId: 'm_1', nickname: null, birthday: null, phoneMasked: '138****8000' } }
const CHANNELS = { data: { wechat: true, phone: true, tmall: false, offline: true, jd: false } }
const BARCODE = '012345678901234567890123456789012345678901234567890123'
const CODE = { data: { token: 'MC1.m_000001.1795000000.AbCdEfGhIjKlMnOp', barcode: BARCODE, issuedAt: new Date().toISOString(), expiresAt: new Date(Date.now() + 60_000).toISOString() } }

beforeEach(resetAll)

describe('会员 home', () => {
  it('shows a loading state while logging in', () => {
    mockApi({ 'member.login': { pending: true } })
    render(<MemberPage />)
    expect(screen.getByText('正在加载会员信息…')).toBeTruthy()
  })

  it('shows the Chinese message for a network failure and retries', async () => {
    let fail = true
    mockApi({ 'member.login': () => (fail ? { error: 'UNAVAILABLE' } : VISITOR) })
    render(<MemberPage />)
    expect(await screen.findByText('网络不给力，服务暂时无法连接，请稍后再试')).toBeTruthy()
    // Chinese only: the error code is for the page, not the consumer
    expect(screen.queryByText(/UNAVAILABLE/)).toBeNull()
    fail = false
    fireEvent.click(screen.getByText('重新加载'))
    expect(await screen.findByText('立即入会')).toBeTruthy()
  })

  it('invites a visitor to join', async () => {
    mockApi({ 'member.login': VISITOR })
    render(<MemberPage />)
    fireEvent.click(await screen.findByText('立即入会'))
    expect(Taro.navigateTo).toHaveBeenCalledWith({ url: '/packages/join/index' })
    expect(callsOf('points', 'summary')).toHaveLength(0)
  })

  it('a member whose consent is to earlier terms keeps their card and member code, and is asked to agree to the new ones', async () => {
    mockApi({ 'member.login': { data: { ...JOINED.data, consented: false, termsVersion: '2026-12-05' } }, 'member.profile': PROFILE, 'points.summary': SUMMARY, 'member.channels': CHANNELS, 'member.memberCode': CODE })
    render(<MemberPage />)
    expect(await screen.findByText('1,280')).toBeTruthy()
    expect(screen.queryByText('立即入会')).toBeNull()
    await waitFor(() => expect(callsOf('member', 'memberCode')).toHaveLength(1))
    fireEvent.click(screen.getByText('查看并同意'))
    expect(Taro.navigateTo).toHaveBeenCalledWith({ url: '/packages/join/index' })
  })

  it('shows the card of a joined member: masked phone, level, points, progress, expiry, channels, member code', async () => {
    mockApi({ 'member.login': JOINED, 'member.profile': PROFILE, 'points.summary': SUMMARY, 'member.channels': CHANNELS, 'member.memberCode': CODE })
    const { container } = render(<MemberPage />)
    expect(await screen.findByText('1,280')).toBeTruthy()
    expect(screen.getByText('138****8000')).toBeTruthy()
    expect(screen.getByText('普通会员')).toBeTruthy()
    expect(screen.getByText('成长值 640 / 1,000，再得 360 升级银卡')).toBeTruthy()
    expect(screen.getByText('120 积分将于 2099年12月31日 过期')).toBeTruthy()
    expect(await screen.findByText('天猫旗舰店')).toBeTruthy()
    // a Tmall member the last export did not bring yet (or who erased and joined again) is told it comes with the next
    expect(screen.getByText('天猫会员用同一手机号，积分自动合并，数据同步后显示')).toBeTruthy()
    expect(screen.getAllByText('已关联')).toHaveLength(2)
    const qr = await screen.findByAltText('会员二维码')
    expect(qr.getAttribute('src')).toMatch(/^data:image\/gif;base64,/)
    expect(screen.getByAltText('会员条形码').getAttribute('src')).toBe(barcodeImage(BARCODE).src)
    expect(container.textContent).not.toMatch(/1[3-9]\d{9}/)
  })

  it.each([[999, 1000, 1], [4995, 5000, 5], [19_900, 20_000, 100]])('never draws the progress bar full short of the next level (growth %i)', async (growth, minGrowth, growthNeeded) => {
    const near = { data: { ...SUMMARY.data, growth, nextLevel: { ...SUMMARY.data.nextLevel, minGrowth, growthNeeded } } }
    mockApi({ 'member.login': JOINED, 'member.profile': PROFILE, 'points.summary': near, 'member.channels': CHANNELS, 'member.memberCode': CODE })
    const { container } = render(<MemberPage />)
    expect(await screen.findByText(new RegExp(`再得 ${growthNeeded} 升级银卡`))).toBeTruthy()
    expect((container.querySelector('.member-card__fill') as HTMLElement).style.width).toBe('99%')
  })

  it('shows points owed once, as owed: no negative balance, no reason it cannot know', async () => {
    const owed = { data: { ...SUMMARY.data, available: -150, owed: 150, expiring: [] } }
    mockApi({ 'member.login': JOINED, 'member.profile': PROFILE, 'points.summary': owed, 'member.channels': CHANNELS, 'member.memberCode': CODE })
    render(<MemberPage />)
    expect(await screen.findByText('待抵扣 150 积分，将从之后获得的积分中扣除')).toBeTruthy()
    expect(screen.getByText('0')).toBeTruthy()
    expect(screen.queryByText('-150')).toBeNull()
  })

  it('keeps the card, points and channels when coming back to the tab fails, and refreshes on the next show', async () => {
    mockApi({ 'member.login': JOINED, 'member.profile': PROFILE, 'points.summary': SUMMARY, 'member.channels': CHANNELS, 'member.memberCode': CODE })
    render(<MemberPage />)
    expect(await screen.findByText('1,280')).toBeTruthy()
    expect(await screen.findByText('天猫旗舰店')).toBeTruthy()
    // the signal drops while the consumer is on another tab
    mockApi({})
    act(() => pageLifecycle.hide())
    act(() => pageLifecycle.show())
    await waitFor(() => expect(callsOf('points', 'summary')).toHaveLength(1))
    await waitFor(() => expect(callsOf('member', 'login')).toHaveLength(1))
    expect(screen.getByText('1,280')).toBeTruthy()
    expect(screen.getByText('138****8000')).toBeTruthy()
    expect(screen.getByText('天猫旗舰店')).toBeTruthy()
    expect(screen.queryByText(/暂时无法加载/)).toBeNull()
    // back online: the next show brings the new balance
    mockApi({ 'member.login': JOINED, 'member.profile': PROFILE, 'points.summary': { data: { ...SUMMARY.data, available: 1330 } }, 'member.channels': CHANNELS, 'member.memberCode': CODE })
    act(() => pageLifecycle.hide())
    act(() => pageLifecycle.show())
    expect(await screen.findByText('1,330')).toBeTruthy()
  })

  it('brings the masked phone back on coming back to the tab when it could not be had at first', async () => {
    mockApi({ 'member.login': JOINED, 'member.profile': { error: 'UNAVAILABLE' }, 'points.summary': SUMMARY, 'member.channels': CHANNELS, 'member.memberCode': CODE })
    render(<MemberPage />)
    expect(await screen.findByText('1,280')).toBeTruthy()
    expect(screen.queryByText('138****8000')).toBeNull()
    mockApi({ 'member.login': JOINED, 'member.profile': PROFILE, 'points.summary': SUMMARY, 'member.channels': CHANNELS, 'member.memberCode': CODE })
    act(() => pageLifecycle.hide())
    act(() => pageLifecycle.show())
    expect(await screen.findByText('138****8000')).toBeTruthy()
  })

  it('keeps the card when points cannot load, with an inline retry', async () => {
    mockApi({ 'member.login': JOINED, 'member.profile': PROFILE, 'points.summary': { error: 'INTERNAL' }, 'member.channels': CHANNELS, 'member.memberCode': CODE })
    render(<MemberPage />)
    expect(await screen.findByText('积分暂时无法显示（系统开小差了，请稍后再试）')).toBeTruthy()
    expect(screen.getByText('138****8000')).toBeTruthy()
  })

  it('sends a scene join kept from binding (no signal then) once the member is found joined, and then forgets it', async () => {
    setAttribution({ kind: 'guide', scene: 'g=G001', label: '导购 小林' })
    mockApi({ 'member.login': JOINED, 'member.profile': PROFILE, 'points.summary': SUMMARY, 'member.channels': CHANNELS, 'member.memberCode': CODE, 'scenes.join': { data: { attributed: true } } })
    render(<MemberPage />)
    await waitFor(() => expect(callsOf('scenes', 'join')).toHaveLength(1))
    expect(callsOf('scenes', 'join')[0]!.event).toEqual({ action: 'join', scene: 'g=G001' })
    await waitFor(() => expect(getAttribution()).toBeUndefined())
  })

  it('keeps a visitor\'s scene for after they join', async () => {
    setAttribution({ kind: 'guide', scene: 'g=G001', label: '导购 小林' })
    mockApi({ 'member.login': VISITOR })
    render(<MemberPage />)
    expect(await screen.findByText('立即入会')).toBeTruthy()
    expect(callsOf('scenes', 'join')).toHaveLength(0)
    expect(getAttribution()).toMatchObject({ scene: 'g=G001' })
  })

  it('counts the days left before an expiry within a month, as 积分 does', async () => {
    const inThreeDays = new Date(Date.now() + 3 * 86_400_000).toISOString()
    mockApi({ 'member.login': JOINED, 'member.profile': PROFILE, 'points.summary': { data: { ...SUMMARY.data, expiring: [{ points: 300, at: inThreeDays }] } }, 'member.channels': CHANNELS, 'member.memberCode': CODE })
    render(<MemberPage />)
    expect(await screen.findByText(/^300 积分将于 .* 过期（还剩\s3\s天）$/)).toBeTruthy()
  })

  it('links a store card from the unlinked channel row and opens the scanner', async () => {
    mockApi({ 'member.login': JOINED, 'member.profile': PROFILE, 'points.summary': SUMMARY, 'member.channels': { data: { ...CHANNELS.data, offline: false } }, 'member.memberCode': CODE })
    render(<MemberPage />)
    fireEvent.click(await screen.findByText('关联门店会员卡'))
    expect(Taro.navigateTo).toHaveBeenCalledWith({ url: '/packages/account/store-card/index' })
    // back on this page later (a tap while that one opens would be a double tap)
    forgetLastPush()
    fireEvent.click(screen.getByText('扫码领积分'))
    expect(Taro.navigateTo).toHaveBeenCalledWith({ url: '/packages/scan/index' })
  })

  it('shows a submitted store card as waiting for the store, offering another card instead of the same again', async () => {
    const pending = { data: { ...CHANNELS.data, offline: false, offlinePending: true } }
    mockApi({ 'member.login': JOINED, 'member.profile': PROFILE, 'points.summary': SUMMARY, 'member.channels': pending, 'member.memberCode': CODE })
    render(<MemberPage />)
    const hint = await screen.findByText('会员卡已提交，待门店确认')
    const row = hint.closest('.channels__row') as HTMLElement
    expect(row.textContent).toContain('线下门店')
    expect(screen.queryByText('关联门店会员卡')).toBeNull()
    expect(screen.queryByText(/输入卡号即可关联/)).toBeNull()
    fireEvent.click(screen.getByText('关联其他卡'))
    expect(Taro.navigateTo).toHaveBeenCalledWith({ url: '/packages/account/store-card/index' })
    // once linked, the card shows as linked whatever became of the request
    mockApi({ 'member.login': JOINED, 'member.profile': PROFILE, 'points.summary': SUMMARY, 'member.channels': { data: { ...pending.data, offline: true } }, 'member.memberCode': CODE })
    act(() => pageLifecycle.hide())
    act(() => pageLifecycle.show())
    await waitFor(() => expect(screen.queryByText('关联其他卡')).toBeNull())
    expect(screen.getAllByText('已关联')).toHaveLength(2)
  })

  it('says a store card staff refused was not confirmed, offering another card instead of the same again', async () => {
    const refused = { data: { ...CHANNELS.data, offline: false, offlinePending: false, offlineRefused: true } }
    mockApi({ 'member.login': JOINED, 'member.profile': PROFILE, 'points.summary': SUMMARY, 'member.channels': refused, 'member.memberCode': CODE })
    render(<MemberPage />)
    const hint = await screen.findByText('门店未能确认您提交的卡，可到店咨询')
    expect((hint.closest('.channels__row') as HTMLElement).textContent).toContain('关联其他卡')
    expect(screen.queryByText(/输入卡号即可关联/)).toBeNull()
  })

  /** The member page, each member code living a minute; resolves once the first is shown. */
  async function renderWithMinuteCodes() {
    let n = 0
    mockApi({
      'member.login': JOINED, 'member.profile': PROFILE, 'points.summary': SUMMARY, 'member.channels': CHANNELS,
      'member.memberCode': () => ({ data: { token: `MC1.m_000001.${1795000000 + n++}.tag`, issuedAt: new Date().toISOString(), expiresAt: new Date(Date.now() + 60_000).toISOString() } }),
    })
    render(<MemberPage />)
    await waitFor(() => expect(callsOf('member', 'memberCode')).toHaveLength(1))
  }

  it('refreshes the member code before it expires', async () => {
    jest.useFakeTimers()
    try {
      await renderWithMinuteCodes()
      await jest.advanceTimersByTimeAsync(56_000)
      await waitFor(() => expect(callsOf('member', 'memberCode')).toHaveLength(2))
    } finally {
      jest.useRealTimers()
    }
  })

  it('counts down from the new code\'s lifetime when coming back, not from the time the page was hidden', async () => {
    jest.useFakeTimers()
    try {
      await renderWithMinuteCodes()
      expect(await screen.findByText(/动态码 · 60 秒后自动刷新/)).toBeTruthy()
      act(() => pageLifecycle.hide())
      await jest.advanceTimersByTimeAsync(5 * 60_000)
      act(() => pageLifecycle.show())
      await waitFor(() => expect(callsOf('member', 'memberCode')).toHaveLength(2))
      // at once, before the next second's tick
      await waitFor(() => expect(screen.getByText(/动态码 · \d+ 秒后自动刷新/).textContent).toMatch(/· (60|59) 秒/))
    } finally {
      jest.useRealTimers()
    }
  })

  it('takes the member code away when renewing it fails: an expired one would be refused at the till', async () => {
    jest.useFakeTimers()
    try {
      let n = 0
      mockApi({
        'member.login': JOINED, 'member.profile': PROFILE, 'points.summary': SUMMARY, 'member.channels': CHANNELS,
        'member.memberCode': () => (n++ === 0 ? { data: { token: 'MC1.m_000001.1795000000.tag', issuedAt: new Date().toISOString(), expiresAt: new Date(Date.now() + 60_000).toISOString() } } : { error: 'UNAVAILABLE' }),
      })
      render(<MemberPage />)
      expect(await screen.findByAltText('会员二维码')).toBeTruthy()
      await jest.advanceTimersByTimeAsync(60_000)
      await waitFor(() => expect(screen.getByText(/会员码暂时无法显示/)).toBeTruthy())
      expect(screen.queryByAltText('会员二维码')).toBeNull()
      // the rest of the card stays
      expect(screen.getByText('1,280')).toBeTruthy()
    } finally {
      jest.useRealTimers()
    }
  })

  it('brings the member code back by itself once the network is back, while on screen and on coming back', async () => {
    jest.useFakeTimers()
    try {
      let online = false
      mockApi({
        'member.login': JOINED, 'member.profile': PROFILE, 'points.summary': SUMMARY, 'member.channels': CHANNELS,
        'member.memberCode': () => (online ? { data: { token: 'MC1.m_000001.1795000000.tag', issuedAt: new Date().toISOString(), expiresAt: new Date(Date.now() + 60_000).toISOString() } } : { error: 'UNAVAILABLE' }),
      })
      render(<MemberPage />)
      await waitFor(() => expect(screen.getByText(/会员码暂时无法显示/)).toBeTruthy())
      // on screen: tried again every few seconds
      await jest.advanceTimersByTimeAsync(5_000)
      expect(callsOf('member', 'memberCode')).toHaveLength(2)
      // hidden: not tried; back on screen: tried at once
      act(() => pageLifecycle.hide())
      await jest.advanceTimersByTimeAsync(60_000)
      expect(callsOf('member', 'memberCode')).toHaveLength(2)
      online = true
      act(() => pageLifecycle.show())
      expect(await screen.findByAltText('会员二维码')).toBeTruthy()
      expect(callsOf('member', 'memberCode')).toHaveLength(3)
    } finally {
      jest.useRealTimers()
    }
  })

  it('waits for a slow answer before trying again, so a member code that takes seconds still comes back', async () => {
    jest.useFakeTimers()
    try {
      let tries = 0
      mockApi({
        'member.login': JOINED, 'member.profile': PROFILE, 'points.summary': SUMMARY, 'member.channels': CHANNELS,
        'member.memberCode': () => (++tries < 3 ? { error: 'UNAVAILABLE' } : { data: { token: 'MC1.m_000001.1795000000.tag', issuedAt: new Date().toISOString(), expiresAt: new Date(Date.now() + 60_000).toISOString() } }),
      })
      // every member code answer takes 6 s
      const answer = registry.handle
      registry.handle = async (fn, event) => {
        if (event.action === 'memberCode') await new Promise((done) => setTimeout(done, 6_000))
        return answer(fn, event)
      }
      render(<MemberPage />)
      for (let second = 0; second < 60; second++) await jest.advanceTimersByTimeAsync(1_000)
      expect(screen.getByAltText('会员二维码')).toBeTruthy()
      expect(callsOf('member', 'memberCode')).toHaveLength(3)
    } finally {
      jest.useRealTimers()
    }
  })

  it('does not keep asking for a member code the server refused', async () => {
    jest.useFakeTimers()
    try {
      mockApi({ 'member.login': JOINED, 'member.profile': PROFILE, 'points.summary': SUMMARY, 'member.channels': CHANNELS, 'member.memberCode': { error: 'NOT_BOUND' } })
      render(<MemberPage />)
      await waitFor(() => expect(screen.getByText(/会员码暂时无法显示/)).toBeTruthy())
      await jest.advanceTimersByTimeAsync(30_000)
      expect(callsOf('member', 'memberCode')).toHaveLength(1)
    } finally {
      jest.useRealTimers()
    }
  })

  it('stops refreshing the member code while the page is hidden, and gets a fresh one on coming back', async () => {
    jest.useFakeTimers()
    try {
      await renderWithMinuteCodes()
      act(() => pageLifecycle.hide())
      await jest.advanceTimersByTimeAsync(180_000)
      expect(callsOf('member', 'memberCode')).toHaveLength(1)
      act(() => pageLifecycle.show())
      await waitFor(() => expect(callsOf('member', 'memberCode')).toHaveLength(2))
    } finally {
      jest.useRealTimers()
    }
  })

  it('weapp: the enlarged barcode fits the window, with the screen bright and kept on until it closes', async () => {
    process.env.TARO_ENV = 'weapp'
    mockApi({ 'member.login': JOINED, 'member.profile': PROFILE, 'points.summary': SUMMARY, 'member.channels': CHANNELS, 'member.memberCode': CODE })
    render(<MemberPage />)
    fireEvent.click((await screen.findByAltText('会员条形码')).parentElement!)
    const large = await screen.findByAltText('放大的会员条形码')
    // 812 px high: up to the longest, 640 px, at whole device pixels (2 per px here) per module
    const modules = barcodeImage(BARCODE).modules
    const crisp = (width: string, most: number) => {
      const px = parseFloat(width)
      expect(px).toBeLessThanOrEqual(most)
      expect(px).toBeGreaterThan(most - modules / 2)
      expect(Number.isInteger((px * 2) / modules)).toBe(true)
    }
    crisp(large.style.width, 640)
    crisp(screen.getByAltText('会员条形码').style.width, (375 * 622) / 750)
    await waitFor(() => expect(Taro.setScreenBrightness).toHaveBeenCalledWith({ value: 1 }))
    expect(Taro.setKeepScreenOn).toHaveBeenCalledWith({ keepScreenOn: true })
    fireEvent.click(screen.getByText('点击任意处关闭'))
    await waitFor(() => expect(Taro.setScreenBrightness).toHaveBeenLastCalledWith({ value: 0.4 }))
    expect(Taro.setKeepScreenOn).toHaveBeenLastCalledWith({ keepScreenOn: false })
    // an iPhone SE in WeChat: 554 px between the title bar and the tab bar
    const short = jest.spyOn(Taro, 'getWindowInfo').mockReturnValue({ windowWidth: 375, windowHeight: 554 } as ReturnType<typeof Taro.getWindowInfo>)
    try {
      fireEvent.click(screen.getByAltText('会员条形码').parentElement!)
      crisp((await screen.findByAltText('放大的会员条形码')).style.width, 474)
    } finally {
      short.mockRestore()
    }
  })

  it('draws the 54 digits on the card only at whole device pixels and 0.5 px a bar at least: at a pixel ratio of 1 it offers the enlarged code', async () => {
    mockApi({ 'member.login': JOINED, 'member.profile': PROFILE, 'points.summary': SUMMARY, 'member.channels': CHANNELS, 'member.memberCode': CODE })
    const modules = barcodeImage(BARCODE).modules
    // a 320 px phone: 265 px inside the card, less than the 352 modules at one device pixel each
    const lowDensity = jest.spyOn(Taro, 'getWindowInfo').mockReturnValue({ windowWidth: 320, windowHeight: 504, pixelRatio: 1 } as ReturnType<typeof Taro.getWindowInfo>)
    try {
      render(<MemberPage />)
      const offer = await screen.findByText('点击显示条形码')
      expect(screen.queryByAltText('会员条形码')).toBeNull()
      expect(screen.getByText(/秒后自动刷新/).textContent).not.toMatch(/点击条形码放大/)
      fireEvent.click(offer)
      // sideways, the window's height: one pixel a module fits
      const large = await screen.findByAltText('放大的会员条形码')
      expect(parseFloat(large.style.width)).toBe(modules)
    } finally {
      lowDensity.mockRestore()
    }
  })

  it('draws the 54 digits on a 320 px card at a pixel ratio of 2, one device pixel a bar', async () => {
    mockApi({ 'member.login': JOINED, 'member.profile': PROFILE, 'points.summary': SUMMARY, 'member.channels': CHANNELS, 'member.memberCode': CODE })
    const small = jest.spyOn(Taro, 'getWindowInfo').mockReturnValue({ windowWidth: 320, windowHeight: 504, pixelRatio: 2 } as ReturnType<typeof Taro.getWindowInfo>)
    try {
      render(<MemberPage />)
      const bar = await screen.findByAltText('会员条形码')
      expect(parseFloat(bar.style.width)).toBe(barcodeImage(BARCODE).modules / 2)
      expect(parseFloat(bar.style.width)).toBeLessThanOrEqual((320 * 622) / 750)
    } finally {
      small.mockRestore()
    }
  })

  // A pixel ratio of 3: one device pixel is 0.33 px, under the 0.5 px a bar needs, so the card draws
  // two device pixels a bar where they fit, and offers the enlarged code where they do not. The
  // token (a member id with no digits form) has 451 modules, the digits 352.
  it.each([
    ['the token', 320, 'the enlarged code offered', null],
    ['the token', 375, 'two device pixels a bar', (451 * 2) / 3],
    ['the 54 digits', 414, 'two device pixels a bar', (352 * 2) / 3],
  ] as const)('at a pixel ratio of 3, %s on a %i px phone: %s', async (which, width, _shown, barPx) => {
    const code = which === 'the token' ? { data: { ...CODE.data, barcode: null } } : CODE
    mockApi({ 'member.login': JOINED, 'member.profile': PROFILE, 'points.summary': SUMMARY, 'member.channels': CHANNELS, 'member.memberCode': code })
    const dense = jest.spyOn(Taro, 'getWindowInfo').mockReturnValue({ windowWidth: width, windowHeight: 640, pixelRatio: 3 } as ReturnType<typeof Taro.getWindowInfo>)
    try {
      render(<MemberPage />)
      if (barPx === null) {
        expect(await screen.findByText('点击显示条形码')).toBeTruthy()
        expect(screen.queryByAltText('会员条形码')).toBeNull()
      } else {
        const bar = await screen.findByAltText('会员条形码')
        expect(parseFloat(bar.style.width)).toBeCloseTo(barPx, 6)
        // inside the card: the page and the card pad 32 of 750 design units a side each
        expect(parseFloat(bar.style.width)).toBeLessThanOrEqual((width * 622) / 750)
      }
    } finally {
      dense.mockRestore()
    }
  })

  it('routes the code the app was opened with to the landing page', async () => {
    setPendingEntry({ scene: 'g=G001' })
    mockApi({ 'member.login': VISITOR })
    render(<MemberPage />)
    expect(Taro.navigateTo).toHaveBeenCalledWith({ url: '/packages/join/landing/index?scene=g%3DG001' })
  })
})

/** The member page with codes signed by a server whose clock is `skewMs` behind the phone's (negative: ahead). */
async function renderWithServerSkew(skewMs: number) {
  let n = 0
  mockApi({
    'member.login': JOINED, 'member.profile': PROFILE, 'points.summary': SUMMARY, 'member.channels': CHANNELS,
    'member.memberCode': () => {
      const serverNowS = Math.floor((Date.now() - skewMs) / 1000)
      return { data: { token: `MC1.m_000001.${serverNowS + 60}.tag${n++}`, barcode: null, issuedAt: new Date(serverNowS * 1000).toISOString(), expiresAt: new Date((serverNowS + 60) * 1000).toISOString() } }
    },
  })
  render(<MemberPage />)
  await waitFor(() => expect(callsOf('member', 'memberCode')).toHaveLength(1))
}

/** The server signs `expiresAt` with its own clock; a phone's clock may be off by minutes (set by hand). */
describe('转发 from the ··· menu', () => {
  /** What the page answers WeChat when the member forwards it. */
  const shared = () => (useShareAppMessage.mock.calls.at(-1)?.[0] as (() => { title: string; path: string; imageUrl: string }) | undefined)?.()

  it.each([
    ['会员', MemberPage, 'member'],
    ['积分', PointsPage, 'points'],
    ['我的', MinePage, 'mine'],
  ] as const)('%s: a friend gets the home page under the brand\'s picture, with nothing of the sharer (no id, no code, no screenshot of the card)', async (_tab, Page, folder) => {
    // WeChat asks the page only when its config turns 转发 on (Taro keeps the setting in the page's script)
    expect(readFileSync(join(__dirname, `../../../src/pages/${folder}/index.config.ts`), 'utf8')).toMatch(/enableShareAppMessage: true/)
    mockApi({ 'member.login': JOINED, 'member.profile': PROFILE, 'points.summary': SUMMARY, 'points.history': { data: { items: [], nextCursor: null } }, 'member.channels': CHANNELS, 'member.memberCode': CODE })
    render(<Page />)
    await waitFor(() => expect(callsOf('member', 'login').length).toBeGreaterThan(0))
    const share = shared()
    expect(share).toEqual({ title: '会员中心｜积分、等级一卡通用', path: '/pages/member/index', imageUrl: '/assets/share/invite.jpg' })
    // a package file (config/index.ts copies it as it is): without a picture WeChat shares a screenshot of the page
    expect(existsSync(join(__dirname, '../../../src', share!.imageUrl))).toBe(true)
  })
})

describe('member code refresh whatever the phone\'s clock says', () => {
  it('keeps renewing the member code about once a minute when the phone\'s clock runs two minutes ahead of the server\'s', async () => {
    jest.useFakeTimers()
    try {
      await renderWithServerSkew(120_000)
      for (let second = 0; second < 180; second++) await jest.advanceTimersByTimeAsync(1_000)
      // each code lives 60 s on the server: over three minutes the till needs three or four of them
      expect(callsOf('member', 'memberCode').length).toBeGreaterThanOrEqual(3)
      expect(callsOf('member', 'memberCode').length).toBeLessThanOrEqual(6)
    } finally {
      jest.useRealTimers()
    }
  })

  it('renews the member code before the server\'s expiry when the phone\'s clock runs two minutes behind', async () => {
    jest.useFakeTimers()
    try {
      await renderWithServerSkew(-120_000)
      for (let second = 0; second < 58; second++) await jest.advanceTimersByTimeAsync(1_000)
      // the first code lapses at the till 60 s after it was issued: a new one is on screen before then
      expect(callsOf('member', 'memberCode').length).toBeGreaterThanOrEqual(2)
    } finally {
      jest.useRealTimers()
    }
  })

  it('counts down the code\'s real life (60 s), not the gap between the phone\'s clock and the server\'s expiry', async () => {
    jest.useFakeTimers()
    try {
      await renderWithServerSkew(-120_000)
      expect(await screen.findByText(/动态码 · \d+ 秒后自动刷新/)).toBeTruthy()
      expect(screen.getByText(/动态码 · \d+ 秒后自动刷新/).textContent).toMatch(/· (60|59) 秒/)
    } finally {
      jest.useRealTimers()
    }
  })
})

describe('会员 home 积分明细 tapped twice quickly', () => {
  it('switches to the points tab once, and again once the home is shown again', async () => {
    mockApi({ 'member.login': JOINED, 'member.profile': PROFILE, 'points.summary': SUMMARY, 'member.channels': CHANNELS, 'member.memberCode': CODE })
    render(<MemberPage />)
    const tap = await screen.findByText('积分明细')
    fireEvent.click(tap)
    fireEvent.click(tap)
    await waitFor(() => expect(Taro.switchTab).toHaveBeenCalledWith({ url: '/pages/points/index' }))
    await Promise.resolve()
    expect(Taro.switchTab).toHaveBeenCalledTimes(1)
    // back on the 会员 tab (a tab page stays alive): the button opens the tab again
    act(() => pageLifecycle.hide())
    act(() => pageLifecycle.show())
    fireEvent.click(screen.getByText('积分明细'))
    await waitFor(() => expect(Taro.switchTab).toHaveBeenCalledTimes(2))
  })
})
