import { boundConsumer, importMembers, member, memberOk } from '../support/members';
import { openTestServices, type TestServices } from '../support/services';
import { runCliAt } from '../support/cli';

/**
 * A store-card link sent again once the consumer used their tries for the day (offline-link.ts),
 * pinned where hand-made mutants went unnoticed: only a request still pending, or a card in their
 * own member, answers as the first time. A card another member holds, or a request staff have
 * refused since, answers RATE_LIMITED as any other card does, telling nothing of it.
 */
describe('a store-card link at the limit of tries, for a card that is not theirs', () => {
  let s: TestServices;
  beforeEach(() => { s = openTestServices(); });
  afterEach(() => {
    process.exitCode = undefined;
    return s.close();
  });

  /** u1 bound, nine wrong tries and a request for staff for C200: ten counted. */
  async function atLimit() {
    await importMembers(s, 'offline', [{ channelMemberId: 'C200' }, { channelMemberId: 'C300', phone: '13011115553' }]);
    await boundConsumer(s, 'u1', '13911112222');
    for (let i = 0; i < 9; i++) expect(await member(s, 'u1', { action: 'linkOffline', cardNo: `C9${i}` })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect(await memberOk(s, 'u1', { action: 'linkOffline', cardNo: 'C200' })).toMatchObject({ status: 'pending' });
  }

  it('a card another member holds answers RATE_LIMITED, not linked, and links nothing', async () => {
    await atLimit();
    const records = await s.dump('records');
    expect(await member(s, 'u1', { action: 'linkOffline', cardNo: 'C300', last4: '5553' })).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED' } });
    expect(await s.dump('records')).toEqual(records);
  });

  it('a request staff refused since answers RATE_LIMITED, not pending', async () => {
    await atLimit();
    const [request] = await s.dump('linkRequests');
    expect((await runCliAt(s.clock, s.dbFile, 'members', 'link-refuse', request!._id, '--reason', '卡号不符')).failed).toBe(false);
    expect(await member(s, 'u1', { action: 'linkOffline', cardNo: 'C200' })).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED' } });
  });
});
