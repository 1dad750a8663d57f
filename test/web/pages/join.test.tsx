import { fireEvent, render, screen, waitFor } from '@testing-library/react'
import Taro from '@tarojs/taro'
import JoinPage from '../../../src/packages/join/index'
import { setAttribution, setNextStep } from '../../../src/launch/intent'
import { type Answer, VISITOR, callsOf, mockApi, resetAll } from '../support/api'

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { phoneNumberDetail } = require('@tarojs/components')

const CONSENTED = { data: { ...VISITOR.data, consented: true } }
const BOUND = { data: { memberId: 'm_9', phoneMasked: '138****8000', merged: true } }
const flow = (extra: Record<string, unknown> = {}) => ({
  'member.login': VISITOR,
  'member.consent': CONSENTED,
  'member.bindPhone': BOUND,
  'member.channels': { data: { wechat: true, phone: true, tmall: true, offline: true, jd: false } },
  ...extra,
})

beforeEach(resetAll)

async function agree() {
  fireEvent.click(await screen.findByRole('checkbox'))
  fireEvent.click(screen.getByText('同意并继续'))
}

describe('join flow', () => {
  it('asks for consent first, sending the current terms version', async () => {
    mockApi(flow())
    render(<JoinPage />)
    expect(await screen.findByText('会员隐私条款')).toBeTruthy()
    expect(screen.getByText('同意并继续').closest('button')?.className).toContain('nut-button-disabled')
    await agree()
    await waitFor(() => expect(callsOf('member', 'consent')[0]?.event).toEqual({ action: 'consent', version: '2026-11-01' }))
    expect(await screen.findByText('绑定手机号')).toBeTruthy()
  })

  it('a member whose consent is to earlier terms agrees to the new ones and goes back to the card, with no joining steps', async () => {
    const outdated = { data: { ...VISITOR.data, isNew: false, phoneBound: true, consented: false, termsVersion: '2026-12-05' } }
    mockApi(flow({ 'member.login': outdated, 'member.consent': { data: { ...outdated.data, consented: true } } }))
    render(<JoinPage />)
    expect(await screen.findByText('会员隐私条款已更新')).toBeTruthy()
    expect(screen.queryByText('绑定手机')).toBeNull()
    await agree()
    await waitFor(() => expect(Taro.switchTab).toHaveBeenCalledWith({ url: '/pages/member/index' }))
    expect(callsOf('member', 'consent')[0]?.event).toEqual({ action: 'consent', version: '2026-12-05' })
  })

  it('H5: refuses a malformed phone, then sends dev:<phone>:<time> and welcomes with the memberships found', async () => {
    mockApi(flow())
    render(<JoinPage />)
    await agree()
    const input = await screen.findByPlaceholderText('请输入 11 位手机号')
    fireEvent.change(input, { target: { value: '12345' } })
    fireEvent.click(screen.getByText('验证并绑定'))
    expect(screen.getByText('请输入正确的 11 位手机号')).toBeTruthy()
    expect(callsOf('member', 'bindPhone')).toHaveLength(0)
    fireEvent.change(input, { target: { value: '13800008000' } })
    fireEvent.click(screen.getByText('验证并绑定'))
    expect(await screen.findByText('欢迎加入会员')).toBeTruthy()
    expect(String(callsOf('member', 'bindPhone')[0]?.event.code)).toMatch(/^dev:13800008000:\d{13}$/)
    expect(screen.getByText('已绑定手机号 138****8000')).toBeTruthy()
    // the ✓ is a mark of its own beside the words, hidden from screen readers
    expect((await screen.findByText('天猫旗舰店会员')).textContent).toBe('✓ 天猫旗舰店会员')
    expect(screen.getByText('线下门店会员').textContent).toBe('✓ 线下门店会员')
    fireEvent.click(screen.getByText('查看我的会员卡'))
    expect(Taro.switchTab).toHaveBeenCalledWith({ url: '/pages/member/index' })
  })

  it('weapp: sends the phone button code, never a number', async () => {
    process.env.TARO_ENV = 'weapp'
    mockApi(flow({ 'member.login': CONSENTED, 'member.channels': { data: { wechat: true, phone: true, tmall: false, offline: false, jd: false } } }))
    render(<JoinPage />)
    phoneNumberDetail.current = { code: 'wx-code-1' }
    const button = await screen.findByText('微信手机号一键绑定')
    // the tap also records WeChat's privacy agreement, so WeChat's own popup does not cover the step
    expect(button.getAttribute('data-open-type')).toBe('getPhoneNumber|agreePrivacyAuthorization')
    fireEvent.click(button)
    await waitFor(() => expect(callsOf('member', 'bindPhone')[0]?.event).toEqual({ action: 'bindPhone', code: 'wx-code-1' }))
    expect(await screen.findByText('暂未找到您在天猫或门店的会员身份。已是天猫或门店会员的，数据同步后会自动关联；以后在天猫、门店使用此手机号，积分也会自动合并。')).toBeTruthy()
  })

  it('weapp: explains when the consumer declines the phone button', async () => {
    process.env.TARO_ENV = 'weapp'
    mockApi(flow({ 'member.login': CONSENTED }))
    render(<JoinPage />)
    phoneNumberDetail.current = { errMsg: 'getPhoneNumber:fail user deny' }
    fireEvent.click(await screen.findByText('微信手机号一键绑定'))
    expect(await screen.findByText('需要授权手机号才能成为会员，您可以稍后再来')).toBeTruthy()
    expect(callsOf('member', 'bindPhone')).toHaveLength(0)
    phoneNumberDetail.current = { code: 'wx-phone-code' }
  })

  it('weapp: tells a WeChat failure apart from the consumer saying no', async () => {
    process.env.TARO_ENV = 'weapp'
    mockApi(flow({ 'member.login': CONSENTED }))
    render(<JoinPage />)
    phoneNumberDetail.current = { errMsg: 'getPhoneNumber:fail no permission', errno: 1400001 }
    fireEvent.click(await screen.findByText('微信手机号一键绑定'))
    expect(await screen.findByText('暂时无法获取微信手机号，请稍后再试')).toBeTruthy()
    expect(callsOf('member', 'bindPhone')).toHaveLength(0)
    phoneNumberDetail.current = { code: 'wx-phone-code' }
  })

  it('shows the Chinese message when the phone belongs to a member that cannot be joined', async () => {
    mockApi(flow({ 'member.login': CONSENTED, 'member.bindPhone': { error: 'PHONE_CONFLICT' } }))
    render(<JoinPage />)
    fireEvent.change(await screen.findByPlaceholderText('请输入 11 位手机号'), { target: { value: '13900001111' } })
    fireEvent.click(screen.getByText('验证并绑定'))
    expect(await screen.findByText('该手机号已绑定其他会员，请联系客服处理')).toBeTruthy()
  })

  it('records the scene attribution after binding and resumes a product redemption', async () => {
    setAttribution({ scene: 'g=G001', kind: 'guide', label: '导购 小林 · 南京西路店' })
    setNextStep({ kind: 'redeem', q: 'https://brand.example/c/ABCD1234' })
    mockApi(flow({ 'member.login': CONSENTED, 'scenes.join': { data: { attributed: true } } }))
    render(<JoinPage />)
    fireEvent.change(await screen.findByPlaceholderText('请输入 11 位手机号'), { target: { value: '13800008000' } })
    fireEvent.click(screen.getByText('验证并绑定'))
    expect(await screen.findByText('导购推荐入会 · 小林 · 南京西路店')).toBeTruthy()
    expect(callsOf('scenes', 'join')[0]?.event).toEqual({ action: 'join', scene: 'g=G001' })
    fireEvent.click(screen.getByText('继续领取扫码积分'))
    expect(Taro.redirectTo).toHaveBeenCalledWith({ url: '/packages/scan/index?q=https%3A%2F%2Fbrand.example%2Fc%2FABCD1234' })
  })

  it('after joining from a package card, goes on to bind the order with the card\'s bonus named', async () => {
    setNextStep({ kind: 'order', campaignId: 'C11', platform: 'jd', bonus: 100 })
    mockApi(flow({ 'member.login': CONSENTED }))
    render(<JoinPage />)
    fireEvent.change(await screen.findByPlaceholderText('请输入 11 位手机号'), { target: { value: '13800008000' } })
    fireEvent.click(screen.getByText('验证并绑定'))
    fireEvent.click(await screen.findByText('绑定包裹订单领积分'))
    expect(Taro.redirectTo).toHaveBeenCalledWith({ url: '/packages/join/order/index?campaign=C11&platform=jd&bonus=100' })
  })

  it('greets a member who joined before as one, not as a newcomer', async () => {
    mockApi(flow({ 'member.login': { data: { ...VISITOR.data, consented: true, phoneBound: true } } }))
    render(<JoinPage />)
    expect(await screen.findByText('您已是会员')).toBeTruthy()
    expect(screen.queryByText('欢迎加入会员')).toBeNull()
    expect(callsOf('member', 'bindPhone')).toHaveLength(0)
  })

  it('shows the login error with a retry', async () => {
    mockApi({ 'member.login': { error: 'UNAVAILABLE' } })
    render(<JoinPage />)
    expect(await screen.findByText('网络不给力，服务暂时无法连接，请稍后再试')).toBeTruthy()
  })
})

describe('binding the phone again after a send that got no answer', () => {
  /** Answers in turn, the last one for every call after. */
  const inTurn = (...answers: Answer[]): Answer => {
    let n = 0
    return () => answers[Math.min(n++, answers.length - 1)]!
  }
  const ASKED_AGAIN = '手机号授权已失效，请重新授权'
  const LOST = '网络不给力，服务暂时无法连接，请稍后再试'

  async function tapPhoneButton(code: string) {
    phoneNumberDetail.current = { code }
    fireEvent.click(await screen.findByText('微信手机号一键绑定'))
  }

  afterEach(() => {
    phoneNumberDetail.current = { code: 'wx-phone-code' }
  })

  it('weapp: 重试 sends the same code again, without asking WeChat for another', async () => {
    process.env.TARO_ENV = 'weapp'
    mockApi(flow({ 'member.login': CONSENTED, 'member.bindPhone': inTurn({ error: 'UNAVAILABLE' }, BOUND) }))
    render(<JoinPage />)
    await tapPhoneButton('wx-code-1')
    expect(await screen.findByText(LOST)).toBeTruthy()
    phoneNumberDetail.current = { code: 'wx-code-2' }
    // a button a screen reader names, as the phone button beside it
    fireEvent.click(screen.getByRole('button', { name: '重试' }))
    expect(await screen.findByText('欢迎加入会员')).toBeTruthy()
    expect(callsOf('member', 'bindPhone').map((c) => c.event.code)).toEqual(['wx-code-1', 'wx-code-1'])
  })

  it('a retry refused as an already used code, once login says the phone is bound, goes on as bound (the earlier send bound it)', async () => {
    process.env.TARO_ENV = 'weapp'
    setAttribution({ scene: 'g=G001', kind: 'guide', label: '导购 小林 · 南京西路店' })
    setNextStep({ kind: 'redeem', q: 'https://brand.example/c/ABCD1234' })
    mockApi(flow({
      'member.login': inTurn(CONSENTED, { data: { ...CONSENTED.data, phoneBound: true } }),
      'member.bindPhone': inTurn({ error: 'UNAVAILABLE' }, { error: 'PHONE_CODE_INVALID' }),
      'scenes.join': { data: { attributed: true } },
    }))
    render(<JoinPage />)
    await tapPhoneButton('wx-code-1')
    fireEvent.click(await screen.findByText('重试'))
    expect(await screen.findByText('您已是会员')).toBeTruthy()
    expect(screen.queryByText(ASKED_AGAIN)).toBeNull()
    expect(callsOf('member', 'login')).toHaveLength(2)
    expect(callsOf('scenes', 'join')).toHaveLength(1)
    expect(screen.getByText('继续领取扫码积分')).toBeTruthy()
  })

  it('H5: the same, through the dev form\'s code', async () => {
    mockApi(flow({
      'member.login': inTurn(CONSENTED, { data: { ...CONSENTED.data, phoneBound: true } }),
      'member.bindPhone': inTurn({ error: 'UNAVAILABLE' }, { error: 'PHONE_CODE_INVALID' }),
    }))
    render(<JoinPage />)
    fireEvent.change(await screen.findByPlaceholderText('请输入 11 位手机号'), { target: { value: '13800008000' } })
    fireEvent.click(screen.getByText('验证并绑定'))
    fireEvent.click(await screen.findByText('重试'))
    expect(await screen.findByText('您已是会员')).toBeTruthy()
    const [first, second] = callsOf('member', 'bindPhone')
    expect(second?.event.code).toBe(first?.event.code)
  })

  it('a retry refused as an already used code, with the phone still not bound, asks for the button again', async () => {
    process.env.TARO_ENV = 'weapp'
    mockApi(flow({ 'member.login': CONSENTED, 'member.bindPhone': inTurn({ error: 'UNAVAILABLE' }, { error: 'PHONE_CODE_INVALID' }) }))
    render(<JoinPage />)
    await tapPhoneButton('wx-code-1')
    fireEvent.click(await screen.findByText('重试'))
    expect(await screen.findByText(ASKED_AGAIN)).toBeTruthy()
    expect(callsOf('member', 'login')).toHaveLength(2)
    expect(screen.queryByText('重试')).toBeNull()
    expect(screen.getByText('微信手机号一键绑定')).toBeTruthy()
  })

  it('a retry refused as an already used code, when login cannot be reached either, is not taken for a binding: the button is asked for again', async () => {
    process.env.TARO_ENV = 'weapp'
    mockApi(flow({
      'member.login': inTurn(CONSENTED, { error: 'UNAVAILABLE' }),
      'member.bindPhone': inTurn({ error: 'UNAVAILABLE' }, { error: 'PHONE_CODE_INVALID' }),
    }))
    render(<JoinPage />)
    await tapPhoneButton('wx-code-1')
    fireEvent.click(await screen.findByText('重试'))
    expect(await screen.findByText(ASKED_AGAIN)).toBeTruthy()
    expect(callsOf('member', 'login')).toHaveLength(2)
    expect(screen.queryByText('欢迎加入会员')).toBeNull()
    expect(screen.queryByText('您已是会员')).toBeNull()
    expect(screen.getByText('微信手机号一键绑定')).toBeTruthy()
  })

  it('a first send refused as an invalid code is told so, without asking login', async () => {
    process.env.TARO_ENV = 'weapp'
    mockApi(flow({ 'member.login': CONSENTED, 'member.bindPhone': { error: 'PHONE_CODE_INVALID' } }))
    render(<JoinPage />)
    await tapPhoneButton('wx-code-1')
    expect(await screen.findByText(ASKED_AGAIN)).toBeTruthy()
    expect(callsOf('member', 'login')).toHaveLength(1)
    expect(screen.queryByText('重试')).toBeNull()
  })

  it('a send refused for a reason (PHONE_CONFLICT) is an answer: no 重试, and the code sent again is not taken for a lost one', async () => {
    process.env.TARO_ENV = 'weapp'
    mockApi(flow({
      'member.login': inTurn(CONSENTED, { data: { ...CONSENTED.data, phoneBound: true } }),
      'member.bindPhone': inTurn({ error: 'PHONE_CONFLICT' }, { error: 'PHONE_CODE_INVALID' }),
    }))
    render(<JoinPage />)
    await tapPhoneButton('wx-code-1')
    expect(await screen.findByText('该手机号已绑定其他会员，请联系客服处理')).toBeTruthy()
    expect(screen.queryByText('重试')).toBeNull()
    await tapPhoneButton('wx-code-1')
    expect(await screen.findByText(ASKED_AGAIN)).toBeTruthy()
    expect(callsOf('member', 'login')).toHaveLength(1)
  })

  it('a retry answered CONFLICT (the lost send still binding the code) says to try again later and keeps 重试, whose next send is answered the binding', async () => {
    process.env.TARO_ENV = 'weapp'
    mockApi(flow({ 'member.login': CONSENTED, 'member.bindPhone': inTurn({ error: 'UNAVAILABLE' }, { error: 'CONFLICT' }, BOUND) }))
    render(<JoinPage />)
    await tapPhoneButton('wx-code-1')
    fireEvent.click(await screen.findByText('重试'))
    expect(await screen.findByText('当前请求较多，请稍后再试')).toBeTruthy()
    expect(screen.queryByText(ASKED_AGAIN)).toBeNull()
    fireEvent.click(screen.getByRole('button', { name: '重试' }))
    expect(await screen.findByText('欢迎加入会员')).toBeTruthy()
    expect(callsOf('member', 'bindPhone').map((c) => c.event.code)).toEqual(['wx-code-1', 'wx-code-1', 'wx-code-1'])
    expect(callsOf('member', 'login')).toHaveLength(1)
  })

  it('a lost send followed by a fresh tap sends the new code, and a refusal of it asks no login', async () => {
    process.env.TARO_ENV = 'weapp'
    mockApi(flow({ 'member.login': CONSENTED, 'member.bindPhone': inTurn({ error: 'UNAVAILABLE' }, { error: 'PHONE_CODE_INVALID' }) }))
    render(<JoinPage />)
    await tapPhoneButton('wx-code-1')
    expect(await screen.findByText(LOST)).toBeTruthy()
    await tapPhoneButton('wx-code-2')
    expect(await screen.findByText(ASKED_AGAIN)).toBeTruthy()
    expect(callsOf('member', 'bindPhone').map((c) => c.event.code)).toEqual(['wx-code-1', 'wx-code-2'])
    expect(callsOf('member', 'login')).toHaveLength(1)
  })

  it('a lost send followed by the consumer declining the button offers no 重试 beside the refusal', async () => {
    process.env.TARO_ENV = 'weapp'
    mockApi(flow({ 'member.login': CONSENTED, 'member.bindPhone': { error: 'UNAVAILABLE' } }))
    render(<JoinPage />)
    await tapPhoneButton('wx-code-1')
    expect(await screen.findByText('重试')).toBeTruthy()
    phoneNumberDetail.current = { errMsg: 'getPhoneNumber:fail user deny' }
    fireEvent.click(screen.getByText('微信手机号一键绑定'))
    expect(await screen.findByText('需要授权手机号才能成为会员，您可以稍后再来')).toBeTruthy()
    expect(screen.queryByText('重试')).toBeNull()
  })
})

describe('join: a consent refused as CONFLICT (the store busy)', () => {
  it('says to try again later, with 同意并继续 to tap again, not to refresh a page that has no refresh', async () => {
    let tries = 0
    mockApi(flow({ 'member.consent': () => (++tries === 1 ? { error: 'CONFLICT' } : CONSENTED) }))
    render(<JoinPage />)
    await agree()
    expect(await screen.findByText('当前请求较多，请稍后再试')).toBeTruthy()
    expect(screen.queryByText(/刷新/)).toBeNull()
    fireEvent.click(screen.getByText('同意并继续'))
    await waitFor(() => expect(callsOf('member', 'consent')).toHaveLength(2))
  })
})
