import { fireEvent, render, screen, waitFor } from '@testing-library/react'
import Taro from '@tarojs/taro'
import OrderPage from '../../../src/packages/join/order/index'
import { getNextStep } from '../../../src/launch/intent'
import { JOINED, VISITOR, callsOf, mockApi, resetAll } from '../support/api'
import { expectOpensOnce } from '../support/taps'

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { router } = require('@tarojs/taro')

beforeEach(resetAll)

async function bind(orderId: string, placeholder = '天猫订单号') {
  fireEvent.change(await screen.findByPlaceholderText(placeholder), { target: { value: orderId } })
  fireEvent.click(screen.getByText('绑定订单'))
}

describe('package card order', () => {
  it('binds a Tmall order with the card campaign and shows the points', async () => {
    router.params = { campaign: 'C11' }
    mockApi({ 'member.login': JOINED, 'scenes.bindOrder': { data: { platform: 'tmall', orderId: '2026112300001', campaignId: 'C11', points: 100, available: 1600, boundAt: new Date().toISOString(), repeated: false } } })
    render(<OrderPage />)
    await bind('2026112300001')
    expect(await screen.findByText('订单绑定成功')).toBeTruthy()
    expect(screen.getByText('+100 积分')).toBeTruthy()
    expect(screen.getByText('当前可用积分 1,600')).toBeTruthy()
    expect(callsOf('scenes', 'bindOrder')[0]?.event).toEqual({ action: 'bindOrder', platform: 'tmall', orderId: '2026112300001', campaignId: 'C11', requestId: expect.stringMatching(/^[a-z0-9]{8,64}$/) })
  })

  it('says what is still owed when the bonus went to a debt', async () => {
    router.params = { campaign: 'C11' }
    mockApi({ 'member.login': JOINED, 'scenes.bindOrder': { data: { platform: 'tmall', orderId: '2026112300001', campaignId: 'C11', points: 100, available: -20, boundAt: new Date().toISOString(), repeated: false } } })
    render(<OrderPage />)
    await bind('2026112300001')
    expect(await screen.findByText('当前可用积分 0')).toBeTruthy()
    expect(screen.getByText('+100 积分已抵扣欠分')).toBeTruthy()
    expect(screen.getByText('还有 20 积分待抵扣，将从之后获得的积分中扣除')).toBeTruthy()
  })

  it.each([['long ago', '2026-11-11T04:00:00.000Z'], ['two minutes ago', new Date(Date.now() - 120_000).toISOString()]])(
    'tells a member who bound this order before (%s) that its points were theirs already, and when', async (_when, boundAt) => {
      router.params = { campaign: 'C11' }
      mockApi({ 'member.login': JOINED, 'scenes.bindOrder': { data: { platform: 'tmall', orderId: '2026112300001', campaignId: 'C11', points: 100, available: 1600, boundAt, repeated: true } } })
      render(<OrderPage />)
      await bind('2026112300001')
      expect(await screen.findByText('这笔订单已绑定过')).toBeTruthy()
      expect(screen.getByText(/^已于 \d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2} 领取 \+100 积分$/)).toBeTruthy()
      expect(screen.queryByText('订单绑定成功')).toBeNull()
    })

  it('binding the same order again after a try that seemed to fail repeats that attempt; another order is a new one', async () => {
    router.params = { campaign: 'C11' }
    let tries = 0
    mockApi({
      'member.login': JOINED,
      'scenes.bindOrder': () => (++tries < 3 ? { error: 'UNAVAILABLE' } : { data: { platform: 'tmall', orderId: '2026112300002', campaignId: 'C11', points: 100, available: 1600, boundAt: new Date().toISOString(), repeated: false } }),
    })
    render(<OrderPage />)
    await bind('2026112300001')
    await waitFor(() => expect(callsOf('scenes', 'bindOrder')).toHaveLength(1))
    // a typo corrected: another order, another attempt
    await bind('2026112300002')
    await waitFor(() => expect(callsOf('scenes', 'bindOrder')).toHaveLength(2))
    await bind('2026112300002')
    expect(await screen.findByText('订单绑定成功')).toBeTruthy()
    const [first, other, retry] = callsOf('scenes', 'bindOrder').map((c) => c.event.requestId)
    expect(other).not.toBe(first)
    expect(retry).toBe(other)
  })

  it('names the card\'s platform and binds the order there', async () => {
    router.params = { campaign: 'C12', platform: 'jd' }
    mockApi({ 'member.login': JOINED, 'scenes.bindOrder': { data: { platform: 'jd', orderId: '301234567890', campaignId: 'C12', points: 50, available: 550, boundAt: new Date().toISOString(), repeated: false } } })
    render(<OrderPage />)
    expect(await screen.findByText('绑定京东订单')).toBeTruthy()
    await bind('301234567890', '京东订单号')
    expect(await screen.findByText('+50 积分')).toBeTruthy()
    expect(callsOf('scenes', 'bindOrder')[0]?.event).toEqual({ action: 'bindOrder', platform: 'jd', orderId: '301234567890', campaignId: 'C12', requestId: expect.any(String) })
  })

  it('takes ids with letters and dashes on platforms whose ids have them', async () => {
    router.params = { campaign: 'C13', platform: 'pdd' }
    mockApi({ 'member.login': JOINED, 'scenes.bindOrder': { error: 'NOT_FOUND' } })
    render(<OrderPage />)
    await bind('231123-123456789012345', '拼多多订单号')
    await screen.findByText(/没有找到这笔订单/)
    expect(callsOf('scenes', 'bindOrder')[0]?.event).toMatchObject({ platform: 'pdd', orderId: '231123-123456789012345' })
  })

  it.each([
    ['NOT_FOUND', '没有找到这笔订单。请核对订单号；刚下的单需在发货后 1-2 天才能绑定。'],
    ['FORBIDDEN', '这笔订单不属于当前会员：下单账号的手机号与您的会员手机号不同。如需合并会员身份，请联系品牌客服。'],
    ['CONFLICT', '当前领取人数较多，请稍后再点一次「绑定订单」。'],
    ['RATE_LIMITED', '输入的订单号多次未能匹配您的订单，请一小时后再试；如确认订单号无误，请联系品牌客服。'],
  ])('explains %s', async (code, text) => {
    mockApi({ 'member.login': JOINED, 'scenes.bindOrder': { error: code } })
    render(<OrderPage />)
    await bind('2026112300001')
    expect(await screen.findByText(text)).toBeTruthy()
  })

  it('tells the buyer of an order bound already (by a member they were once one with) that it was', async () => {
    mockApi({ 'member.login': JOINED, 'scenes.bindOrder': { error: 'CONFLICT', details: { details: { reason: 'bound' } } } })
    render(<OrderPage />)
    await bind('2026112300001')
    expect(await screen.findByText('这笔订单已经绑定过，包裹卡积分每笔订单只能领取一次。')).toBeTruthy()
  })

  it('tells the buyer of a refunded order that it was refunded, not that it is someone else\'s', async () => {
    mockApi({ 'member.login': JOINED, 'scenes.bindOrder': { error: 'FORBIDDEN', details: { details: { reason: 'refunded' } } } })
    render(<OrderPage />)
    await bind('2026112300001')
    expect(await screen.findByText('这笔订单已退款，不能领取包裹卡积分。')).toBeTruthy()
  })

  it.each([
    [{ reason: 'before_campaign', ordersFrom: '2026-10-23T16:00:00.000Z' }, '这笔订单在本次包裹卡活动开始前支付，不能领取包裹卡积分（限 2026年10月24日及以后支付的订单）。'],
    [{ reason: 'unpaid' }, '这笔订单没有实付金额，不能领取包裹卡积分。'],
  ])('tells the buyer why their own order earns no bonus: %j', async (details, text) => {
    mockApi({ 'member.login': JOINED, 'scenes.bindOrder': { error: 'FORBIDDEN', details: { details } } })
    render(<OrderPage />)
    await bind('2026112300001')
    expect(await screen.findByText(text)).toBeTruthy()
  })

  it('checks the order id before sending it', async () => {
    mockApi({ 'member.login': JOINED })
    render(<OrderPage />)
    await bind('12')
    expect(screen.getByText(/请输入正确的天猫订单号/)).toBeTruthy()
    expect(callsOf('scenes', 'bindOrder')).toHaveLength(0)
  })

  it('names the card\'s bonus in the title when the landing page passed it, and keeps it for after joining', async () => {
    router.params = { campaign: 'C11', platform: 'jd', bonus: '100' }
    mockApi({ 'member.login': JOINED })
    render(<OrderPage />)
    expect(await screen.findByText('绑定京东订单领 100 积分')).toBeTruthy()
    resetAll()
    router.params = { campaign: 'C11', platform: 'jd', bonus: 'lots' }
    mockApi({ 'member.login': VISITOR })
    render(<OrderPage />)
    fireEvent.click(await screen.findByText('立即入会'))
    // a bonus that is no number is not shown or kept
    await waitFor(() => expect(getNextStep()).toEqual({ kind: 'order', campaignId: 'C11', platform: 'jd' }))
  })

  it('asks a visitor to join first and comes back here after', async () => {
    router.params = { campaign: 'C11' }
    mockApi({ 'member.login': VISITOR })
    render(<OrderPage />)
    fireEvent.click(await screen.findByText('立即入会'))
    await waitFor(() => expect(getNextStep()).toEqual({ kind: 'order', campaignId: 'C11', platform: 'tmall' }))
  })
})

describe('order page buttons tapped twice quickly', () => {
  const BOUND = { data: { platform: 'tmall', orderId: '2026112300001', campaignId: 'C11', points: 100, available: 1600, boundAt: new Date().toISOString(), repeated: false } }

  it('立即入会 opens the join page once', async () => {
    router.params = { campaign: 'C11' }
    mockApi({ 'member.login': VISITOR })
    render(<OrderPage />)
    await expectOpensOnce('立即入会', 'redirectTo')
  })

  it('查看积分明细 after a binding opens the points tab once', async () => {
    router.params = { campaign: 'C11' }
    mockApi({ 'member.login': JOINED, 'scenes.bindOrder': BOUND })
    render(<OrderPage />)
    await bind('2026112300001')
    await expectOpensOnce('查看积分明细', 'switchTab')
  })

  it('a join page that could not open can be tapped for again', async () => {
    router.params = { campaign: 'C11' }
    mockApi({ 'member.login': VISITOR })
    ;(Taro.redirectTo as jest.Mock).mockImplementationOnce(() => Promise.reject(new Error('subpackage download failed')))
    render(<OrderPage />)
    fireEvent.click(await screen.findByText('立即入会'))
    await waitFor(() => expect(Taro.showToast).toHaveBeenCalled())
    fireEvent.click(screen.getByText('立即入会'))
    await waitFor(() => expect(Taro.redirectTo).toHaveBeenCalledTimes(2))
  })
})
