/**
 * Scene attribution edges that a second round of hand-made mutants of scenes/ showed the suite
 * let pass: which of a member's several first touches a later join answers, a first touch kept by
 * an earlier version under a member id whose record an unmerge took away, and the recruit report's
 * figures worked out by hand, across Beijing-day boundaries.
 */
import { memberFunction } from '../../cloudfunctions/core/functions/member';
import { scenesFunction } from '../../cloudfunctions/core/functions/scenes';
import { invoke } from '../../cloudfunctions/core/runtime/handler';
import type { Caller } from '../../cloudfunctions/core/runtime/services';
import { findWechatRecord } from '../../cloudfunctions/core/identity/lookup';
import { mergeMembers, unmergeMembers } from '../../cloudfunctions/core/identity/operator';
import { addCampaign, addGuide, addStore, guideLeft } from '../../cloudfunctions/core/scenes/places.store';
import { recruitReport } from '../../cloudfunctions/core/scenes/report';
import { boundConsumer, importMembers } from '../support/members';
import { openTestServices, withStepBeforeTransaction, type TestServices } from '../support/services';
import { importOrders, scenes, scenesOk } from './support';

let services: TestServices;
afterEach(() => services.close());

/** Services allowing a member two phones (an operator's merge of two members keeps both). */
function twoPhoneServices(start?: string): TestServices {
  const defaults = openTestServices();
  const identity = { ...defaults.config.identity, limits: { ...defaults.config.identity.limits, phone: 2 } };
  void defaults.close();
  return openTestServices(start, { identity });
}

async function places(s: TestServices) {
  await addStore(s, { id: 'SH001', name: '南京西路店', city: '上海' });
  await addStore(s, { id: 'SH002', name: '淮海路店' });
  await addGuide(s, { id: 'G001', storeId: 'SH001', name: '小林' });
  await addGuide(s, { id: 'G002', storeId: 'SH001', name: '小王' });
  await addGuide(s, { id: 'G003', storeId: 'SH002', name: '小张' });
  await addCampaign(s, { id: 'P11', name: '双11包裹卡', platform: 'tmall', bonus: 50 });
}

const ok = (openid: string, event: Record<string, unknown>) => scenesOk(services, openid, event);
const recordOf = async (openid: string) => (await findWechatRecord(services.store.get.bind(services.store), openid))!;

describe('which first touch a later join answers', () => {
  test('a member made of two recruits (merged by an operator) answers the earliest join, whichever WeChat scans next', async () => {
    services = twoPhoneServices();
    await places(services);
    const { memberId: a } = await boundConsumer(services, 'u1', '13912345671');
    const first = await ok('u1', { action: 'join', scene: 'g=G002' });
    services.clock.advance(60_000);
    const { memberId: b } = await boundConsumer(services, 'u2', '13912345672');
    await ok('u2', { action: 'join', scene: 'g=G001' });
    await mergeMembers(services, b, a);
    services.clock.advance(3600_000);
    // docs/codes-and-scenes.md (`scenes.resolve` and `scenes.join`): later joins answer the first touch as it was: the member's earliest, not the latest one
    for (const openid of ['u2', 'u1']) {
      expect(await ok(openid, { action: 'join', scene: 'g=G003' })).toEqual({ ...first, attributed: false });
    }
    expect(await services.dump('attributions')).toHaveLength(2);
  });

  test('a first touch an earlier version kept under a member id is not that member\'s once an unmerge took its record away', async () => {
    services = twoPhoneServices();
    await places(services);
    const { memberId: a } = await boundConsumer(services, 'u1', '13912345671');
    services.clock.advance(60_000);
    const { memberId: b } = await boundConsumer(services, 'u2', '13912345672');
    const merge = await mergeMembers(services, b, a);
    const u2 = await recordOf('u2');
    const survivor = u2.memberId!;
    // before the upgrade, u2 joined through G001 while merged: the touch was kept under the member's id
    await services.store.transaction(async (tx) => {
      await tx.set('attributions', {
        _id: survivor, memberId: survivor, recordId: u2._id, kind: 'guide', channel: 'wechat', storeId: 'SH001', guideId: 'G001', campaignId: null, sku: null,
        at: new Date(services.clock.now()).toISOString(), lastCampaignId: null, recruit: true, alreadyMember: false,
      });
    });
    await unmergeMembers(services, merge._id);
    // the older member kept its id and u1; the unmerge took u2 back to the other side
    expect(survivor).toBe(a);
    expect((await recordOf('u1')).memberId).toBe(a);
    expect((await recordOf('u2')).memberId).not.toBe(a);
    // u1's member still holds the document under its id, naming a record it no longer has: u1's join is a first touch of its own
    expect(await ok('u1', { action: 'join', scene: 'g=G003' })).toMatchObject({ attributed: true, guideId: 'G003' });
  });
});

describe('report guides, worked out by hand', () => {
  test('recruits and channel members per guide and store across a Beijing midnight; non-recruits, package cards and repeat joins count nowhere', async () => {
    services = openTestServices('2026-11-15T00:00:00Z');
    await places(services);
    // u5 bound a phone eight days before scanning: a member of long standing, no one's recruit
    await boundConsumer(services, 'u5', '13900000005');
    services.clock.set('2026-11-23T02:00:00Z');
    // u4 was a Tmall member before the mini-program
    await importMembers(services, 'tmall', [{ channelMemberId: 'T4', phone: '13900000004' }]);
    for (const [openid, phone] of [['u1', '13900000001'], ['u2', '13900000002'], ['u3', '13900000003'], ['u4', '13900000004'], ['u6', '13900000006'], ['u7', '13900000007']] as const) {
      await boundConsumer(services, openid, phone);
    }
    await ok('u3', { action: 'join', scene: 's=SH002' });
    expect(await ok('u4', { action: 'join', scene: 'g=G003' })).toMatchObject({ attributed: true, guideId: 'G003' });
    expect(await ok('u5', { action: 'join', scene: 'g=G001' })).toMatchObject({ attributed: false, guideId: 'G001' });
    await ok('u6', { action: 'join', scene: 'p=P11' });
    await ok('u7', { action: 'join', scene: 'g=G002' });
    // u1 joins at 23:59:59.999 on 2026-11-23 Beijing time, u2 one millisecond later, on the 24th
    services.clock.set('2026-11-23T15:59:59.999Z');
    expect(await ok('u1', { action: 'join', scene: 'g=G001' })).toMatchObject({ attributed: true, at: '2026-11-23T15:59:59.999Z' });
    services.clock.set('2026-11-23T16:00:00.000Z');
    expect(await ok('u2', { action: 'join', scene: 'g=G001' })).toMatchObject({ attributed: true, at: '2026-11-23T16:00:00.000Z' });
    // a repeat join through another guide changes nothing; G002 leaving keeps their recruit
    services.clock.advance(3600_000);
    await ok('u1', { action: 'join', scene: 'g=G002' });
    await guideLeft(services, 'G002');
    // the store's POS export dates cards by the day alone: both cards read 2026-11-23
    await importMembers(services, 'offline', [
      { channelMemberId: 'C1', phone: '13900000001', joinedAt: '2026-11-23' },
      { channelMemberId: 'C2', phone: '13900000002', joinedAt: '2026-11-23' },
    ]);

    // by hand: SH001 recruited u1 (G001, card the same Beijing day: not before) and u7 (G002);
    // u2 joined on the 24th, after the card's day: an already member of G001's.
    // SH002 recruited u3 (the store's own code) and brought Tmall member u4 through G003.
    // u5 (bound 8 days before) and u6 (a package card, no store) count nowhere.
    const report = await recruitReport(services);
    expect(report).toEqual({
      total: 3,
      alreadyMembers: 2,
      stores: [
        {
          storeId: 'SH001', name: '南京西路店', recruited: 2, alreadyMembers: 1,
          guides: [
            { guideId: 'G001', name: '小林', status: 'active', recruited: 1, alreadyMembers: 1 },
            { guideId: 'G002', name: '小王', status: 'left', recruited: 1, alreadyMembers: 0 },
          ],
        },
        {
          storeId: 'SH002', name: '淮海路店', recruited: 1, alreadyMembers: 1,
          guides: [{ guideId: 'G003', name: '小张', status: 'active', recruited: 0, alreadyMembers: 1 }],
        },
      ],
    });
  });
});

describe('bindOrder: the default card and a retry across an unmerge', () => {
  beforeEach(async () => {
    services = twoPhoneServices();
    await places(services);
    await addCampaign(services, { id: 'P12', name: '双12包裹卡', platform: 'tmall', bonus: 30 });
  });

  test('of a member made of two WeChat records, the card scanned last is the default, by when it was scanned, not by when each first joined', async () => {
    await importMembers(services, 'tmall', [{ channelMemberId: 'T1', phone: '13912345671' }]);
    await importOrders(services, 'tmall', [
      { orderId: '1001', channelMemberId: 'T1', amountFen: 9900, status: 'paid', paidAt: '2026-11-11 10:00:00' },
      { orderId: '1002', channelMemberId: 'T1', amountFen: 9900, status: 'paid', paidAt: '2026-11-12 10:00:00' },
    ]);
    const { memberId: a } = await boundConsumer(services, 'u1', '13912345671');
    await ok('u1', { action: 'join', scene: 'p=P11' });
    services.clock.advance(60_000);
    const { memberId: b } = await boundConsumer(services, 'u2', '13912345672');
    await ok('u2', { action: 'join', scene: 'p=P12' });
    await mergeMembers(services, b, a);
    // P12 (u2's first touch) was scanned after P11 (u1's)
    expect(await ok('u1', { action: 'bindOrder', platform: 'tmall', orderId: '1001' })).toMatchObject({ campaignId: 'P12', points: 30 });
    // u1 scans P11 again: kept on u1's first touch, which is older than u2's, but scanned last
    services.clock.advance(60_000);
    expect(await ok('u1', { action: 'join', scene: 'p=P11' })).toMatchObject({ attributed: false, campaignId: 'P11' });
    expect(await ok('u2', { action: 'bindOrder', platform: 'tmall', orderId: '1002' })).toMatchObject({ campaignId: 'P11', points: 50 });
  });

  test('the WeChat that bound an order while merged, retrying after the unmerge, gets its first binding back, not "bound already"', async () => {
    const { memberId: older } = await boundConsumer(services, 'u2', '13700000002');
    await importMembers(services, 'tmall', [{ channelMemberId: 'T3', phone: '13600000003' }]);
    await importOrders(services, 'tmall', [{ orderId: '4001', channelMemberId: 'T3', amountFen: 9900, status: 'paid', paidAt: '2026-11-11 10:00:00' }]);
    const { memberId: buyer } = await boundConsumer(services, 'u3', '13600000003');
    const merge = await mergeMembers(services, older, buyer);
    expect([merge.survivor, merge.absorbed]).toEqual([older, buyer]);
    const first = await ok('u3', { action: 'bindOrder', platform: 'tmall', orderId: '4001', campaignId: 'P11', requestId: 'attempt-1' });
    await unmergeMembers(services, merge._id);
    expect((await recordOf('u3')).memberId).toBe(buyer);
    services.clock.advance(3600_000);
    expect(await ok('u3', { action: 'bindOrder', platform: 'tmall', orderId: '4001', campaignId: 'P11', requestId: 'attempt-1' }))
      .toMatchObject({ boundAt: first.boundAt, points: 50, repeated: false });
  });

  test('an order another member bound while the caller\'s binding was under way: the buyer is told it was bound, not to retry', async () => {
    const { memberId: older } = await boundConsumer(services, 'u2', '13700000002');
    await importMembers(services, 'tmall', [{ channelMemberId: 'T3', phone: '13600000003' }]);
    await importOrders(services, 'tmall', [{ orderId: '4001', channelMemberId: 'T3', amountFen: 9900, status: 'paid', paidAt: '2026-11-11 10:00:00' }]);
    const { memberId: buyer } = await boundConsumer(services, 'u3', '13600000003');
    // between u3's checks and its transaction: a wrong merge, u2 binding the order as the merged member, the unmerge
    const racing = withStepBeforeTransaction(services, async () => {
      const merge = await mergeMembers(services, older, buyer);
      await ok('u2', { action: 'bindOrder', platform: 'tmall', orderId: '4001', campaignId: 'P11' });
      await unmergeMembers(services, merge._id);
    });
    expect(await scenes(racing, 'u3', { action: 'bindOrder', platform: 'tmall', orderId: '4001', campaignId: 'P11' }))
      .toMatchObject({ ok: false, error: { code: 'CONFLICT', details: { reason: 'bound' } } });
    expect(await services.dump('cardOrders')).toHaveLength(1);
  });

  test('an order bound while an unmerge took the caller back to their own member is that member\'s: their other WeChat retrying gets it back', async () => {
    const { memberId: older } = await boundConsumer(services, 'u2', '13700000002');
    await importMembers(services, 'tmall', [{ channelMemberId: 'T3', phone: '13600000003' }]);
    await importOrders(services, 'tmall', [{ orderId: '4001', channelMemberId: 'T3', amountFen: 9900, status: 'paid', paidAt: '2026-11-11 10:00:00' }]);
    const { memberId: buyer } = await boundConsumer(services, 'u3', '13600000003');
    const merge = await mergeMembers(services, older, buyer);
    // the unmerge commits after u3's binding read its member (the merged one), before its transaction
    const racing = withStepBeforeTransaction(services, () => unmergeMembers(services, merge._id));
    const first = await scenes(racing, 'u3', { action: 'bindOrder', platform: 'tmall', orderId: '4001', campaignId: 'P11' });
    expect(first).toMatchObject({ ok: true, data: { points: 50, repeated: false } });
    expect((await recordOf('u3')).memberId).toBe(buyer);
    // the same person's second WeChat binds the same phone: one member with u3, who bound the order
    services.clock.advance(60_000);
    expect((await boundConsumer(services, 'u4', '13600000003')).memberId).toBe(buyer);
    expect(await ok('u4', { action: 'bindOrder', platform: 'tmall', orderId: '4001', campaignId: 'P11' }))
      .toMatchObject({ points: 50, boundAt: first.ok && (first.data as { boundAt: string }).boundAt, repeated: true });
    expect((await services.dump('cardOrders')).map((c) => c.memberId)).toEqual([buyer]);
  });

  test('a card valid to a date binds orders until the last millisecond of that Beijing day', async () => {
    await addCampaign(services, { id: 'OLD', name: '旧包裹卡', platform: 'tmall', bonus: 10, validTo: '2026-11-30' });
    await importMembers(services, 'tmall', [{ channelMemberId: 'T1', phone: '13912345671' }]);
    await importOrders(services, 'tmall', [
      { orderId: '1001', channelMemberId: 'T1', amountFen: 9900, status: 'paid', paidAt: '2026-11-11 10:00:00' },
      { orderId: '1002', channelMemberId: 'T1', amountFen: 9900, status: 'paid', paidAt: '2026-11-12 10:00:00' },
    ]);
    await boundConsumer(services, 'u1', '13912345671');
    services.clock.set('2026-11-30T15:59:59.999Z');
    expect(await ok('u1', { action: 'bindOrder', platform: 'tmall', orderId: '1001', campaignId: 'OLD' })).toMatchObject({ points: 10 });
    services.clock.set('2026-11-30T16:00:00.000Z');
    expect(await scenes(services, 'u1', { action: 'bindOrder', platform: 'tmall', orderId: '1002', campaignId: 'OLD' }))
      .toMatchObject({ ok: false, error: { code: 'CODE_EXPIRED' } });
  });
});

describe('campaign windows in Beijing time', () => {
  beforeEach(async () => {
    services = openTestServices();
    await places(services);
  });

  test('added in the first hours of a Beijing day, a card takes orders from the Beijing midnight 30 days before that day', async () => {
    // 01:00 on 2026-11-24 in Beijing, still the 23rd in UTC
    services.clock.set('2026-11-23T17:00:00Z');
    const { doc } = await addCampaign(services, { id: 'P24', name: '双24包裹卡', platform: 'tmall', bonus: 20 });
    expect(doc.ordersFrom).toBe('2026-10-24T16:00:00.000Z');
    await importMembers(services, 'tmall', [{ channelMemberId: 'T1', phone: '13912345671' }]);
    await importOrders(services, 'tmall', [
      { orderId: '1001', channelMemberId: 'T1', amountFen: 9900, status: 'paid', paidAt: '2026-10-24 23:59:59' },
      { orderId: '1002', channelMemberId: 'T1', amountFen: 9900, status: 'paid', paidAt: '2026-10-25 00:00:00' },
    ]);
    await boundConsumer(services, 'u1', '13912345671');
    expect(await scenes(services, 'u1', { action: 'bindOrder', platform: 'tmall', orderId: '1001', campaignId: 'P24' }))
      .toMatchObject({ ok: false, error: { code: 'FORBIDDEN', details: { reason: 'before_campaign', ordersFrom: '2026-10-24T16:00:00.000Z' } } });
    expect(await ok('u1', { action: 'bindOrder', platform: 'tmall', orderId: '1002', campaignId: 'P24' })).toMatchObject({ points: 20 });
  });

  test('a valid-to of the present instant has passed; one second later is accepted', async () => {
    // the clock reads 10:00:00 on 2026-11-23 in Beijing
    await expect(addCampaign(services, { id: 'NOW', name: '即刻包裹卡', platform: 'tmall', bonus: 5, validTo: '2026-11-23T10:00:00' }))
      .rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('has passed') });
    expect((await addCampaign(services, { id: 'NOW', name: '即刻包裹卡', platform: 'tmall', bonus: 5, validTo: '2026-11-23T10:00:01' })).doc.validTo).toBe('2026-11-23T02:00:01.000Z');
  });

  test('orders-from on the very instant a card ends is not after it: accepted; a day later is refused', async () => {
    const { doc } = await addCampaign(services, { id: 'EDGE', name: '边界包裹卡', platform: 'tmall', bonus: 5, validTo: '2026-12-01T00:00:00', ordersFrom: '2026-12-01' });
    expect([doc.ordersFrom, doc.validTo]).toEqual(['2026-11-30T16:00:00.000Z', '2026-11-30T16:00:00.000Z']);
    await expect(addCampaign(services, { id: 'LATE', name: '边界包裹卡', platform: 'tmall', bonus: 5, validTo: '2026-12-01T00:00:00', ordersFrom: '2026-12-02' }))
      .rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('is after valid-to') });
  });
});

describe('a member\'s other WeChat records', () => {
  test('a second mini-program\'s WeChat record of the same person (one unionid) that never bound a phone does not make a fresh member a member of long standing', async () => {
    services = openTestServices();
    await places(services);
    const as = (openid: string): Caller => ({ openid, unionid: 'UNION-1', appid: 'dev' });
    // the person opened another of the brand's mini-programs a month ago, never binding a phone there
    services.clock.set('2026-10-20T02:00:00Z');
    await invoke(memberFunction, { action: 'login' }, as('other-app'), services);
    services.clock.set('2026-11-23T02:00:00Z');
    const { termsVersion } = (await invoke(memberFunction, { action: 'login' }, as('u1'), services) as { data: { termsVersion: string } }).data;
    await invoke(memberFunction, { action: 'consent', version: termsVersion }, as('u1'), services);
    expect(await invoke(memberFunction, { action: 'bindPhone', code: `dev:13912345671:${services.clock.now()}` }, as('u1'), services)).toMatchObject({ ok: true });
    const records = (await services.dump('records')).filter((r) => String(r._id).startsWith('wechat:'));
    expect(new Set(records.map((r) => r.memberId)).size).toBe(1);
    expect(await invoke(scenesFunction, { action: 'join', scene: 'g=G001' }, as('u1'), services)).toMatchObject({ ok: true, data: { attributed: true, guideId: 'G001' } });
  });

  test('a package card scanned by the second WeChat of a merged member stays with that WeChat after an unmerge', async () => {
    services = twoPhoneServices();
    await places(services);
    await importMembers(services, 'tmall', [{ channelMemberId: 'T2', phone: '13912345672' }]);
    await importOrders(services, 'tmall', [{ orderId: '2001', channelMemberId: 'T2', amountFen: 9900, status: 'paid', paidAt: '2026-11-11 10:00:00' }]);
    const { memberId: a } = await boundConsumer(services, 'u1', '13912345671');
    await ok('u1', { action: 'join', scene: 'g=G001' });
    services.clock.advance(60_000);
    const { memberId: b } = await boundConsumer(services, 'u2', '13912345672');
    await ok('u2', { action: 'join', scene: 'g=G002' });
    const merge = await mergeMembers(services, b, a);
    services.clock.advance(60_000);
    // u2 scans the card while merged: kept on u2's own first touch, not on the member's earliest (u1's)
    expect(await ok('u2', { action: 'join', scene: 'p=P11' })).toMatchObject({ attributed: false, guideId: 'G001' });
    await unmergeMembers(services, merge._id);
    expect(await ok('u2', { action: 'bindOrder', platform: 'tmall', orderId: '2001' })).toMatchObject({ campaignId: 'P11', points: 50 });
  });
});
