import { fireEvent, render, screen, waitFor } from '@testing-library/react'
import PointsPage from '../../../src/pages/points/index'
import { JOINED, callsOf, mockApi, resetAll } from '../support/api'

const SUMMARY = { data: { available: 1500, owed: 0, expiring: [], growth: 1200, level: { code: 'silver', name: '银卡' }, nextLevel: null } }
const order = (i: number) => ({ id: `o${i}`, kind: 'earn', points: 10, growth: 10, at: '2027-01-05T02:00:00.000Z', description: `天猫订单 ${i} 消费得积分` })
/** One of the many lots of one expiry night (every order of 2025 expires at 23:59:59 on 31 December 2026). */
const lot = (i: number) => ({ id: `x${i}`, kind: 'expire', points: -5, growth: 0, at: '2026-12-31T15:59:59.000Z', description: '积分过期' })

beforeEach(resetAll)

describe('积分明细 with many lots expiring on one night', () => {
  it('fetches the next page at once when a page scrolled to adds no line (its lots folded into the 积分过期 line shown), since no further scroll can reach the bottom again', async () => {
    // 19 orders and the night's first lot, then pages of that night's lots only, then an older order
    const pages: Record<string, { entries: unknown[]; nextCursor: string | null }> = {
      first: { entries: [...Array.from({ length: 19 }, (_, i) => order(i + 1)), lot(0)], nextCursor: 'c1' },
      c1: { entries: Array.from({ length: 20 }, (_, i) => lot(100 + i)), nextCursor: 'c2' },
      c2: { entries: Array.from({ length: 20 }, (_, i) => lot(200 + i)), nextCursor: 'c3' },
      c3: { entries: [order(99)], nextCursor: null },
    }
    mockApi({ 'member.login': JOINED, 'points.summary': SUMMARY, 'points.history': (event) => ({ data: pages[(event.cursor as string | null) ?? 'first'] }) })
    render(<PointsPage />)
    // the consumer reaches the bottom once (the tap stands in for Taro's reach-bottom)
    fireEvent.click(await screen.findByText('加载更多'))
    // the page added nothing to see and the list is as tall as before: no scroll event comes to ask again
    await waitFor(() => expect(callsOf('points', 'history').map((c) => c.event.cursor ?? null)).toEqual([null, 'c1', 'c2', 'c3']))
    expect(await screen.findByText('天猫订单 99 消费得积分')).toBeTruthy()
    expect(screen.getAllByText('积分过期')).toHaveLength(1)
    expect(screen.getByText('-205')).toBeTruthy()
  })

  it('waits for the next scroll when a page added lines to see', async () => {
    const pages: Record<string, { entries: unknown[]; nextCursor: string | null }> = {
      first: { entries: Array.from({ length: 20 }, (_, i) => order(i + 1)), nextCursor: 'c1' },
      c1: { entries: Array.from({ length: 20 }, (_, i) => order(i + 21)), nextCursor: 'c2' },
    }
    mockApi({ 'member.login': JOINED, 'points.summary': SUMMARY, 'points.history': (event) => ({ data: pages[(event.cursor as string | null) ?? 'first'] }) })
    render(<PointsPage />)
    fireEvent.click(await screen.findByText('加载更多'))
    expect(await screen.findByText('天猫订单 40 消费得积分')).toBeTruthy()
    expect(screen.getByText('加载更多')).toBeTruthy()
    expect(callsOf('points', 'history')).toHaveLength(2)
  })
})
