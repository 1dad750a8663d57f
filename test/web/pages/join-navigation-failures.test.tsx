/** The join and landing pages when the next page cannot open (a subpackage on a weak signal), or opens late. */
import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react'
import Taro from '@tarojs/taro'
import JoinPage from '../../../src/packages/join/index'
import LandingPage from '../../../src/packages/join/landing/index'
import { getNextStep, setNextStep } from '../../../src/launch/intent'
import { registry } from '../stubs/transport'
import { JOINED, VISITOR, callsOf, mockApi, resetAll } from '../support/api'

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { router } = require('@tarojs/taro')

beforeEach(resetAll)

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

/** A visitor who agreed already binds their phone; member.channels answers only once `channels` is released. */
async function bindWithSlowChannels() {
  const channels = deferred<void>()
  mockApi({
    'member.login': { data: { ...VISITOR.data, consented: true } },
    'member.bindPhone': { data: { memberId: 'm_9', phoneMasked: '138****8000', merged: false } },
    'member.channels': { data: { wechat: true, phone: true, tmall: false, offline: false, jd: false } },
  })
  const handle = registry.handle
  registry.handle = async (fn, event) => {
    if (fn === 'member' && event.action === 'channels') await channels.promise
    return handle(fn, event)
  }
  render(<JoinPage />)
  fireEvent.change(await screen.findByPlaceholderText('请输入 11 位手机号'), { target: { value: '13800008000' } })
  fireEvent.click(screen.getByText('验证并绑定'))
  return channels
}

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

describe('the landing page\'s 重新加载 after its next page could not open', () => {
  it('opens the order page again without sending the member\'s scene join a second time', async () => {
    const CARD = { data: { kind: 'packageCard', campaignId: 'C11', campaignName: '双11 包裹卡', platform: 'tmall', bonus: 100, ended: false } }
    mockApi({ 'scenes.resolve': CARD, 'member.login': JOINED, 'scenes.join': { data: { attributed: false } } })
    ;(Taro.redirectTo as jest.Mock).mockImplementationOnce(() => Promise.reject(new Error('subpackage download failed')))
    router.params = { scene: 'p=C11' }
    render(<LandingPage />)
    // the code was read: what failed is the page it leads to
    expect(await screen.findByText('页面暂时无法打开')).toBeTruthy()
    fireEvent.click(await screen.findByText('重新加载'))
    await waitFor(() => expect(Taro.redirectTo).toHaveBeenCalledTimes(2))
    expect((Taro.redirectTo as jest.Mock).mock.calls[1]![0].url).toMatch(/^\/packages\/join\/order\/index\?campaign=C11/)
    // the retry is of the navigation: the code was resolved and the join sent once, on a weak signal each a call that can fail again
    expect(callsOf('scenes', 'join')).toHaveLength(1)
    expect(callsOf('scenes', 'resolve')).toHaveLength(1)
  })
})
