import type { RecordDoc } from '../../cloudfunctions/core/identity/graph.store';
import { mergeMembers } from '../../cloudfunctions/core/identity/operator';
import { boundConsumer, importMembers, member, memberOk } from '../support/members';
import { openTestServices, type TestServices } from '../support/services';

/**
 * Review 38: a store-card link sent again once the consumer's ten tries for the day are used answers
 * as it would have before them. A card the consumer holds answers linked, whatever became of a
 * request for staff they made for it earlier (an operator joined the card to them meanwhile, or the
 * card came back with a phone and they linked it by its digits): that request is still pending, and
 * the profile already says the card is linked (a linked card answers the question).
 */
describe('a link sent again at the limit, for a card the consumer asked staff for and holds since', () => {
  let s: TestServices;
  beforeEach(() => { s = openTestServices(); });
  afterEach(() => s.close());

  const memberOfRecord = async (id: string) => (await s.store.get<RecordDoc>('records', id))!.memberId!;

  it('answers linked, as it did below the limit, and counts no try', async () => {
    await importMembers(s, 'offline', [{ channelMemberId: 'C200' }]);
    const { memberId } = await boundConsumer(s, 'u1', '13911112222');
    expect(await memberOk(s, 'u1', { action: 'linkOffline', cardNo: 'C200' })).toMatchObject({ status: 'pending' });
    // the CRM team joins the card to the consumer by an operator merge (staff never decided the request)
    await mergeMembers(s, memberId, await memberOfRecord('offline:C200'));
    const holder = await memberOfRecord('offline:C200');
    const below = await memberOk(s, 'u1', { action: 'linkOffline', cardNo: 'C200' });
    expect(below).toEqual({ status: 'linked', memberId: holder });
    // the profile's channels say the card is linked, the request no longer waiting
    expect(await memberOk(s, 'u1', { action: 'channels' })).toMatchObject({ offline: true, offlinePending: false });
    // nine tries at unknown cards: ten counted with the request
    for (let i = 0; i < 9; i++) expect(await member(s, 'u1', { action: 'linkOffline', cardNo: `C9${i}` })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect(await member(s, 'u1', { action: 'linkOffline', cardNo: 'C99' })).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED' } });
    const tries = await s.dump('linkAttempts');

    expect(await memberOk(s, 'u1', { action: 'linkOffline', cardNo: 'C200' })).toEqual(below);
    expect(await s.dump('linkAttempts')).toEqual(tries);
  });

  it('a card the consumer holds answers linked even while the wrong digits of others have locked it, and counts no try', async () => {
    await importMembers(s, 'offline', [{ channelMemberId: 'C101', phone: '13011115551' }]);
    await boundConsumer(s, 'u1', '13911112222');
    const first = await memberOk(s, 'u1', { action: 'linkOffline', cardNo: 'C101', last4: '5551' });
    expect(first).toMatchObject({ status: 'linked' });
    // someone else guesses the card's digits until it locks
    await boundConsumer(s, 'u2', '13911113333');
    for (let i = 0; i < 5; i++) expect(await member(s, 'u2', { action: 'linkOffline', cardNo: 'C101', last4: `000${i}` })).toMatchObject({ ok: false, error: { code: 'CARD_MISMATCH' } });
    expect(await member(s, 'u2', { action: 'linkOffline', cardNo: 'C101', last4: '0009' })).toMatchObject({ ok: false, error: { code: 'LOCKED' } });
    const tries = await s.dump('linkAttempts');

    // the holder's page sends its link again (the answer was lost): the first answer, as at the limit
    expect(await memberOk(s, 'u1', { action: 'linkOffline', cardNo: 'C101', last4: '5551' })).toEqual(first);
    expect(await s.dump('linkAttempts')).toEqual(tries);
  });
});
