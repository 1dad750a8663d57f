/**
 * First touches across identity changes: a merge or an unmerge moves the WeChat record that
 * joined, and its first touch with it; one phone is one recruit.
 */
import { addCampaign, addGuide, addStore } from '../../cloudfunctions/core/scenes/places.store';
import { recruitReport } from '../../cloudfunctions/core/scenes/report';
import { mergeMembers, unmergeMembers } from '../../cloudfunctions/core/identity/operator';
import { boundConsumer, importMembers, memberOk } from '../support/members';
import { openTestServices, withStepBeforeTransaction, type TestServices } from '../support/services';
import { importOrders, scenes, scenesOk, writeLegacyFirstTouch } from './support';

let services: TestServices;
beforeEach(async () => {
  services = openTestServices();
  await addStore(services, { id: 'SH001', name: '南京西路店', city: '上海' });
  await addGuide(services, { id: 'G001', storeId: 'SH001', name: '小林' });
  await addGuide(services, { id: 'G002', storeId: 'SH001', name: '小王' });
  await addCampaign(services, { id: 'P11', name: '双11包裹卡', platform: 'tmall', bonus: 50 });
});
afterEach(() => services.close());

const ok = (openid: string, event: Record<string, unknown>) => scenesOk(services, openid, event);

const guideCounts = async () => {
  const report = await recruitReport(services);
  const store = report.stores.find((s) => s.storeId === 'SH001')!;
  return Object.fromEntries(store.guides.map((g) => [g.guideId, { recruited: g.recruited, alreadyMembers: g.alreadyMembers }]));
};

describe('first touch across merges and unmerges', () => {
  test('a recruit whose member is merged into an older Tmall member by an import: a later scan answers the first touch, not a second one', async () => {
    // a Tmall member imported without a phone; the same person joins the mini-program through G001
    await importMembers(services, 'tmall', [{ channelMemberId: 'T1' }]);
    await boundConsumer(services, 'u1', '13912345678');
    const first = await ok('u1', { action: 'join', scene: 'g=G001' });
    expect(first).toMatchObject({ attributed: true, guideId: 'G001' });
    // the next Tmall export carries the phone: the WeChat member is merged into the older Tmall one
    await importMembers(services, 'tmall', [{ channelMemberId: 'T1', phone: '13912345678' }]);
    // two days later the consumer scans another guide's code at the counter
    services.clock.advance(2 * 24 * 3600_000);
    const later = await ok('u1', { action: 'join', scene: 'g=G002' });
    // docs/codes-and-scenes.md (`scenes.resolve` and `scenes.join`): "Later joins answer the first touch as it was"; a member has one first touch
    expect(later).toEqual({ ...first, attributed: false });
    expect(await services.dump('attributions')).toHaveLength(1);
  });

  test('a package card joined through before an import merge stays the card bindOrder defaults to', async () => {
    await importMembers(services, 'tmall', [{ channelMemberId: 'T1' }]);
    await boundConsumer(services, 'u1', '13912345678');
    await ok('u1', { action: 'join', scene: 'p=P11' });
    await importMembers(services, 'tmall', [{ channelMemberId: 'T1', phone: '13912345678' }]);
    await importOrders(services, 'tmall', [{ orderId: '1001', channelMemberId: 'T1', amountFen: 19900, status: 'paid', paidAt: '2026-11-11 10:00:00' }]);
    // "Without campaignId the package card the member last joined through is used"
    expect(await ok('u1', { action: 'bindOrder', platform: 'tmall', orderId: '1001' })).toMatchObject({ campaignId: 'P11', points: 50 });
  });

  test('after an operator undoes a wrong merge, the first touch stays with the WeChat consumer who scanned, and the other side\'s owner is their own guide\'s recruit', async () => {
    // consumer A (WeChat) is wrongly merged with Tmall card T1 (no phone yet), then joins through G001
    await importMembers(services, 'tmall', [{ channelMemberId: 'T1' }]);
    const [tmall] = await services.dump('members');
    const { memberId: a } = await boundConsumer(services, 'a', '13912345678');
    const merge = await mergeMembers(services, tmall!._id, a);
    expect(await ok('a', { action: 'join', scene: 'g=G001' })).toMatchObject({ attributed: true, guideId: 'G001' });
    // the operator undoes the merge; T1's real owner B (phone now on the card) joins through G002
    await unmergeMembers(services, merge._id);
    await importMembers(services, 'tmall', [{ channelMemberId: 'T1', phone: '13700000002' }]);
    services.clock.advance(3600_000);
    await boundConsumer(services, 'b', '13700000002');
    // B bound a phone just now: the guide who brought B in is credited (an already member: the Tmall card)
    expect(await ok('b', { action: 'join', scene: 'g=G002' })).toMatchObject({ attributed: true, guideId: 'G002' });
    const counts = await guideCounts();
    expect(counts.G002!.recruited + counts.G002!.alreadyMembers).toBe(1);
    // G001 brought in A, and only A
    expect(counts.G001!.recruited + counts.G001!.alreadyMembers).toBe(1);
  });
});

describe('after an operator undoes a wrong merge', () => {
  test('a consumer wrongly merged with a Tmall card when they joined is a new recruit once the merge is undone, not an already member', async () => {
    await importMembers(services, 'tmall', [{ channelMemberId: 'T1' }]);
    const [tmall] = await services.dump('members');
    const { memberId } = await boundConsumer(services, 'a', '13912345678');
    const merge = await mergeMembers(services, tmall!._id, memberId);
    expect(await ok('a', { action: 'join', scene: 'g=G001' })).toMatchObject({ attributed: true, guideId: 'G001' });
    expect((await guideCounts()).G001).toEqual({ recruited: 0, alreadyMembers: 1 });
    await unmergeMembers(services, merge._id);
    // the consumer holds no Tmall, store or JD card any more: the brand knew them in no channel
    expect(await memberOk(services, 'a', { action: 'channels' })).toMatchObject({ tmall: false, offline: false, jd: false });
    expect((await guideCounts()).G001).toEqual({ recruited: 1, alreadyMembers: 0 });
  });

  test('an order that stopped being the caller\'s before its binding committed earns the caller nothing, and its buyer can still bind it', async () => {
    await importMembers(services, 'tmall', [{ channelMemberId: 'T1' }]);
    const [tmall] = await services.dump('members');
    await importOrders(services, 'tmall', [{ orderId: '5001', channelMemberId: 'T1', amountFen: 9900, status: 'paid', paidAt: '2026-11-11 10:00:00' }]);
    const { memberId } = await boundConsumer(services, 'u1', '13912345678');
    const merge = await mergeMembers(services, tmall!._id, memberId);
    // the operator undoes the wrong merge after bindOrder checked the buyer, before its transaction
    const racing = withStepBeforeTransaction(services, () => unmergeMembers(services, merge._id));
    const answer = await scenes(racing, 'u1', { action: 'bindOrder', platform: 'tmall', orderId: '5001', campaignId: 'P11' });
    expect(answer).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await services.dump('cardOrders')).toEqual([]);
    // T1's owner gets the phone on the card and binds their own order
    await importMembers(services, 'tmall', [{ channelMemberId: 'T1', phone: '13700000002' }]);
    await boundConsumer(services, 'u2', '13700000002');
    expect(await ok('u2', { action: 'bindOrder', platform: 'tmall', orderId: '5001', campaignId: 'P11' })).toMatchObject({ points: 50 });
  });
});

describe('first touches written before attributions named the cards held at the join', () => {
  test('an unmerge that takes the wrongly merged Tmall card away makes the recruit new', async () => {
    await importMembers(services, 'tmall', [{ channelMemberId: 'T1' }]);
    const [tmall] = await services.dump('members');
    const { memberId } = await boundConsumer(services, 'a', '13912345678');
    const merge = await mergeMembers(services, tmall!._id, memberId);
    await ok('a', { action: 'join', scene: 'g=G001' });
    // the attribution as the earlier version wrote it: alreadyMember, no cards
    const [touch] = await services.dump('attributions');
    const { cards: _cards, ...legacy } = touch as typeof touch & { cards?: string[] };
    await services.store.transaction((tx) => tx.set('attributions', legacy));
    expect((await guideCounts()).G001).toEqual({ recruited: 0, alreadyMembers: 1 });
    await unmergeMembers(services, merge._id);
    expect((await guideCounts()).G001).toEqual({ recruited: 1, alreadyMembers: 0 });
  });
});

describe('a phone set aside as shared', () => {
  test('one phone bound from five WeChat accounts, each joining through one guide, is one recruit', async () => {
    // WeChat's phone button lets any account verify a number by SMS: a guide's own phone on their spare accounts
    for (const openid of ['c1', 'c2', 'c3', 'c4', 'c5']) {
      services.clock.advance(1000);
      await boundConsumer(services, openid, '13912340000');
      await ok(openid, { action: 'join', scene: 'g=G001' });
    }
    // "A person counts once": the 4th and 5th WeChat, left as members of their own once the phone
    // was quarantined, are no new people
    expect((await recruitReport(services)).total).toBe(1);
  });
});

describe('first touches kept as earlier versions kept them, and package cards', () => {
  test('a first touch an earlier version kept under the member id is answered, and goes with an erasure', async () => {
    const { memberId } = await boundConsumer(services, 'u1', '13912345678');
    const [record] = (await services.dump('records')).filter((r) => String(r._id).startsWith('wechat:'));
    await services.store.transaction(async (tx) => {
      await tx.set('attributions', {
        _id: memberId, memberId, recordId: record!._id, kind: 'guide', channel: 'wechat', storeId: 'SH001', guideId: 'G001', campaignId: null, sku: null,
        at: '2026-11-01T00:00:00.000Z', lastCampaignId: null, recruit: true, alreadyMember: false,
      });
    });
    expect(await ok('u1', { action: 'join', scene: 'g=G002' })).toMatchObject({ attributed: false, guideId: 'G001', at: '2026-11-01T00:00:00.000Z' });
    expect(await services.dump('attributions')).toHaveLength(1);
    expect((await guideCounts()).G001).toEqual({ recruited: 1, alreadyMembers: 0 });
    await memberOk(services, 'u1', { action: 'delete', confirm: true });
    expect(await services.dump('attributions')).toEqual([]);
  });

  test('a package card whose campaign has ended is not the card an order is bound through next', async () => {
    await addCampaign(services, { id: 'OLD', name: '旧包裹卡', platform: 'tmall', bonus: 10, validTo: '2026-11-30' });
    await boundConsumer(services, 'u1', '13912345678');
    await ok('u1', { action: 'join', scene: 'p=P11' });
    await importMembers(services, 'tmall', [{ channelMemberId: 'T1', phone: '13912345678' }]);
    await importOrders(services, 'tmall', [{ orderId: '1001', channelMemberId: 'T1', amountFen: 19900, status: 'paid', paidAt: '2026-11-11 10:00:00' }]);
    services.clock.set('2026-12-01T00:00:00Z');
    await ok('u1', { action: 'join', scene: 'p=OLD' });
    expect(await ok('u1', { action: 'bindOrder', platform: 'tmall', orderId: '1001' })).toMatchObject({ campaignId: 'P11', points: 50 });
  });

  test('a package card scanned from a second WeChat of the member is the one bound through next', async () => {
    await addCampaign(services, { id: 'P12', name: '双12包裹卡', platform: 'tmall', bonus: 30 });
    await boundConsumer(services, 'u1', '13912345678');
    await ok('u1', { action: 'join', scene: 'p=P11' });
    services.clock.advance(60_000);
    await boundConsumer(services, 'u2', '13912345678'); // the same phone: one member
    await ok('u2', { action: 'join', scene: 'p=P12' });
    expect(await services.dump('attributions')).toHaveLength(1);
    await importMembers(services, 'tmall', [{ channelMemberId: 'T1', phone: '13912345678' }]);
    await importOrders(services, 'tmall', [{ orderId: '1001', channelMemberId: 'T1', amountFen: 19900, status: 'paid', paidAt: '2026-11-11 10:00:00' }]);
    expect(await ok('u1', { action: 'bindOrder', platform: 'tmall', orderId: '1001' })).toMatchObject({ campaignId: 'P12', points: 30 });
  });
});

describe('first touches kept by an earlier version under a member id that a merge absorbed since', () => {
  /** The document the version before this change wrote for a join: `attributions/<memberId>`. */
  const legacyTouch = async (memberId: string, extra: Record<string, unknown>) => {
    const [record] = (await services.dump('records')).filter((r) => String(r._id).startsWith('wechat:'));
    await services.store.transaction(async (tx) => {
      await tx.set('attributions', {
        _id: memberId, memberId, recordId: record!._id, kind: 'guide', channel: 'wechat', storeId: 'SH001', guideId: 'G001', campaignId: null, sku: null,
        at: new Date(services.clock.now()).toISOString(), lastCampaignId: null, recruit: true, alreadyMember: false, ...extra,
      });
    });
  };

  test('a recruit who joined before the upgrade and was merged into their older Tmall member: a later scan answers the first touch, not a second one', async () => {
    await importMembers(services, 'tmall', [{ channelMemberId: 'T1' }]);
    const { memberId } = await boundConsumer(services, 'u1', '13912345678');
    await legacyTouch(memberId, {});
    // after the upgrade the next Tmall export carries the phone: the WeChat member is absorbed
    await importMembers(services, 'tmall', [{ channelMemberId: 'T1', phone: '13912345678' }]);
    services.clock.advance(2 * 24 * 3600_000);
    expect(await ok('u1', { action: 'join', scene: 'g=G002' })).toMatchObject({ attributed: false, guideId: 'G001' });
    expect(await services.dump('attributions')).toHaveLength(1);
  });

  test('and its package card stays the card bindOrder defaults to', async () => {
    await importMembers(services, 'tmall', [{ channelMemberId: 'T1' }]);
    const { memberId } = await boundConsumer(services, 'u1', '13912345678');
    await legacyTouch(memberId, { kind: 'packageCard', storeId: null, guideId: null, campaignId: 'P11', lastCampaignId: 'P11' });
    await importMembers(services, 'tmall', [{ channelMemberId: 'T1', phone: '13912345678' }]);
    await importOrders(services, 'tmall', [{ orderId: '1001', channelMemberId: 'T1', amountFen: 19900, status: 'paid', paidAt: '2026-11-11 10:00:00' }]);
    expect(await ok('u1', { action: 'bindOrder', platform: 'tmall', orderId: '1001' })).toMatchObject({ campaignId: 'P11', points: 50 });
  });
});

/**
 * A store card without a phone (the oldest member), a Tmall member with phone 139…678 whom the
 * consumer u1 joined by binding that phone, and the first touch of u1's join through G001 as the
 * version before first touches were kept by record wrote it: under the member joined as.
 */
async function tmallJoinerWithLegacyTouch(): Promise<{ memberId: string; record: { _id: string } }> {
  await importMembers(services, 'offline', [{ channelMemberId: 'C1' }]);
  services.clock.advance(60_000);
  await importMembers(services, 'tmall', [{ channelMemberId: 'T1', phone: '13912345678' }]);
  services.clock.advance(60_000);
  const { memberId } = await boundConsumer(services, 'u1', '13912345678');
  const record = (await services.dump('records')).find((r) => String(r._id).startsWith('wechat:'))!;
  await writeLegacyFirstTouch(services, memberId, String(record._id));
  return { memberId, record: { _id: String(record._id) } };
}

describe('legacy first touch (attributions/<memberId>) of a WeChat record that joined an existing member', () => {
  test('a Tmall member joined in the mini-program before the upgrade, whose member is then merged into an older store member: a later guide scan answers the first touch', async () => {
    const { memberId, record } = await tmallJoinerWithLegacyTouch();
    // after the upgrade the store export carries the phone: the Tmall member is merged into the older store member
    await importMembers(services, 'offline', [{ channelMemberId: 'C1', phone: '13912345678' }]);
    const after = (await services.dump('records')).find((r) => r._id === record._id)!;
    expect(after.memberId).not.toBe(memberId); // merged away
    services.clock.advance(2 * 24 * 3600_000);
    expect(await ok('u1', { action: 'join', scene: 'g=G002' })).toMatchObject({ attributed: false, guideId: 'G001' });
    expect(await services.dump('attributions')).toHaveLength(1);
  });
});

describe('a merge landing between the join\'s query of merges and its transaction', () => {
  test('the legacy first touch under the caller\'s member is found when an import merges that member away just before the transaction', async () => {
    const { memberId, record } = await tmallJoinerWithLegacyTouch();
    services.clock.advance(2 * 24 * 3600_000);
    // the store export bringing the phone is imported while the consumer's scan is under way:
    // it commits after membersAbsorbedBy read the merges and before the join's transaction
    const racing = withStepBeforeTransaction(services, () => importMembers(services, 'offline', [{ channelMemberId: 'C1', phone: '13912345678' }]));
    const answer = await scenes(racing, 'u1', { action: 'join', scene: 'g=G002' });
    expect((await services.dump('records')).find((r) => r._id === record._id)!.memberId).not.toBe(memberId); // merged away meanwhile
    // docs/codes-and-scenes.md (`scenes.resolve` and `scenes.join`): "Later joins answer the first touch as it was"; a member has one first touch
    expect(answer).toMatchObject({ ok: true, data: { attributed: false, guideId: 'G001' } });
    expect(await services.dump('attributions')).toHaveLength(1);
  });
});
