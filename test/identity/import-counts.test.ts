import { importMembers } from '../support/members';
import { openTestServices, type TestServices } from '../support/services';

/** The summary counts a member by what the whole file did to it, whatever the order of its rows. */
describe('identity import summary: a stored member listed twice', () => {
  let services: TestServices;
  beforeEach(() => { services = openTestServices(); });
  afterEach(() => services.close());

  // docs/imports.md (Batches and the summary): `updated` is a member "already imported, with a field this file changed"; a member whose later
  // row gives back what is stored is unchanged (import.ts's last pass), and so the other way round
  it('counts as updated a stored member whose first row in the file is as stored and whose later row changes it', async () => {
    await importMembers(services, 'tmall', [{ channelMemberId: 'T1', name: '张三' }]);
    const summary = await importMembers(services, 'tmall', [{ channelMemberId: 'T1', name: '张三' }, { channelMemberId: 'T1', name: '张三丰' }]);
    expect((await services.dump('records')).map((r) => r.name)).toEqual(['张三丰']);
    expect(summary).toMatchObject({ read: 2, updated: 1, unchanged: 0, repeated: 1 });
  });

  it('still counts as unchanged a stored member whose rows change it and then give it back', async () => {
    await importMembers(services, 'tmall', [{ channelMemberId: 'T1', name: '张三' }]);
    const summary = await importMembers(services, 'tmall', [{ channelMemberId: 'T1', name: '张三' }, { channelMemberId: 'T1', name: '张三丰' }, { channelMemberId: 'T1', name: '张三' }]);
    expect(summary).toMatchObject({ read: 3, updated: 0, unchanged: 1, repeated: 2 });
    expect(await services.dump('records')).toEqual([expect.objectContaining({ name: '张三', updatedAt: '2026-11-23T02:00:00.000Z' })]);
  });
});
