/**
 * A member whose consent is to earlier terms, on the landing page and agreeing again; a history page that folds into lines already shown.
 */
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react'
import Taro from '@tarojs/taro'
import JoinPage from '../../../src/packages/join/index'
import LandingPage from '../../../src/packages/join/landing/index'
import PointsPage from '../../../src/pages/points/index'
import { JOINED, VISITOR, callsOf, mockApi, resetAll } from '../support/api'

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { router } = require('@tarojs/taro')

/** A member whose consent is to the terms before the brand's update (termsVersion raised). */
const OUTDATED = { data: { ...JOINED.data, consented: false, termsVersion: '2026-12-05' } }
const CARD = { data: { kind: 'packageCard', campaignId: 'C11', campaignName: '双11 包裹卡', platform: 'tmall', bonus: 100, ended: false } }
const STORE = { data: { kind: 'store', storeId: 'S01', storeName: '南京西路店' } }

beforeEach(resetAll)

describe('a member whose consent is to earlier terms, on the landing page', () => {
  it('scanning a store code is welcomed back as the member they are, not invited to join (立即入会)', async () => {
    mockApi({ 'scenes.resolve': STORE, 'member.login': OUTDATED, 'scenes.join': { data: { attributed: false } } })
    router.params = { scene: 's=S01' }
    render(<LandingPage />)
    await waitFor(() => expect(screen.queryByText('正在识别二维码…')).toBeNull())
    // the 会员 tab shows them their card with the TermsUpdated notice: the landing page must not pitch joining
    expect(screen.queryByText('欢迎光临，加入会员享积分与等级权益')).toBeNull()
    expect(screen.queryByText('立即入会')).toBeNull()
  })

  it('an ended package card tells them as a member (查看我的会员卡), not 加入会员后…', async () => {
    mockApi({ 'scenes.resolve': { data: { ...CARD.data, ended: true } }, 'member.login': OUTDATED })
    router.params = { scene: 'p=C11' }
    render(<LandingPage />)
    expect(await screen.findByText('包裹卡活动已结束')).toBeTruthy()
    expect(screen.queryByText('立即入会')).toBeNull()
    expect(screen.getByText('查看我的会员卡')).toBeTruthy()
  })
})

describe('agreeing again to updated terms', () => {
  it('goes back to the card, not to the order page of a package card the member scanned weeks before', async () => {
    // as a (then consented) member, the consumer scanned a package card: the landing page sends them
    // straight to the order page, and the next step it kept for a join is left behind in storage
    mockApi({ 'scenes.resolve': CARD, 'member.login': JOINED, 'scenes.join': { data: { attributed: false } } })
    router.params = { scene: 'p=C11' }
    render(<LandingPage />)
    await waitFor(() => expect(Taro.redirectTo).toHaveBeenCalledWith({ url: '/packages/join/order/index?campaign=C11&platform=tmall&bonus=100' }))
    cleanup()
    ;(Taro.redirectTo as jest.Mock).mockClear()

    // the brand updates its terms; the member taps 查看并同意 on the TermsUpdated notice
    mockApi({ 'member.login': OUTDATED, 'member.consent': { data: { ...OUTDATED.data, consented: true } }, 'member.channels': { data: { wechat: true } } })
    render(<JoinPage />)
    expect(await screen.findByText('会员隐私条款已更新')).toBeTruthy()
    // a member, not joining: the page is not titled 加入会员
    expect(Taro.setNavigationBarTitle).toHaveBeenCalledWith({ title: '会员隐私条款' })
    fireEvent.click(await screen.findByRole('checkbox'))
    fireEvent.click(screen.getByText('同意并继续'))
    await waitFor(() => expect(callsOf('member', 'consent')).toHaveLength(1))
    await waitFor(() => expect(Taro.switchTab).toHaveBeenCalledWith({ url: '/pages/member/index' }))
    expect(Taro.redirectTo).not.toHaveBeenCalled()
  })
})

/**
 * The title the page shows: H5's router keeps the last title set for a path and shows it on every
 * later load of that path; weapp keeps it for the page instance. Without any call, the config's 加入会员.
 */
function shownTitle(): string {
  const calls = (Taro.setNavigationBarTitle as jest.Mock).mock.calls
  return calls.length ? (calls[calls.length - 1]![0] as { title: string }).title : '加入会员'
}

describe('the join page\'s title', () => {
  it('is 加入会员 again for a join after a renewal (H5 keeps the last title of the path)', async () => {
    mockApi({ 'member.login': OUTDATED })
    render(<JoinPage />)
    expect(await screen.findByText('会员隐私条款已更新')).toBeTruthy()
    expect(shownTitle()).toBe('会员隐私条款')
    cleanup()
    // the member agreed, later erased their data in 我的, and taps 立即入会: a new join page, same path
    mockApi({ 'member.login': VISITOR })
    render(<JoinPage />)
    expect(await screen.findByText('加入会员前，请阅读以下要点：')).toBeTruthy()
    expect(shownTitle()).toBe('加入会员')
  })

  it('is 加入会员 again when the same page stops renewing (the member erased on another phone meanwhile)', async () => {
    let logins = 0
    mockApi({
      // after TERMS_OUTDATED the page logs in again and finds a visitor
      'member.login': () => (logins++ === 0 ? OUTDATED : VISITOR),
      'member.consent': { error: 'TERMS_OUTDATED' },
    })
    render(<JoinPage />)
    expect(await screen.findByText('会员隐私条款已更新')).toBeTruthy()
    fireEvent.click(screen.getByRole('checkbox'))
    fireEvent.click(screen.getByText('同意并继续'))
    expect(await screen.findByText('加入会员前，请阅读以下要点：')).toBeTruthy()
    expect(shownTitle()).toBe('加入会员')
  })
})

describe('积分 history: a page whose entries all fold into lines already shown', () => {
  it('goes on to the next page by itself (a one-line list cannot be scrolled to its bottom, so useReachBottom never fires)', async () => {
    // 20 orders of 2025: 20 lots expiring on one night, one 积分过期 line; the older history is on the next page
    const lots = Array.from({ length: 20 }, (_, i) => ({ id: `x${i}`, kind: 'expire', points: -10, growth: 0, at: '2026-12-31T15:59:59.000Z', description: '积分过期' }))
    const older = { id: 'o1', kind: 'earn', points: 120, growth: 120, at: '2025-11-20T02:00:00.000Z', description: '天猫订单 O1 消费得积分' }
    mockApi({
      'member.login': JOINED,
      'points.summary': { data: { available: 0, owed: 0, expiring: [], growth: 1200, level: { code: 'silver', name: '银卡' }, nextLevel: null } },
      'points.history': (event) => (event.cursor === 'c19' ? { data: { entries: [older], nextCursor: null } } : { data: { entries: lots.slice(0, 19), nextCursor: 'c19' } }),
    })
    render(<PointsPage />)
    expect(await screen.findByText('-190')).toBeTruthy()
    // nothing new to show came with the first page but the one line: the list goes on without a tap
    await waitFor(() => expect(callsOf('points', 'history').length).toBeGreaterThan(1), { timeout: 1000 })
  })
})

describe('同意并继续 on updated terms tapped again while the card opens', () => {
  it('agrees and opens the member home once; a home that could not open can be tapped for again', async () => {
    mockApi({ 'member.login': OUTDATED, 'member.consent': { data: { ...OUTDATED.data, consented: true } } })
    let failOpen: (error: Error) => void = () => undefined
    ;(Taro.switchTab as jest.Mock).mockImplementationOnce(() => new Promise((_resolve, reject) => (failOpen = reject)))
    render(<JoinPage />)
    fireEvent.click(await screen.findByRole('checkbox'))
    fireEvent.click(screen.getByText('同意并继续'))
    await waitFor(() => expect(Taro.switchTab).toHaveBeenCalledTimes(1))
    // the consent answered, the card still opening (a weak signal): a second tap
    fireEvent.click(screen.getByText('同意并继续'))
    await Promise.resolve()
    await Promise.resolve()
    expect(Taro.switchTab).toHaveBeenCalledTimes(1)
    expect(callsOf('member', 'consent')).toHaveLength(1)
    failOpen(new Error('switchTab:fail'))
    await waitFor(() => expect(Taro.showToast).toHaveBeenCalled())
    fireEvent.click(screen.getByText('同意并继续'))
    await waitFor(() => expect(Taro.switchTab).toHaveBeenCalledTimes(2))
  })
})
