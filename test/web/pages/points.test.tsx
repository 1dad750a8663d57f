import { act, fireEvent, render, screen, waitFor } from '@testing-library/react'
import { pageLifecycle } from '../stubs/taro'
import PointsPage from '../../../src/pages/points/index'
import { JOINED, VISITOR, callsOf, mockApi, resetAll } from '../support/api'
import { HISTORY_MAX } from '../../../cloudfunctions/core/contracts/points'

/** An expiry `days` from now (the notice's wording depends on how near it is). */
const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString()
const SUMMARY = {
  data: { available: 1500, owed: 0, expiring: [{ points: 300, at: inDays(400) }], growth: 1200, level: { code: 'silver', name: '银卡' }, nextLevel: null },
}
const entry = (i: number, points: number, kind = 'earn', description = `天猫订单 ${i} 消费得积分`) => ({ id: `e${i}`, kind, points, growth: points, at: '2026-11-20T02:00:00.000Z', description })

beforeEach(resetAll)

describe('积分', () => {
  it('invites a visitor to join instead of showing points', async () => {
    mockApi({ 'member.login': VISITOR })
    render(<PointsPage />)
    expect(await screen.findByText('入会后累积和查看积分')).toBeTruthy()
    expect(callsOf('points', 'history')).toHaveLength(0)
  })

  it('shows the balance, the expiring notice and each entry with its source and sign', async () => {
    mockApi({
      'member.login': JOINED,
      'points.summary': SUMMARY,
      'points.history': { data: { entries: [entry(1, 120), entry(2, -50, 'reverse', '天猫订单 2 退款扣回积分'), entry(3, -30, 'expire', '积分过期')], nextCursor: null } },
    })
    render(<PointsPage />)
    expect(await screen.findByText('1,500')).toBeTruthy()
    // more than a month ahead: the date, no hurry, and no warning mark
    expect(screen.getByText(/^300 积分将于 \d{4}年\d{1,2}月\d{1,2}日 过期$/)).toBeTruthy()
    expect(screen.queryByText('!')).toBeNull()
    expect(await screen.findByText('天猫订单 1 消费得积分')).toBeTruthy()
    expect(screen.getByText('+120')).toBeTruthy()
    expect(screen.getByText('-50')).toBeTruthy()
    expect(screen.getByText('退款扣回')).toBeTruthy()
    expect(screen.getByText('积分过期')).toBeTruthy()
    expect(screen.getByText('没有更多记录了')).toBeTruthy()
  })

  it('loads the next page with the cursor and appends it', async () => {
    mockApi({
      'member.login': JOINED,
      'points.summary': SUMMARY,
      'points.history': (event) =>
        event.cursor === 'c2'
          ? { data: { entries: [entry(21, 5)], nextCursor: null } }
          : { data: { entries: Array.from({ length: 20 }, (_, i) => entry(i + 1, 10)), nextCursor: 'c2' } },
    })
    render(<PointsPage />)
    fireEvent.click(await screen.findByText('加载更多'))
    expect(await screen.findByText('天猫订单 21 消费得积分')).toBeTruthy()
    expect(screen.getByText('天猫订单 1 消费得积分')).toBeTruthy()
    expect(callsOf('points', 'history').map((c) => c.event.cursor ?? null)).toEqual([null, 'c2'])
  })

  it('counts the days left only within a month of an expiry, and never asks to use points it has nowhere to spend', async () => {
    mockApi({ 'member.login': JOINED, 'points.summary': { data: { ...SUMMARY.data, expiring: [{ points: 300, at: inDays(3) }] } }, 'points.history': { data: { entries: [], nextCursor: null } } })
    render(<PointsPage />)
    expect(await screen.findByText(/^300 积分将于 .* 过期（还剩\s3\s天）$/)).toBeTruthy()
    expect(screen.getByText('!')).toBeTruthy()
    expect(screen.queryByText(/尽快使用/)).toBeNull()
  })

  it('says 今天到期 on the Beijing day the points expire', async () => {
    const day = 86_400_000
    const beijing = 8 * 3_600_000
    const endOfTodayInBeijing = Math.floor((Date.now() + beijing) / day) * day + day - 1000 - beijing
    mockApi({ 'member.login': JOINED, 'points.summary': { data: { ...SUMMARY.data, expiring: [{ points: 300, at: new Date(endOfTodayInBeijing).toISOString() }] } }, 'points.history': { data: { entries: [], nextCursor: null } } })
    render(<PointsPage />)
    expect(await screen.findByText(/^300 积分将于 .* 过期（今天到期）$/)).toBeTruthy()
  })

  it('shows points owed once, as owed, with no reason it cannot know', async () => {
    mockApi({ 'member.login': JOINED, 'points.summary': { data: { ...SUMMARY.data, available: -150, owed: 150, expiring: [] } }, 'points.history': { data: { entries: [], nextCursor: null } } })
    render(<PointsPage />)
    expect(await screen.findByText('有 150 积分待抵扣，将从之后获得的积分中扣除')).toBeTruthy()
    expect(screen.queryByText('-150')).toBeNull()
    expect(screen.getByText('0')).toBeTruthy()
  })

  it('owes nothing more when one channel\'s debt is already netted in a positive balance', async () => {
    // Tmall +500, the store -150: 350 to spend, and nothing further will be taken
    mockApi({ 'member.login': JOINED, 'points.summary': { data: { ...SUMMARY.data, available: 350, owed: 150, expiring: [] } }, 'points.history': { data: { entries: [], nextCursor: null } } })
    render(<PointsPage />)
    expect(await screen.findByText('350')).toBeTruthy()
    expect(screen.queryByText(/待抵扣/)).toBeNull()
  })

  it('on coming back to the tab, fetches the history again down to where the consumer had scrolled, changes included', async () => {
    // the ledger as points.history pages it: newest first, the cursor an index
    let ledger = Array.from({ length: 21 }, (_, i) => entry(i + 1, 10))
    mockApi({
      'member.login': JOINED,
      'points.summary': SUMMARY,
      'points.history': (event) => {
        const limit = Number(event.limit)
        if (limit > HISTORY_MAX) return { error: 'INVALID_INPUT' }
        const from = event.cursor ? Number(String(event.cursor).slice(1)) : 0
        const to = Math.min(ledger.length, from + limit)
        return { data: { entries: ledger.slice(from, to), nextCursor: to < ledger.length ? `c${to}` : null } }
      },
    })
    render(<PointsPage />)
    fireEvent.click(await screen.findByText('加载更多'))
    expect(await screen.findByText('没有更多记录了')).toBeTruthy()
    // while away: a scan on top, and an order credited with an older date, below the first page
    ledger = [entry(0, 50, 'earn', '扫码得积分'), ...ledger.slice(0, 20), entry(99, 30, 'earn', '门店订单 99 消费得积分'), ...ledger.slice(20)]
    act(() => pageLifecycle.hide())
    act(() => pageLifecycle.show())
    expect(await screen.findByText('扫码得积分')).toBeTruthy()
    expect(await screen.findByText('门店订单 99 消费得积分')).toBeTruthy()
    expect(screen.getByText('天猫订单 21 消费得积分')).toBeTruthy()
    expect(screen.getAllByText(/消费得积分|扫码得积分/)).toHaveLength(23)
    expect(screen.getByText('没有更多记录了')).toBeTruthy()
    expect(callsOf('points', 'history').map((c) => [c.event.cursor ?? null, c.event.limit])).toEqual([[null, 20], ['c20', 20], [null, HISTORY_MAX]])
  })

  it('keeps the balance and the history when coming back to the tab fails, and refreshes them on the next show', async () => {
    mockApi({ 'member.login': JOINED, 'points.summary': SUMMARY, 'points.history': { data: { entries: [entry(1, 120)], nextCursor: null } } })
    render(<PointsPage />)
    expect(await screen.findByText('天猫订单 1 消费得积分')).toBeTruthy()
    mockApi({})
    act(() => pageLifecycle.hide())
    act(() => pageLifecycle.show())
    await waitFor(() => expect(callsOf('points', 'history')).toHaveLength(1))
    await waitFor(() => expect(callsOf('member', 'login')).toHaveLength(1))
    expect(screen.getByText('1,500')).toBeTruthy()
    expect(screen.getByText('天猫订单 1 消费得积分')).toBeTruthy()
    expect(screen.queryByText(/暂时无法加载|点击重试/)).toBeNull()
    mockApi({ 'member.login': JOINED, 'points.summary': SUMMARY, 'points.history': { data: { entries: [entry(2, 80), entry(1, 120)], nextCursor: null } } })
    act(() => pageLifecycle.hide())
    act(() => pageLifecycle.show())
    expect(await screen.findByText('天猫订单 2 消费得积分')).toBeTruthy()
  })

  it('offers one thing to do when a later page fails: 加载失败，点击重试', async () => {
    mockApi({
      'member.login': JOINED,
      'points.summary': SUMMARY,
      'points.history': (event) => (event.cursor ? { error: 'UNAVAILABLE' } : { data: { entries: Array.from({ length: 20 }, (_, i) => entry(i + 1, 10)), nextCursor: 'c20' } }),
    })
    render(<PointsPage />)
    fireEvent.click(await screen.findByText('加载更多'))
    expect(await screen.findByText('加载失败，点击重试')).toBeTruthy()
    expect(screen.queryByText(/请稍后再试/)).toBeNull()
  })

  it('keeps an empty history (还没有积分记录) when coming back to the tab fails', async () => {
    mockApi({ 'member.login': JOINED, 'points.summary': SUMMARY, 'points.history': { data: { entries: [], nextCursor: null } } })
    render(<PointsPage />)
    expect(await screen.findByText('还没有积分记录')).toBeTruthy()
    mockApi({})
    act(() => pageLifecycle.hide())
    act(() => pageLifecycle.show())
    await waitFor(() => expect(callsOf('points', 'history')).toHaveLength(1))
    await waitFor(() => expect(callsOf('member', 'login')).toHaveLength(1))
    expect(screen.getByText('还没有积分记录')).toBeTruthy()
    expect(screen.queryByText(/暂时无法加载|重新加载/)).toBeNull()
  })

  it('a page still loading when the consumer leaves the tab is given up, and more can be loaded after coming back, even when that refresh failed', async () => {
    const firstPage = { data: { entries: Array.from({ length: 20 }, (_, i) => entry(i + 1, 10)), nextCursor: 'c20' } }
    mockApi({ 'member.login': JOINED, 'points.summary': SUMMARY, 'points.history': (event) => (event.cursor ? { pending: true } : firstPage) })
    render(<PointsPage />)
    fireEvent.click(await screen.findByText('加载更多'))
    expect(await screen.findByText('正在加载更多…')).toBeTruthy()
    // away while the signal drops: the refresh on coming back fails too
    mockApi({ 'member.login': JOINED, 'points.summary': SUMMARY })
    act(() => pageLifecycle.hide())
    act(() => pageLifecycle.show())
    await waitFor(() => expect(callsOf('points', 'history')).toHaveLength(1))
    mockApi({ 'member.login': JOINED, 'points.summary': SUMMARY, 'points.history': (event) => (event.cursor === 'c20' ? { data: { entries: [entry(21, 5)], nextCursor: null } } : firstPage) })
    fireEvent.click(await screen.findByText('加载更多'))
    expect(await screen.findByText('天猫订单 21 消费得积分')).toBeTruthy()
    expect(screen.queryByText('正在加载更多…')).toBeNull()
  })

  it('labels an opening balance that came in owed 欠分转入 (a store may hand over points owed)', async () => {
    mockApi({ 'member.login': JOINED, 'points.summary': SUMMARY, 'points.history': { data: { entries: [entry(1, -300, 'migrate', '门店会员原有积分')], nextCursor: null } } })
    render(<PointsPage />)
    expect(await screen.findByText('门店会员原有积分')).toBeTruthy()
    expect(screen.getByText('欠分转入')).toBeTruthy()
    expect(screen.getByText('-300')).toBeTruthy()
  })

  it('shows one 积分过期 line for the lots of one expiry night, also across pages, and no line for what moves nothing', async () => {
    const expired = (i: number, points: number) => ({ ...entry(i, points, 'expire', '积分过期'), growth: 0, at: '2026-12-31T15:59:59.000Z' })
    const firstPage = { data: { entries: [entry(1, 50), expired(2, -10), expired(3, -20)], nextCursor: 'c3' } }
    mockApi({
      'member.login': JOINED, 'points.summary': SUMMARY,
      'points.history': (event) => (event.cursor === 'c3' ? { data: { entries: [expired(4, -30), { ...entry(5, 0), description: '天猫订单 5 消费得积分' }, entry(6, 7)], nextCursor: null } } : firstPage),
    })
    render(<PointsPage />)
    // three lines cannot fill the screen: the next page comes without a scroll or a tap
    expect(await screen.findByText('-60')).toBeTruthy()
    expect(screen.getAllByText('积分过期')).toHaveLength(1)
    expect(screen.queryByText('天猫订单 5 消费得积分')).toBeNull()
    expect(screen.getByText('天猫订单 6 消费得积分')).toBeTruthy()
  })

  it('says so when there is no history yet', async () => {
    mockApi({ 'member.login': JOINED, 'points.summary': { data: { ...SUMMARY.data, available: 0, expiring: [] } }, 'points.history': { data: { entries: [], nextCursor: null } } })
    render(<PointsPage />)
    expect(await screen.findByText('还没有积分记录')).toBeTruthy()
    expect(screen.queryByText(/过期/)).toBeNull()
  })

  it('shows an error with retry for the history and for the summary', async () => {
    let fail = true
    mockApi({
      'member.login': JOINED,
      'points.summary': () => (fail ? { error: 'INTERNAL' } : SUMMARY),
      'points.history': () => (fail ? { error: 'UNAVAILABLE' } : { data: { entries: [entry(1, 1)], nextCursor: null } }),
    })
    render(<PointsPage />)
    expect(await screen.findByText('积分明细暂时无法加载')).toBeTruthy()
    expect(screen.getByText('积分暂时无法加载')).toBeTruthy()
    fail = false
    screen.getAllByText('重新加载').forEach((b) => fireEvent.click(b))
    await waitFor(() => expect(screen.getByText('天猫订单 1 消费得积分')).toBeTruthy())
  })

  it('hides anything that looks like a full phone number in a description', async () => {
    mockApi({ 'member.login': JOINED, 'points.summary': SUMMARY, 'points.history': { data: { entries: [entry(1, 10, 'adjust', '客服调整 13812348000')], nextCursor: null } } })
    render(<PointsPage />)
    expect(await screen.findByText('客服调整 138****8000')).toBeTruthy()
  })
})

describe('积分 history fetching on while fewer than ten lines show', () => {
  const SUMMARY = { data: { available: 0, owed: 0, expiring: [], growth: 1200, level: { code: 'silver', name: '银卡' }, nextLevel: null } }
  // 20 lots of one expiry night: one 积分过期 line; the older history is on the next page
  const lots = Array.from({ length: 20 }, (_, i) => ({ id: `x${i}`, kind: 'expire', points: -10, growth: 0, at: '2026-12-31T15:59:59.000Z', description: '积分过期' }))
  const older = { id: 'o1', kind: 'earn', points: 120, growth: 120, at: '2025-11-20T02:00:00.000Z', description: '天猫订单 O1 消费得积分' }

  /**
   * The first page (one expiry night's lots) answers its first try with the lots, and later ones as
   * `later` says; the first try of the next page never answers (a weak signal), later ones with the older entry.
   */
  function historyOnAWeakSignal(later: 'answers' | 'fails') {
    let firstPageTries = 0
    let nextPageTries = 0
    mockApi({
      'member.login': JOINED,
      'points.summary': SUMMARY,
      'points.history': (event) => {
        if (event.cursor !== 'c20') return ++firstPageTries === 1 || later === 'answers' ? { data: { entries: lots, nextCursor: 'c20' } } : { error: 'UNAVAILABLE' }
        return ++nextPageTries === 1 ? { pending: true } : { data: { entries: [older], nextCursor: null } }
      },
    })
  }

  // the refresh on coming back supersedes the next page the one line asked for without a scroll;
  // whether it answers or is lost to the weak signal too, the list must go on by itself
  it.each(['answers', 'fails'] as const)('goes on by itself after coming back to the tab while the automatic next page was loading (the refresh %s)', async (later) => {
    historyOnAWeakSignal(later)
    render(<PointsPage />)
    expect(await screen.findByText('-200')).toBeTruthy()
    await waitFor(() => expect(callsOf('points', 'history').map((c) => c.event.cursor ?? null)).toEqual([null, 'c20']))
    act(() => pageLifecycle.hide())
    act(() => pageLifecycle.show())
    await waitFor(() => expect(callsOf('points', 'history')).toHaveLength(3))
    await waitFor(() => expect(screen.getByText('天猫订单 O1 消费得积分')).toBeTruthy(), { timeout: 2000 })
  })
})
