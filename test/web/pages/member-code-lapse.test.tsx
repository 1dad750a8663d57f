import { act, render, screen, waitFor } from '@testing-library/react'
import { pageLifecycle } from '../stubs/taro'
import MemberPage from '../../../src/pages/member/index'
import { JOINED, callsOf, mockApi, resetAll } from '../support/api'

/**
 * The member code is a minute-long token a till refuses once it has lapsed. Its renewal goes out
 * 5 s before, or at once on coming back to the tab; on a weak signal the answer can take longer
 * than that, and meanwhile the lapsed code must not be shown as if a till would take it.
 */
const SUMMARY = { data: { available: 1280, owed: 0, expiring: [], growth: 640, level: { code: 'normal', name: '普通会员' }, nextLevel: null } }
const PROFILE = { data: { memberId: 'm_1', nickname: null, birthday: null, phoneMasked: '138****8000' } }
const CHANNELS = { data: { wechat: true, phone: true, tmall: false, offline: true, jd: false } }

/** The first member code answers at once, each renewal never (a signal too weak for it to arrive yet). */
function renderWithStalledRenewal() {
  let n = 0
  mockApi({
    'member.login': JOINED, 'member.profile': PROFILE, 'points.summary': SUMMARY, 'member.channels': CHANNELS,
    'member.memberCode': () => (n++ === 0 ? { data: { token: 'MC1.m_000001.1795000000.tag', issuedAt: new Date().toISOString(), expiresAt: new Date(Date.now() + 60_000).toISOString() } } : { pending: true }),
  })
  render(<MemberPage />)
}

beforeEach(resetAll)

describe('a member code whose renewal is slow to arrive', () => {
  it('is taken off the screen once it lapses, while its renewal is still on the way', async () => {
    jest.useFakeTimers()
    try {
      renderWithStalledRenewal()
      expect(await screen.findByAltText('会员二维码')).toBeTruthy()
      for (let second = 0; second < 61; second++) await jest.advanceTimersByTimeAsync(1_000)
      expect(callsOf('member', 'memberCode')).toHaveLength(2)
      expect(screen.queryByAltText('会员二维码')).toBeNull()
      expect(screen.queryByAltText('会员条形码')).toBeNull()
      expect(screen.getByText('正在刷新会员码…')).toBeTruthy()
      // the rest of the card stays
      expect(screen.getByText('1,280')).toBeTruthy()
    } finally {
      jest.useRealTimers()
    }
  })

  it('is not shown on coming back to the tab after it lapsed, while the new one is on the way', async () => {
    jest.useFakeTimers()
    try {
      renderWithStalledRenewal()
      expect(await screen.findByAltText('会员二维码')).toBeTruthy()
      act(() => pageLifecycle.hide())
      await jest.advanceTimersByTimeAsync(5 * 60_000)
      act(() => pageLifecycle.show())
      await waitFor(() => expect(callsOf('member', 'memberCode')).toHaveLength(2))
      expect(screen.queryByAltText('会员二维码')).toBeNull()
      expect(screen.queryByAltText('会员条形码')).toBeNull()
      expect(screen.getByText('正在刷新会员码…')).toBeTruthy()
    } finally {
      jest.useRealTimers()
    }
  })
})
