import { fireEvent, render, screen, waitFor } from '@testing-library/react'
import Taro from '@tarojs/taro'
import StoreCardPage from '../../../src/packages/account/store-card/index'
import TermsPage from '../../../src/packages/account/terms/index'
import { JOINED, callsOf, mockApi, resetAll } from '../support/api'
import { expectOpensOnce } from '../support/taps'

beforeEach(resetAll)

async function link(cardNo: string, last4: string) {
  render(<StoreCardPage />)
  fireEvent.change(screen.getByPlaceholderText('会员卡背面的卡号'), { target: { value: cardNo } })
  fireEvent.change(screen.getByPlaceholderText('例如 8000'), { target: { value: last4 } })
  fireEvent.click(screen.getByRole('button', { name: '关联门店会员卡' }))
}

describe('store card', () => {
  it('links a card with the last four digits', async () => {
    mockApi({ 'member.linkOffline': { data: { status: 'linked', memberId: 'm_1' } } })
    await link('VIP0001', '8000')
    expect(await screen.findByText('门店会员卡已关联')).toBeTruthy()
    expect(callsOf('member', 'linkOffline')[0]?.event).toEqual({ action: 'linkOffline', cardNo: 'VIP0001', last4: '8000' })
  })

  it('says a card without a phone waits for the store', async () => {
    mockApi({ 'member.linkOffline': { data: { status: 'pending', memberId: 'm_1' } } })
    await link('VIP0002', '')
    expect(await screen.findByText('已提交，等待门店确认')).toBeTruthy()
    // also said of a card whose phone on file is a placeholder: nothing claims it has none
    expect(await screen.findByText('这张卡需要门店核实，核实后会自动关联，无需再次提交。')).toBeTruthy()
  })

  it.each([
    ['CARD_MISMATCH', '会员卡号与手机号后四位不匹配，请核对后重试'],
    ['LOCKED', '尝试次数过多，已暂时锁定，请稍后再试'],
    ['NOT_FOUND', '没有找到这张会员卡，请核对卡号；新办的卡可能需要一天后才能关联。'],
    ['FORBIDDEN', '门店未能确认这张会员卡属于您，请携带会员卡到门店处理。'],
  ])('explains %s', async (code, text) => {
    mockApi({ 'member.linkOffline': { error: code } })
    await link('VIP0001', '1234')
    expect(await screen.findByText(text)).toBeTruthy()
  })

  it.each([
    [{ triesLeft: 3 }, '会员卡号与手机号后四位不匹配，请核对后重试（还可尝试 3 次）。'],
    [{ triesLeft: 1 }, '会员卡号与手机号后四位不匹配。再输错 1 次，这张卡将被暂时锁定，请仔细核对。'],
    [{ triesLeft: 0, until: '2026-11-24T02:05:00.000Z' }, '会员卡号与手机号后四位不匹配。输错次数过多，这张卡已锁定，请于 2026年11月24日 10:05 后再试。'],
  ])('counts the tries left after wrong digits (%o)', async (details, text) => {
    mockApi({ 'member.linkOffline': { error: 'CARD_MISMATCH', details: { details } } })
    await link('VIP0001', '1234')
    expect(await screen.findByText(text)).toBeTruthy()
  })

  it('says until when a locked card stays locked, in Beijing time, rounded up to the minute it opens, blaming no one (the tries may have been another\'s)', async () => {
    mockApi({ 'member.linkOffline': { error: 'LOCKED', details: { details: { until: '2026-11-24T02:05:30.123Z' } } } })
    await link('VIP0001', '1234')
    expect(await screen.findByText('这张卡因多次验证失败已暂时锁定，请于 2026年11月24日 10:06 后再试，或携带会员卡到门店办理。')).toBeTruthy()
    expect(screen.queryByText(/输错次数过多/)).toBeNull()
  })

  it('says until when a consumer who tried too many cards may try again', async () => {
    mockApi({ 'member.linkOffline': { error: 'RATE_LIMITED', details: { details: { until: '2026-11-24T02:05:30.123Z' } } } })
    await link('VIP0001', '1234')
    // not 输错: tries of locked or unknown cards, or without the digits, count too
    expect(await screen.findByText('尝试次数过多，请于 2026年11月24日 10:06 后再试。')).toBeTruthy()
  })

  it.each([
    [{ reason: 'card_held' }, '这张会员卡已属于其他会员，请到门店处理。'],
    [{ reason: 'cannot_join' }, '这张会员卡暂时无法关联到您的账户，请到门店处理。'],
    // no reason: the try met other requests at once, or the store was busy; nothing was decided
    [{}, '当前请求较多，请稍后再点一次「关联门店会员卡」。'],
  ])('tells a card held by someone else apart from a try that only needs another tap: %j', async (details, text) => {
    mockApi({ 'member.linkOffline': { error: 'CONFLICT', details: { details } } })
    await link('VIP0001', '1234')
    expect(await screen.findByText(text)).toBeTruthy()
  })

  it('leads an unbound visitor to join', async () => {
    mockApi({ 'member.linkOffline': { error: 'NOT_BOUND' } })
    await link('VIP0001', '1234')
    expect(await screen.findByText('去入会')).toBeTruthy()
    expect(screen.getByText(/请先入会并绑定手机号，再关联门店会员卡。/)).toBeTruthy()
  })
})

describe('store card 返回会员首页 tapped twice quickly', () => {
  it('opens the member home once', async () => {
    mockApi({ 'member.linkOffline': { data: { status: 'linked', memberId: 'm_1' } } })
    await link('VIP0001', '8000')
    await expectOpensOnce('返回会员首页', 'switchTab')
  })

  it('a home that could not open can be tapped for again', async () => {
    mockApi({ 'member.linkOffline': { data: { status: 'pending', memberId: 'm_1' } } })
    ;(Taro.switchTab as jest.Mock).mockImplementationOnce(() => Promise.reject(new Error('switchTab:fail')))
    await link('VIP0002', '')
    fireEvent.click(await screen.findByText('返回会员首页'))
    await waitFor(() => expect(Taro.showToast).toHaveBeenCalled())
    fireEvent.click(screen.getByText('返回会员首页'))
    await waitFor(() => expect(Taro.switchTab).toHaveBeenCalledTimes(2))
  })
})

describe('terms', () => {
  it('shows the terms with the current version', async () => {
    mockApi({ 'member.login': JOINED })
    render(<TermsPage />)
    expect(await screen.findByText('版本 2026-11-01')).toBeTruthy()
    expect(screen.getByText('三、您的权利')).toBeTruthy()
  })
})
