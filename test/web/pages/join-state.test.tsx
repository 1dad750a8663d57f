import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react'
import Taro from '@tarojs/taro'
import MinePage from '../../../src/pages/mine/index'
import OrderPage from '../../../src/packages/join/order/index'
import JoinPage from '../../../src/packages/join/index'
import DevIdentitySwitcher from '../../../src/components/DevIdentitySwitcher.h5'
import { getAttribution, getNextStep, setAttribution, setNextStep } from '../../../src/launch/intent'
import { registry } from '../stubs/transport'
import { JOINED, VISITOR, callsOf, mockApi, resetAll } from '../support/api'

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { router } = require('@tarojs/taro')

const PROFILE = { data: { memberId: 'm_1', nickname: '小王', birthday: null, phoneMasked: '139****1234' } }

beforeEach(resetAll)

/** What a join kept on the phone: where the consumer came from, and a product code to redeem after joining. */
function keepIntent() {
  setAttribution({ scene: 'g=G001', kind: 'guide', label: '导购 小林 · 南京西路店' })
  setNextStep({ kind: 'redeem', q: 'https://brand.example/c/ABCD1234ABCD1234ABCD12' })
}

/** A visitor who agreed already, on the join page, binds their phone (`also`: more answers to stand in). */
async function bindOnJoinPage(also: Parameters<typeof mockApi>[0] = {}) {
  mockApi({
    'member.login': { data: { ...VISITOR.data, consented: true } },
    'member.bindPhone': { data: { memberId: 'm_9', phoneMasked: '138****8000', merged: false } },
    'member.channels': { data: { wechat: true, phone: true, tmall: false, offline: false, jd: false } },
    ...also,
  })
  render(<JoinPage />)
  fireEvent.change(await screen.findByPlaceholderText('请输入 11 位手机号'), { target: { value: '13800008000' } })
  fireEvent.click(screen.getByText('验证并绑定'))
}

const REDEEM = { kind: 'redeem' as const, q: 'https://brand.example/c/ABCD1234ABCD1234ABCD12' }

function deferred<T>() {
  let resolve!: (value: T) => void
  let reject!: (reason: unknown) => void
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}

/** As bindOnJoinPage, with member.channels answering only once the answer given back is released. */
async function bindWithSlowChannels() {
  const channels = deferred<void>()
  const handle = registry.handle
  registry.handle = async (fn, event) => {
    if (fn === 'member' && event.action === 'channels') await channels.promise
    return handle(fn, event)
  }
  await bindOnJoinPage()
  return channels
}

/** The page stack after the navigation calls made so far, in the order they were made. */
function stackAfter(start: string[]): string[] {
  const ops = [
    ...(Taro.navigateTo as jest.Mock).mock.calls.map((c, i) => ({ at: (Taro.navigateTo as jest.Mock).mock.invocationCallOrder[i]!, kind: 'push', url: c[0].url as string })),
    ...(Taro.redirectTo as jest.Mock).mock.calls.map((c, i) => ({ at: (Taro.redirectTo as jest.Mock).mock.invocationCallOrder[i]!, kind: 'redirect', url: c[0].url as string })),
    ...(Taro.switchTab as jest.Mock).mock.calls.map((c, i) => ({ at: (Taro.switchTab as jest.Mock).mock.invocationCallOrder[i]!, kind: 'tab', url: c[0].url as string })),
  ].sort((a, b) => a.at - b.at)
  let stack = [...start]
  for (const op of ops) {
    const page = op.url.split('?')[0]!
    if (op.kind === 'push') stack.push(page)
    else if (op.kind === 'redirect') stack[stack.length - 1] = page
    else stack = [page]
  }
  return stack
}

describe('what the phone keeps for a join', () => {
  it('erasing my data also forgets the scene and the pending scan kept on the phone for a join', async () => {
    keepIntent()
    mockApi({ 'member.login': JOINED, 'member.profile': PROFILE, 'points.summary': { data: { available: 0 } }, 'member.delete': { data: { deleted: true } } })
    render(<MinePage />)
    fireEvent.click(await screen.findByText('删除我的数据'))
    await waitFor(() => expect(callsOf('member', 'delete')).toHaveLength(1))
    await waitFor(() => expect(Taro.showToast).toHaveBeenCalledWith(expect.objectContaining({ title: '已删除' })))
    // the guide's name and store, and a code scanned before joining, are the erased member's:
    // kept, they are sent as the first touch (a recruit) and redeemed for whoever binds next on this phone
    expect(getAttribution()).toBeUndefined()
    expect(getNextStep()).toBeUndefined()
  })

  it('binding again after erasing my data sends no join for the erased member\'s scene', async () => {
    keepIntent()
    mockApi({ 'member.login': JOINED, 'member.profile': PROFILE, 'points.summary': { data: { available: 0 } }, 'member.delete': { data: { deleted: true } } })
    render(<MinePage />)
    fireEvent.click(await screen.findByText('删除我的数据'))
    await waitFor(() => expect(Taro.showToast).toHaveBeenCalledWith(expect.objectContaining({ title: '已删除' })))
    cleanup()
    // the same WeChat user joins again later, from 我的's invitation (no code scanned)
    await bindOnJoinPage({ 'scenes.join': { data: { attributed: true } } })
    expect(await screen.findByText('欢迎加入会员')).toBeTruthy()
    // the new member would be recorded as guide G001's recruit, and the welcome names 小林
    expect(callsOf('scenes', 'join')).toHaveLength(0)
    expect(screen.queryByText(/小林/)).toBeNull()
  })

  it('H5: switching the dev identity does not hand the previous identity\'s pending join to the next one', () => {
    keepIntent()
    window.localStorage.setItem('mc.devOpenid', 'dev_tester_a')
    render(<DevIdentitySwitcher />)
    fireEvent.click(screen.getByText('测试用户 B'))
    expect(Taro.reLaunch).toHaveBeenCalled()
    expect(getAttribution()).toBeUndefined()
    expect(getNextStep()).toBeUndefined()
  })
})

describe('navigation around the join', () => {
  it('joining from the order page and coming back does not leave the order page on the stack twice', async () => {
    // a package card's code that opens the order page directly, for a consumer who is not a member yet
    router.params = { campaign: 'C11', platform: 'jd', bonus: '100' }
    mockApi({ 'member.login': VISITOR })
    render(<OrderPage />)
    fireEvent.click(await screen.findByText('立即入会'))
    await waitFor(() => expect(getNextStep()).toEqual({ kind: 'order', campaignId: 'C11', platform: 'jd', bonus: 100 }))
    cleanup()

    router.params = {}
    await bindOnJoinPage()
    fireEvent.click(await screen.findByText('绑定包裹订单领积分'))
    await waitFor(() => expect(Taro.redirectTo).toHaveBeenCalled())
    // one back from the order page must not land on another order page (the visitor's, asking to join)
    const stack = stackAfter(['/packages/join/order/index'])
    expect(stack.filter((page) => page === '/packages/join/order/index')).toHaveLength(1)
  })

  it('a second tap on the welcome\'s 继续领取扫码积分, while the scan page is still opening, does not send the consumer home instead', async () => {
    setNextStep({ kind: 'redeem', q: 'https://brand.example/c/ABCD1234ABCD1234ABCD12' })
    // the scan subpackage downloading on a weak signal: the redirect is not answered yet
    ;(Taro.redirectTo as jest.Mock).mockImplementationOnce(() => new Promise(() => {}))
    await bindOnJoinPage()
    const next = await screen.findByText('继续领取扫码积分')
    fireEvent.click(next)
    fireEvent.click(next)
    expect(Taro.redirectTo).toHaveBeenCalledTimes(1)
    // switchTab closes every page but the tab: the scan page opening is closed, and the code kept for it was cleared
    expect(Taro.switchTab).not.toHaveBeenCalled()
  })

  it('a scan page that could not open (offline) leaves the step for another tap, which opens it', async () => {
    setNextStep({ kind: 'redeem', q: 'https://brand.example/c/ABCD1234ABCD1234ABCD12' })
    ;(Taro.redirectTo as jest.Mock).mockImplementationOnce(() => Promise.reject(new Error('subpackage download failed')))
    await bindOnJoinPage()
    fireEvent.click(await screen.findByText('继续领取扫码积分'))
    await waitFor(() => expect(Taro.showToast).toHaveBeenCalledWith(expect.objectContaining({ icon: 'none' })))
    await waitFor(() => expect(getNextStep()).toMatchObject({ kind: 'redeem' }))
    fireEvent.click(screen.getByText('继续领取扫码积分'))
    await waitFor(() => expect(Taro.redirectTo).toHaveBeenCalledTimes(2))
    expect((Taro.redirectTo as jest.Mock).mock.calls[1]![0].url).toMatch(/^\/packages\/scan\/index\?q=/)
    expect(Taro.switchTab).not.toHaveBeenCalled()
  })
})

describe('the welcome\'s next step around a navigation that fails', () => {
  it('after the scan page could not open, the button still says where it goes (the channels answered meanwhile)', async () => {
    setNextStep(REDEEM)
    const navigation = deferred<unknown>()
    ;(Taro.redirectTo as jest.Mock).mockImplementationOnce(() => navigation.promise)
    const channels = await bindWithSlowChannels()
    // a weak signal: the consumer taps before member.channels has answered
    fireEvent.click(await screen.findByText('继续领取扫码积分'))
    await act(async () => channels.resolve())
    await act(async () => navigation.reject(new Error('subpackage download failed')))
    await waitFor(() => expect(getNextStep()).toEqual(REDEEM))
    // the step is kept and the next tap opens the scan page: the button must not say 查看我的会员卡
    expect(screen.queryByText('查看我的会员卡')).toBeNull()
    expect(screen.getByText('继续领取扫码积分')).toBeTruthy()
  })

  it('a step the opened page kept while it opened is left for the next join, not taken as the one done', async () => {
    setNextStep(REDEEM)
    const navigation = deferred<unknown>()
    ;(Taro.redirectTo as jest.Mock).mockImplementationOnce(() => navigation.promise)
    const channels = await bindWithSlowChannels()
    await act(async () => channels.resolve())
    fireEvent.click(await screen.findByText('继续领取扫码积分'))
    // while it opened, a page kept another step (another code to redeem after a join)
    const newer = { kind: 'redeem' as const, code: 'WXYZ5678WXYZ5678WXYZ56' }
    setNextStep(newer)
    await act(async () => navigation.resolve({ errMsg: 'redirectTo:ok' }))
    await new Promise((resolve) => setTimeout(resolve, 0))
    expect(getNextStep()).toEqual(newer)
  })

  it('a navigation that fails after the consumer left does not put its step over one kept since', async () => {
    setNextStep(REDEEM)
    const navigation = deferred<unknown>()
    ;(Taro.redirectTo as jest.Mock).mockImplementationOnce(() => navigation.promise)
    const channels = await bindWithSlowChannels()
    await act(async () => channels.resolve())
    fireEvent.click(await screen.findByText('继续领取扫码积分'))
    // meanwhile the consumer went back and a package card's landing kept its order
    cleanup()
    const newer = { kind: 'order' as const, campaignId: 'C12', platform: 'jd', bonus: 50 }
    setNextStep(newer)
    await act(async () => navigation.reject(new Error('subpackage download failed')))
    await new Promise((resolve) => setTimeout(resolve, 0))
    expect(getNextStep()).toEqual(newer)
  })
})
