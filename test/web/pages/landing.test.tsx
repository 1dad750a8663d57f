import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react'
import Taro from '@tarojs/taro'
import LandingPage from '../../../src/packages/join/landing/index'
import { getAttribution, getNextStep, setAttribution } from '../../../src/launch/intent'
import { JOINED, VISITOR, callsOf, mockApi, resetAll } from '../support/api'
import { expectOpensOnce } from '../support/taps'

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { router } = require('@tarojs/taro')
const GUIDE = { data: { kind: 'guide', guideId: 'G001', guideName: '小林', storeId: 'S01', storeName: '南京西路店' } }
const CARD = { data: { kind: 'packageCard', campaignId: 'C11', campaignName: '双11 包裹卡', platform: 'tmall', bonus: 100, ended: false } }

beforeEach(resetAll)

function open(params: Record<string, string>) {
  router.params = params
  render(<LandingPage />)
}

describe('landing', () => {
  it('a guide code invites a visitor to join and keeps the attribution for after binding', async () => {
    mockApi({ 'scenes.resolve': GUIDE, 'member.login': VISITOR })
    open({ scene: encodeURIComponent('g=G001') })
    expect(await screen.findByText('您的专属导购邀请您加入会员')).toBeTruthy()
    expect(screen.getByText('导购 小林 · 南京西路店')).toBeTruthy()
    expect(callsOf('scenes', 'resolve')[0]?.event).toEqual({ action: 'resolve', scene: 'g=G001' })
    expect(getAttribution()).toEqual({ scene: 'g=G001', kind: 'guide', label: '导购 小林 · 南京西路店' })
    fireEvent.click(screen.getByText('立即入会'))
    expect(Taro.redirectTo).toHaveBeenCalledWith({ url: '/packages/join/index' })
  })

  it('a store code for a member records the visit at once', async () => {
    mockApi({ 'scenes.resolve': { data: { kind: 'store', storeId: 'S01', storeName: '南京西路店' } }, 'member.login': JOINED, 'scenes.join': { data: { attributed: false } } })
    open({ scene: 's=S01' })
    expect(await screen.findByText('您已是会员，欢迎回来')).toBeTruthy()
    // a returning member's scan is not recorded (only the first touch is): nothing says it was
    // read as a reader hears it: the zero-width spaces between its words are only where a line may break
    expect(screen.getByText('到店消费时出示会员码，即可累积积分。', { normalizer: (text) => text.replace(/\u200b/g, '').trim() })).toBeTruthy()
    expect(screen.queryByText(/记录/)).toBeNull()
    expect(callsOf('scenes', 'join')[0]?.event).toEqual({ action: 'join', scene: 's=S01' })
    expect(getAttribution()).toBeUndefined()
  })

  it('a join kept on the phone (no signal when the member bound their phone) is sent before the next code scanned, so it stays the first touch', async () => {
    setAttribution({ scene: 'g=G001', kind: 'guide', label: '导购 小林 · 南京西路店' })
    mockApi({ 'scenes.resolve': { data: { kind: 'store', storeId: 'S02', storeName: '淮海路店' } }, 'member.login': JOINED, 'scenes.join': { data: { attributed: false } } })
    open({ scene: 's=S02' })
    expect(await screen.findByText('您已是会员，欢迎回来')).toBeTruthy()
    expect(callsOf('scenes', 'join').map((call) => call.event)).toEqual([{ action: 'join', scene: 'g=G001' }, { action: 'join', scene: 's=S02' }])
    expect(getAttribution()).toBeUndefined()
  })

  it('a kept join that cannot be sent now either stays kept, in place of the code scanned after it', async () => {
    const kept = { scene: 'g=G001', kind: 'guide' as const, label: '导购 小林 · 南京西路店' }
    setAttribution(kept)
    mockApi({ 'scenes.resolve': { data: { kind: 'store', storeId: 'S02', storeName: '淮海路店' } }, 'member.login': JOINED, 'scenes.join': { error: 'UNAVAILABLE' } })
    open({ scene: 's=S02' })
    expect(await screen.findByText('您已是会员，欢迎回来')).toBeTruthy()
    expect(callsOf('scenes', 'join').map((call) => call.event)).toEqual([{ action: 'join', scene: 'g=G001' }])
    expect(getAttribution()).toEqual(kept)
  })

  it('a guide code resolved while member.login cannot be reached (an in-store crowd, no signal) is kept for the join', async () => {
    mockApi({ 'scenes.resolve': GUIDE, 'member.login': { error: 'UNAVAILABLE' } })
    open({ scene: 'g=G001' })
    expect(await screen.findByText('暂时无法加载')).toBeTruthy()
    expect(getAttribution()).toEqual({ scene: 'g=G001', kind: 'guide', label: '导购 小林 · 南京西路店' })
  })

  it('keeps the order binding for after the join, as it keeps the attribution (a visitor in a crowded store, no signal)', async () => {
    const CARD = { data: { kind: 'packageCard', campaignId: 'C11', campaignName: '双11 包裹卡', platform: 'tmall', bonus: 100, ended: false } }
    mockApi({ 'scenes.resolve': CARD, 'member.login': { error: 'UNAVAILABLE' } })
    open({ scene: 'p=C11' })
    expect(await screen.findByText('暂时无法加载')).toBeTruthy()
    // the join through the card is kept (landing.test: "… is kept for the join")
    expect(getAttribution()).toMatchObject({ scene: 'p=C11', kind: 'packageCard' })
    // and so must be the order binding the card promises: a visitor who joins from the 会员 tab
    // later is sent to bind the order (before this change it was kept before member.login)
    expect(getNextStep()).toEqual({ kind: 'order', campaignId: 'C11', platform: 'tmall', bonus: 100 })
  })

  it('a product link goes straight to redeeming, checked once there (a code checked here too would count twice towards the invalid-scan limit)', async () => {
    const q = 'https://brand.example/c/ABCD1234'
    mockApi({ 'scenes.resolve': { data: { kind: 'product', code: 'ABCD1234', sku: 'S', name: '精华水', points: 50 } } })
    open({ q: encodeURIComponent(q) })
    await waitFor(() => expect(Taro.redirectTo).toHaveBeenCalledWith({ url: `/packages/scan/index?q=${encodeURIComponent(q)}` }))
    expect(callsOf('scenes', 'resolve')).toHaveLength(0)
  })

  it('a guide\'s link whose query carries /c/… is resolved as the guide\'s, not sent to redeeming', async () => {
    mockApi({ 'scenes.resolve': { data: { kind: 'guide', guideId: 'G001', guideName: '小林', storeId: 'S01', storeName: '南京西路店' } }, 'member.login': VISITOR })
    open({ q: encodeURIComponent('https://brand.example/g/G001?from=/c/ABCD1234') })
    await waitFor(() => expect(callsOf('scenes', 'resolve')).toHaveLength(1))
    expect(Taro.redirectTo).not.toHaveBeenCalledWith(expect.objectContaining({ url: expect.stringContaining('/packages/scan/') }))
  })

  it('a package card sends a member to bind the order, and a visitor to join first', async () => {
    mockApi({ 'scenes.resolve': CARD, 'member.login': JOINED, 'scenes.join': { data: {} } })
    open({ scene: 'p=C11' })
    await waitFor(() => expect(Taro.redirectTo).toHaveBeenCalledWith({ url: '/packages/join/order/index?campaign=C11&platform=tmall&bonus=100' }))
    resetAll()
    mockApi({ 'scenes.resolve': CARD, 'member.login': VISITOR })
    open({ scene: 'p=C11' })
    expect(await screen.findByText('感谢购买！加入会员，绑定订单领 100 积分')).toBeTruthy()
    expect(getNextStep()).toEqual({ kind: 'order', campaignId: 'C11', platform: 'tmall', bonus: 100 })
  })

  it('an ended package-card campaign says so, inviting a visitor to join and sending a member to the card', async () => {
    mockApi({ 'scenes.resolve': { data: { ...CARD.data, ended: true } }, 'member.login': VISITOR })
    open({ scene: 'p=C11' })
    expect(await screen.findByText('包裹卡活动已结束')).toBeTruthy()
    expect(await screen.findByText(/加入会员后，消费和扫码仍可累积积分/)).toBeTruthy()
    fireEvent.click(screen.getByText('立即入会'))
    expect(Taro.redirectTo).toHaveBeenLastCalledWith(expect.objectContaining({ url: expect.stringContaining('/packages/join/index') }))
    cleanup()
    resetAll()
    mockApi({ 'scenes.resolve': { data: { ...CARD.data, ended: true } }, 'member.login': JOINED })
    open({ scene: 'p=C11' })
    expect(await screen.findByText(/出示会员码消费、扫码仍可累积积分/)).toBeTruthy()
    expect(screen.queryByText('立即入会')).toBeNull()
    expect(screen.getByText('查看我的会员卡')).toBeTruthy()
  })

  it('an ended package-card campaign found while member.login cannot be reached invites no member to join, and leads to the 会员 tab', async () => {
    mockApi({ 'scenes.resolve': { data: { ...CARD.data, ended: true } }, 'member.login': { error: 'UNAVAILABLE' } })
    open({ scene: 'p=C11' })
    expect(await screen.findByText('包裹卡活动已结束')).toBeTruthy()
    expect(screen.queryByText('立即入会')).toBeNull()
    expect(screen.queryByText(/加入会员后/)).toBeNull()
    expect(screen.queryByText('查看我的会员卡')).toBeNull()
    fireEvent.click(screen.getByText('返回会员首页'))
    expect(Taro.switchTab).toHaveBeenLastCalledWith(expect.objectContaining({ url: '/pages/member/index' }))
  })

  it('an unknown code is called unrecognised; a network failure can be retried', async () => {
    mockApi({ 'scenes.resolve': { error: 'NOT_FOUND' } })
    open({ scene: 'g=NOPE' })
    expect(await screen.findByText('无法识别的二维码')).toBeTruthy()
    // 会员码 is the consumer's own code at the till: not what a guide's or store's code is called
    expect(screen.getByText(/不是本品牌的导购、门店或包裹卡二维码/)).toBeTruthy()
    resetAll()
    mockApi({ 'scenes.resolve': { error: 'UNAVAILABLE' } })
    open({ scene: 'g=G001' })
    expect(await screen.findByText('二维码暂时无法识别')).toBeTruthy()
    fireEvent.click(screen.getByText('重新加载'))
    await waitFor(() => expect(callsOf('scenes', 'resolve')).toHaveLength(2))
  })

  it('opened with nothing to resolve', async () => {
    mockApi({})
    open({})
    expect(await screen.findByText('无法识别的二维码')).toBeTruthy()
    expect(callsOf('scenes', 'resolve')).toHaveLength(0)
  })
})

describe('a landing page whose next page could not open', () => {
  it('offers 重新加载 instead of spinning when the scan page could not open (its subpackage not downloaded)', async () => {
    const q = 'https://brand.example/c/ABCD1234'
    ;(Taro.redirectTo as jest.Mock).mockImplementationOnce(() => Promise.reject(new Error('subpackage download failed')))
    mockApi({})
    router.params = { q: encodeURIComponent(q) }
    render(<LandingPage />)
    await waitFor(() => expect(Taro.showToast).toHaveBeenCalledWith(expect.objectContaining({ icon: 'none' })))
    expect(await screen.findByText('重新加载')).toBeTruthy()
  })

  it('retries the order page alone, without sending the member\'s scene join a second time', async () => {
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

describe('a landing page whose code was recognised', () => {
  it('does not blame the code when member.login cannot be reached after it was resolved; 重新加载 tries again', async () => {
    let logins = 0
    mockApi({ 'scenes.resolve': GUIDE, 'member.login': () => (++logins === 1 ? { error: 'UNAVAILABLE' } : VISITOR) })
    open({ scene: 'g=G001' })
    expect(await screen.findByText('暂时无法加载')).toBeTruthy()
    expect(screen.getByText('网络不给力，服务暂时无法连接，请稍后再试')).toBeTruthy()
    expect(screen.queryByText(/二维码/)).toBeNull()
    fireEvent.click(screen.getByText('重新加载'))
    expect(await screen.findByText('您的专属导购邀请您加入会员')).toBeTruthy()
  })

  it('still says the code could not be read when resolving it failed', async () => {
    mockApi({ 'scenes.resolve': { error: 'UNAVAILABLE' } })
    open({ scene: 'g=G001' })
    expect(await screen.findByText('二维码暂时无法识别')).toBeTruthy()
  })
})

describe('landing buttons tapped twice quickly', () => {
  const ENDED = { data: { ...CARD.data, ended: true } }
  it.each([
    ['立即入会 on an invitation', { 'scenes.resolve': GUIDE, 'member.login': VISITOR }, '立即入会', 'redirectTo'],
    ['查看我的会员卡 for a member back', { 'scenes.resolve': { data: { kind: 'store', storeId: 'S01', storeName: '南京西路店' } }, 'member.login': JOINED, 'scenes.join': { data: { attributed: false } } }, '查看我的会员卡', 'switchTab'],
    ['立即入会 on an ended card', { 'scenes.resolve': ENDED, 'member.login': VISITOR }, '立即入会', 'redirectTo'],
    ['查看我的会员卡 on an ended card', { 'scenes.resolve': ENDED, 'member.login': JOINED }, '查看我的会员卡', 'switchTab'],
    ['返回会员首页 on an ended card, login unanswered', { 'scenes.resolve': ENDED, 'member.login': { error: 'UNAVAILABLE' } }, '返回会员首页', 'switchTab'],
    ['返回会员首页 on an unknown code', { 'scenes.resolve': { error: 'NOT_FOUND' } }, '返回会员首页', 'switchTab'],
  ] as const)('%s opens its page once', async (_name, answers, button, navigation) => {
    mockApi(answers)
    open({ scene: 'g=G001' })
    await expectOpensOnce(button, navigation)
  })

  it('a page that could not open can be tapped for again', async () => {
    mockApi({ 'scenes.resolve': GUIDE, 'member.login': VISITOR })
    ;(Taro.redirectTo as jest.Mock).mockImplementationOnce(() => Promise.reject(new Error('subpackage download failed')))
    open({ scene: 'g=G001' })
    fireEvent.click(await screen.findByText('立即入会'))
    await waitFor(() => expect(Taro.showToast).toHaveBeenCalled())
    fireEvent.click(screen.getByText('立即入会'))
    await waitFor(() => expect(Taro.redirectTo).toHaveBeenCalledTimes(2))
    expect((Taro.redirectTo as jest.Mock).mock.calls[1]![0]).toEqual({ url: '/packages/join/index' })
  })
})
