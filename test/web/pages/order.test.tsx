import { fireEvent, render, screen, waitFor } from '@testing-library/react'
import OrderPage from '../../../src/packages/join/order/index'
import { getNextStep } from '../../../src/launch/intent'
import { JOINED, VISITOR, callsOf, mockApi, resetAll } from '../support/api'

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { router } = require('@tarojs/taro')

beforeEach(resetAll)

async function bind(orderId: string) {
  fireEvent.change(await screen.findByPlaceholderText('天猫订单号'), { target: { value: orderId } })
  fireEvent.click(screen.getByText('绑定订单'))
}

describe('package card order', () => {
  it('binds a Tmall order with the card campaign and shows the points', async () => {
    router.params = { campaign: 'C11' }
    mockApi({ 'member.login': JOINED, 'scenes.bindOrder': { data: { platform: 'tmall', orderId: '2026112300001', campaignId: 'C11', points: 100, available: 1600 } } })
    render(<OrderPage />)
    await bind('2026112300001')
    expect(await screen.findByText('订单绑定成功')).toBeTruthy()
    expect(screen.getByText('+100 积分')).toBeTruthy()
    expect(screen.getByText('当前可用积分 1,600')).toBeTruthy()
    expect(callsOf('scenes', 'bindOrder')[0]?.event).toEqual({ action: 'bindOrder', platform: 'tmall', orderId: '2026112300001', campaignId: 'C11' })
  })

  it.each([
    ['NOT_FOUND', '没有找到这笔订单。请核对订单号；刚下的单需在发货后 1-2 天才能绑定。'],
    ['FORBIDDEN', '这笔订单不属于当前会员，请使用下单时的手机号入会后再绑定。'],
    ['CONFLICT', '这笔订单已经绑定过，包裹卡积分每笔订单只能领取一次。'],
    ['RATE_LIMITED', '操作过于频繁，请稍后再试'],
  ])('explains %s', async (code, text) => {
    mockApi({ 'member.login': JOINED, 'scenes.bindOrder': { error: code } })
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

  it('asks a visitor to join first and comes back here after', async () => {
    router.params = { campaign: 'C11' }
    mockApi({ 'member.login': VISITOR })
    render(<OrderPage />)
    fireEvent.click(await screen.findByText('立即入会'))
    await waitFor(() => expect(getNextStep()).toEqual({ kind: 'order', campaignId: 'C11' }))
  })
})
