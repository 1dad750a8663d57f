import type { MemberDoc } from '../../cloudfunctions/core/identity/graph.store';
import { mergeMembers } from '../../cloudfunctions/core/identity/operator';
import { AppError } from '../../cloudfunctions/core/runtime/errors';
import { importMembers } from '../support/members';
import { openTestServices, type TestServices } from '../support/services';

/** `members merge` (operator.ts): all of both members join, or nothing does. */

type S = TestServices;
const live = async (s: S) => ((await s.dump('members')) as MemberDoc[]).filter((m) => m.status === 'active');
const memberOf = async (s: S, recordId: string) => (await live(s)).find((m) => m.records.includes(recordId))!._id;

describe('members merge when the link would join the founding records but a limit tears a record off', () => {
  let s: S;
  beforeEach(() => { s = openTestServices(); });
  afterEach(() => s.close());

  it('refuses with CONFLICT and leaves both members as they were', async () => {
    // A: J1 (its founder, no phone) and T1 (phone P1), joined by an email; B: C1 with another phone
    await importMembers(s, 'jd', [{ channelMemberId: 'J1', email: 'a@example.com' }]);
    s.clock.advance(1000);
    await importMembers(s, 'tmall', [{ channelMemberId: 'T1', phone: '13011111111', email: 'a@example.com' }]);
    s.clock.advance(1000);
    await importMembers(s, 'offline', [{ channelMemberId: 'C1', phone: '13022222222' }]);
    s.clock.advance(1000);
    const [a, b] = [await memberOf(s, 'jd:J1'), await memberOf(s, 'offline:C1')];
    expect(await memberOf(s, 'tmall:T1')).toBe(a);
    const before = await live(s);
    const error = await mergeMembers(s, a, b).then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('CONFLICT');
    expect(await live(s)).toEqual(before);
    expect(await s.dump('merges')).toEqual([]);
  });
});
