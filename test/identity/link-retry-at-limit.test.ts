import { boundConsumer, importMembers, member, memberOk } from '../support/members';
import { openTestServices, type TestServices } from '../support/services';
import { runCliAt } from '../support/cli';

/**
 * A consumer's tries at store cards that link nothing are limited to ten a day. A request they
 * already made (a card left to staff) or a card they already hold, sent again once the ten are used
 * (the page retried, the answer was lost), answers as the first time: it tells them nothing new and
 * counts as no try. Any other card still answers RATE_LIMITED: a card another member holds too, and
 * a request staff have refused since, telling nothing of it.
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
