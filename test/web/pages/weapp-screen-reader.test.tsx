import { fireEvent, render, screen } from '@testing-library/react'
import MemberPage from '../../../src/pages/member/index'
import PointsPage from '../../../src/pages/points/index'
import JoinPage from '../../../src/packages/join/index'
import { JOINED, VISITOR, mockApi, resetAll } from '../support/api'

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { phoneNumberDetail } = require('@tarojs/components')

/**
 * What WeChat's screen reader is told. WeChat reads aria-role, aria-label and aria-live (carried
 * into the weapp templates by config/aria), never `role`: the loading, error and notice views,
 * the join step's errors and the member code's image-only button must say theirs there too.
 */
const SUMMARY = { data: { available: -200, owed: 200, expiring: [], growth: 640, level: { code: 'normal', name: '普通会员' }, nextLevel: null } }
const PROFILE = { data: { memberId: 'm_1', nickname: null, birthday: null, phoneMasked: '138****8000' } }
const CHANNELS = { data: { wechat: true, phone: true, tmall: false, offline: false, jd: false } }
const CODE = { data: { token: 'MC1.m_000001.1795000000.AbCdEfGhIjKlMnOp', barcode: '0123456789012345678901', issuedAt: new Date().toISOString(), expiresAt: new Date(Date.now() + 60_000).toISOString() } }
const CONSENTED = { data: { ...VISITOR.data, consented: true } }

beforeEach(() => {
  resetAll()
  process.env.TARO_ENV = 'weapp'
})

/** The element WeChat would announce for `text`: the nearest one with an aria-role. */
const announcer = (text: string) => screen.getByText(text).closest('[aria-role]')

describe('weapp: screen reader roles and labels reach WeChat', () => {
  it('reads the loading view as a polite status', async () => {
    mockApi({ 'member.login': { pending: true } })
    render(<JoinPage />)
    const view = announcer('加载中…')!
    expect(view.getAttribute('aria-role')).toBe('status')
    expect(view.getAttribute('aria-live')).toBe('polite')
  })

  it('reads a failed load at once, as an alert', async () => {
    mockApi({ 'member.login': { error: 'INTERNAL' } })
    render(<JoinPage />)
    await screen.findByText('暂时无法加载')
    const view = announcer('暂时无法加载')!
    expect(view.getAttribute('aria-role')).toBe('alert')
    expect(view.getAttribute('aria-live')).toBe('assertive')
  })

  it('reads the phone step error (the consumer declined the phone button) as an alert', async () => {
    mockApi({ 'member.login': CONSENTED })
    render(<JoinPage />)
    phoneNumberDetail.current = { errMsg: 'getPhoneNumber:fail user deny' }
    fireEvent.click(await screen.findByText('微信手机号一键绑定'))
    const error = await screen.findByText('需要授权手机号才能成为会员，您可以稍后再来')
    phoneNumberDetail.current = { code: 'wx-phone-code' }
    expect(error.getAttribute('aria-role')).toBe('alert')
    expect(error.getAttribute('aria-live')).toBe('assertive')
  })

  it('reads the points owed notice as a note', async () => {
    mockApi({ 'member.login': JOINED, 'points.summary': SUMMARY, 'points.history': { data: { entries: [], nextCursor: null } } })
    render(<PointsPage />)
    const text = await screen.findByText(/积分待抵扣/)
    expect(text.closest('[aria-role]')!.getAttribute('aria-role')).toBe('note')
  })

  it('names the member code bar, a button showing only an image, by what a tap does', async () => {
    mockApi({ 'member.login': JOINED, 'member.profile': PROFILE, 'points.summary': SUMMARY, 'member.channels': CHANNELS, 'member.memberCode': CODE })
    render(<MemberPage />)
    const bar = (await screen.findByAltText('会员条形码')).parentElement!
    expect(bar.getAttribute('aria-role')).toBe('button')
    expect(bar.getAttribute('aria-label')).toBe('放大会员条形码')
    fireEvent.click(bar)
    const overlay = (await screen.findByAltText('放大的会员条形码')).closest('[aria-role="button"]')!
    expect(overlay.getAttribute('aria-label')).toBe('关闭放大的会员条形码')
  })
})

describe('H5 keeps its roles, and no aria-live beside them', () => {
  it('loading is role status and a failed load role alert, as before', async () => {
    delete process.env.TARO_ENV
    mockApi({ 'member.login': { error: 'INTERNAL' } })
    render(<JoinPage />)
    expect(await screen.findByRole('alert')).toBeTruthy()
    expect(screen.getByRole('alert').hasAttribute('aria-live')).toBe(false)
  })
})
