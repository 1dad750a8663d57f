import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import defaults from '../../config/member-centre.json';
import { loadConfig } from '../../cloudfunctions/core/runtime/config';
import { secretsFromEnv } from '../../cloudfunctions/core/runtime/secrets';
import { runCli } from '../support/cli';
import { tempDir } from '../support/temp';

/** The brand's config as a deployment developer gives it: a file named by MC_CONFIG. */
describe('a brand config edited wrongly', () => {
  const temp = tempDir('mc-config-keys-');
  afterAll(() => temp.cleanup());
  const withFile = (name: string, text: string) => ({ MC_CONFIG: temp.write(name, text) });
  const refusal = (env: NodeJS.ProcessEnv): string => {
    try {
      loadConfig(env);
    } catch (error) {
      return (error as Error).message;
    }
    throw new Error('the config was accepted');
  };

  it('says why levels out of order are refused, not only which field', () => {
    const levels = [...defaults.levels];
    [levels[1], levels[2]] = [levels[2]!, levels[1]!];
    expect(refusal(withFile('levels.json', JSON.stringify({ levels })))).toMatch(/ascending/);
  });

  it('says why a negative earn rate is refused', () => {
    const points = { ...defaults.points, earn: { default: { pointsPerYuan: -1, growthPerYuan: 1 }, channels: {} } };
    expect(refusal(withFile('rate.json', JSON.stringify({ points })))).toMatch(/pointsPerYuan.*(>=|0)/);
  });

  it('names MC_CONFIG when its file is not JSON', () => {
    const env = withFile('broken.json', '{ "termsVersion": "2027-01-01", }');
    expect(refusal(env)).toContain(env.MC_CONFIG);
  });

  it('refuses a misspelt section rather than running on the defaults', () => {
    // "level" for "levels": the brand's levels would silently be the defaults
    expect(refusal(withFile('typo.json', JSON.stringify({ level: [{ code: 'normal', name: '会员', minGrowth: 0 }] })))).toMatch(/"level"/);
  });

  it('refuses an earn rate or a limit for a channel the brand does not have', () => {
    const points = { ...defaults.points, earn: { ...defaults.points.earn, channels: { tmal: { pointsPerYuan: 2, growthPerYuan: 2 } } } };
    expect(refusal(withFile('earn.json', JSON.stringify({ points })))).toMatch(/tmal/);
    const identity = { ...defaults.identity, limits: { ...defaults.identity.limits, tmal: 1 } };
    expect(refusal(withFile('limits.json', JSON.stringify({ identity })))).toMatch(/tmal/);
  });

  it('refuses a blocked phone that is no phone (it would block nothing)', () => {
    const identity = { ...defaults.identity, blockedPhones: ['1380013800'] };
    expect(refusal(withFile('blocked.json', JSON.stringify({ identity })))).toMatch(/blockedPhones/);
  });

  it.each([['https://mc.brand.com'], ['mc.brand.com/'], ['mc.brand.com/member']])(
    'refuses brandDomain %s, which would print links no scanner opens',
    (brandDomain) => {
      expect(refusal(withFile('domain.json', JSON.stringify({ brandDomain })))).toMatch(/brandDomain/);
    },
  );

  it('does not print a batch of codes on a brandDomain written as a URL', async () => {
    const db = temp.file('codes/mc.db');
    const out = temp.file('codes.txt');
    const saved = process.env.MC_CONFIG;
    process.env.MC_CONFIG = temp.write('url-domain.json', JSON.stringify({ brandDomain: 'https://mc.brand.com' }));
    try {
      const run = await runCli(db, 'codes', 'create', '--sku', 'S1', '--name', '精华水', '--points', '10', '--count', '2', '--out', out);
      const printed = run.failed ? '' : readFileSync(out, 'utf8');
      // what the printer would get: https://https://mc.brand.com/c/…, which opens nothing
      expect(printed).not.toContain('https://https://');
      expect(run.failed).toBe(true);
    } finally {
      if (saved === undefined) delete process.env.MC_CONFIG;
      else process.env.MC_CONFIG = saved;
    }
  });
});

describe('member-centre config', () => {
  const temp = tempDir('mc-config-command-');
  afterAll(() => temp.cleanup());
  const saved = process.env.MC_CONFIG;
  afterEach(() => {
    if (saved === undefined) delete process.env.MC_CONFIG;
    else process.env.MC_CONFIG = saved;
  });

  it("prints the rules in force: MC_CONFIG's sections over the defaults, and touches no database", async () => {
    process.env.MC_CONFIG = temp.write('brand.json', JSON.stringify({ brandName: '山茶会员' }));
    const db = temp.file('none/mc.db');
    const run = await runCli(db, 'config');
    expect(run.failed).toBe(false);
    const printed = JSON.parse(run.out);
    expect(printed.brandName).toBe('山茶会员');
    expect(printed.levels).toEqual(defaults.levels);
    expect(existsSync(db)).toBe(false);
  });

  it('fails saying what is wrong with a config that has a mistake, printing nothing on stdout', async () => {
    process.env.MC_CONFIG = temp.write('misspelt.json', JSON.stringify({ level: [] }));
    const run = await runCli(temp.file('mc.db'), 'config');
    expect(run.failed).toBe(true);
    expect(run.err).toMatch(/unknown key "level"/);
    expect(run.out).toBe('');
  });
});

describe('production keys', () => {
  const key = () => randomBytes(32).toString('base64');

  it('refuses the member-code key (given to every till) reused as a product-code key: a till could mint codes', () => {
    const shared = key();
    expect(() => secretsFromEnv({ MC_PHONE_HASH_KEY: key(), MC_PHONE_ENC_KEY: key(), MC_MEMBER_CODE_KEY: shared, MC_CODE_KEYS: `A:${shared}` })).toThrow(/MC_MEMBER_CODE_KEY|MC_CODE_KEYS/);
  });

  it('refuses one key pasted into every variable', () => {
    const one = key();
    expect(() => secretsFromEnv({ MC_PHONE_HASH_KEY: one, MC_PHONE_ENC_KEY: one, MC_MEMBER_CODE_KEY: one, MC_CODE_KEYS: `A:${one}` })).toThrow(/MC_MEMBER_CODE_KEY is the same key/);
  });

  it('still takes four different keys', () => {
    expect(() => secretsFromEnv({ MC_PHONE_HASH_KEY: key(), MC_PHONE_ENC_KEY: key(), MC_MEMBER_CODE_KEY: key(), MC_CODE_KEYS: `A:${key()},B:${key()}` })).not.toThrow();
  });
});
