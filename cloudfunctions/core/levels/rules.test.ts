import fc from 'fast-check';
import { loadConfig } from '../runtime/config';
import { levelFor, nextLevelFor } from './rules';

const levels = loadConfig({}).levels;

describe('levels by growth', () => {
  it.each([
    [0, 'normal', 'silver', 1000],
    [999, 'normal', 'silver', 1],
    [1000, 'silver', 'gold', 4000],
    [4999, 'silver', 'gold', 1],
    [5000, 'gold', 'diamond', 15000],
    [20000, 'diamond', null, null],
    [-5, 'normal', 'silver', 1005],
  ])('growth %i is %s, next %s (%s to go)', (growth, code, next, needed) => {
    expect(levelFor(growth, levels).code).toBe(code);
    const upcoming = nextLevelFor(growth, levels);
    expect(upcoming?.code ?? null).toBe(next);
    expect(upcoming?.growthNeeded ?? null).toBe(needed);
  });

  it('names levels in Chinese by default', () => {
    expect(levels.map((l) => [l.code, l.name, l.minGrowth])).toEqual([
      ['normal', '普通会员', 0], ['silver', '银卡', 1000], ['gold', '金卡', 5000], ['diamond', '钻石卡', 20000],
    ]);
  });

  it('never goes down as growth goes up', () => {
    const rank = (growth: number) => levels.findIndex((l) => l.code === levelFor(growth, levels).code);
    fc.assert(fc.property(fc.nat(100_000), fc.nat(100_000), (a, b) => (a <= b ? rank(a) <= rank(b) : rank(a) >= rank(b))));
  });
});
