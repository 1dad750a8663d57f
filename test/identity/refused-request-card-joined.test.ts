import type { RecordDoc } from '../../cloudfunctions/core/identity/graph.store';
import { listLinkRequests, refuseLinkRequest } from '../../cloudfunctions/core/identity/link-requests';
import { mergeMembers } from '../../cloudfunctions/core/identity/operator';
import { boundConsumer, importMembers, memberOk } from '../support/members';
import { openTestServices, type TestServices } from '../support/services';

/**
 * A store-card link request staff refused, whose card later joins the consumer's member some other
 * way (an operator's `members merge`, a re-import giving the card the consumer's phone): the
 * consumer's channels say the card is linked, never that the store refused a card they hold. Staff
 * still find the request under refused: it is what was decided then.
 */
describe('a refused link request whose card joined the consumer since', () => {
  let s: TestServices;
  beforeEach(() => { s = openTestServices(); });
  afterEach(() => s.close());

  const PHONE = '13912345678';
  const memberOfRecord = async (id: string) => (await s.store.get<RecordDoc>('records', id))!.memberId!;
  const requestOf = async (cardNo: string) => (await s.dump('linkRequests')).find((r) => r.cardRecordId === `offline:${cardNo}`)!._id;
  const refusedCards = async () => (await listLinkRequests(s, 'refused', 100)).requests.map((r) => r.cardNo);

  async function refused(cards: string[]): Promise<{ memberId: string }> {
    await importMembers(s, 'offline', cards.map((channelMemberId) => ({ channelMemberId })));
    const consumer = await boundConsumer(s, 'u1', PHONE);
    for (const cardNo of cards) {
      expect(await memberOk(s, 'u1', { action: 'linkOffline', cardNo })).toMatchObject({ status: 'pending' });
      await refuseLinkRequest(s, await requestOf(cardNo), '卡主不是本人');
    }
    expect(await memberOk(s, 'u1', { action: 'channels' })).toMatchObject({ offline: false, offlinePending: false, offlineRefused: true });
    return consumer;
  }

  it('says the card is linked, not refused, once an operator merges it into the consumer\'s member', async () => {
    const { memberId } = await refused(['C200']);
    await mergeMembers(s, memberId, await memberOfRecord('offline:C200'));
    expect(await memberOfRecord('offline:C200')).toBe(await memberOfRecord((await requestOf('C200')).split('>')[1]!));
    expect(await memberOk(s, 'u1', { action: 'channels' })).toMatchObject({ offline: true, offlinePending: false, offlineRefused: false });
    expect(await memberOk(s, 'u1', { action: 'linkOffline', cardNo: 'C200' })).toMatchObject({ status: 'linked' });
    expect(await refusedCards()).toEqual(['C200']);
  });

  it('says the card is linked, not refused, once a re-import gives it the consumer\'s phone, another refused card aside', async () => {
    await refused(['C200', 'C300']);
    await importMembers(s, 'offline', [{ channelMemberId: 'C200', phone: PHONE }]);
    expect(await memberOfRecord('offline:C200')).toBe(await memberOfRecord((await requestOf('C200')).split('>')[1]!));
    expect(await memberOk(s, 'u1', { action: 'channels' })).toMatchObject({ offline: true, offlinePending: false, offlineRefused: false });
    expect(await refusedCards()).toEqual(['C200', 'C300']);
  });
});
