import { readFileSync } from 'node:fs';
import { phoneSha256 } from '../../cloudfunctions/core/identity/normalize';
import { confirmLinkRequest } from '../../cloudfunctions/core/identity/link-requests';
import { mergeMembers, unmergeMembers } from '../../cloudfunctions/core/identity/operator';
import { runCli } from '../support/cli';
import { boundConsumer, exportAll, importMembers, memberOk, partition, writeRows } from '../support/members';
import { openTestServices, type TestServices } from '../support/services';
import { tempDir } from '../support/temp';
import { verifyPoints } from '../../cloudfunctions/core/points/verify.store';
import { importOrders } from '../codes/support';

/** Edge cases of OneID that cross features: re-imports after merges, erasure, odd partner rows. */
describe('OneID edge cases', () => {
  let services: TestServices;
  beforeEach(() => { services = openTestServices(); });
  afterEach(() => services.close());

  const everything = async () => ({
    members: await services.dump('members'),
    records: await services.dump('records'),
    identifiers: await services.dump('identifiers'),
    merges: await services.dump('merges'),
    ledger: await services.dump('ledger'),
    accounts: await services.dump('accounts'),
    balances: await services.dump('balances'),
  });

  it('lists the joins a limit refused for the CRM team, as the import summary says', async () => {
    const temp = tempDir('mc-conflicts-');
    try {
      const db = temp.file('mc.db');
      const file = writeRows([{ channelMemberId: 'T1', phone: '13800138001' }, { channelMemberId: 'T2', phone: '13800138001' }]);
      expect((await runCli(db, 'import', 'members', '--channel', 'tmall', '--file', file)).out).toMatch(/, 1 conflict for review \(members conflicts lists them\)\n/);
      const listed = await runCli(db, 'members', 'conflicts');
      expect(listed.out).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d Beijing {2}phone shared by tmall:T1 \(member m_\w+\) and tmall:T2 \(member m_\w+\), not joined: at most 1 tmall per member \(identity\.limits\)\n$/);
      expect(listed.err).toBe('1 conflict\n');
      expect((await runCli(db, 'members', 'conflicts', '--limit', '0')).err).toMatch(/--limit must be a whole number from 1 to 1000/);
      // the brand has since dropped the limit that refused the join: the line says so, and what joins them
      const saved = process.env.MC_CONFIG;
      process.env.MC_CONFIG = temp.write('no-tmall-limit.json', JSON.stringify({ identity: { ...services.config.identity, limits: { phone: 1, unionid: 1 } } }));
      try {
        expect((await runCli(db, 'members', 'conflicts')).out).toMatch(/, not joined: a limit on tmall per member, which identity\.limits no longer sets \(members merge joins them\)\n$/);
      } finally {
        if (saved === undefined) delete process.env.MC_CONFIG;
        else process.env.MC_CONFIG = saved;
      }
    } finally {
      temp.cleanup();
    }
  });

  it('keeps an operator merge when the same channel files are imported again', async () => {
    const store = writeRows([{ channelMemberId: 'C1', phone: '13800138001', points: '300' }]);
    const tmall = writeRows([{ channelMemberId: 'T1', email: 'li@x.cn', points: '120' }]);
    await importMembers(services, 'offline', store);
    await importMembers(services, 'tmall', tmall);
    const [a, b] = (await exportAll(services)).map((l) => l.memberId);
    const merge = await mergeMembers(services, a!, b!);
    const merged = await everything();

    services.clock.advance(3600_000);
    expect(await importMembers(services, 'offline', store)).toMatchObject({ updated: 0, unchanged: 1 });
    expect(await importMembers(services, 'tmall', tmall)).toMatchObject({ updated: 0, unchanged: 1 });
    expect(await everything()).toEqual(merged);
    expect(await partition(services)).toEqual([['offline:C1', 'tmall:T1']]);

    // and the operator can still undo it afterwards
    await unmergeMembers(services, merge._id);
    expect(await partition(services)).toEqual([['offline:C1'], ['tmall:T1']]);
  });

  it('enters an opening balance from the file that first brings the member, from its first row that gives one, and never from a later file', async () => {
    // the card listed twice, its balance only on the later row
    expect(await importMembers(services, 'offline', [{ channelMemberId: 'C300', name: '甲' }, { channelMemberId: 'C300', name: '甲', points: '500', growth: '1200' }]))
      .toMatchObject({ created: 1, warnings: 1 });
    expect((await services.dump('ledger')).map((e) => [e._id, e.points, e.growth])).toEqual([['migrate:offline:C300', 500, 1200]]);
    // a Tmall member handed over with no points, who then orders for 300 yuan: the next day's
    // export shows the 300 the order earned, which must not enter a second time
    await importMembers(services, 'tmall', [{ channelMemberId: 'T1', phone: '13912345601', points: '0', growth: '0' }]);
    await importOrders(services, 'tmall', [{ orderId: '5001', channelMemberId: 'T1', amountFen: 30000, status: 'paid', paidAt: '2026-11-20 10:00:00' }]);
    const before = await services.dump('ledger');
    expect(await importMembers(services, 'tmall', [{ channelMemberId: 'T1', phone: '13912345601', points: '300', growth: '300' }])).toMatchObject({ updated: 0, unchanged: 1 });
    expect(await services.dump('ledger')).toEqual(before);
    const tmall = (await exportAll(services)).find((l) => l.identifiers.some((i) => i.type === 'tmall'))!;
    expect(tmall.points.available).toBe(300);
  });

  it('a card that came without a balance, erased and brought back by a later file, does not pay again the orders that file\'s balance counts', async () => {
    await importMembers(services, 'offline', [{ channelMemberId: 'C1', phone: '13912345678' }]);
    await importOrders(services, 'offline', [{ orderId: 'S1', channelMemberId: 'C1', amountFen: 30000, status: 'paid', paidAt: '2026-11-20 10:00:00' }]);
    await boundConsumer(services, 'u1', '13912345678');
    await memberOk(services, 'u1', { action: 'delete', confirm: true });
    // erasure marks the opening the card never had as entered (0 points): the next file cannot bring one
    expect((await services.dump('ledger')).filter((e) => String(e._id).startsWith('migrate:')).map((e) => [e._id, e.points])).toEqual([['migrate:offline:C1', 0]]);
    await importMembers(services, 'offline', [{ channelMemberId: 'C1', phone: '13912345678', points: '300', growth: '300' }]);
    expect((await services.dump('ledger')).filter((e) => String(e._id).startsWith('migrate:')).map((e) => [e._id, e.points])).toEqual([['migrate:offline:C1', 0]]);
    expect((await exportAll(services)).map((l) => l.points.available)).toEqual([300]);
    expect((await verifyPoints(services)).differences).toBe(0);
  });

  it('imports a channel file again after a member erased itself, whatever opening balance the file now gives', async () => {
    await importMembers(services, 'offline', [{ channelMemberId: 'C1', phone: '13912345678', points: '300', growth: '300' }]);
    await boundConsumer(services, 'u1', '13912345678');
    await memberOk(services, 'u1', { action: 'delete', confirm: true });
    const ledger = await services.dump('ledger');

    services.clock.advance(30 * 86400_000);
    // the store's next export: the card's balance moved, and a new card came
    const summary = await importMembers(services, 'offline', [
      { channelMemberId: 'C1', phone: '13912345678', points: '350', growth: '300' },
      { channelMemberId: 'C2', phone: '13912340002', points: '5' },
    ]);
    expect(summary).toMatchObject({ read: 2, created: 2, rejected: 0 });
    // the card's opening balance entered once, when it was first imported; the new card's enters now
    expect((await services.dump('ledger')).filter((e) => e._id === 'migrate:offline:C1')).toEqual(ledger.filter((e) => e._id === 'migrate:offline:C1'));
    expect((await services.dump('ledger')).map((e) => e._id).sort()).toEqual(['migrate:offline:C1', 'migrate:offline:C2']);
    expect(await partition(services)).toEqual([['offline:C1'], ['offline:C2']]);
  });

  it('joins by a partner\'s phoneSha256 when the row\'s phone column holds only a masked number', async () => {
    await importMembers(services, 'offline', [{ channelMemberId: 'C1', phone: '13912345678' }]);
    // Tmall's export: the mobile masked for display, and its hash
    const file = writeRows([{ channelMemberId: 'T1', phone: '139****5678', phoneSha256: phoneSha256('13912345678') }]);
    expect(await importMembers(services, 'tmall', file)).toMatchObject({ created: 0, linked: 1, warnings: 1 });
    expect(await partition(services)).toEqual([['offline:C1', 'tmall:T1']]);
    expect(readFileSync(`${file}.rejects.jsonl`, 'utf8')).toBe('{"line":2,"warning":"phone_not_mainland_mobile","channelMemberId":"T1"}\n');
  });

  it('changes nothing when a file listing a member twice is imported again', async () => {
    await importMembers(services, 'offline', [{ channelMemberId: 'C1', phone: '13912345678' }]);
    const file = writeRows([
      { channelMemberId: 'T1', name: '张三', phone: '13912345678' },
      { channelMemberId: 'T2', name: '李四' },
      { channelMemberId: 'T1', name: '张三丰', phone: '13912340000' },
    ]);
    await importMembers(services, 'tmall', file);
    const before = await everything();
    services.clock.advance(3600_000);
    expect(await importMembers(services, 'tmall', file)).toMatchObject({ updated: 0, unchanged: 2, merged: 0, warnings: 1 });
    expect(await everything()).toEqual(before);
  });

  it('undoes only the merge it is asked to, leaving a later operator merge in place', async () => {
    await importMembers(services, 'offline', [{ channelMemberId: 'C1', phone: '13912345678', points: '1' }]);
    await importMembers(services, 'jd', [{ channelMemberId: 'J1', email: 'b@x.cn', points: '100' }]);
    await importMembers(services, 'tmall', [{ channelMemberId: 'T1', email: 'a@x.cn', points: '10' }]);
    const [x, y, z] = (await exportAll(services)).map((l) => l.memberId);
    const first = await mergeMembers(services, x!, y!);
    const second = await mergeMembers(services, x!, z!);
    expect(await partition(services)).toEqual([['jd:J1', 'offline:C1', 'tmall:T1']]);

    // the first merge undone: the JD member goes, the Tmall member the second merge joined stays
    expect(await unmergeMembers(services, first._id)).toMatchObject({ restored: y, survivor: x });
    expect(await partition(services)).toEqual([['jd:J1'], ['offline:C1', 'tmall:T1']]);
    expect((await exportAll(services)).map((l) => [l.memberId, l.points.available]).sort()).toEqual([[x, 11], [y, 100]].sort());
    // and the second can still be undone on its own
    expect(await unmergeMembers(services, second._id)).toMatchObject({ restored: z, survivor: x });
    expect(await partition(services)).toEqual([['jd:J1'], ['offline:C1'], ['tmall:T1']]);
  });

  it('keeps a shared phone set aside when the records it lists drop it while others still carry it', async () => {
    const shop = '15800001111';
    const cards = Array.from({ length: 70 }, (_, i) => `C${String(i).padStart(3, '0')}`);
    await importMembers(services, 'offline', cards.map((channelMemberId) => ({ channelMemberId, phone: shop })));
    // the store corrects the first 64 cards (those the value lists); six still carry the shop's phone
    await importMembers(services, 'offline', cards.slice(0, 64).map((channelMemberId) => ({ channelMemberId })));
    await importMembers(services, 'tmall', [{ channelMemberId: 'T1', phone: shop }]);
    await importMembers(services, 'jd', [{ channelMemberId: 'J1', phone: shop }]);
    const groups = await partition(services);
    expect(groups).toContainEqual(['tmall:T1']);
    expect(groups).toContainEqual(['jd:J1']);
  });

  it('changes nothing when a file listing a member twice, batches apart, is imported again', async () => {
    await importMembers(services, 'offline', [{ channelMemberId: 'C1', phone: '13912340000', points: '100' }]);
    const file = writeRows([
      { channelMemberId: 'T1', phone: '13912345678' },
      { channelMemberId: 'T2' },
      { channelMemberId: 'T3' },
      { channelMemberId: 'T4' },
      { channelMemberId: 'T5' },
      // the later row wins: T1 joins the card holder
      { channelMemberId: 'T1', phone: '13912340000' },
    ]);
    await importMembers(services, 'tmall', file, 2);
    expect(await partition(services)).toContainEqual(['offline:C1', 'tmall:T1']);
    const before = await everything();
    services.clock.advance(3600_000);
    expect(await importMembers(services, 'tmall', file, 2)).toMatchObject({ updated: 0, merged: 0, unchanged: 5, warnings: 1 });
    expect(await everything()).toEqual(before);
  });

  /** Each live member's channel records, `channel:id` sorted, by member id. */
  const cards = async () => Object.fromEntries((await exportAll(services)).map((line) => [line.memberId,
    line.identifiers.filter((i) => !['phone', 'email', 'unionid', 'openid'].includes(i.type)).map((i) => `${i.type}:${i.value}`).sort().join(' ')]));
  const memberOf = async (recordId: string) => Object.entries(await cards()).find(([, ids]) => ids.split(' ').includes(recordId))![0];

  it('unmerge gives the survivor back its own records and id, and a record joined since through the absorbed side goes with that side', async () => {
    await importMembers(services, 'offline', [{ channelMemberId: 'C1', name: 'Li', points: '100' }]);
    services.clock.advance(60_000);
    await importMembers(services, 'tmall', [{ channelMemberId: 'T2', email: 'li@x.cn', points: '200' }]);
    const [a, b] = [await memberOf('offline:C1'), await memberOf('tmall:T2')];
    const merge = await mergeMembers(services, a, b);
    services.clock.advance(60_000);
    // a JD card with T2's email, imported while the two are one
    await importMembers(services, 'jd', [{ channelMemberId: 'J5', email: 'li@x.cn', points: '50' }]);
    expect(await unmergeMembers(services, merge._id)).toMatchObject({ restored: b, survivor: a });
    expect(await cards()).toEqual({ [a]: 'offline:C1', [b]: 'jd:J5 tmall:T2' });
    // and it stays so when the files come again
    await importMembers(services, 'jd', [{ channelMemberId: 'J5', email: 'li@x.cn', points: '50' }]);
    expect(await cards()).toEqual({ [a]: 'offline:C1', [b]: 'jd:J5 tmall:T2' });
    expect((await verifyPoints(services)).differences).toBe(0);
  });

  it('a member split by a phone found shared late keeps its id on the record that founded it', async () => {
    const shop = '13912340000';
    await importMembers(services, 'offline', [{ channelMemberId: 'Z9', phone: shop, points: '500' }]);
    const founder = await memberOf('offline:Z9');
    services.clock.advance(60_000); // a later file
    await importMembers(services, 'offline', [{ channelMemberId: 'A1', phone: shop }, { channelMemberId: 'A2', phone: shop }]);
    expect(await memberOf('offline:A1')).toBe(founder);
    await importMembers(services, 'offline', [{ channelMemberId: 'A3', phone: shop }]); // the fourth: set aside as shared
    expect(await memberOf('offline:Z9')).toBe(founder);
    expect(await memberOf('offline:A1')).not.toBe(founder);
    expect((await verifyPoints(services)).differences).toBe(0);
  });

  it('a consumer who binds another phone keeps their member id; the store card that joined them through the old one leaves', async () => {
    const { memberId } = await boundConsumer(services, 'u1', '13912345001');
    services.clock.advance(60_000);
    await importMembers(services, 'offline', [{ channelMemberId: 'C1', phone: '13912345001', points: '100' }]);
    expect(await memberOf('offline:C1')).toBe(memberId);
    services.clock.advance(1000);
    await memberOk(services, 'u1', { action: 'bindPhone', code: `dev:13912345002:${services.clock.now()}` });
    expect((await memberOk<{ memberId: string }>(services, 'u1', { action: 'login' })).memberId).toBe(memberId);
    expect(await memberOf('offline:C1')).not.toBe(memberId);
  });

  it('exports a consumer who linked a store card with one phone: the card\'s old one is no longer theirs', async () => {
    await importMembers(services, 'offline', [{ channelMemberId: 'C9', phone: '13912345679' }]);
    await boundConsumer(services, 'u1', '13912345688');
    await memberOk(services, 'u1', { action: 'linkOffline', cardNo: 'C9', last4: '5679' });
    const line = (await exportAll(services)).find((l) => l.identifiers.some((i) => i.value === 'C9'))!;
    expect(line.identifiers.filter((i) => i.type === 'phone')).toHaveLength(1);
  });

  it('undoing a first merge leaves a member an operator merged in afterwards with the survivor, and that merge can still be undone', async () => {
    await importMembers(services, 'tmall', [{ channelMemberId: 'T1', phone: '13912340001', points: '100' }]);
    services.clock.advance(60_000);
    await importMembers(services, 'offline', [{ channelMemberId: 'C2', email: 'li@x.cn', points: '20' }]);
    const [a, b] = [await memberOf('tmall:T1'), await memberOf('offline:C2')];
    const first = await mergeMembers(services, a, b);
    services.clock.advance(60_000);
    // a JD card with C2's email while the two are one
    await importMembers(services, 'jd', [{ channelMemberId: 'J5', email: 'li@x.cn', points: '5' }]);
    services.clock.advance(60_000);
    await importMembers(services, 'offline', [{ channelMemberId: 'C9', email: 'c9@x.cn', points: '7' }]);
    const c = await memberOf('offline:C9');
    const second = await mergeMembers(services, a, c);
    expect(second).toMatchObject({ survivor: a, absorbed: c });
    services.clock.advance(60_000);
    await unmergeMembers(services, first._id);
    expect(await cards()).toEqual({ [a]: 'offline:C9 tmall:T1', [b]: 'jd:J5 offline:C2' });
    await expect(unmergeMembers(services, second._id)).resolves.toMatchObject({ restored: c, survivor: a });
    expect(await cards()).toEqual({ [a]: 'tmall:T1', [b]: 'jd:J5 offline:C2', [c]: 'offline:C9' });
    expect((await verifyPoints(services)).differences).toBe(0);
  });

  it('an unmerge answers the member the absorbed side became, also when a split since gave the absorbed id to another record', async () => {
    await importMembers(services, 'offline', [{ channelMemberId: 'C1', name: 'Li', points: '10' }]);
    services.clock.advance(60_000);
    await importMembers(services, 'tmall', [{ channelMemberId: 'T1', email: 'li@x.cn', points: '20' }]);
    services.clock.advance(60_000);
    await importMembers(services, 'jd', [{ channelMemberId: 'J1', email: 'li@x.cn', points: '30' }]);
    const [a, b] = [await memberOf('offline:C1'), await memberOf('tmall:T1')];
    const merge = await mergeMembers(services, a, b);
    services.clock.advance(60_000);
    // the email is found shared by four JD cards: J1 leaves, and takes up the absorbed member's id again
    await importMembers(services, 'jd', ['J2', 'J3', 'J4'].map((channelMemberId) => ({ channelMemberId, email: 'li@x.cn' })));
    expect(await memberOf('jd:J1')).toBe(b);
    const undone = await unmergeMembers(services, merge._id);
    // T1 leaves the survivor for a member of its own: the answer names that one, not b (J1's)
    expect(undone).toMatchObject({ survivor: a, restored: await memberOf('tmall:T1') });
    expect(undone.restored).not.toBe(b);
    expect(await cards()).toMatchObject({ [a]: 'offline:C1', [b]: 'jd:J1', [undone.restored]: 'tmall:T1' });
    expect((await exportAll(services)).find((l) => l.memberId === undone.restored)!.points.available).toBe(20);
    expect((await verifyPoints(services)).differences).toBe(0);
    // a retry answers the same
    expect(await unmergeMembers(services, merge._id)).toEqual({ ...undone, repeated: true });
  });

  it('a member keeps its id when a card that joined it from elsewhere (an older record) leaves again', async () => {
    const shop = '13912340000';
    await importMembers(services, 'offline', [{ channelMemberId: 'B1', phone: shop }, { channelMemberId: 'B2', phone: shop }]);
    services.clock.advance(60_000);
    await importMembers(services, 'jd', [{ channelMemberId: 'J1', email: 'li@x.cn', points: '80' }]);
    const jd = await memberOf('jd:J1');
    services.clock.advance(60_000);
    // B2 gives J1's email as the shop's phone is found shared: B2 joins J1's member
    await importMembers(services, 'offline', [{ channelMemberId: 'B2', phone: shop, email: 'li@x.cn' }, { channelMemberId: 'B3', phone: shop }, { channelMemberId: 'B4', phone: shop }]);
    expect(await memberOf('offline:B2')).toBe(jd);
    services.clock.advance(60_000);
    // the store corrects B2: J1's member began with J1 and keeps its id
    await importMembers(services, 'offline', [{ channelMemberId: 'B2', phone: shop }]);
    expect(await memberOf('jd:J1')).toBe(jd);
    expect((await verifyPoints(services)).differences).toBe(0);
  });

  it('the older member survives when two members become one, also when its founding record went to a third', async () => {
    const shop = '13912340000';
    await importMembers(services, 'tmall', [{ channelMemberId: 'Z1', email: 'z@x.cn' }]);
    services.clock.advance(60_000);
    await importMembers(services, 'offline', [{ channelMemberId: 'A1', phone: shop }, { channelMemberId: 'A2', phone: shop }]);
    const a = await memberOf('offline:A1');
    services.clock.advance(60_000);
    await importMembers(services, 'jd', [{ channelMemberId: 'B1', email: 'b@x.cn' }]);
    services.clock.advance(60_000);
    // the shop phone is found shared; A1 gives Z1's email, A2 gives B1's: A2 (of a) and B1 are one, and a is older
    await importMembers(services, 'offline', [{ channelMemberId: 'A1', phone: shop, email: 'z@x.cn' }, { channelMemberId: 'A2', phone: shop, email: 'b@x.cn' }, { channelMemberId: 'A3', phone: shop }, { channelMemberId: 'A4', phone: shop }]);
    expect(await memberOf('jd:B1')).toBe(a);
  });

  it('a member none of whose records changed keeps its id when its founding record, gone home to another member, leaves that one', async () => {
    await importMembers(services, 'jd', [{ channelMemberId: 'J2', email: 'a@x.cn' }]);
    services.clock.advance(60_000);
    await importMembers(services, 'jd', [{ channelMemberId: 'J3', phone: '13912340002', email: 'b@x.cn' }]); // founded on J3
    services.clock.advance(60_000);
    await importMembers(services, 'offline', [{ channelMemberId: 'O5', email: 'b@x.cn' }]);
    services.clock.advance(60_000);
    await importMembers(services, 'offline', [{ channelMemberId: 'O4', phone: '13912340002', email: 'a@x.cn' }]); // the two become one
    services.clock.advance(60_000);
    // J1 takes O5 (email b; J3's phone refuses J1): O5's member comes back on O5 and J1, J3 stays with the other
    await importMembers(services, 'jd', [{ channelMemberId: 'J1', phone: '13912340001', email: 'b@x.cn' }]);
    const kept = await memberOf('offline:O5');
    expect(await memberOf('jd:J1')).toBe(kept);
    services.clock.advance(60_000);
    // J3 changes phone and leaves: O5 and J1 were not touched
    await importMembers(services, 'jd', [{ channelMemberId: 'J3', phone: '13912340003', email: 'b@x.cn' }]);
    expect([await memberOf('offline:O5'), await memberOf('jd:J1')]).toEqual([kept, kept]);
    for (const member of await services.dump('members')) {
      const doc = member as unknown as { status: string; records: string[]; founder?: string };
      if (doc.status === 'active' && doc.founder) expect(doc.records).toContain(doc.founder);
    }
  });

  it('refuses an operator merge a limit forbids, instead of splitting one of the members to make it', async () => {
    await importMembers(services, 'jd', [{ channelMemberId: 'J1', phone: '13912340001' }]);
    const a = await memberOf('jd:J1');
    services.clock.advance(60_000);
    await importMembers(services, 'jd', [{ channelMemberId: 'J3' }]);
    services.clock.advance(60_000);
    await importMembers(services, 'offline', [{ channelMemberId: 'O1', phone: '13912340004', email: 'a@x.cn' }]);
    services.clock.advance(60_000);
    await importMembers(services, 'jd', [{ channelMemberId: 'J3', email: 'a@x.cn' }]); // J3 and O1 are one person
    const b = await memberOf('jd:J3');
    expect(await memberOf('offline:O1')).toBe(b);
    const before = await everything();
    // J1 and O1 hold two phones: joining all of both is forbidden
    await expect(mergeMembers(services, b, a)).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(await everything()).toEqual(before);
  });

  it('undoing an operator\'s merge leaves a store card the consumer linked since with the consumer', async () => {
    const record = async (id: string) => (await services.store.get<{ _id: string; memberId: string | null; identifiers: { type: string }[] }>('records', id))!;
    await importMembers(services, 'jd', [{ channelMemberId: 'J1', email: 'j@x.cn', points: '10' }]);
    services.clock.advance(1000);
    const { memberId: consumer } = await boundConsumer(services, 'u1', '13912340001');
    await importMembers(services, 'offline', [{ channelMemberId: 'O1', phone: '13912340003', points: '30' }]);
    const merge = await mergeMembers(services, (await record('jd:J1')).memberId!, consumer);
    await memberOk(services, 'u1', { action: 'linkOffline', cardNo: 'O1', last4: '0003' });
    await unmergeMembers(services, merge._id);
    const mine = (await memberOk<{ memberId: string }>(services, 'u1', { action: 'login' })).memberId;
    expect((await record('offline:O1')).memberId).toBe(mine);
    expect(await memberOk(services, 'u1', { action: 'channels' })).toMatchObject({ offline: true });
    expect((await verifyPoints(services)).differences).toBe(0);
  });

  it('undoing a card staff confirmed sends a JD card joined since by the card\'s email with the card, when the consumer is the older member', async () => {
    const record = async (id: string) => (await services.store.get<{ _id: string; memberId: string | null }>('records', id))!;
    const { memberId: consumer } = await boundConsumer(services, 'u1', '13912340001');
    services.clock.advance(1000);
    await importMembers(services, 'offline', [{ channelMemberId: 'O1', email: 'o@x.cn', points: '30' }]);
    await memberOk(services, 'u1', { action: 'linkOffline', cardNo: 'O1' }); // no phone on file: for staff
    const [request] = await services.dump('linkRequests');
    const { mergeId } = await confirmLinkRequest(services, request!._id);
    services.clock.advance(1000);
    await importMembers(services, 'jd', [{ channelMemberId: 'J1', email: 'o@x.cn', points: '5' }]);
    await unmergeMembers(services, mergeId!);
    const card = (await record('offline:O1')).memberId;
    expect(card).not.toBe(consumer);
    expect((await record('jd:J1')).memberId).toBe(card);
    expect((await verifyPoints(services)).differences).toBe(0);
  });
});
