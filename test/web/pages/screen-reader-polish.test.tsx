import { fireEvent, render, screen } from '@testing-library/react'
import { setDevOpenid } from '../../../src/api/devIdentity'
import DevIdentitySwitcher from '../../../src/components/DevIdentitySwitcher.h5'
import { fieldLabel } from '../../../src/lib/a11y'
import StoreCardPage from '../../../src/packages/account/store-card/index'
import JoinPage from '../../../src/packages/join/index'
import OrderPage from '../../../src/packages/join/order/index'
import Welcome from '../../../src/packages/join/Welcome'
import ScanPage from '../../../src/packages/scan/index'
import MinePage from '../../../src/pages/mine/index'
import PointsPage from '../../../src/pages/points/index'
import { JOINED, VISITOR, mockApi, resetAll } from '../support/api'

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { router } = require('@tarojs/taro')

/**
 * What a screen reader says on the pages beyond the roles and labels WeChat was first given: the
 * marks drawn for the eye alone (!, ○, ›, ✓, ×, ★) are not read out, a scan's outcome is read as it
 * appears (points credited as a status, a refused code as an alert), as are the store card's, the
 * order's and the profile's, and each text box has a name that outlasts its placeholder. In both
 * builds: H5 reads role and aria-hidden, WeChat aria-role, aria-live and aria-hidden (config/aria).
 */
const PROFILE = { data: { memberId: 'm_1', nickname: null, birthday: null, phoneMasked: '138****8000' } }
const SUMMARY = { data: { available: 1280, owed: 0, expiring: [], growth: 640, level: { code: 'normal', name: '普通会员' }, nextLevel: null } }
const REDEEMED = { data: { sku: 'SKU1', name: '玫瑰精华水', points: 50, available: 1330, redeemedAt: new Date().toISOString(), repeated: false } }
const MARKS = new Set(['!', '?', '○', '›', '✓', '×', '★', '…'])

/** Every element showing a mark alone is hidden from screen readers (it, or a box around it). */
function expectMarksHidden(container: HTMLElement, atLeast = 1) {
  const marks = [...container.querySelectorAll('*')].filter((el) => el.children.length === 0 && MARKS.has((el.textContent ?? '').trim()))
  expect(marks.length).toBeGreaterThanOrEqual(atLeast)
  for (const mark of marks) expect([mark.textContent, mark.closest('[aria-hidden="true"]')]).toEqual([mark.textContent, expect.anything()])
}

/** The element announcing `text`, and how: H5 reads role (and no aria-live beside it), WeChat aria-role and aria-live. */
function expectAnnounced(text: string, role: 'status' | 'alert', env: string | undefined) {
  const region = screen.getByText(text).closest('[role]')!
  expect(region.getAttribute('role')).toBe(role)
  expect(region.getAttribute('aria-role')).toBe(role)
  expect(region.getAttribute('aria-live')).toBe(env === 'weapp' ? (role === 'alert' ? 'assertive' : 'polite') : null)
  return region
}

describe.each([['h5', undefined], ['weapp', 'weapp']] as const)('%s', (_name, env) => {
  beforeEach(() => {
    resetAll()
    if (env) process.env.TARO_ENV = env
    else delete process.env.TARO_ENV
  })

  describe('marks drawn for the eye are not read out', () => {
    it('hides the ! of a failed load', async () => {
      mockApi({ 'member.login': { error: 'INTERNAL' } })
      const { container } = render(<JoinPage />)
      await screen.findByText('暂时无法加载')
      expectMarksHidden(container)
    })

    it('hides the ○ of an empty points history', async () => {
      mockApi({ 'member.login': JOINED, 'points.summary': SUMMARY, 'points.history': { data: { entries: [], nextCursor: null } } })
      const { container } = render(<PointsPage />)
      await screen.findByText('还没有积分记录')
      expectMarksHidden(container)
    })

    it('hides the › of the 我的 rows, so a row is named by its words alone', async () => {
      mockApi({ 'member.login': JOINED, 'member.profile': PROFILE })
      const { container } = render(<MinePage />)
      await screen.findByText('138****8000')
      expectMarksHidden(container, 3)
      for (const name of ['关联门店会员卡', '会员隐私条款', '删除我的数据']) expect(screen.getByRole('button', { name })).toBeTruthy()
    })

    it('hides the ✓ of the welcome and of each membership found, and the tick of the consent box', async () => {
      const channels = { status: 'ready', data: { wechat: true, phone: true, tmall: true, offline: true, jd: false } } as const
      const { container, unmount } = render(<Welcome phoneMasked="138****8000" channels={channels} attributionLabel={null} next={undefined} onContinue={() => {}} />)
      expectMarksHidden(container, 3)
      expect(screen.getByText(/天猫旗舰店会员/).textContent).toMatch(/✓/)
      unmount()

      mockApi({ 'member.login': VISITOR })
      render(<JoinPage />)
      fireEvent.click(await screen.findByRole('checkbox'))
      // ticked, the box is named by its words, not 对号我已阅读并同意…
      expect(screen.getByRole('checkbox', { name: /^我已阅读并同意/ }).getAttribute('aria-checked')).toBe('true')
      expectMarksHidden(document.body)
    })

    it('hides the ✓ of a linked store card and of a bound order', async () => {
      mockApi({ 'member.linkOffline': { data: { status: 'linked', memberId: 'm_1' } } })
      const { container, unmount } = render(<StoreCardPage />)
      fireEvent.change(screen.getByPlaceholderText('会员卡背面的卡号'), { target: { value: 'VIP0001' } })
      fireEvent.click(screen.getByRole('button', { name: '关联门店会员卡' }))
      await screen.findByText('门店会员卡已关联')
      expectMarksHidden(container)
      unmount()

      router.params = {}
      mockApi({ 'member.login': JOINED, 'scenes.bindOrder': { data: { platform: 'tmall', orderId: '2026112300001', points: 100, available: 1600, boundAt: new Date().toISOString(), repeated: false } } })
      const order = render(<OrderPage />)
      fireEvent.change(await screen.findByPlaceholderText('天猫订单号'), { target: { value: '2026112300001' } })
      fireEvent.click(screen.getByText('绑定订单'))
      await screen.findByText('订单绑定成功')
      expectMarksHidden(order.container)
    })
  })

  describe('a scanned code says its outcome as it appears', () => {
    it('reads credited points as a status: the words, not the buttons below them, and not the ✓', async () => {
      router.params = { code: 'ABCD1234EFGH' }
      mockApi({ 'codes.redeem': REDEEMED })
      const { container } = render(<ScanPage />)
      await screen.findByText('积分已到账 +50')
      const region = expectAnnounced('积分已到账 +50', 'status', env)
      expect(region.textContent).toContain('当前可用积分 1,330')
      expect(region.textContent).not.toMatch(/查看积分明细|继续扫码|✓/)
      expectMarksHidden(container)
    })

    it.each([
      ['CODE_ALREADY_REDEEMED', { details: { details: { redeemedAt: '2026-11-20T06:30:00.000Z' } } }, '该码已被使用'],
      ['CODE_INVALID', {}, '无法识别该码'],
      ['CODE_INVALID', { details: { details: { reason: 'withdrawn' } } }, '该码已停用'],
      ['CODE_EXPIRED', {}, '该码已过期'],
      ['NOT_BOUND', { details: { details: { name: '玫瑰精华水', points: 50 } } }, '加入会员即可领取积分'],
      ['RATE_LIMITED', {}, '操作太频繁了'],
      ['INTERNAL', {}, '暂时无法\u200b领取积分'],
    ])('reads a refused code (%s) at once, as an alert', async (code, extra, title) => {
      router.params = { code: 'ABCD1234EFGH' }
      mockApi({ 'codes.redeem': { error: code, ...extra }, 'member.login': VISITOR })
      const { container } = render(<ScanPage />)
      await screen.findByText(title)
      const region = expectAnnounced(title, 'alert', env)
      expect(region.querySelector('button')).toBeNull()
      expectMarksHidden(container)
    })
  })

  describe('other outcomes are read as they appear', () => {
    it('reads a store card refused (how many tries are left) as an alert, and a linked one as a status', async () => {
      mockApi({ 'member.linkOffline': { error: 'CARD_MISMATCH', details: { details: { triesLeft: 3 } } } })
      render(<StoreCardPage />)
      fireEvent.change(screen.getByPlaceholderText('会员卡背面的卡号'), { target: { value: 'VIP0001' } })
      fireEvent.change(screen.getByPlaceholderText('例如 8000'), { target: { value: '1234' } })
      fireEvent.click(screen.getByRole('button', { name: '关联门店会员卡' }))
      const refused = '会员卡号与手机号后四位不匹配，请核对后重试（还可尝试 3 次）。'
      await screen.findByText(refused)
      expectAnnounced(refused, 'alert', env)

      mockApi({ 'member.linkOffline': { data: { status: 'pending', memberId: 'm_1' } } })
      fireEvent.click(screen.getByRole('button', { name: '关联门店会员卡' }))
      await screen.findByText('已提交，等待门店确认')
      expect(expectAnnounced('已提交，等待门店确认', 'status', env).textContent).toContain('这张卡需要门店核实')
    })

    it('reads a bound order, its points and the balance, as a status', async () => {
      router.params = {}
      mockApi({ 'member.login': JOINED, 'scenes.bindOrder': { data: { platform: 'tmall', orderId: '2026112300001', points: 100, available: 1600, boundAt: new Date().toISOString(), repeated: false } } })
      render(<OrderPage />)
      fireEvent.change(await screen.findByPlaceholderText('天猫订单号'), { target: { value: '2026112300001' } })
      fireEvent.click(screen.getByText('绑定订单'))
      await screen.findByText('订单绑定成功')
      const region = expectAnnounced('订单绑定成功', 'status', env)
      expect(region.textContent).toContain('+100\u00a0积分')
      expect(region.textContent).toContain('当前可用积分 1,600')
      expect(region.textContent).not.toContain('查看积分明细')
    })

    it('reads a nickname refused as an alert and 已保存 as a status', async () => {
      mockApi({ 'member.login': JOINED, 'member.profile': PROFILE, 'member.updateProfile': (e) => ({ data: { ...PROFILE.data, nickname: e.nickname } }) })
      render(<MinePage />)
      const box = await screen.findByPlaceholderText('填写昵称')
      fireEvent.change(box, { target: { value: '\u200b' } })
      fireEvent.click(screen.getByText('保存资料'))
      await screen.findByText('昵称需包含可见文字')
      expectAnnounced('昵称需包含可见文字', 'alert', env)
      fireEvent.change(box, { target: { value: '小林' } })
      fireEvent.click(screen.getByText('保存资料'))
      await screen.findByText('已保存')
      expectAnnounced('已保存', 'status', env)
    })
  })

  describe('each text box has a name that outlasts its placeholder', () => {
    it('names the nickname box 昵称', async () => {
      mockApi({ 'member.login': JOINED, 'member.profile': PROFILE })
      render(<MinePage />)
      await screen.findByText('138****8000')
      expect(screen.getByRole('textbox', { name: '昵称' })).toBeTruthy()
    })

    it('names the store card boxes 会员卡号 and 登记手机号后四位', () => {
      render(<StoreCardPage />)
      expect(screen.getByRole('textbox', { name: '会员卡号' })).toBeTruthy()
      expect(screen.getByRole('textbox', { name: '登记手机号后四位' })).toBeTruthy()
    })

    it('names the order box by its channel', async () => {
      router.params = { platform: 'jd' }
      mockApi({ 'member.login': JOINED })
      render(<OrderPage />)
      expect(await screen.findByRole('textbox', { name: '京东订单号' })).toBeTruthy()
    })
  })
})

describe('H5 alone', () => {
  beforeEach(resetAll)

  it('puts a text box name on the real input, which Taro draws inside its own element: not on that element', () => {
    expect(fieldLabel('昵称')).toEqual({ nativeProps: { 'aria-label': '昵称' } })
  })

  it('names the phone box of the browser join and the box for a pasted code', async () => {
    mockApi({ 'member.login': { data: { ...VISITOR.data, consented: true } } })
    const join = render(<JoinPage />)
    expect(await screen.findByRole('textbox', { name: '手机号' })).toBeTruthy()
    join.unmount()
    router.params = {}
    render(<ScanPage />)
    expect(screen.getByRole('textbox', { name: '二维码链接或防伪码' })).toBeTruthy()
  })

  it('announces the dev identity choices as buttons, the current one pressed', () => {
    setDevOpenid('dev_tester_b')
    render(<DevIdentitySwitcher />)
    for (const name of ['测试用户 A', '测试用户 B', '测试用户 C']) expect(screen.getByRole('button', { name }).getAttribute('aria-pressed')).toBe(String(name === '测试用户 B'))
    expect(screen.getByRole('button', { name: '新身份' })).toBeTruthy()
  })
})

describe('weapp alone', () => {
  beforeEach(() => {
    resetAll()
    process.env.TARO_ENV = 'weapp'
  })

  it('gives a text box its name as aria-label, which the input template carries (nativeProps reach no WXML)', () => {
    expect(fieldLabel('昵称')).toEqual({ 'aria-label': '昵称' })
  })
})
