import { render, screen } from '@testing-library/react'
import PointsPage from '../../../src/pages/points/index'
import { JOINED, mockApi, resetAll } from '../support/api'

const SUMMARY = { data: { available: 80, owed: 0, expiring: [], growth: 950, level: { code: 'normal', name: '普通会员' }, nextLevel: { code: 'silver', name: '银卡', minGrowth: 1000, growthNeeded: 50 } } }
const line = (id: string, kind: string, points: number, growth: number, description: string) => ({ id, kind, points, growth, at: '2027-02-01T02:00:00.000Z', description })

beforeEach(resetAll)

describe('积分 history lines that move growth alone', () => {
  it('shows by how much growth moved where no points did, so a level gone down has its reason on the list', async () => {
    mockApi({
      'member.login': JOINED,
      'points.summary': SUMMARY,
      'points.history': { data: { entries: [
        line('e1', 'reverse', 0, -100, '天猫订单 o1 退款扣回成长值'),
        line('e2', 'migrate', 0, 3000, '门店会员原有成长值'),
        line('e3', 'earn', 120, 120, '天猫订单 o2 消费得积分'),
      ], nextCursor: null } },
    })
    render(<PointsPage />)
    expect(await screen.findByText('天猫订单 o1 退款扣回成长值')).toBeTruthy()
    expect(screen.getByText('成长值 -100')).toBeTruthy()
    expect(screen.getByText('成长值 +3,000')).toBeTruthy()
    // a line that moved points shows its points, as before
    expect(screen.getByText('+120')).toBeTruthy()
    expect(screen.queryByText('0')).toBeNull()
  })
})
