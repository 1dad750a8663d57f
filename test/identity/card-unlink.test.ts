import { confirmLinkRequest } from '../../cloudfunctions/core/identity/link-requests';
import { unmergeMembers } from '../../cloudfunctions/core/identity/operator';
import { phoneKey, phoneSha256 } from '../../cloudfunctions/core/identity/normalize';
import { COLLECTIONS } from '../../cloudfunctions/core/store/collections';
import { boundConsumer, importMembers, memberOk } from '../support/members';
import { openTestServices, type TestServices } from '../support/services';

/** `members unmerge` of a store card's link: the card's own phone decides whom it belongs to again, as before the link. */
describe('undoing a store-card link', () => {
  let services: TestServices;
  beforeEach(() => { services = openTestServices(); });
  afterEach(() => services.close());

  const card = async (id: string) => (await services.store.get<{ _id: string; memberId: string | null; ignored?: string[] }>('records', id))!;

  it('undoing the merge a store-card link made gives the card back its phone: whoever holds that number and binds it gets the card again', async () => {
    // a store card with an old phone; its holder has a new one and links it with the last four digits
    await importMembers(services, 'offline', [{ channelMemberId: 'C1', phone: '13011112222', points: '100' }]);
    await boundConsumer(services, 'u1', '13912345678');
    await memberOk(services, 'u1', { action: 'linkOffline', cardNo: 'C1', last4: '2222' });
    const merge = (await services.dump('merges')).find((m) => (m as unknown as { kind: string }).kind === 'merge')!;
    // the link was wrong (staff say so): the operator undoes it
    await unmergeMembers(services, merge._id);
    expect(await memberOk(services, 'u1', { action: 'channels' })).toMatchObject({ offline: false });
    // the card is as it was before the link: the number on file joins it, as it did before
    services.clock.advance(1000);
    const owner = await boundConsumer(services, 'u2', '13011112222');
    expect((await card('offline:C1')).memberId).toBe(owner.memberId);
    expect(await memberOk(services, 'u2', { action: 'channels' })).toMatchObject({ offline: true });
  });

  it('undoing a card staff confirmed gives the card back the phone a partner sent as a hash: its holder binding it gets the card again', async () => {
    await importMembers(services, 'offline', [{ channelMemberId: 'C2', phoneSha256: phoneSha256('13011113333'), points: '100' }]);
    await boundConsumer(services, 'u1', '13912345678');
    // no phone in clear on file: the request waits for staff, who confirm it (wrongly, as it turns out)
    expect(await memberOk(services, 'u1', { action: 'linkOffline', cardNo: 'C2' })).toMatchObject({ status: 'pending' });
    const [request] = await services.dump('linkRequests');
    const { mergeId } = await confirmLinkRequest(services, request!._id);
    await unmergeMembers(services, mergeId!);
    services.clock.advance(1000);
    const owner = await boundConsumer(services, 'u2', '13011113333');
    expect((await card('offline:C2')).memberId).toBe(owner.memberId);
  });

  it('undoing a store-card link joins the card to whoever bound its phone while the link stood', async () => {
    await importMembers(services, 'offline', [{ channelMemberId: 'C1', phone: '13011112222', points: '100' }]);
    await boundConsumer(services, 'u1', '13912345678');
    await memberOk(services, 'u1', { action: 'linkOffline', cardNo: 'C1', last4: '2222' });
    // the number's holder binds it while the card still ignores it: a member of their own
    const owner = await boundConsumer(services, 'u2', '13011112222');
    expect((await card('offline:C1')).memberId).not.toBe(owner.memberId);
    const merge = (await services.dump('merges')).find((m) => (m as unknown as { kind: string }).kind === 'merge')!;
    await unmergeMembers(services, merge._id);
    expect((await card('offline:C1')).memberId).toBe((await memberOk<{ memberId: string }>(services, 'u2', { action: 'login' })).memberId);
    expect(await memberOk(services, 'u2', { action: 'channels' })).toMatchObject({ offline: true });
    expect(await memberOk(services, 'u1', { action: 'channels' })).toMatchObject({ offline: false });
  });

  it('erasure after a link leaves no hash of the phone the card carried, not even on the merge that linked it', async () => {
    const OLD = '13700009999';
    await importMembers(services, 'offline', [{ channelMemberId: 'C2', phone: OLD, name: '韩梅' }]);
    await boundConsumer(services, 'u1', '13912345678');
    expect(await memberOk(services, 'u1', { action: 'linkOffline', cardNo: 'C2', last4: '9999' })).toMatchObject({ status: 'linked' });
    expect(await memberOk(services, 'u1', { action: 'delete', confirm: true })).toEqual({ deleted: true });
    const key = phoneKey(services.secrets.phoneHashKey, OLD);
    const holding: string[] = [];
    for (const collection of Object.keys(COLLECTIONS)) if (JSON.stringify(await services.dump(collection)).includes(key)) holding.push(collection);
    expect(holding).toEqual([]);
  });

  it('after a link is undone the card ignores none of the phones the link set aside, also when the store took the card\'s phone off meanwhile', async () => {
    const OLD = '13011112222';
    await importMembers(services, 'offline', [{ channelMemberId: 'C1', phone: OLD, points: '100' }]);
    await boundConsumer(services, 'u1', '13912345678');
    expect(await memberOk(services, 'u1', { action: 'linkOffline', cardNo: 'C1', last4: '2222' })).toMatchObject({ status: 'linked' });
    // the store takes the number off the card while it is linked (its holder asked; a new number
    // would split the card from the consumer, one member cannot carry two phones)
    services.clock.advance(1000);
    await importMembers(services, 'offline', [{ channelMemberId: 'C1', phone: '', points: '100' }]);
    const merge = (await services.dump('merges')).find((m) => (m as unknown as { kind: string }).kind === 'merge')!;
    await unmergeMembers(services, merge._id);
    expect((await card('offline:C1')).ignored ?? []).not.toContain(`phone:${phoneKey(services.secrets.phoneHashKey, OLD)}`);
    // the store puts the old number back; its holder gets the card, as before any link
    services.clock.advance(1000);
    await boundConsumer(services, 'u2', OLD);
    await importMembers(services, 'offline', [{ channelMemberId: 'C1', phone: OLD, points: '100' }]);
    expect((await card('offline:C1')).memberId).toBe((await memberOk<{ memberId: string }>(services, 'u2', { action: 'login' })).memberId);
  });
});
