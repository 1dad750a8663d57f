/**
 * Merges are never deleted: an unmerge marks its merge undone and keeps it, so one member can be
 * named by any number of merges. The lookups that find the merges in force (a retried `members
 * merge`, the first touches an earlier version kept under an absorbed member's id) must read them
 * all, not the first 100 in id order, which are the oldest and, after enough corrections, all undone.
 */
import { mergeMembers, unmergeMembers } from '../../cloudfunctions/core/identity/operator';
import type { MemberDoc, MergeDoc } from '../../cloudfunctions/core/identity/graph.store';
import { addGuide, addStore } from '../../cloudfunctions/core/scenes/places.store';
import { AppError } from '../../cloudfunctions/core/runtime/errors';
import { boundConsumer, exportAll, importMembers } from '../support/members';
import { openTestServices, type TestServices } from '../support/services';
import { scenesOk, writeLegacyFirstTouch } from '../codes/support';

let services: TestServices;
beforeEach(() => {
  services = openTestServices();
});
afterEach(() => services.close());

/** The member holding a channel card, as `members export` lists it. */
async function memberOf(type: string, value: string): Promise<string> {
  const line = (await exportAll(services)).find((m) => m.identifiers.some((i) => i.type === type && i.value === value));
  return line!.memberId;
}

/** An operator merging the two members and undoing it, `times` over: merges undone, kept on record. */
async function mergeAndUndo(a: string, b: string, times: number): Promise<void> {
  for (let i = 0; i < times; i++) {
    services.clock.advance(1000);
    const merge = await mergeMembers(services, a, b);
    services.clock.advance(1000);
    await unmergeMembers(services, merge._id);
  }
}

const mergesNaming = async (field: 'survivor' | 'absorbed', id: string) => ((await services.dump('merges')) as MergeDoc[]).filter((m) => m[field] === id);

describe('more than 100 merges naming one member', () => {
  it('a retried `members merge` answers the merge in force, however many undone merges the two had before', async () => {
    await importMembers(services, 'offline', [{ channelMemberId: 'O1' }]);
    services.clock.advance(60_000);
    await importMembers(services, 'offline', [{ channelMemberId: 'O2' }]);
    const [a, b] = [await memberOf('offline', 'O1'), await memberOf('offline', 'O2')];
    // the operator keeps changing their mind about these two
    await mergeAndUndo(a, b, 101);
    expect((await mergesNaming('absorbed', b)).length).toBeGreaterThan(100);
    services.clock.advance(1000);
    const merge = await mergeMembers(services, a, b);
    // the answer was lost; the operator runs the same command again
    const retried = await mergeMembers(services, a, b).catch((e: unknown) => e);
    expect(retried instanceof AppError ? `${retried.code}: ${retried.message}` : retried).toEqual({ ...merge, repeated: true });
  });

  it('a first touch kept under a member merged into one with over 100 merges on record is still the member\'s first touch', async () => {
    await addStore(services, { id: 'SH001', name: '南京西路店', city: '上海' });
    await addGuide(services, { id: 'G001', storeId: 'SH001', name: '小林' });
    await addGuide(services, { id: 'G002', storeId: 'SH001', name: '小王' });
    // the store card C1 (the oldest member), which an operator merged with store card X1 and undid, again and again
    await importMembers(services, 'offline', [{ channelMemberId: 'C1' }]);
    services.clock.advance(60_000);
    await importMembers(services, 'offline', [{ channelMemberId: 'X1' }]);
    const store = await memberOf('offline', 'C1');
    await mergeAndUndo(store, await memberOf('offline', 'X1'), 101);
    expect((await mergesNaming('survivor', store)).length).toBeGreaterThan(100);
    // a Tmall member whom consumer u1 joined by binding its phone, recruited by G001 before the
    // upgrade that keeps first touches by record: the touch is under the Tmall member's id
    services.clock.advance(60_000);
    await importMembers(services, 'tmall', [{ channelMemberId: 'T1', phone: '13912345678' }]);
    services.clock.advance(60_000);
    const { memberId } = await boundConsumer(services, 'u1', '13912345678');
    const record = (await services.dump('records')).find((r) => String(r._id).startsWith('wechat:'))!;
    await writeLegacyFirstTouch(services, memberId, String(record._id));
    // the store's next export carries the phone: the Tmall member is merged into the store member
    await importMembers(services, 'offline', [{ channelMemberId: 'C1', phone: '13912345678' }]);
    expect((await services.store.get<MemberDoc>('members', memberId))?.mergedInto).toBe(store);
    services.clock.advance(2 * 24 * 3600_000);
    // docs/codes-and-scenes.md (`scenes.resolve` and `scenes.join`): later joins answer the first touch as it was; a member has one first touch
    expect(await scenesOk(services, 'u1', { action: 'join', scene: 'g=G002' })).toMatchObject({ attributed: false, guideId: 'G001' });
    expect(await services.dump('attributions')).toHaveLength(1);
  });
});
