import { render, screen } from '@testing-library/react'
import MemberPage from '../../../src/pages/member/index'
import MinePage from '../../../src/pages/mine/index'
import JoinPage from '../../../src/packages/join/index'
import { JOINED, VISITOR, mockApi, resetAll } from '../support/api'

/**
 * What a screen reader is told. H5 reads `role` (Taro's Image is a custom element around an <img>
 * without alt, so its aria-label counts only with role img); WeChat reads `aria-role`, which the
 * weapp templates carry through config/aria.
 */
const SUMMARY = { data: { available: 1280, owed: 0, expiring: [], growth: 640, level: { code: 'normal', name: '普通会员' }, nextLevel: null } }
const PROFILE = { data: { memberId: 'm_1', nickname: null, birthday: null, phoneMasked: '138****8000' } }
const CHANNELS = { data: { wechat: true, phone: true, tmall: false, offline: false, jd: false } }
const CODE = { data: { token: 'MC1.m_000001.1795000000.AbCdEfGhIjKlMnOp', barcode: '0123456789012345678901', issuedAt: new Date().toISOString(), expiresAt: new Date(Date.now() + 60_000).toISOString() } }

beforeEach(resetAll)

describe('screen reader labels and roles', () => {
  it('names the member code as 会员二维码 and 会员条形码 in H5, where an image is read by its label only with role img', async () => {
    mockApi({ 'member.login': JOINED, 'member.profile': PROFILE, 'points.summary': SUMMARY, 'member.channels': CHANNELS, 'member.memberCode': CODE })
    const { container } = render(<MemberPage />)
    await screen.findByAltText('会员二维码')
    for (const label of ['会员二维码', '会员条形码']) {
      const image = container.querySelector(`[aria-label="${label}"]`)!
      expect(image.getAttribute('role')).toBe('img')
      expect(image.getAttribute('aria-role')).toBe('img')
    }
  })

  it('announces 关联门店会员卡 as a button', async () => {
    mockApi({ 'member.login': JOINED, 'member.profile': PROFILE, 'points.summary': SUMMARY, 'member.channels': CHANNELS, 'member.memberCode': CODE })
    render(<MemberPage />)
    await screen.findByText('线下门店')
    const action = screen.getByRole('button', { name: '关联门店会员卡' })
    expect(action.getAttribute('aria-role')).toBe('button')
  })

  it('announces the rows of 设置与隐私, 删除我的数据 among them, as buttons', async () => {
    mockApi({ 'member.login': JOINED, 'member.profile': PROFILE })
    render(<MinePage />)
    await screen.findByText('138****8000')
    for (const name of [/关联门店会员卡/, /会员隐私条款/, /删除我的数据/]) {
      expect(screen.getByRole('button', { name }).getAttribute('aria-role')).toBe('button')
    }
  })

  it('gives the consent tick its checkbox role in WeChat too', async () => {
    mockApi({ 'member.login': VISITOR })
    render(<JoinPage />)
    const box = await screen.findByRole('checkbox')
    expect(box.getAttribute('aria-role')).toBe('checkbox')
    expect(box.getAttribute('aria-checked')).toBe('false')
  })
})
