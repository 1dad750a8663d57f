import { tempDir } from '../support/temp'

/**
 * `npm start` and `npm run build:*` read the brand's name and link host from the config for the pages.
 * They read it through the functions' own check, so a mistake stops the build before it starts and
 * the pages never carry a value the functions would refuse.
 */
describe('the build reads the brand config as the functions do', () => {
  const temp = tempDir('mc-build-config-')
  afterAll(() => temp.cleanup())
  const saved = process.env.MC_CONFIG
  afterEach(() => {
    if (saved === undefined) delete process.env.MC_CONFIG
    else process.env.MC_CONFIG = saved
  })

  /** config/index.ts loaded afresh with MC_CONFIG naming a file with this text. */
  async function constantsWith(text: string): Promise<Record<string, string>> {
    process.env.MC_CONFIG = temp.write(`config-${Math.random().toString(36).slice(2)}.json`, text)
    let config: unknown
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      config = require('../../config/index').default
    })
    const project = await (config as (merge: (a: object, b: object) => object, env: object) => Promise<{ defineConstants: Record<string, string> }>)(
      (a, b) => ({ ...a, ...b }),
      { mode: 'production', command: 'build' },
    )
    return project.defineConstants
  }

  it("puts MC_CONFIG's brand name and domain into the pages", async () => {
    const constants = await constantsWith(JSON.stringify({ brandName: '山茶会员', brandDomain: 'mc.camellia.example' }))
    expect(JSON.parse(constants.BRAND_NAME!)).toBe('山茶会员')
    expect(JSON.parse(constants.BRAND_DOMAIN!)).toBe('mc.camellia.example')
  })

  it('refuses a brandDomain written as a link, saying what is wrong', async () => {
    await expect(constantsWith(JSON.stringify({ brandDomain: 'https://mc.camellia.example' }))).rejects.toThrow(/invalid member-centre config: brandDomain/)
  })

  it('refuses a mistake elsewhere in the config before building anything', async () => {
    await expect(constantsWith(JSON.stringify({ level: [] }))).rejects.toThrow(/unknown key "level"/)
  })
})
