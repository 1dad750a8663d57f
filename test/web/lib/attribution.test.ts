import { getAttribution, setAttribution } from '../../../src/launch/intent'
import { recordAttribution } from '../../../src/launch/attribution'
import { registry } from '../stubs/transport'
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

  it('asked twice at once, sends the saved join once; a code scanned meanwhile is kept for its own join, not cleared with the first', async () => {
    fromGuide()
    let release!: () => void
    const joins: unknown[] = []
    registry.handle = async (_fn, event) => {
      joins.push(event)
      if (joins.length === 1) await new Promise<void>((done) => (release = done))
      return { ok: true, data: { attributed: true } }
    }
    const first = recordAttribution()
    const second = recordAttribution()
    await new Promise((done) => setTimeout(done, 0))
    setAttribution({ kind: 'store', scene: 's=SH002' })
    release()
    await Promise.all([first, second])
    expect(joins).toEqual([{ action: 'join', scene: 'g=G001' }, { action: 'join', scene: 's=SH002' }])
    expect(getAttribution()).toBeUndefined()
  })

  it('drops it when the server refuses it for good', async () => {
    fromGuide()
    mockApi({ 'scenes.join': { error: 'NOT_FOUND' } })
    await recordAttribution()
    expect(callsOf('scenes', 'join')).toHaveLength(1)
    expect(getAttribution()).toBeUndefined()
  })
})
