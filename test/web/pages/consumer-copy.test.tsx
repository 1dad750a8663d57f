import { render, screen } from '@testing-library/react'
import PointsPage from '../../../src/pages/points/index'
import OrderPage from '../../../src/packages/join/order/index'
import ScanPage from '../../../src/packages/scan/index'
import { JOINED, VISITOR, callsOf, mockApi, resetAll } from '../support/api'

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { router } = require('@tarojs/taro')

beforeEach(resetAll)

/** A visitor who agreed to the current terms but has not bound a phone yet (left the join at its second step). */
const CONSENTED = { data: { ...VISITOR.data, consented: true } }
const SUMMARY = { data: { available: -1234, owed: 1234, expiring: [], growth: 0, level: { code: 'normal', name: '普通会员' }, nextLevel: null } }

describe('积分明细: an opening balance that came in owed', () => {
  it('reads 欠分转入 beside −1,234, not 转入 (points received); a positive opening stays 转入', async () => {
    const entries = [
      { id: 'e1', kind: 'migrate', points: -1234, growth: 0, at: '2026-11-20T02:00:00.000Z', description: '门店会员原有积分' },
      { id: 'e2', kind: 'migrate', points: 300, growth: 0, at: '2026-11-19T02:00:00.000Z', description: '天猫会员原有积分' },
    ]
    mockApi({ 'member.login': JOINED, 'points.summary': SUMMARY, 'points.history': { data: { entries, nextCursor: null } } })
    render(<PointsPage />)
    expect(await screen.findByText('门店会员原有积分')).toBeTruthy()
    expect(screen.getByText('欠分转入')).toBeTruthy()
    expect(screen.getAllByText('转入')).toHaveLength(1)
    expect(screen.getByText('-1,234')).toBeTruthy()
  })
})

describe('the way to join, for a visitor who agreed to the terms already', () => {
  const NOT_BOUND = { error: 'NOT_BOUND', details: { details: { name: '玫瑰精华水 100ml', points: 50 } } }

  it('scan: asks only to bind the phone', async () => {
    mockApi({ 'codes.redeem': NOT_BOUND, 'member.login': CONSENTED })
    router.params = { code: 'ABCD1234' }
    render(<ScanPage />)
    expect(await screen.findByText('您还不是会员。入会只需绑定手机号，完成后即可领取这件商品的 50 积分。')).toBeTruthy()
    expect(screen.queryByText(/同意隐私条款/)).toBeNull()
  })

  it('scan: a visitor who has not agreed (or whose login fails) is told both steps', async () => {
    mockApi({ 'codes.redeem': NOT_BOUND, 'member.login': VISITOR })
    router.params = { code: 'ABCD1234' }
    render(<ScanPage />)
    expect(await screen.findByText('您还不是会员。入会只需同意隐私条款并绑定手机号，完成后即可领取这件商品的 50 积分。')).toBeTruthy()
  })

  it('scan: a used code asks nothing of the visitor, so no login is spent on it', async () => {
    mockApi({ 'codes.redeem': { error: 'NOT_BOUND', details: { details: { redeemedAt: '2026-11-20T06:30:00.000Z' } } }, 'member.login': CONSENTED })
    router.params = { code: 'ABCD1234' }
    render(<ScanPage />)
    expect(await screen.findByText('该码已被使用')).toBeTruthy()
    expect(callsOf('member', 'login')).toHaveLength(0)
  })

  it('package card order: asks only to bind the phone used for the order', async () => {
    mockApi({ 'member.login': CONSENTED })
    router.params = { campaign: 'C11' }
    render(<OrderPage />)
    expect(await screen.findByText('包裹卡积分会发到您的会员账户。请先绑定下单时使用的手机号。')).toBeTruthy()
  })

  it('package card order: a visitor who has not agreed is told both steps', async () => {
    mockApi({ 'member.login': VISITOR })
    router.params = { campaign: 'C11' }
    render(<OrderPage />)
    expect(await screen.findByText('包裹卡积分会发到您的会员账户。请先同意隐私条款并绑定下单时使用的手机号。')).toBeTruthy()
  })
})
