import { getAttribution, setAttribution } from '../../../src/launch/intent'
import { recordAttribution } from '../../../src/packages/join/attribution'
import { callsOf, mockApi, resetAll } from '../support/api'

describe('recording where a member came from', () => {
  beforeEach(() => resetAll())
  const fromGuide = () => setAttribution({ kind: 'guide', scene: 'g=G001', label: '导购 小林' })

  it('tries a join that met too many others at once again, and clears the attribution once recorded', async () => {
    fromGuide()
    let tries = 0
    mockApi({ 'scenes.join': () => (++tries < 3 ? { error: 'CONFLICT' } : { data: { attributed: true } }) })
    await recordAttribution()
    expect(callsOf('scenes', 'join')).toHaveLength(3)
    expect(getAttribution()).toBeUndefined()
  })

  it('keeps it for a later try while the join keeps colliding, or the service cannot be reached', async () => {
    for (const error of ['CONFLICT', 'UNAVAILABLE']) {
      fromGuide()
      mockApi({ 'scenes.join': { error } })
      await recordAttribution()
      expect(getAttribution()).toMatchObject({ scene: 'g=G001' })
    }
  })

  it('drops it when the server refuses it for good', async () => {
    fromGuide()
    mockApi({ 'scenes.join': { error: 'NOT_FOUND' } })
    await recordAttribution()
    expect(callsOf('scenes', 'join')).toHaveLength(1)
    expect(getAttribution()).toBeUndefined()
  })
})
