import { memberFunction } from '../functions/member';
import { invoke } from '../runtime/handler';
import { callerOf, openTestServices, type TestServices } from '../../../test/support/services';

describe('member.login', () => {
  let services: TestServices;
  beforeEach(() => { services = openTestServices(); });
  afterEach(() => services.close());

  const login = (openid: string | null, event: unknown = { action: 'login' }) => invoke(memberFunction, event, callerOf(openid), services);

  it('creates a member on first login and finds the same one afterwards', async () => {
    const first = await login('u1');
    expect(first).toEqual({ ok: true, data: { memberId: 'm_000001', isNew: true, phoneBound: false, consented: false, termsVersion: services.config.termsVersion } });
    const again = await login('u1');
    expect(again).toEqual({ ok: true, data: { ...(first as { data: object }).data, isNew: false } });
    expect(await services.dump('members')).toHaveLength(1);
  });

  it('gives different callers different members', async () => {
    const memberOf = async (openid: string) => {
      const answer = await login(openid);
      return answer.ok ? (answer.data as { memberId: string }).memberId : answer.error.code;
    };
    expect(await memberOf('u1')).toBe('m_000001');
    expect(await memberOf('u2')).toBe('m_000002');
    expect(await services.dump('members')).toHaveLength(2);
  });

  it('creates exactly one member when the same first login arrives many times at once', async () => {
    const answers = await Promise.all(Array.from({ length: 20 }, () => login('u1')));
    const ids = new Set(answers.map((a) => (a.ok ? (a.data as { memberId: string }).memberId : a.error.code)));
    expect(ids).toEqual(new Set(['m_000001']));
    expect(answers.filter((a) => a.ok && (a.data as { isNew: boolean }).isNew)).toHaveLength(1);
    expect(await services.dump('members')).toHaveLength(1);
  });

  it.each([
    ['no caller identity', null, { action: 'login' }, 'UNAUTHENTICATED'],
    ['an event that is not an object', 'u1', 'login', 'INVALID_INPUT'],
    ['an event without an action', 'u1', {}, 'INVALID_INPUT'],
    ['an unknown action', 'u1', { action: 'hack' }, 'UNKNOWN_ACTION'],
    ['an inherited property as the action', 'u1', { action: 'constructor' }, 'UNKNOWN_ACTION'],
  ])('answers %s with an error code and writes nothing', async (_name, openid, event, code) => {
    const answer = await login(openid, event);
    expect(answer).toEqual({ ok: false, error: { code, message: expect.any(String) } });
    expect(await services.dump('members')).toEqual([]);
    expect(await services.dump('identifiers')).toEqual([]);
  });

  it('takes the caller from the trusted context, not from the event', async () => {
    await login('u1', { action: 'login', openid: 'someone-else' });
    expect((await services.dump('identifiers')).map((d) => d._id)).toEqual(['openid:u1']);
  });
});
