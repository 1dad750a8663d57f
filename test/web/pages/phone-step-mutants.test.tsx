import { fireEvent, render, screen } from '@testing-library/react'
import Taro from '@tarojs/taro'
import JoinPage from '../../../src/packages/join/index'
import { VISITOR, mockApi, resetAll } from '../support/api'

/**
 * The phone step (PhoneStep.tsx), pinned where hand-made mutants went unnoticed: a guideline name
 * WeChat gives without its 《》 is shown in them, as the default name is; and the dev form's
 * wrong-number message is read out as it appears (role alert), as the step's other errors are.
 */
const CONSENTED = { data: { ...VISITOR.data, consented: true } }
const phoneStep = () => mockApi({ 'member.login': CONSENTED, 'member.channels': { data: { wechat: true, phone: true, tmall: false, offline: false, jd: false } } })

type PrivacyApis = { openPrivacyContract?: jest.Mock; getPrivacySetting?: jest.Mock }
const wx = Taro as unknown as PrivacyApis

beforeEach(resetAll)
afterEach(() => {
  delete wx.openPrivacyContract
  delete wx.getPrivacySetting
})

describe('the privacy notice names the guideline as WeChat has it', () => {
  it('puts a name WeChat gives without 《》 in them, once', async () => {
    process.env.TARO_ENV = 'weapp'
    wx.openPrivacyContract = jest.fn()
    wx.getPrivacySetting = jest.fn(({ success }) => success({ needAuthorization: true, privacyContractName: '会员中心小程序隐私保护指引', errMsg: 'getPrivacySetting:ok' }))
    phoneStep()
    render(<JoinPage />)
    const link = await screen.findByRole('button', { name: '《会员中心小程序隐私保护指引》' })
    expect(link.parentElement!.textContent).toBe('绑定即表示您已阅读并同意《会员中心小程序隐私保护指引》')
  })

  it('keeps the default name when WeChat gives none', async () => {
    process.env.TARO_ENV = 'weapp'
    wx.openPrivacyContract = jest.fn()
    wx.getPrivacySetting = jest.fn(({ success }) => success({ needAuthorization: false, privacyContractName: '', errMsg: 'getPrivacySetting:ok' }))
    phoneStep()
    render(<JoinPage />)
    expect(await screen.findByRole('button', { name: '《小程序隐私保护指引》' })).toBeTruthy()
    expect(wx.getPrivacySetting).toHaveBeenCalled()
  })
})

describe('the H5 dev form\'s wrong number', () => {
  it('is an alert, read out as it appears', async () => {
    phoneStep()
    render(<JoinPage />)
    fireEvent.change(await screen.findByPlaceholderText('请输入 11 位手机号'), { target: { value: '12345' } })
    fireEvent.click(screen.getByText('验证并绑定'))
    expect(screen.getByRole('alert').textContent).toBe('请输入正确的 11 位手机号')
  })
})
