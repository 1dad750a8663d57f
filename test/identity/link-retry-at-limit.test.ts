import { boundConsumer, importMembers, member, memberOk } from '../support/members';
import { openTestServices, type TestServices } from '../support/services';

/**
 * A consumer's tries at store cards that link nothing are limited to ten a day. A request they
 * already made (a card left to staff) or a card they already hold, sent again once the ten are used
 * (the page retried, the answer was lost), answers as the first time: it tells them nothing new and
 * counts as no try. Any other card still answers RATE_LIMITED.
 */
describe('a store-card link sent again after the consumer used their tries for the day', () => {
  let s: TestServices;
  beforeEach(() => { s = openTestServices(); });
  afterEach(() => s.close());

  it('answers the request already made, and the card already linked, as the first time', async () => {
    await importMembers(s, 'offline', [{ channelMemberId: 'C200' }, { channelMemberId: 'C101', phone: '13011115551' }]);
    await boundConsumer(s, 'u1', '13911112222');
    expect(await memberOk(s, 'u1', { action: 'linkOffline', cardNo: 'C101', last4: '5551' })).toMatchObject({ status: 'linked' });
    // nine tries at unknown cards, then the request for staff: ten counted
    for (let i = 0; i < 9; i++) expect(await member(s, 'u1', { action: 'linkOffline', cardNo: `C9${i}` })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    const first = await memberOk(s, 'u1', { action: 'linkOffline', cardNo: 'C200' });
    expect(first).toMatchObject({ status: 'pending' });
    const tries = await s.dump('linkAttempts');

    expect(await memberOk(s, 'u1', { action: 'linkOffline', cardNo: 'C200' })).toEqual(first);
    expect(await memberOk(s, 'u1', { action: 'linkOffline', cardNo: 'C101', last4: '5551' })).toMatchObject({ status: 'linked', memberId: first.memberId });
    expect(await s.dump('linkAttempts')).toEqual(tries);
    expect(await member(s, 'u1', { action: 'linkOffline', cardNo: 'C99' })).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED' } });
    expect((await s.dump('linkRequests')).map((r) => r._id)).toEqual([expect.stringMatching(/^offline:C200>wechat:/)]);
  });
});
