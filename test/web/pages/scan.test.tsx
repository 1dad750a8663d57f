import { forgetLastPush } from '../../../src/lib/routes'
import { fireEvent, render, screen, waitFor } from '@testing-library/react'
import Taro from '@tarojs/taro'
import ScanPage from '../../../src/packages/scan/index'
import { getNextStep } from '../../../src/launch/intent'
import { callsOf, mockApi, resetAll } from '../support/api'
import { expectOpensOnce } from '../support/taps'

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { router } = require('@tarojs/taro')
const URL = 'https://brand.example/c/ABCD1234EFGH'

beforeEach(resetAll)

function openWith(params: Record<string, string>) {
  router.params = params
  render(<ScanPage />)
}

describe('scan', () => {
  it('H5: redeems a pasted URL and shows the points and the new balance', async () => {
    mockApi({ 'codes.redeem': { data: { sku: 'SKU1', name: '玫瑰精华水', points: 50, available: 1330, redeemedAt: new Date().toISOString(), repeated: false } } })
    render(<ScanPage />)
    expect(screen.getByText(/浏览器中无法使用相机/)).toBeTruthy()
    fireEvent.change(screen.getByPlaceholderText('例如 https://…/c/XXXX'), { target: { value: URL } })
    fireEvent.click(screen.getByText('领取积分'))
    expect(await screen.findByText('积分已到账 +50')).toBeTruthy()
    expect(screen.getByText('玫瑰精华水 正品验证通过')).toBeTruthy()
    expect(screen.getByText('当前可用积分 1,330')).toBeTruthy()
    expect(callsOf('codes', 'redeem')[0]?.event).toEqual({ action: 'redeem', q: URL, requestId: expect.stringMatching(/^[a-z0-9]{8,64}$/) })
    // 继续扫码 starts from an empty box: one tap must not send the same code again
    fireEvent.click(screen.getByText('继续扫码'))
    expect((screen.getByPlaceholderText('例如 https://…/c/XXXX') as HTMLTextAreaElement).value).toBe('')
  })

  it('says where the points went when the member still owes: 可用 0 after +50 is no loss', async () => {
    mockApi({ 'codes.redeem': { data: { sku: 'SKU1', name: '玫瑰精华水', points: 50, available: -430, redeemedAt: new Date().toISOString(), repeated: false } } })
    render(<ScanPage />)
    fireEvent.change(screen.getByPlaceholderText('例如 https://…/c/XXXX'), { target: { value: URL } })
    fireEvent.click(screen.getByText('领取积分'))
    expect(await screen.findByText('+50 积分已抵扣欠分')).toBeTruthy()
    expect(screen.getByText('当前可用积分 0')).toBeTruthy()
    expect(screen.getByText('还有 430 积分待抵扣，将从之后获得的积分中扣除')).toBeTruthy()
  })

  it('says how much of a scan repaid what the member owed when part of it did', async () => {
    mockApi({ 'codes.redeem': { data: { sku: 'SKU1', name: '玫瑰精华水', points: 50, available: 20, redeemedAt: new Date().toISOString(), repeated: false } } })
    render(<ScanPage />)
    fireEvent.change(screen.getByPlaceholderText('例如 https://…/c/XXXX'), { target: { value: URL } })
    fireEvent.click(screen.getByText('领取积分'))
    expect(await screen.findByText('积分已到账 +50')).toBeTruthy()
    expect(screen.getByText('其中 30 积分已抵扣欠分')).toBeTruthy()
    expect(screen.getByText('当前可用积分 20')).toBeTruthy()
  })

  it('keeps a refused code in the box, to be corrected', async () => {
    mockApi({ 'codes.redeem': { error: 'CODE_INVALID' } })
    render(<ScanPage />)
    fireEvent.change(screen.getByPlaceholderText('例如 https://…/c/XXXX'), { target: { value: URL } })
    fireEvent.click(screen.getByText('领取积分'))
    fireEvent.click(await screen.findByText('重新扫码'))
    expect((screen.getByPlaceholderText('例如 https://…/c/XXXX') as HTMLTextAreaElement).value).toBe(URL)
  })

  it('tells a member who scanned this code before that its points were theirs already, and when, however recently', async () => {
    const twoMinutesAgo = new Date(Date.now() - 120_000)
    mockApi({ 'codes.redeem': { data: { sku: 'SKU1', name: '玫瑰精华水', points: 50, available: 1330, redeemedAt: twoMinutesAgo.toISOString(), repeated: true } } })
    openWith({ q: URL })
    expect(await screen.findByText('这个码的积分您已领取过')).toBeTruthy()
    expect(screen.getByText(/^已于 .* 领取 \+50 积分$/)).toBeTruthy()
    expect(screen.queryByText(/积分已到账/)).toBeNull()
  })

  it('repeats the same attempt on 重试, and a new one on the next scan', async () => {
    let tries = 0
    mockApi({
      'codes.redeem': () => (++tries === 1 ? { error: 'UNAVAILABLE' } : { data: { sku: 'SKU1', name: '玫瑰精华水', points: 50, available: 1330, redeemedAt: new Date().toISOString(), repeated: false } }),
    })
    render(<ScanPage />)
    fireEvent.change(screen.getByPlaceholderText('例如 https://…/c/XXXX'), { target: { value: URL } })
    fireEvent.click(screen.getByText('领取积分'))
    fireEvent.click(await screen.findByText('重试'))
    expect(await screen.findByText('积分已到账 +50')).toBeTruthy()
    fireEvent.click(screen.getByText('继续扫码'))
    fireEvent.change(screen.getByPlaceholderText('例如 https://…/c/XXXX'), { target: { value: URL } })
    fireEvent.click(screen.getByText('领取积分'))
    await waitFor(() => expect(callsOf('codes', 'redeem')).toHaveLength(3))
    const [first, retry, again] = callsOf('codes', 'redeem').map((c) => c.event.requestId)
    expect(retry).toBe(first)
    expect(again).not.toBe(first)
  })

  it('sends the same attempt again when a code whose answer was lost is sent again after 返回, so its points show as credited now', async () => {
    let tries = 0
    mockApi({
      'codes.redeem': (e) =>
        ++tries === 1
          ? { error: 'UNAVAILABLE' }
          : { data: { sku: 'SKU1', name: '玫瑰精华水', points: 50, available: 1330, redeemedAt: new Date().toISOString(), repeated: e.requestId !== callsOf('codes', 'redeem')[0]!.event.requestId } },
    })
    render(<ScanPage />)
    fireEvent.change(screen.getByPlaceholderText('例如 https://…/c/XXXX'), { target: { value: URL } })
    fireEvent.click(screen.getByText('领取积分'))
    expect(await screen.findByText('未能确认\u200b积分\u200b是否到账')).toBeTruthy()
    fireEvent.click(screen.getByText('返回'))
    // the code stays in the box; sent again, it is the same attempt, not a repeat of someone's scan
    fireEvent.click(screen.getByText('领取积分'))
    expect(await screen.findByText('积分已到账 +50')).toBeTruthy()
    expect(screen.queryByText('这个码的积分您已领取过')).toBeNull()
    const [first, again] = callsOf('codes', 'redeem').map((c) => c.event.requestId)
    expect(again).toBe(first)
  })

  it('takes a code whose answer was lost, sent again bare after its link (or the other way round), for the same attempt', async () => {
    const code = 'ABCD1234EFGH5678JKMN90'
    mockApi({ 'codes.redeem': { error: 'UNAVAILABLE' } })
    render(<ScanPage />)
    const box = screen.getByPlaceholderText('例如 https://…/c/XXXX')
    fireEvent.change(box, { target: { value: `https://brand.example/c/${code}` } })
    fireEvent.click(screen.getByText('领取积分'))
    expect(await screen.findByText('未能确认\u200b积分\u200b是否到账')).toBeTruthy()
    fireEvent.click(screen.getByText('返回'))
    fireEvent.change(screen.getByPlaceholderText('例如 https://…/c/XXXX'), { target: { value: code } })
    fireEvent.click(screen.getByText('领取积分'))
    await waitFor(() => expect(callsOf('codes', 'redeem')).toHaveLength(2))
    const [first, again] = callsOf('codes', 'redeem').map((c) => c.event)
    expect(again).toMatchObject({ code, requestId: first!.requestId })
  })

  it('sends another code after a failed one as a new attempt, not as a repeat of the failed one', async () => {
    const OTHER = 'https://brand.example/c/WXYZ5678MNPQ'
    let tries = 0
    mockApi({
      'codes.redeem': () =>
        ++tries === 1 ? { error: 'UNAVAILABLE' } : { data: { sku: 'SKU1', name: '玫瑰精华水', points: 50, available: 1330, redeemedAt: new Date().toISOString(), repeated: false } },
    })
    render(<ScanPage />)
    const box = screen.getByPlaceholderText('例如 https://…/c/XXXX')
    fireEvent.change(box, { target: { value: URL } })
    fireEvent.click(screen.getByText('领取积分'))
    expect(await screen.findByText('未能确认\u200b积分\u200b是否到账')).toBeTruthy()
    fireEvent.click(screen.getByText('返回'))
    // another link pasted in its place: its credit is its own attempt's
    fireEvent.change(screen.getByPlaceholderText('例如 https://…/c/XXXX'), { target: { value: OTHER } })
    fireEvent.click(screen.getByText('领取积分'))
    expect(await screen.findByText('积分已到账 +50')).toBeTruthy()
    const [first, other] = callsOf('codes', 'redeem').map((c) => c.event)
    expect(other).toMatchObject({ q: OTHER })
    expect(other!.requestId).not.toBe(first!.requestId)
  })

  it('says of a redemption whose answer was lost that it is not known yet, not that it failed, and that 重试 credits no code twice', async () => {
    mockApi({ 'codes.redeem': { error: 'UNAVAILABLE' } })
    openWith({ q: URL })
    expect(await screen.findByText('未能确认\u200b积分\u200b是否到账')).toBeTruthy()
    expect(screen.getByText('请点「重试」确认，同一个码的积分\u200b不会重复发放。')).toBeTruthy()
    expect(screen.queryByText(/无法领取|失败/)).toBeNull()
    expect(screen.getByText('重试')).toBeTruthy()
  })

  it('redeems at once when opened with ?q=', async () => {
    mockApi({ 'codes.redeem': { pending: true } })
    openWith({ q: encodeURIComponent(URL) })
    expect(await screen.findByText('正在验证并领取积分…')).toBeTruthy()
    expect(callsOf('codes', 'redeem')[0]?.event).toEqual({ action: 'redeem', q: URL, requestId: expect.stringMatching(/^[a-z0-9]{8,64}$/) })
  })

  it('says when an already used code was used', async () => {
    mockApi({ 'codes.redeem': { error: 'CODE_ALREADY_REDEEMED', details: { details: { redeemedAt: '2026-11-20T06:30:00.000Z' } } } })
    openWith({ q: URL })
    expect(await screen.findByText('该码已被使用')).toBeTruthy()
    expect(screen.getByText('此码已于 2026年11月20日 14:30 被扫描领取积分。')).toBeTruthy()
  })

  it('tells a visitor a used code is used, without inviting them to join for it', async () => {
    mockApi({ 'codes.redeem': { error: 'NOT_BOUND', details: { details: { redeemedAt: '2026-11-20T06:30:00.000Z' } } } })
    openWith({ q: URL })
    expect(await screen.findByText('该码已被使用')).toBeTruthy()
    expect(screen.getByText('此码已于 2026年11月20日 14:30 被扫描领取积分。')).toBeTruthy()
    expect(screen.queryByText('立即入会领积分')).toBeNull()
  })

  it.each([
    ['CODE_INVALID', '无法识别该码'],
    ['CODE_EXPIRED', '该码已过期'],
    ['RATE_LIMITED', '操作太频繁了'],
    ['UNAVAILABLE', '未能确认\u200b积分\u200b是否到账'],
    ['INTERNAL', '暂时无法\u200b领取积分'],
  ])('shows %s as 「%s」', async (code, title) => {
    mockApi({ 'codes.redeem': { error: code } })
    openWith({ code: 'ABCD1234' })
    expect(await screen.findByText(title)).toBeTruthy()
    // Chinese only: the error code is the page's, never shown to the consumer
    expect(screen.queryByText(new RegExp(code))).toBeNull()
  })

  it('says a code of a withdrawn batch is stopped, not that the goods are fake', async () => {
    mockApi({ 'codes.redeem': { error: 'CODE_INVALID', details: { details: { reason: 'withdrawn' } } } })
    openWith({ code: 'ABCD1234' })
    expect(await screen.findByText('该码已停用')).toBeTruthy()
    expect(screen.getByText(/扫码积分活动已停止/)).toBeTruthy()
    expect(screen.queryByText(/防伪码/)).toBeNull()
  })

  it('tells a visitor the product is genuine and what joining brings, as the home page\'s 先扫码验真 promises', async () => {
    mockApi({ 'codes.redeem': { error: 'NOT_BOUND', details: { details: { name: '玫瑰精华水 100ml', points: 50 } } } })
    openWith({ q: URL })
    expect(await screen.findByText('加入会员即可领取积分')).toBeTruthy()
    expect(screen.getByText('玫瑰精华水 100ml 正品验证通过')).toBeTruthy()
    expect(screen.getByText(/入会只需同意隐私条款并绑定手机号，完成后即可领取这件商品的 50 积分/)).toBeTruthy()
  })

  it('sends a visitor to join, remembering the code to redeem after', async () => {
    mockApi({ 'codes.redeem': { error: 'NOT_BOUND' } })
    openWith({ q: URL })
    fireEvent.click(await screen.findByText('立即入会领积分'))
    expect(getNextStep()).toEqual({ kind: 'redeem', q: URL })
    expect(Taro.redirectTo).toHaveBeenCalledWith({ url: '/packages/join/index' })
  })

  it('weapp: scans with the camera; a guide link goes to the landing page', async () => {
    process.env.TARO_ENV = 'weapp'
    ;(Taro.scanCode as jest.Mock).mockResolvedValueOnce({ result: 'https://brand.example/g/G001' })
    mockApi({})
    render(<ScanPage />)
    fireEvent.click(screen.getByText('扫一扫'))
    await waitFor(() => expect(Taro.navigateTo).toHaveBeenCalledWith({ url: '/packages/join/landing/index?q=https%3A%2F%2Fbrand.example%2Fg%2FG001' }))
    expect(callsOf('codes', 'redeem')).toHaveLength(0)
  })

  it('weapp: a scanner that cannot open (no camera permission) says so; a cancelled scan says nothing', async () => {
    process.env.TARO_ENV = 'weapp'
    ;(Taro.scanCode as jest.Mock)
      .mockRejectedValueOnce({ errMsg: 'scanCode:fail cancel' })
      .mockRejectedValueOnce({ errMsg: 'scanCode:fail auth deny' })
    mockApi({})
    render(<ScanPage />)
    fireEvent.click(screen.getByText('扫一扫'))
    await waitFor(() => expect(Taro.scanCode).toHaveBeenCalledTimes(1))
    await Promise.resolve()
    expect(screen.queryByText(/相机/)).toBeNull()
    fireEvent.click(screen.getByText('扫一扫'))
    expect(await screen.findByText('未能完成扫码，请重试；如相机无法打开，请在手机设置中允许微信使用相机')).toBeTruthy()
    expect(callsOf('codes', 'redeem')).toHaveLength(0)
  })

  it('weapp: asks the scanner for our round mini-program codes too; a store link or such a code goes to the landing page', async () => {
    process.env.TARO_ENV = 'weapp'
    ;(Taro.scanCode as jest.Mock)
      .mockResolvedValueOnce({ result: 'https://brand.example/s/SH001' })
      .mockResolvedValueOnce({ result: '', path: 'pages/member/index?scene=p%3DP11' })
    mockApi({})
    render(<ScanPage />)
    fireEvent.click(screen.getByText('扫一扫'))
    await waitFor(() => expect(Taro.navigateTo).toHaveBeenCalledWith({ url: '/packages/join/landing/index?q=https%3A%2F%2Fbrand.example%2Fs%2FSH001' }))
    expect((Taro.scanCode as jest.Mock).mock.calls[0][0].scanType).toEqual(expect.arrayContaining(['qrCode', 'barCode', 'wxCode']))
    // back from that page later, the next scan
    forgetLastPush()
    fireEvent.click(screen.getByText('扫一扫'))
    await waitFor(() => expect(Taro.navigateTo).toHaveBeenCalledWith({ url: '/packages/join/landing/index?scene=p%3DP11' }))
    expect(callsOf('codes', 'redeem')).toHaveLength(0)
  })

  it.each([
    ['a shop barcode', '6901234567892'],
    ['plain text', '这不是码'],
    ['another site\'s link', 'https://example.com/pay?id=1'],
  ])('weapp: says so when the scanned code is not ours (%s), without sending it to be redeemed', async (_name, result) => {
    process.env.TARO_ENV = 'weapp'
    ;(Taro.scanCode as jest.Mock).mockResolvedValueOnce({ result })
    mockApi({})
    render(<ScanPage />)
    fireEvent.click(screen.getByText('扫一扫'))
    expect(await screen.findByText('没有识别到本品牌的二维码，请重新扫描')).toBeTruthy()
    expect(callsOf('codes', 'redeem')).toHaveLength(0)
  })
})

describe('scan: every refusal codes.redeem can give has a title and a way on that fit the page', () => {
  // what codes.redeem answers (cloudfunctions/core/codes/redeem.ts, the handler's INVALID_INPUT,
  // UNAUTHENTICATED, CONFLICT and INTERNAL) and the transport's UNAVAILABLE
  const REFUSALS = ['INVALID_INPUT', 'UNAUTHENTICATED', 'RATE_LIMITED', 'CODE_INVALID', 'CODE_EXPIRED', 'NOT_BOUND', 'CODE_ALREADY_REDEEMED', 'CONFLICT', 'INTERNAL', 'UNAVAILABLE']

  it.each(REFUSALS)('%s: a title, and no page to refresh (the scan page has none)', async (code) => {
    mockApi({ 'codes.redeem': { error: code } })
    openWith({ q: URL })
    await waitFor(() => expect(document.querySelector('.scan-result__title')?.textContent).toBeTruthy())
    expect(screen.queryByText(/刷新/)).toBeNull()
    // every outcome leads on: back to scanning, to joining, or the same attempt again
    expect(screen.queryAllByText(/^(重试|返回|继续扫码|重新扫码|立即入会领积分)$/).length).toBeGreaterThan(0)
  })

  it('a scan that met a simultaneous one (CONFLICT) asks for 重试, which sends the same attempt and shows its credit', async () => {
    let tries = 0
    mockApi({
      'codes.redeem': () => (++tries === 1 ? { error: 'CONFLICT' } : { data: { sku: 'SKU1', name: '玫瑰精华水', points: 50, available: 1330, redeemedAt: new Date().toISOString(), repeated: false } }),
    })
    openWith({ q: URL })
    expect(await screen.findByText('暂时无法\u200b领取积分')).toBeTruthy()
    expect(screen.getByText('当前领取人数较多，请稍后再点「重试」，同一个码的积分\u200b不会重复发放。')).toBeTruthy()
    fireEvent.click(screen.getByText('重试'))
    expect(await screen.findByText('积分已到账 +50')).toBeTruthy()
    const [first, retry] = callsOf('codes', 'redeem').map((c) => c.event.requestId)
    expect(retry).toBe(first)
  })

  it('a scan that met a simultaneous one (CONFLICT) offers 返回 besides 重试, back to the empty page', async () => {
    mockApi({ 'codes.redeem': { error: 'CONFLICT' } })
    openWith({ q: URL })
    expect(await screen.findByText('暂时无法\u200b领取积分')).toBeTruthy()
    fireEvent.click(screen.getByText('返回'))
    expect(await screen.findByText('领取积分')).toBeTruthy()
    expect(screen.queryByText('暂时无法\u200b领取积分')).toBeNull()
  })

  it('shows a redemption whose answer was lost, and one that met a simultaneous scan, as a warning (points may be there), not as an error', async () => {
    for (const code of ['UNAVAILABLE', 'CONFLICT']) {
      resetAll()
      mockApi({ 'codes.redeem': { error: code } })
      const { container, unmount } = render(<ScanPage />)
      fireEvent.change(screen.getByPlaceholderText('例如 https://…/c/XXXX'), { target: { value: URL } })
      fireEvent.click(screen.getByText('领取积分'))
      await screen.findByText('重试')
      expect(container.querySelector('.scan-result--warn')).toBeTruthy()
      expect(container.querySelector('.scan-result--error')).toBeNull()
      unmount()
    }
  })

  it('a link refused as input (INVALID_INPUT: not as we print them) is called unrecognised, with no 重试 that would be refused again', async () => {
    mockApi({ 'codes.redeem': { error: 'INVALID_INPUT' } })
    openWith({ q: URL })
    expect(await screen.findByText('无法识别该码')).toBeTruthy()
    expect(screen.queryByText('重试')).toBeNull()
    expect(screen.getByText('重新扫码')).toBeTruthy()
  })
})

describe('scan result buttons tapped twice quickly', () => {
  const CREDITED = { data: { sku: 'SKU1', name: '玫瑰精华水', points: 50, available: 1330, redeemedAt: new Date().toISOString(), repeated: false } }
  it.each([
    ['立即入会领积分 for a visitor', { error: 'NOT_BOUND' }, '立即入会领积分', 'redirectTo'],
    ['查看积分明细 after a credit', CREDITED, '查看积分明细', 'switchTab'],
  ] as const)('%s opens its page once', async (_name, answer, button, navigation) => {
    mockApi({ 'codes.redeem': answer })
    openWith({ q: URL })
    await expectOpensOnce(button, navigation)
  })

  it('a join page that could not open can be tapped for again', async () => {
    mockApi({ 'codes.redeem': { error: 'NOT_BOUND' } })
    ;(Taro.redirectTo as jest.Mock).mockImplementationOnce(() => Promise.reject(new Error('subpackage download failed')))
    openWith({ q: URL })
    fireEvent.click(await screen.findByText('立即入会领积分'))
    await waitFor(() => expect(Taro.showToast).toHaveBeenCalled())
    fireEvent.click(screen.getByText('立即入会领积分'))
    await waitFor(() => expect(Taro.redirectTo).toHaveBeenCalledTimes(2))
    expect((Taro.redirectTo as jest.Mock).mock.calls[1]![0]).toEqual({ url: '/packages/join/index' })
  })
})
