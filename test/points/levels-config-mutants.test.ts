import defaults from '../../config/member-centre.json';
import { loadConfig } from '../../cloudfunctions/core/runtime/config';

/**
 * Mutation-found gap in the tests of the levels config (points/config.ts): a copy of the first
 * level (index 0, the base level every member starts at) is refused like a copy of any other.
 */
describe('the levels config: a level copied from the first one', () => {
  const refusal = (levels: unknown) => {
    try {
      loadConfig({}, { levels } as never);
    } catch (error) {
      return (error as Error).message;
    }
    return 'accepted';
  };
  const [normal, silver, gold] = defaults.levels as [typeof defaults.levels[0], typeof defaults.levels[0], typeof defaults.levels[0]];

  it('refuses a level under the first level\'s code or name: a gold member would export as normal, or read 普通会员', () => {
    expect(refusal([normal, silver, { ...gold, code: normal.code }])).toBe('invalid member-centre config: levels.2.code: the same as levels.0.code: each level needs its own');
    expect(refusal([normal, silver, { ...gold, name: `${normal.name} ` }])).toBe('invalid member-centre config: levels.2.name: the same as levels.0.name: each level needs its own');
    expect(refusal([normal, { ...silver, code: normal.code, name: normal.name }])).toMatch(/levels\.1\.code: the same as levels\.0\.code/);
  });
});
