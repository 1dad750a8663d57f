/**
 * Boundaries of product codes, batches and scenes that hand-made mutants of codes/ and scenes/
 * showed the suite let pass: the last valid millisecond of a batch, a valid-to of "now", a run
 * longer than one written chunk, the longest tags the config allows, the join window's last
 * instant, ended package cards across a merge, phone-only order buyers in the recruit report,
 * a card joined at the very instant of the join, and the report's orderings.
 */
import { MAX_CODE_LENGTH } from '../../cloudfunctions/core/codes/code';
import { mergeMembers } from '../../cloudfunctions/core/identity/operator';
import { addCampaign, addGuide, addStore } from '../../cloudfunctions/core/scenes/places.store';
import { recruitReport } from '../../cloudfunctions/core/scenes/report';
import { boundConsumer, importMembers } from '../support/members';
import { openTestServices, type TestServices } from '../support/services';
import { importOrders, makeBatch, redeem, scenes, scenesOk } from './support';

let services: TestServices;
afterEach(() => services.close());

/** Services whose config differs from the defaults in the sections given (as the shipped config, changed). */
async function servicesWith(change: (defaults: TestServices['config']) => Partial<TestServices['config']>): Promise<TestServices> {
  const defaults = openTestServices();
  const config = change(defaults.config);
  await defaults.close();
  return openTestServices(undefined, config);
}

describe('product codes and batches', () => {
  beforeEach(() => { services = openTestServices(); });

  test('a batch valid to a date scans until the last millisecond of that Beijing day, and is expired one millisecond later', async () => {
    await boundConsumer(services, 'u1', '13912345678');
    // 2026-11-30 in Beijing ends at 15:59:59.999 UTC
    const { codes, batch } = await makeBatch(services, { validTo: '2026-11-30T15:59:59.999Z' });
    expect(batch.validTo).toBe('2026-11-30T15:59:59.999Z');
    services.clock.set('2026-11-30T15:59:59.999Z');
    expect(await redeem(services, 'u1', { code: codes[0] })).toMatchObject({ ok: true, data: { points: 20 } });
    services.clock.set('2026-11-30T16:00:00.000Z');
    expect(await redeem(services, 'u1', { code: codes[1] })).toMatchObject({ ok: false, error: { code: 'CODE_EXPIRED' } });
  });

  test('a batch whose valid-to is the present instant is refused as not in the future; a millisecond later is accepted', async () => {
    const now = new Date(services.clock.now()).toISOString();
    await expect(makeBatch(services, { validTo: now })).rejects.toMatchObject({ code: 'INVALID_INPUT', message: 'valid-to must be in the future' });
    expect(await services.dump('codeBatches')).toEqual([]);
    const later = new Date(services.clock.now() + 1).toISOString();
    expect((await makeBatch(services, { validTo: later })).batch).toMatchObject({ status: 'active', validTo: later });
  });

  test('a run longer than one written chunk (8,192 lines) prints each serial exactly once, and its last code scans', async () => {
    const count = 8192 + 3;
    const { codes, batch } = await makeBatch(services, { count });
    expect(batch.count).toBe(count);
    expect(codes).toHaveLength(count);
    expect(new Set(codes).size).toBe(count);
    await boundConsumer(services, 'u1', '13912345678');
    expect(await redeem(services, 'u1', { code: codes[count - 1] })).toMatchObject({ ok: true, data: { points: 20 } });
  });

  test('with the longest tags the config allows (100 bits), codes are 30 characters and scan, by code and by link', async () => {
    await services.close();
    services = await servicesWith((c) => ({ codes: { ...c.codes, tagBits: 100 } }));
    const { codes, urls } = await makeBatch(services);
    expect(codes[0]).toHaveLength(30);
    expect(MAX_CODE_LENGTH).toBe(30);
    await boundConsumer(services, 'u1', '13912345678');
    expect(await redeem(services, 'u1', { code: codes[0] })).toMatchObject({ ok: true, data: { points: 20 } });
    expect(await redeem(services, 'u1', { q: encodeURIComponent(urls[1]!) })).toMatchObject({ ok: true, data: { points: 20, available: 40 } });
    expect(await scenesOk(services, 'u1', { action: 'resolve', q: urls[2] })).toMatchObject({ kind: 'product', code: codes[2] });
  });
});

describe('scenes: joins and the recruit report', () => {
  const setUp = async (s: TestServices) => {
    await addStore(s, { id: 'SH001', name: '南京西路店' });
    await addGuide(s, { id: 'G001', storeId: 'SH001', name: '小林' });
    await addGuide(s, { id: 'G002', storeId: 'SH001', name: '小王' });
    await addCampaign(s, { id: 'P11', name: '双11包裹卡', platform: 'tmall', bonus: 50 });
  };
  beforeEach(async () => {
    services = openTestServices();
    await setUp(services);
  });
  const ok = (openid: string, event: Record<string, unknown>) => scenesOk(services, openid, event);
  const guidesOf = async () => (await recruitReport(services)).stores.find((s) => s.storeId === 'SH001')!.guides;

  test('a join exactly a week after the phone was bound still makes the member the guide\'s recruit', async () => {
    await boundConsumer(services, 'u1', '13912345678');
    services.clock.advance(7 * 24 * 3600_000);
    expect(await ok('u1', { action: 'join', scene: 'g=G001' })).toMatchObject({ attributed: true, guideId: 'G001' });
    expect((await recruitReport(services)).total).toBe(1);
  });

  test('a buyer known only by the phone of an imported order is no channel member: joining through a guide is a new recruit', async () => {
    // an order file that knows the buyer by phone alone: a buyer record, joined to whoever binds the phone
    await importOrders(services, 'tmall', [{ orderId: '1001', phone: '13912345678', amountFen: 9900, status: 'paid', paidAt: '2026-11-11 10:00:00' }]);
    await boundConsumer(services, 'u1', '13912345678');
    expect(await ok('u1', { action: 'join', scene: 'g=G001' })).toMatchObject({ attributed: true });
    expect(await recruitReport(services)).toMatchObject({ total: 1, alreadyMembers: 0 });
    expect((await guidesOf())[0]).toMatchObject({ guideId: 'G001', recruited: 1, alreadyMembers: 0 });
  });

  test('a store card imported later that joined its channel at the very instant of the join is no earlier membership', async () => {
    await boundConsumer(services, 'u1', '13912345678');
    // the join at 2026-11-23T02:00:00Z is 10:00:00 in Beijing
    expect(await ok('u1', { action: 'join', scene: 'g=G001' })).toMatchObject({ at: '2026-11-23T02:00:00.000Z' });
    await importMembers(services, 'offline', [{ channelMemberId: 'C1', phone: '13912345678', joinedAt: '2026-11-23 10:00:00' }]);
    expect(await recruitReport(services)).toMatchObject({ total: 1, alreadyMembers: 0 });
  });

  test('guides recruiting as many new members are ordered by the channel members they brought, then by id', async () => {
    await importMembers(services, 'tmall', [{ channelMemberId: 'T3', phone: '13912345673' }]);
    await boundConsumer(services, 'u1', '13912345671');
    await boundConsumer(services, 'u2', '13912345672');
    await boundConsumer(services, 'u3', '13912345673');
    await ok('u1', { action: 'join', scene: 'g=G001' });
    await ok('u2', { action: 'join', scene: 'g=G002' });
    await ok('u3', { action: 'join', scene: 'g=G002' });
    expect((await guidesOf()).map((g) => [g.guideId, g.recruited, g.alreadyMembers])).toEqual([['G002', 1, 1], ['G001', 1, 0]]);
  });

  test('a member merged with one who first joined through a card that has ended still binds orders through its own card by default', async () => {
    await services.close();
    services = await servicesWith((c) => ({ identity: { ...c.identity, limits: { ...c.identity.limits, phone: 2 } } }));
    await setUp(services);
    await addCampaign(services, { id: 'OLD', name: '旧包裹卡', platform: 'tmall', bonus: 10, validTo: '2026-11-30' });
    const { memberId: a } = await boundConsumer(services, 'u1', '13912345678');
    await ok('u1', { action: 'join', scene: 'p=P11' });
    services.clock.set('2026-12-01T00:00:00Z');
    const { memberId: b } = await boundConsumer(services, 'u2', '13912345679');
    // the ended card is the other member's first touch: later than u1's, but no card to bind through
    expect(await ok('u2', { action: 'join', scene: 'p=OLD' })).toMatchObject({ attributed: true, campaignId: 'OLD' });
    await mergeMembers(services, b, a);
    await importMembers(services, 'tmall', [{ channelMemberId: 'T1', phone: '13912345678' }]);
    await importOrders(services, 'tmall', [{ orderId: '1001', channelMemberId: 'T1', amountFen: 19900, status: 'paid', paidAt: '2026-11-11 10:00:00' }]);
    expect(await ok('u1', { action: 'bindOrder', platform: 'tmall', orderId: '1001' })).toMatchObject({ campaignId: 'P11', points: 50 });
  });

  test('one person found through a phone shared by two members counts once, at the earlier of their joins, whichever is read first', async () => {
    await services.close();
    services = await servicesWith((c) => ({ identity: { ...c.identity, limits: { ...c.identity.limits, phone: 2 } } }));
    await setUp(services);
    const shared = '13912340000';
    // WeChat records are read by the report in the order they were made: a1's first, then b1's, then c4's
    await boundConsumer(services, 'a1', shared);
    services.clock.advance(1000);
    const { memberId: q } = await boundConsumer(services, 'b1', '13912345679');
    services.clock.advance(1000);
    await ok('b1', { action: 'join', scene: 'g=G002' }); // the person's earliest join
    services.clock.advance(1000);
    await ok('a1', { action: 'join', scene: 'g=G001' });
    for (const openid of ['a2', 'a3']) {
      services.clock.advance(1000); // a phone code is single use: each WeChat gets its own
      await boundConsumer(services, openid, shared);
    }
    services.clock.advance(1000);
    // a fourth WeChat on the number: the phone is set aside as shared, c4 stays a member of its own
    const { memberId: c4 } = await boundConsumer(services, 'c4', shared);
    expect(await ok('c4', { action: 'join', scene: 'g=G001' })).toMatchObject({ attributed: true });
    await mergeMembers(services, q, c4);
    expect((await guidesOf()).map((g) => [g.guideId, g.recruited])).toEqual([['G002', 1], ['G001', 0]]);
  });

  test('a first touch through a card that has ended leaves no card to bind through: campaignId is asked for', async () => {
    await addCampaign(services, { id: 'OLD', name: '旧包裹卡', platform: 'tmall', bonus: 10, validTo: '2026-11-30' });
    services.clock.set('2026-12-01T00:00:00Z');
    await boundConsumer(services, 'u1', '13912345678');
    await ok('u1', { action: 'join', scene: 'p=OLD' });
    await importMembers(services, 'tmall', [{ channelMemberId: 'T1', phone: '13912345678' }]);
    await importOrders(services, 'tmall', [{ orderId: '1001', channelMemberId: 'T1', amountFen: 19900, status: 'paid', paidAt: '2026-11-11 10:00:00' }]);
    const answer = await scenes(services, 'u1', { action: 'bindOrder', platform: 'tmall', orderId: '1001' });
    expect(answer).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
  });
});
