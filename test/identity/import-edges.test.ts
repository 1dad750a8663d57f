import { readFileSync } from 'node:fs';
import { cluster, type ClusterRules } from '../../cloudfunctions/core/identity/cluster';
import { importMembersFile } from '../../cloudfunctions/core/identity/import';
import { reconcile, type RecordState } from '../../cloudfunctions/core/identity/reconcile';
import { importMembers, writeRows } from '../support/members';
import { openTestServices, type TestServices } from '../support/services';

/** Guards the identity import's orderings and counts left unpinned by the rest of the suite (found by hand-made mutation testing). */
describe('identity import and reconcile: edges the other tests pass by', () => {
  const rules: ClusterRules = { limits: { phone: 1, unionid: 1, tmall: 1 }, priority: ['unionid', 'openid', 'phone', 'tmall', 'offline', 'email'] };
  const rec = (id: string, ...pairs: string[]) => ({ id, identifiers: pairs.map((pair) => { const [type, value] = pair.split('=') as [string, string]; return { type, value }; }) });

  // guards against (a carrier refused by one group of a value stops trying the value's other groups)
  it('a carrier refused by the first group of a value joins a later group of it that takes it', () => {
    // o2 is refused by o1 (two phones) and starts a group of its own; o3 is refused by o1 (two unionids) but fits o2
    const { groups, conflicts } = cluster([rec('wechat:o1', 'email=e', 'phone=P1', 'unionid=U1'), rec('wechat:o2', 'email=e', 'phone=P2'), rec('wechat:o3', 'email=e', 'unionid=U2')], new Set(), rules);
    expect(groups).toEqual([['wechat:o1'], ['wechat:o2', 'wechat:o3']]);
    expect(conflicts).toEqual([{ type: 'email', value: 'e', between: ['wechat:o1', 'wechat:o2'], reason: 'limit', limitType: 'phone' }]);
  });

  // guards against (values of one type tried in another order than by value, as the contract says)
  it('tries the values of one type in value order when a limit lets only one of two joins through', () => {
    // e1 joins A and B (phone P1); e2 would then give that member a second phone
    const { groups, conflicts } = cluster([rec('offline:A', 'phone=P1', 'email=e1'), rec('offline:B', 'email=e1', 'email=e2'), rec('offline:C', 'email=e2', 'phone=P2')], new Set(), rules);
    expect(groups).toEqual([['offline:A', 'offline:B'], ['offline:C']]);
    expect(conflicts).toEqual([{ type: 'email', value: 'e2', between: ['offline:B', 'offline:C'], reason: 'limit', limitType: 'phone' }]);
  });

  const state = (memberId: string | null, homeMemberId: string | null, createdAt: string): RecordState => ({ memberId, homeMemberId, createdAt });
  const counter = () => { let n = 0; return () => `m_new${++n}`; };

  // guards against (a member without a kept founder founded on its first home record by id, not the earliest-created)
  it('a member without a kept founder keeps its id with its earliest-created home record, whatever the ids', () => {
    // jd:1 sorts first but was made a day after tmall:2; a shared value found late splits them
    const records = new Map([['jd:1', state('mA', 'mA', '2026-01-02T00:00:00.000Z')], ['tmall:2', state('mA', 'mA', '2026-01-01T00:00:00.000Z')]]);
    const plan = reconcile([['jd:1'], ['tmall:2']], records, new Map([['mA', '2026-01-01T00:00:00.000Z']]), counter());
    expect([...plan.assignment]).toEqual([['jd:1', 'm_new1'], ['tmall:2', 'mA']]);
    expect(plan.founders.get('mA')).toBe('tmall:2');
  });

  // guards against (a member keeping as founder a record that went to an older member's group)
  it('a member whose founding record went to an older member is founded on a record it keeps', () => {
    const t = (day: number) => `2026-01-0${day}T00:00:00.000Z`;
    const records = new Map([['offline:a', state('mA', 'mA', t(1))], ['offline:b1', state('mB', 'mB', t(2))], ['offline:b2', state('mB', 'mB', t(3))]]);
    const plan = reconcile([['offline:a', 'offline:b1'], ['offline:b2']], records, new Map([['mA', t(1)], ['mB', t(2)]]), counter());
    expect(plan.members).toEqual(new Map([['mA', ['offline:a', 'offline:b1']], ['mB', ['offline:b2']]]));
    expect(plan.founders).toEqual(new Map([['mA', 'offline:a'], ['mB', 'offline:b2']]));
  });

  describe('import', () => {
    let services: TestServices;
    beforeEach(() => { services = openTestServices(); });
    afterEach(() => services.close());

    const counts = (s: { added: number; updated: number; unchanged: number; repeated: number; rejected: number }) =>
      ({ added: s.added, updated: s.updated, unchanged: s.unchanged, repeated: s.repeated, rejected: s.rejected });

    // guards against (a later row in another batch not read as repeated: the plan's `seen`, or `item.repeated`, ignored,
    // or such a row counted as unchanged besides)
    it('counts a member listed more than four batches\' worth of times as repeated in every later batch too', async () => {
      const file = writeRows(Array.from({ length: 6 }, () => ({ channelMemberId: 'T1', name: '张三' })));
      const run = () => importMembersFile(services, { channel: 'tmall', file, rejectsFile: `${file}.rejects.jsonl`, batchSize: 1 });
      expect(counts(await run())).toEqual({ added: 1, updated: 0, unchanged: 0, repeated: 5, rejected: 0 });
      expect(readFileSync(`${file}.rejects.jsonl`, 'utf8').trim().split('\n').map((line) => JSON.parse(line))).toEqual(
        [3, 4, 5, 6, 7].map((line) => ({ line, warning: 'duplicate_in_file', channelMemberId: 'T1' })));
      // again: the first row unchanged, each later one repeated, wherever its batch
      expect(counts(await run())).toEqual({ added: 0, updated: 0, unchanged: 1, repeated: 5, rejected: 0 });
    });

    // guards against (a repeated row counted as updated as well: the rows no longer add up to those read)
    it('counts a later row that changes a member stored unchanged by its first row once, as repeated', async () => {
      await importMembers(services, 'tmall', [{ channelMemberId: 'T1', name: '张三' }]);
      const summary = await importMembers(services, 'tmall', [{ channelMemberId: 'T1', name: '张三' }, { channelMemberId: 'T1', name: '张三丰' }]);
      expect(summary.read).toBe(2);
      expect(summary.added + summary.updated + summary.unchanged + summary.repeated + summary.rejected).toBe(2);
      expect((await services.dump('records')).map((r) => r.name)).toEqual(['张三丰']);
    });

    // guards against (an opening balance taken from every row of a member listed twice in one batch)
    it('takes the opening balance of a member listed twice in one batch from its first row, even when the later row gives another', async () => {
      const summary = await importMembers(services, 'offline', [{ channelMemberId: 'C1', points: '100', growth: '100' }, { channelMemberId: 'C1', points: '250', growth: '250' }]);
      expect(summary).toMatchObject({ read: 2, added: 1, repeated: 1, rejected: 0 });
      expect((await services.dump('ledger')).map((e) => [e._id, e.points, e.growth])).toEqual([['migrate:offline:C1', 100, 100]]);
    });

    // guards against (a record's createdAt rewritten by each file that changes it: its member's founder follows the earliest-made record)
    it('a record a later file changes keeps the time it was made', async () => {
      await importMembers(services, 'tmall', [{ channelMemberId: 'T1', name: '张三' }]);
      services.clock.advance(86400_000);
      expect(await importMembers(services, 'tmall', [{ channelMemberId: 'T1', name: '张三丰' }])).toMatchObject({ updated: 1 });
      expect((await services.dump('records')).map((r) => [r.name, r.createdAt, r.updatedAt])).toEqual([['张三丰', '2026-11-23T02:00:00.000Z', '2026-11-24T02:00:00.000Z']]);
    });

    // guards against (the splits an import makes counted as merges in its summary)
    it('counts as merges only members absorbed, not the split a shared phone found late makes', async () => {
      const shop = '13912340000';
      expect(await importMembers(services, 'offline', [{ channelMemberId: 'S1', phone: shop }, { channelMemberId: 'S2', phone: shop }])).toMatchObject({ created: 1, merged: 0 });
      expect(await importMembers(services, 'offline', [{ channelMemberId: 'S3', phone: shop }, { channelMemberId: 'S4', phone: shop }])).toMatchObject({ quarantined: 1, merged: 0 });
      expect((await services.dump('merges')).map((m) => m.kind)).toEqual(['split']);
    });

    // guards against (a change of joinedAt, storeId or guideId alone read as no change: the file's new value never stored)
    it('stores a later file\'s change to joinedAt, storeId or guideId alone, counted as updated', async () => {
      await importMembers(services, 'offline', [{ channelMemberId: 'C1', joinedAt: '2024-01-05', storeId: 'S1', guideId: 'G1' }]);
      const stored = async () => (await services.dump('records')).map((r) => [r.joinedAt, r.storeId, r.guideId]);
      expect(await importMembers(services, 'offline', [{ channelMemberId: 'C1', joinedAt: '2024-02-05', storeId: 'S1', guideId: 'G1' }])).toMatchObject({ updated: 1, unchanged: 0 });
      expect(await importMembers(services, 'offline', [{ channelMemberId: 'C1', joinedAt: '2024-02-05', storeId: 'S2', guideId: 'G1' }])).toMatchObject({ updated: 1, unchanged: 0 });
      expect(await importMembers(services, 'offline', [{ channelMemberId: 'C1', joinedAt: '2024-02-05', storeId: 'S2', guideId: 'G2' }])).toMatchObject({ updated: 1, unchanged: 0 });
      expect(await stored()).toEqual([['2024-02-04T16:00:00.000Z', 'S2', 'G2']]);
      expect(await importMembers(services, 'offline', [{ channelMemberId: 'C1', joinedAt: '2024-02-05', storeId: 'S2', guideId: 'G2' }])).toMatchObject({ updated: 0, unchanged: 1 });
    });

    // guards against (the summary's counts by reason leaving out the warnings: duplicate_in_file, a dropped phone)
    it('counts rejects and warnings alike in the summary\'s reasons', async () => {
      const file = writeRows([{ channelMemberId: 'T1', phone: '12345' }, { channelMemberId: '', phone: '' }, { channelMemberId: 'T1', phone: '' }]);
      expect((await importMembers(services, 'tmall', file)).reasons).toEqual({ phone_not_mainland_mobile: 1, missing_channelMemberId: 1, duplicate_in_file: 1 });
    });

    // guards against (a rejected row's channelMemberId echoed whole into the rejects file, however long)
    it('names a rejected row\'s too-long channelMemberId by its first 64 characters', async () => {
      const id = `T${'9'.repeat(90)}`;
      const file = writeRows([{ channelMemberId: id, name: '张三' }]);
      expect(await importMembers(services, 'tmall', file)).toMatchObject({ read: 1, rejected: 1 });
      const [line] = readFileSync(`${file}.rejects.jsonl`, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(line).toMatchObject({ line: 2, reason: 'channelMemberId_too_long', channelMemberId: id.slice(0, 64) });
    });
  });
});
