import defaults from '../../config/member-centre.json';
import { loadConfig } from '../../cloudfunctions/core/runtime/config';
import { tempDir } from '../support/temp';

/** The bounds of the `levels` section: thresholds as far as growth reaches, names as wide as the cards hold. */
describe('levels config bounds', () => {
  const temp = tempDir('mc-levels-bounds-');
  afterAll(() => temp.cleanup());
  const withLevels = (name: string, levels: unknown) => ({ MC_CONFIG: temp.write(name, JSON.stringify({ levels })) });
  const refusal = (env: NodeJS.ProcessEnv): string | null => {
    try {
      loadConfig(env);
      return null;
    } catch (error) {
      return (error as Error).message;
    }
  };
  const top = (change: Record<string, unknown>) => defaults.levels.map((l, i) => (i === defaults.levels.length - 1 ? { ...l, ...change } : l));

  it('takes a threshold past a million growth (a brand earning 10 growth per yuan), up to the most one ledger entry carries', () => {
    expect(refusal(withLevels('two-million.json', top({ minGrowth: 2_000_000 })))).toBeNull();
    expect(refusal(withLevels('billion.json', top({ minGrowth: 1_000_000_000 })))).toBeNull();
    expect(refusal(withLevels('past.json', top({ minGrowth: 1_000_000_001 })))).toMatch(/levels\.3\.minGrowth/);
  });

  it('refuses a level name wider than the cards hold (6 Chinese characters, 12 letters), naming the level', () => {
    expect(refusal(withLevels('six.json', top({ name: '黑金至尊会员' })))).toBeNull();
    expect(refusal(withLevels('latin.json', top({ name: 'Platinum VIP' })))).toBeNull();
    expect(refusal(withLevels('mixed.json', top({ name: 'PLUS会员' })))).toBeNull();
    expect(refusal(withLevels('seven.json', top({ name: '黑金至尊尊享会员' })))).toMatch(/levels\.3\.name: must fit the member card: at most 6 Chinese characters or 12 letters/);
    expect(refusal(withLevels('long-latin.json', top({ name: 'Platinum Elite' })))).toMatch(/levels\.3\.name: must fit the member card/);
  });
});
