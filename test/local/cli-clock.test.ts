import { writeFileSync } from 'node:fs';
import { fixedClock } from '../../cloudfunctions/core/runtime/clock';
import { runCliAt } from '../support/cli';
import { tempDir } from '../support/temp';

/**
 * The operator's commands take the clock they are given (ARCHITECTURE §3: time is injected), so a
 * test whose files carry dates answers the same whatever day it runs on.
 */
describe('the CLI on a given clock', () => {
  let temp: ReturnType<typeof tempDir>;
  beforeEach(() => (temp = tempDir()));
  afterEach(() => {
    process.exitCode = undefined;
    temp.cleanup();
  });

  it('imports, expires and exports as of its clock, not the machine\'s', async () => {
    const db = temp.file('mc.db');
    const clock = fixedClock('2040-06-01T02:00:00Z');
    const cli = async (...args: string[]) => {
      const run = await runCliAt(clock, db, ...args);
      if (run.failed) throw run.error;
      return run.out;
    };
    writeFileSync(temp.file('m.csv'), 'channelMemberId\nT1\n');
    writeFileSync(temp.file('o.csv'), 'orderId,channelMemberId,amount,paidAt\nA1,T1,30,2040-05-01 10:00:00\n');
    await cli('import', 'members', '--channel', 'tmall', '--file', temp.file('m.csv'));
    // paid a month before the clock's now: not in the future, not expired
    expect(await cli('import', 'orders', '--channel', 'tmall', '--file', temp.file('o.csv'))).toMatch(/1 new order, .* 0 rejected; 30 points earned/);
    expect(await cli('points', 'expire')).toMatch(/as of 2040-06-01 10:00:00 Beijing: expired 0 lots/);
    expect(JSON.parse(await cli('members', 'export'))).toMatchObject({ points: { available: 30 }, growth: 30 });
    // a year and a half on, the lot (due at the end of 2041) has expired
    clock.set('2042-01-01T00:00:00Z');
    expect(await cli('points', 'expire')).toMatch(/as of 2042-01-01 08:00:00 Beijing: expired 1 lot, 30 points/);
  });
});
