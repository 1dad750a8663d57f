import { fireEvent, render, screen, waitFor } from '@testing-library/react'
import Taro from '@tarojs/taro'
import JoinPage from '../../../src/packages/join/index'
import { VISITOR, mockApi, resetAll } from '../support/api'

/**
 * The phone button's tap agrees to the mini-program's privacy guideline (open-type
 * agreePrivacyAuthorization). WeChat expects the page to tell the consumer so and to offer the
 * guideline (wx.openPrivacyContract): the phone step says it beside the button and, in WeChat,
 * the guideline's name opens it.
 */
const CONSENTED = { data: { ...VISITOR.data, consented: true } }
const phoneStep = () => mockApi({ 'member.login': CONSENTED, 'member.channels': { data: { wechat: true, phone: true, tmall: false, offline: false, jd: false } } })

// WeChat's privacy APIs, as Taro hands them over on weapp (absent before base library 2.32.3)
type PrivacyApis = { openPrivacyContract?: jest.Mock; getPrivacySetting?: jest.Mock }
const wx = Taro as unknown as PrivacyApis

beforeEach(resetAll)
afterEach(() => {
  delete wx.openPrivacyContract
  delete wx.getPrivacySetting
})

/** The words and the guideline's name as one line, read from the notice's element. */
const noticeText = (name: string) => screen.getByText(name).parentElement!.textContent

describe('the phone step tells of the privacy guideline the button agrees to', () => {
  it('weapp: says binding agrees to 《小程序隐私保护指引》 and opens it in WeChat with a tap', async () => {
    process.env.TARO_ENV = 'weapp'
    wx.openPrivacyContract = jest.fn()
    phoneStep()
    render(<JoinPage />)
    await screen.findByText('微信手机号一键绑定')
    expect(noticeText('《小程序隐私保护指引》')).toBe('绑定即表示您已阅读并同意《小程序隐私保护指引》')
    const link = screen.getByRole('button', { name: '《小程序隐私保护指引》' })
    expect(link.getAttribute('aria-role')).toBe('button')
    fireEvent.click(link)
    expect(wx.openPrivacyContract).toHaveBeenCalledTimes(1)
  })

  it('weapp: names the guideline as the mini-program has it in WeChat', async () => {
    process.env.TARO_ENV = 'weapp'
    wx.openPrivacyContract = jest.fn()
    wx.getPrivacySetting = jest.fn(({ success }) => success({ needAuthorization: true, privacyContractName: '《会员中心小程序隐私保护指引》', errMsg: 'getPrivacySetting:ok' }))
    phoneStep()
    render(<JoinPage />)
    expect(await screen.findByRole('button', { name: '《会员中心小程序隐私保护指引》' })).toBeTruthy()
    expect(screen.queryByText('《小程序隐私保护指引》')).toBeNull()
  })

  it('weapp: a guideline that cannot open says why, in a toast', async () => {
    process.env.TARO_ENV = 'weapp'
    wx.openPrivacyContract = jest.fn(({ fail }) => fail({ errMsg: 'openPrivacyContract:fail' }))
    phoneStep()
    render(<JoinPage />)
    fireEvent.click(await screen.findByRole('button', { name: '《小程序隐私保护指引》' }))
    await waitFor(() => expect(Taro.showToast).toHaveBeenCalledWith({ title: '暂时无法打开隐私保护指引，请稍后再试', icon: 'none' }))
  })

  it('weapp before base library 2.32.3 (no openPrivacyContract): the words, with no link that would do nothing', async () => {
    process.env.TARO_ENV = 'weapp'
    phoneStep()
    render(<JoinPage />)
    await screen.findByText('微信手机号一键绑定')
    expect(noticeText('《小程序隐私保护指引》')).toBe('绑定即表示您已阅读并同意《小程序隐私保护指引》')
    expect(screen.queryByRole('button', { name: '《小程序隐私保护指引》' })).toBeNull()
  })

  it('H5: the same words beside the dev form, the name as plain text (there is no WeChat guideline to open)', async () => {
    wx.openPrivacyContract = jest.fn()
    phoneStep()
    render(<JoinPage />)
    await screen.findByPlaceholderText('请输入 11 位手机号')
    expect(noticeText('《小程序隐私保护指引》')).toBe('绑定即表示您已阅读并同意《小程序隐私保护指引》')
    expect(screen.queryByRole('button', { name: '《小程序隐私保护指引》' })).toBeNull()
    fireEvent.click(screen.getByText('《小程序隐私保护指引》'))
    expect(wx.openPrivacyContract).not.toHaveBeenCalled()
  })

  it('comes before the button, so it is read before the tap that agrees', async () => {
    process.env.TARO_ENV = 'weapp'
    wx.openPrivacyContract = jest.fn()
    phoneStep()
    render(<JoinPage />)
    const button = await screen.findByText('微信手机号一键绑定')
    const notice = screen.getByText('《小程序隐私保护指引》')
    expect(notice.compareDocumentPosition(button) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy()
  })
})

// where hand-made mutants of PhoneStep.tsx went unnoticed: the name as WeChat gives it, the dev form's alert
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
