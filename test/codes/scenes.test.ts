import { addCampaign, addGuide, addStore, guideLeft } from '../../cloudfunctions/core/scenes/places.store';
import { recruitReport } from '../../cloudfunctions/core/scenes/report';
import { mergeMembers, unmergeMembers } from '../../cloudfunctions/core/identity/operator';
import { boundConsumer, importMembers, memberOk } from '../support/members';
import { StoreConflictError } from '../../cloudfunctions/core/store/port';
import { openTestServices, withStepBeforeTransaction, type TestServices } from '../support/services';
import { importOrders, makeBatch, scenes, scenesOk, snapshot } from './support';

let services: TestServices;
beforeEach(async () => {
  services = openTestServices();
  await addStore(services, { id: 'SH001', name: '南京西路店', city: '上海' });
  await addStore(services, { id: 'SH002', name: '淮海路店' });
  await addGuide(services, { id: 'G001', storeId: 'SH001', name: '小林' });
  await addGuide(services, { id: 'G002', storeId: 'SH001', name: '小王' });
  await addCampaign(services, { id: 'P11', name: '双11包裹卡', platform: 'tmall', bonus: 50 });
});
afterEach(() => services.close());

const ok = (openid: string, event: Record<string, unknown>) => scenesOk(services, openid, event);
const failure = async (openid: string | null, event: Record<string, unknown>, on: TestServices = services) => {
  const answer = await scenes(on, openid, event);
  return answer.ok ? 'OK' : answer.error.code;
};

describe('scenes.resolve', () => {
  test('every kind, by scene and by link', async () => {
    const { codes } = await makeBatch(services);
    const guide = { kind: 'guide', guideId: 'G001', guideName: '小林', storeId: 'SH001', storeName: '南京西路店' };
    expect(await ok('u1', { action: 'resolve', scene: 'g=G001' })).toEqual(guide);
    expect(await ok('u1', { action: 'resolve', scene: 'g%3DG001' })).toEqual(guide);
    expect(await ok('u1', { action: 'resolve', q: encodeURIComponent('https://mc.example.com/g/G001') })).toEqual(guide);
    expect(await ok('u1', { action: 'resolve', scene: 's=SH002' })).toEqual({ kind: 'store', storeId: 'SH002', storeName: '淮海路店' });
    expect(await ok('u1', { action: 'resolve', q: 'https://mc.example.com/s/SH002' })).toMatchObject({ kind: 'store' });
    expect(await ok('u1', { action: 'resolve', scene: 'p=P11' })).toEqual({ kind: 'packageCard', campaignId: 'P11', campaignName: '双11包裹卡', platform: 'tmall', bonus: 50, ended: false });
    expect(await ok('u1', { action: 'resolve', q: `https://mc.example.com/c/${codes[0]}` })).toEqual({ kind: 'product', code: codes[0], sku: 'SKU-1', name: '面霜 50ml', points: 20 });
  });

  test('a guide who left leads to their store', async () => {
    await guideLeft(services, 'G002');
    expect(await ok('u1', { action: 'resolve', scene: 'g=G002' })).toEqual({ kind: 'store', storeId: 'SH001', storeName: '南京西路店' });
  });

  test.each([
    [{ scene: 'g=NOPE' }, 'NOT_FOUND'],
    [{ scene: 's=NOPE' }, 'NOT_FOUND'],
    [{ scene: 'p=NOPE' }, 'NOT_FOUND'],
    [{ q: 'https://mc.example.com/g/NOPE' }, 'NOT_FOUND'],
    [{ scene: `g=${'G'.repeat(31)}` }, 'INVALID_INPUT'],
    [{ scene: 'x=G001' }, 'INVALID_INPUT'],
    [{ scene: 'g=小林' }, 'INVALID_INPUT'],
    [{ scene: 'g'.repeat(97) }, 'INVALID_INPUT'],
    [{ q: 'https://other.example.com/g/G001' }, 'INVALID_INPUT'],
    [{ q: 'https://mc.example.com/c/AAAAAAAAAAAAAAAAAAAAAA' }, 'CODE_INVALID'],
    [{ q: 'https://mc.example.com/c/SHORT' }, 'CODE_INVALID'],
    [{ scene: 'g=G001', q: 'https://mc.example.com/g/G001' }, 'INVALID_INPUT'],
    [{}, 'INVALID_INPUT'],
  ])('%j: %s, nothing written', async (fields, code) => {
    const before = await snapshot(services);
    expect(await failure('u1', { action: 'resolve', ...fields })).toBe(code);
    expect(await snapshot(services)).toEqual(before);
    // the same campaign but for the orders it takes, added without --id: told how to add it
    const { doc: p12 } = await addCampaign(services, { name: '双12包裹卡', platform: 'tmall', bonus: 30, ordersFrom: '2026-12-01' });
    await expect(addCampaign(services, { name: '双12包裹卡', platform: 'tmall', bonus: 30, ordersFrom: '2026-12-05' }))
      .rejects.toMatchObject({ code: 'CONFLICT', message: `campaign ${p12._id} already exists: 双12包裹卡, bonus 30 on tmall orders paid from 2026-12-01 (give --id for a campaign of its own)` });
  });
});

describe('scenes.join', () => {
  test('a guide scene records first touch once and credits the guide and their store', async () => {
    const { memberId } = await boundConsumer(services, 'u1', '13912345678');
    const first = await ok('u1', { action: 'join', scene: 'g=G001' });
    expect(first).toEqual({ attributed: true, kind: 'guide', storeId: 'SH001', guideId: 'G001', campaignId: null, at: '2026-11-23T02:00:00.000Z' });
    services.clock.advance(3600_000);
    expect(await ok('u1', { action: 'join', scene: 'g=G001' })).toEqual({ ...first, attributed: false });
    expect(await ok('u1', { action: 'join', scene: 's=SH002' })).toEqual({ ...first, attributed: false });
    const [attribution] = await services.dump('attributions');
    expect(attribution).toMatchObject({ memberId, channel: 'wechat', guideId: 'G001', storeId: 'SH001' });
    const report = await recruitReport(services);
    expect(report.stores[0]).toMatchObject({ storeId: 'SH001', recruited: 1, guides: [{ guideId: 'G001', recruited: 1 }, { guideId: 'G002', recruited: 0 }] });
    expect(report.stores[1]).toMatchObject({ storeId: 'SH002', recruited: 0 });
    expect(report.total).toBe(1);
  });

  test('a consumer who erased themselves while the join was on its way is credited to no one', async () => {
    await boundConsumer(services, 'u1', '13912345678');
    // the erasure commits between the join's first reads and its transaction
    const racing = withStepBeforeTransaction(services, () => memberOk(services, 'u1', { action: 'delete', confirm: true }));
    expect(await failure('u1', { action: 'join', scene: 'g=G001' }, racing)).toBe('NOT_BOUND');
    expect(await services.dump('attributions')).toEqual([]);
  });

  test('a consumer merged into another member while the join was on its way joins as that member', async () => {
    await importMembers(services, 'tmall', [{ channelMemberId: 'T1' }]); // no phone: the merge breaks no limit
    const [tmall] = await services.dump('members');
    const { memberId } = await boundConsumer(services, 'u1', '13912345678');
    const racing = withStepBeforeTransaction(services, () => mergeMembers(services, tmall!._id, memberId));
    expect(await failure('u1', { action: 'join', scene: 'g=G001' }, racing)).toBe('OK');
    expect((await services.dump('attributions')).map((a) => a.memberId)).toEqual([tmall!._id]);
  });

  test('store, package-card and product scenes', async () => {
    await boundConsumer(services, 's1', '13912345671');
    await boundConsumer(services, 'p1', '13912345672');
    await boundConsumer(services, 'c1', '13912345673');
    const { codes } = await makeBatch(services);
    expect(await ok('s1', { action: 'join', scene: 's=SH002' })).toMatchObject({ attributed: true, kind: 'store', storeId: 'SH002', guideId: null });
    expect(await ok('p1', { action: 'join', scene: 'p=P11' })).toMatchObject({ attributed: true, kind: 'packageCard', campaignId: 'P11', storeId: null });
    expect(await ok('c1', { action: 'join', q: `https://mc.example.com/c/${codes[0]}` })).toMatchObject({ attributed: true, kind: 'product' });
    expect((await services.dump('attributions')).filter((a) => a.campaignId === 'P11')).toHaveLength(1);
    expect((await recruitReport(services)).stores.find((s) => s.storeId === 'SH002')?.recruited).toBe(1);
    // resolving or joining through a product link redeems nothing
    expect(await services.dump('ledger')).toEqual([]);
  });

  test('20 simultaneous joins of one member: one attribution, one credit', async () => {
    await boundConsumer(services, 'u1', '13912345678');
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => scenes(services, 'u1', { action: 'join', scene: i % 2 ? 'g=G001' : 'g=G002' })));
    expect(answers.every((a) => a.ok)).toBe(true);
    expect(answers.filter((a) => a.ok && (a.data as { attributed: boolean }).attributed)).toHaveLength(1);
    expect(await services.dump('attributions')).toHaveLength(1);
    const report = await recruitReport(services);
    expect(report.stores[0]!.recruited).toBe(1);
    expect(report.stores[0]!.guides.reduce((sum, g) => sum + g.recruited, 0)).toBe(1);
  });

  test('a guide who leaves while a recruit joins through their code: the store is credited, not the guide', async () => {
    await boundConsumer(services, 'u1', '13912345678');
    // the guide leaves after the scene was read, before the join is recorded
    const racing = withStepBeforeTransaction(services, () => guideLeft(services, 'G001'));
    expect(await scenes(racing, 'u1', { action: 'join', scene: 'g=G001' }))
      .toEqual({ ok: true, data: { attributed: true, kind: 'store', storeId: 'SH001', guideId: null, campaignId: null, at: '2026-11-23T02:00:00.000Z' } });
    const report = await recruitReport(services);
    expect(report.stores[0]).toMatchObject({ storeId: 'SH001', recruited: 1, guides: [{ guideId: 'G001', recruited: 0 }, { guideId: 'G002', recruited: 0 }] });
  });

  test('a member who bound their phone more than a week before scanning a guide\'s code is no recruit of the guide', async () => {
    await boundConsumer(services, 'u1', '13912345678');
    await boundConsumer(services, 'u2', '13912345679');
    // u2's join, kept when it could not be sent, goes when the app opens days later: it still counts
    services.clock.advance(7 * 24 * 3600_000 - 3600_000);
    expect(await ok('u2', { action: 'join', scene: 'g=G001' })).toMatchObject({ attributed: true, guideId: 'G001' });
    // u1, a member for over a week, scans the code at the till
    services.clock.advance(2 * 3600_000);
    const late = await ok('u1', { action: 'join', scene: 'g=G001' });
    expect(late).toMatchObject({ attributed: false, kind: 'guide', guideId: 'G001', storeId: 'SH001' });
    // the first code seen stays the answer; no later code makes them a recruit either
    expect(await ok('u1', { action: 'join', scene: 'g=G002' })).toEqual(late);
    const report = await recruitReport(services);
    expect(report.stores[0]).toMatchObject({ storeId: 'SH001', recruited: 1, guides: [{ guideId: 'G001', recruited: 1 }, { guideId: 'G002', recruited: 0 }] });
    expect(report.total).toBe(1);
  });

  test('a member of long standing binding their phone again from a second WeChat is no recruit', async () => {
    await boundConsumer(services, 'u1', '13912345678');
    services.clock.advance(200 * 24 * 3600_000);
    const again = await boundConsumer(services, 'u1-new-phone', '13912345678');
    expect(again.merged).toBe(true);
    expect(await ok('u1-new-phone', { action: 'join', scene: 'g=G001' })).toMatchObject({ attributed: false });
    expect((await recruitReport(services)).total).toBe(0);
  });

  test('a store card imported after the join that says it joined before makes the recruit an already member', async () => {
    await boundConsumer(services, 'u1', '13912345678');
    await boundConsumer(services, 'u2', '13912345679');
    await ok('u1', { action: 'join', scene: 'g=G001' });
    await ok('u2', { action: 'join', scene: 'g=G001' });
    await importMembers(services, 'offline', [
      { channelMemberId: 'C1', phone: '13912345678', joinedAt: '2020-05-01' },
      // joined the store after the mini-program: the guide brought them to both
      { channelMemberId: 'C2', phone: '13912345679', joinedAt: '2026-11-24' },
    ]);
    expect(await recruitReport(services)).toMatchObject({ total: 1, alreadyMembers: 1 });
  });

  test('a store card dated only by the day of the join (signed up at the till that evening) leaves the recruit the guide\'s', async () => {
    await boundConsumer(services, 'u1', '13912345678');
    // 10:00 Beijing on 2026-11-23: recruited into the mini-program by G001
    expect(await ok('u1', { action: 'join', scene: 'g=G001' })).toMatchObject({ attributed: true });
    // that evening the guide signs them up at the till; the POS export dates cards by the day alone
    services.clock.advance(8 * 3600_000);
    await importMembers(services, 'offline', [{ channelMemberId: 'C1', phone: '13912345678', joinedAt: '2026-11-23' }]);
    const guide = async () => (await recruitReport(services)).stores.find((s) => s.storeId === 'SH001')!.guides.find((g) => g.guideId === 'G001')!;
    expect(await guide()).toMatchObject({ recruited: 1, alreadyMembers: 0 });
    // a card dated the day before came first
    await importMembers(services, 'offline', [{ channelMemberId: 'C1', phone: '13912345678', joinedAt: '2026-11-22' }]);
    expect(await guide()).toMatchObject({ recruited: 0, alreadyMembers: 1 });
  });

  test('a Tmall or store member who joins the mini-program through a guide counts apart from new members', async () => {
    await importMembers(services, 'tmall', [{ channelMemberId: 'T1', phone: '13912345678' }]);
    await boundConsumer(services, 'u1', '13912345678');
    await boundConsumer(services, 'u2', '13912345679');
    expect(await ok('u1', { action: 'join', scene: 'g=G001' })).toMatchObject({ attributed: true, guideId: 'G001' });
    expect(await ok('u2', { action: 'join', scene: 'g=G001' })).toMatchObject({ attributed: true, guideId: 'G001' });
    const report = await recruitReport(services);
    expect(report.stores[0]).toMatchObject({ storeId: 'SH001', recruited: 1, alreadyMembers: 1, guides: [{ guideId: 'G001', recruited: 1, alreadyMembers: 1 }, { guideId: 'G002', recruited: 0, alreadyMembers: 0 }] });
    expect(report).toMatchObject({ total: 1, alreadyMembers: 1 });
  });

  test('erasure takes the member out of their guide\'s recruits: erasing and binding one phone again and again counts once', async () => {
    for (let round = 0; round < 3; round++) {
      if (round) {
        await memberOk(services, 'g-phone', { action: 'delete', confirm: true });
        services.clock.advance(60_000);
      }
      await boundConsumer(services, 'g-phone', '13760000009');
      expect(await ok('g-phone', { action: 'join', scene: 'g=G001' })).toMatchObject({ attributed: true });
    }
    expect((await recruitReport(services)).stores[0]!.guides[0]).toMatchObject({ guideId: 'G001', recruited: 1 });
    expect(await services.dump('attributions')).toHaveLength(1);
    await memberOk(services, 'g-phone', { action: 'delete', confirm: true });
    expect(await services.dump('attributions')).toEqual([]);
    expect((await recruitReport(services)).total).toBe(0);
  });

  test('two members each recruited, merged by an operator, are one recruit: the earliest join\'s', async () => {
    await services.close();
    const defaults = openTestServices();
    services = openTestServices(undefined, { identity: { ...defaults.config.identity, limits: { ...defaults.config.identity.limits, phone: 2 } } });
    await defaults.close();
    await addStore(services, { id: 'SH001', name: '南京西路店', city: '上海' });
    await addGuide(services, { id: 'G001', storeId: 'SH001', name: '小林' });
    await addGuide(services, { id: 'G002', storeId: 'SH001', name: '小王' });
    const { memberId: a } = await boundConsumer(services, 'u1', '13912345678');
    await ok('u1', { action: 'join', scene: 'g=G002' });
    services.clock.advance(60_000);
    const { memberId: b } = await boundConsumer(services, 'u2', '13912345679');
    await ok('u2', { action: 'join', scene: 'g=G001' });
    const merge = await mergeMembers(services, b, a);
    const report = await recruitReport(services);
    expect(report.total).toBe(1);
    expect(report.stores[0]!.guides).toMatchObject([{ guideId: 'G002', recruited: 1 }, { guideId: 'G001', recruited: 0 }]);
    await unmergeMembers(services, merge._id);
    expect((await recruitReport(services)).total).toBe(2);
    // merged again and erased: the first touches of both, under either id, go
    await mergeMembers(services, b, a);
    await memberOk(services, 'u2', { action: 'delete', confirm: true });
    expect(await services.dump('attributions')).toEqual([]);
  });

  test.each([
    ['unbound', 'NOT_BOUND', 'u0', { scene: 'g=G001' }],
    ['unknown guide', 'NOT_FOUND', 'u1', { scene: 'g=NOPE' }],
    ['over 32 characters', 'INVALID_INPUT', 'u1', { scene: `s=${'S'.repeat(31)}` }],
    ['bad link', 'INVALID_INPUT', 'u1', { q: 'https://mc.example.com/z/G001' }],
  ])('%s: %s, nothing written', async (_name, code, openid, fields) => {
    await memberOk(services, 'u0', { action: 'login' });
    await boundConsumer(services, 'u1', '13912345678');
    const before = await snapshot(services);
    expect(await failure(openid, { action: 'join', ...fields })).toBe(code);
    expect(await snapshot(services)).toEqual(before);
    // the same campaign but for the orders it takes, added without --id: told how to add it
    const { doc: p12 } = await addCampaign(services, { name: '双12包裹卡', platform: 'tmall', bonus: 30, ordersFrom: '2026-12-01' });
    await expect(addCampaign(services, { name: '双12包裹卡', platform: 'tmall', bonus: 30, ordersFrom: '2026-12-05' }))
      .rejects.toMatchObject({ code: 'CONFLICT', message: `campaign ${p12._id} already exists: 双12包裹卡, bonus 30 on tmall orders paid from 2026-12-01 (give --id for a campaign of its own)` });
  });
});

describe('scenes.bindOrder (package cards)', () => {
  beforeEach(async () => {
    await importMembers(services, 'tmall', [
      { channelMemberId: 'T1', phone: '13912345678' },
      { channelMemberId: 'T2', phone: '13700000002' },
    ]);
    await importOrders(services, 'tmall', [
      { orderId: '1001', channelMemberId: 'T1', amountFen: 19900, status: 'paid', paidAt: '2026-11-11 10:00:00' },
      { orderId: '1002', channelMemberId: 'T1', amountFen: 5000, status: 'refunded', paidAt: '2026-11-11 11:00:00' },
      { orderId: '2001', channelMemberId: 'T2', amountFen: 8800, status: 'paid', paidAt: '2026-11-11 12:00:00' },
      { orderId: '2002', channelMemberId: 'T2', amountFen: 8800, status: 'refunded', paidAt: '2026-11-11 12:00:00' },
      { orderId: '3001', channelMemberId: 'T9', amountFen: 8800, status: 'paid', paidAt: '2026-11-11 12:00:00' },
    ]);
  });

  const available = async (memberId: string) => ((await services.store.get<{ _id: string; points: number }>('balances', memberId))?.points ?? 0);

  test('the buyer (joined through the phone) binds the order once; the bonus is earned once', async () => {
    const { memberId } = await boundConsumer(services, 'u1', '13912345678');
    const before = await available(memberId);
    await ok('u1', { action: 'join', scene: 'p=P11' });
    const result = await ok('u1', { action: 'bindOrder', platform: 'tmall', orderId: '1001', requestId: 'attempt-0001' });
    expect(result).toEqual({ platform: 'tmall', orderId: '1001', campaignId: 'P11', points: 50, available: before + 50, boundAt: new Date(services.clock.now()).toISOString(), repeated: false });
    // a retry later still answers the first binding, with its time: its own attempt as it was, any other as a repeat
    services.clock.advance(3600_000);
    expect(await ok('u1', { action: 'bindOrder', platform: 'tmall', orderId: '1001', requestId: 'attempt-0001' })).toEqual(result);
    expect(await ok('u1', { action: 'bindOrder', platform: 'tmall', orderId: '1001', requestId: 'attempt-0002' })).toEqual({ ...result, repeated: true });
    expect(await ok('u1', { action: 'bindOrder', platform: 'tmall', orderId: '1001' })).toEqual({ ...result, repeated: true });
    expect(await ok('u1', { action: 'bindOrder', platform: 'tmall', orderId: '1001', campaignId: 'P11' })).toEqual({ ...result, repeated: true });
    expect(await available(memberId)).toBe(before + 50);
    expect((await services.dump('ledger')).filter((e) => String(e._id).startsWith('card:'))).toHaveLength(1);
    expect((await services.dump('attributions')).filter((a) => a.campaignId === 'P11')).toHaveLength(1);
    expect((await services.dump('cardOrders')).filter((o) => o.campaignId === 'P11')).toHaveLength(1);
  });

  test('campaignId given explicitly works without a package-card join, and a returning member\'s latest card counts', async () => {
    await addCampaign(services, { id: 'P12', name: '双12包裹卡', platform: 'tmall', bonus: 30 });
    await boundConsumer(services, 'u1', '13912345678');
    await ok('u1', { action: 'join', scene: 'g=G001' });
    expect(await failure('u1', { action: 'bindOrder', platform: 'tmall', orderId: '1001' })).toBe('INVALID_INPUT');
    await ok('u1', { action: 'join', scene: 'p=P12' });
    expect(await ok('u1', { action: 'bindOrder', platform: 'tmall', orderId: '1001' })).toMatchObject({ campaignId: 'P12', points: 30 });
  });

  test('20 simultaneous bindings of one order by its buyer: one bonus', async () => {
    const { memberId } = await boundConsumer(services, 'u1', '13912345678');
    const before = await available(memberId);
    const answers = await Promise.all(Array.from({ length: 20 }, () => scenes(services, 'u1', { action: 'bindOrder', platform: 'tmall', orderId: '1001', campaignId: 'P11' })));
    expect(answers.every((a) => a.ok)).toBe(true);
    expect(await available(memberId)).toBe(before + 50);
  });

  test.each([
    ['unbound caller', 'NOT_BOUND', 'u0', { orderId: '1001', campaignId: 'P11' }],
    ['order not imported', 'NOT_FOUND', 'u1', { orderId: '9999', campaignId: 'P11' }],
    ['another member\'s order', 'FORBIDDEN', 'u1', { orderId: '2001', campaignId: 'P11' }],
    ['an order whose buyer is not a member yet', 'FORBIDDEN', 'u1', { orderId: '3001', campaignId: 'P11' }],
    ['a refunded order', 'FORBIDDEN', 'u1', { orderId: '1002', campaignId: 'P11' }],
    ['unknown campaign', 'NOT_FOUND', 'u1', { orderId: '1001', campaignId: 'NOPE' }],
    ['no campaign and no card joined', 'INVALID_INPUT', 'u1', { orderId: '1001' }],
    ['another platform than the card\'s', 'INVALID_INPUT', 'u1', { platform: 'jd', orderId: '1001', campaignId: 'P11' }],
    ['a malformed order id', 'INVALID_INPUT', 'u1', { orderId: '10 01', campaignId: 'P11' }],
    ['an overlong order id', 'INVALID_INPUT', 'u1', { orderId: '1'.repeat(65), campaignId: 'P11' }],
    ['a bad platform', 'INVALID_INPUT', 'u1', { platform: 'Tmall', orderId: '1001', campaignId: 'P11' }],
  ])('%s: %s, nothing written', async (_name, code, openid, fields) => {
    await memberOk(services, 'u0', { action: 'login' });
    await boundConsumer(services, 'u1', '13912345678');
    const before = await snapshot(services);
    expect(await failure(openid, { action: 'bindOrder', platform: 'tmall', ...fields })).toBe(code);
    expect(await snapshot(services)).toEqual(before);
  });

  test('a refunded order: its buyer is told it was refunded; anyone else only that it is not theirs', async () => {
    await boundConsumer(services, 'u1', '13912345678');
    expect(await scenes(services, 'u1', { action: 'bindOrder', platform: 'tmall', orderId: '1002', campaignId: 'P11' }))
      .toMatchObject({ ok: false, error: { code: 'FORBIDDEN', details: { reason: 'refunded' } } });
    const stranger = await scenes(services, 'u1', { action: 'bindOrder', platform: 'tmall', orderId: '2002', campaignId: 'P11' });
    expect(stranger).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(stranger.ok || stranger.error).not.toHaveProperty('details');
    expect(stranger.ok || stranger.error.message).not.toMatch(/refund/);
  });

  test('an order refunded while its card is being bound earns no bonus', async () => {
    const { memberId } = await boundConsumer(services, 'u1', '13912345678');
    const points = await available(memberId);
    // the refund is imported after the order was read, before the binding is recorded
    const racing = withStepBeforeTransaction(services, () => importOrders(services, 'tmall', [
      { orderId: '1001', channelMemberId: 'T1', amountFen: 19900, status: 'refunded', paidAt: '2026-11-11 10:00:00' },
    ]));
    expect(await scenes(racing, 'u1', { action: 'bindOrder', platform: 'tmall', orderId: '1001', campaignId: 'P11' }))
      .toMatchObject({ ok: false, error: { code: 'FORBIDDEN', details: { reason: 'refunded' } } });
    expect(await services.dump('cardOrders')).toEqual([]);
    expect((await services.dump('ledger')).filter((e) => String(e._id).startsWith('card:'))).toEqual([]);
    expect(await available(memberId)).toBe(points - 199);
  });

  test('a consumer who erased their data while the order was being bound: NOT_BOUND, the order stays unbound', async () => {
    await boundConsumer(services, 'u1', '13912345678');
    const racing = withStepBeforeTransaction(services, () => memberOk(services, 'u1', { action: 'delete', confirm: true }));
    expect(await failure('u1', { action: 'bindOrder', platform: 'tmall', orderId: '1001', campaignId: 'P11' }, racing)).toBe('NOT_BOUND');
    expect(await services.dump('cardOrders')).toEqual([]);
    expect((await services.dump('ledger')).filter((e) => String(e._id).startsWith('card:'))).toEqual([]);
  });

  test('an order paid before the campaign\'s cards could ship with it, or with nothing paid, earns no bonus; only its buyer is told why', async () => {
    await importOrders(services, 'tmall', [
      // P11 was added on 2026-11-23: by default it takes orders paid from 30 days before
      { orderId: '1003', channelMemberId: 'T1', amountFen: 19900, status: 'paid', paidAt: '2026-10-23 23:00:00' },
      { orderId: '1004', channelMemberId: 'T1', amountFen: 19900, status: 'paid', paidAt: '2026-10-24 00:00:00' },
      { orderId: '1005', channelMemberId: 'T1', amountFen: 0, status: 'paid', paidAt: '2026-11-12 10:00:00' },
      { orderId: '2003', channelMemberId: 'T2', amountFen: 0, status: 'paid', paidAt: '2026-11-12 10:00:00' },
    ]);
    await addCampaign(services, { id: 'P12', name: '双12包裹卡', platform: 'tmall', bonus: 30, ordersFrom: '2026-11-12' });
    await boundConsumer(services, 'u1', '13912345678');
    const before = await snapshot(services);
    expect(await scenes(services, 'u1', { action: 'bindOrder', platform: 'tmall', orderId: '1003', campaignId: 'P11' }))
      .toMatchObject({ ok: false, error: { code: 'FORBIDDEN', details: { reason: 'before_campaign', ordersFrom: '2026-10-23T16:00:00.000Z' } } });
    expect(await scenes(services, 'u1', { action: 'bindOrder', platform: 'tmall', orderId: '1001', campaignId: 'P12' }))
      .toMatchObject({ ok: false, error: { code: 'FORBIDDEN', details: { reason: 'before_campaign', ordersFrom: '2026-11-11T16:00:00.000Z' } } });
    expect(await scenes(services, 'u1', { action: 'bindOrder', platform: 'tmall', orderId: '1005', campaignId: 'P11' }))
      .toMatchObject({ ok: false, error: { code: 'FORBIDDEN', details: { reason: 'unpaid' } } });
    const stranger = await scenes(services, 'u1', { action: 'bindOrder', platform: 'tmall', orderId: '2003', campaignId: 'P11' });
    expect(stranger.ok || stranger.error).not.toHaveProperty('details');
    expect(await snapshot(services)).toEqual(before);
    expect(await ok('u1', { action: 'bindOrder', platform: 'tmall', orderId: '1004', campaignId: 'P11' })).toMatchObject({ points: 50 });
  });

  test('trying order ids that are not one\'s own is limited: which exist cannot be learnt by trying them one after another', async () => {
    await boundConsumer(services, 'u1', '13912345678');
    await boundConsumer(services, 'u2', '13700000002');
    for (let i = 0; i < 9; i++) expect(await failure('u1', { action: 'bindOrder', platform: 'tmall', orderId: String(9000 + i), campaignId: 'P11' })).toBe('NOT_FOUND');
    expect(await failure('u1', { action: 'bindOrder', platform: 'tmall', orderId: '2001', campaignId: 'P11' })).toBe('FORBIDDEN');
    const before = await snapshot(services);
    expect(await failure('u1', { action: 'bindOrder', platform: 'tmall', orderId: '1001', campaignId: 'P11' })).toBe('RATE_LIMITED');
    expect(await snapshot(services)).toEqual(before);
    // someone else is not held back; the caller is, for an hour
    expect(await ok('u2', { action: 'bindOrder', platform: 'tmall', orderId: '2001', campaignId: 'P11' })).toMatchObject({ points: 50 });
    services.clock.advance(3600_000 + 1);
    expect(await ok('u1', { action: 'bindOrder', platform: 'tmall', orderId: '1001', campaignId: 'P11' })).toMatchObject({ points: 50 });
  });

  test('one order id tried again and again before it is imported counts once: its buyer binds it when it arrives', async () => {
    await boundConsumer(services, 'u1', '13912345678');
    // the page says 刚下的单需在发货后 1-2 天才能绑定; the buyer tries the same number again a few times
    for (let i = 0; i < 11; i++) expect(await failure('u1', { action: 'bindOrder', platform: 'tmall', orderId: '1009', campaignId: 'P11' })).toBe('NOT_FOUND');
    await importOrders(services, 'tmall', [{ orderId: '1009', channelMemberId: 'T1', amountFen: 19900, status: 'paid', paidAt: '2026-11-20 10:00:00' }]);
    services.clock.advance(60_000);
    expect(await ok('u1', { action: 'bindOrder', platform: 'tmall', orderId: '1009', campaignId: 'P11' })).toMatchObject({ points: 50 });
    // distinct ids still count one each
    for (let i = 0; i < 9; i++) expect(await failure('u1', { action: 'bindOrder', platform: 'tmall', orderId: String(9000 + i), campaignId: 'P11' })).toBe('NOT_FOUND');
    expect(await failure('u1', { action: 'bindOrder', platform: 'tmall', orderId: '9100', campaignId: 'P11' })).toBe('RATE_LIMITED');
  });

  test('order ids tried side by side are held to the limit too: each passed the check made before its answer', async () => {
    await boundConsumer(services, 'u1', '13912345678');
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => failure('u1', { action: 'bindOrder', platform: 'tmall', orderId: String(9000 + i), campaignId: 'P11' })));
    expect(answers.filter((code) => code === 'NOT_FOUND')).toHaveLength(10);
    expect(answers.filter((code) => code === 'RATE_LIMITED')).toHaveLength(30);
  });

  test('an ended campaign: CODE_EXPIRED', async () => {
    await addCampaign(services, { id: 'OLD', name: '旧包裹卡', platform: 'tmall', bonus: 10, validTo: '2026-11-30' });
    await boundConsumer(services, 'u1', '13912345678');
    services.clock.set('2026-12-01T00:00:00Z');
    expect(await failure('u1', { action: 'bindOrder', platform: 'tmall', orderId: '1001', campaignId: 'OLD' })).toBe('CODE_EXPIRED');
  });

  /**
   * Two WeChat consumers with a phone each, who are one member once an operator merges them (two
   * phones on one member need a brand that allows it); u3's phone bought Tmall order 4001.
   */
  async function twoPhonesOneBuyer(): Promise<{ survivor: string; absorbed: string }> {
    await services.close();
    const defaults = openTestServices();
    services = openTestServices(undefined, { identity: { ...defaults.config.identity, limits: { ...defaults.config.identity.limits, phone: 2 } } });
    await defaults.close();
    await addCampaign(services, { id: 'P11', name: '双11包裹卡', platform: 'tmall', bonus: 50 });
    const { memberId: survivor } = await boundConsumer(services, 'u2', '13700000002');
    await importMembers(services, 'tmall', [{ channelMemberId: 'T3', phone: '13600000003' }]);
    await importOrders(services, 'tmall', [{ orderId: '4001', channelMemberId: 'T3', amountFen: 9900, status: 'paid', paidAt: '2026-11-11 10:00:00' }]);
    const { memberId: absorbed } = await boundConsumer(services, 'u3', '13600000003');
    return { survivor, absorbed };
  }

  test('an order bound before its buyer was merged into another member: the survivor\'s other WeChat gets the first binding back', async () => {
    const { survivor, absorbed } = await twoPhonesOneBuyer();
    const first = await ok('u3', { action: 'bindOrder', platform: 'tmall', orderId: '4001', campaignId: 'P11' });
    const merge = await mergeMembers(services, survivor, absorbed);
    expect([merge.survivor, merge.absorbed]).toEqual([survivor, absorbed]);

    services.clock.advance(3600_000);
    const again = await ok('u2', { action: 'bindOrder', platform: 'tmall', orderId: '4001', campaignId: 'P11' });
    expect(again).toEqual({ ...first, available: await available(survivor), repeated: true });
    expect((await services.dump('ledger')).filter((e) => String(e._id).startsWith('card:'))).toHaveLength(1);
  });

  test('an order bound while its buyer was merged into another member, then unmerged: its buyer is told it was bound already', async () => {
    const { survivor, absorbed } = await twoPhonesOneBuyer();
    const merge = await mergeMembers(services, survivor, absorbed);
    await ok('u2', { action: 'bindOrder', platform: 'tmall', orderId: '4001', campaignId: 'P11' });
    await unmergeMembers(services, merge._id);
    expect(await scenes(services, 'u3', { action: 'bindOrder', platform: 'tmall', orderId: '4001', campaignId: 'P11' }))
      .toMatchObject({ ok: false, error: { code: 'CONFLICT', details: { reason: 'bound' } } });
  });

  test('a binding that kept colliding with others (a busy campaign on CloudBase) answers CONFLICT as busy, not as bound already, and binds nothing', async () => {
    await boundConsumer(services, 'u1', '13912345678');
    // the store gives up as the CloudBase adapter does after its reruns
    const busy = { ...services, store: { ...services.store, get: services.store.get.bind(services.store), query: services.store.query.bind(services.store), transaction: async () => { throw new StoreConflictError('campaigns', 'P11'); } } } as TestServices;
    const answer = await scenes(busy, 'u1', { action: 'bindOrder', platform: 'tmall', orderId: '1001', campaignId: 'P11' });
    expect(answer).toMatchObject({ ok: false, error: { code: 'CONFLICT' } });
    expect(answer.ok || answer.error).not.toHaveProperty('details');
    expect(await services.dump('cardOrders')).toEqual([]);
  });

  test('an order bound by its buyer cannot be bound by anyone else, who learns only that it is not theirs', async () => {
    await boundConsumer(services, 'u1', '13912345678');
    await boundConsumer(services, 'u2', '13700000002');
    await ok('u1', { action: 'bindOrder', platform: 'tmall', orderId: '1001', campaignId: 'P11' });
    const stranger = await scenes(services, 'u2', { action: 'bindOrder', platform: 'tmall', orderId: '1001', campaignId: 'P11' });
    expect(stranger).toMatchObject({ ok: false, error: { code: 'FORBIDDEN', message: 'this order is not linked to your membership' } });
    expect(await ok('u2', { action: 'bindOrder', platform: 'tmall', orderId: '2001', campaignId: 'P11' })).toMatchObject({ points: 50 });
  });
});

describe('operator places', () => {
  test('ids must fit a scene; duplicates and unknown stores are refused', async () => {
    await expect(addStore(services, { id: 'S'.repeat(31), name: 'x' })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(addStore(services, { id: 'SH001', name: 'again' })).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(addGuide(services, { storeId: 'NOPE', name: '小李' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(addCampaign(services, { name: 'x', platform: 'tmall', bonus: 0 })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(addCampaign(services, { name: 'x', platform: 'tmall', bonus: 5, validTo: '2020-01-01' })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    const { doc: guide } = await addGuide(services, { storeId: 'SH002', name: '小李' });
    expect(`g=${guide._id}`.length).toBeLessThanOrEqual(32);
  });

  test('adding the same place again, with its id or without, answers the first and writes nothing', async () => {
    const before = await snapshot(services);
    const again = await Promise.all([
      addStore(services, { id: 'SH001', name: '南京西路店', city: '上海' }),
      addGuide(services, { id: 'G001', storeId: 'SH001', name: '小林' }),
      addCampaign(services, { id: 'P11', name: '双11包裹卡', platform: 'tmall', bonus: 50 }),
    ]);
    expect(again.map((a) => [a.doc._id, a.repeated])).toEqual([['SH001', true], ['G001', true], ['P11', true]]);
    expect(await snapshot(services)).toEqual(before);

    // without --id, a run repeated after it seemed to fail gives the same place, not a second one
    const store = await addStore(services, { name: '静安店', city: '上海' });
    const guide = await addGuide(services, { storeId: store.doc._id, name: '小陈' });
    const campaign = await addCampaign(services, { name: '双12包裹卡', platform: 'tmall', bonus: 30, validTo: '2027-01-31' });
    expect([store.repeated, guide.repeated, campaign.repeated]).toEqual([false, false, false]);
    const written = await snapshot(services);
    const repeated = [
      await addStore(services, { name: ' 静安店', city: '上海 ' }),
      await addGuide(services, { storeId: store.doc._id, name: '小陈' }),
      await addCampaign(services, { name: '双12包裹卡', platform: 'tmall', bonus: 30, validTo: '2027-01-31' }),
    ];
    expect(repeated.map((a) => [a.doc._id, a.repeated])).toEqual([[store.doc._id, true], [guide.doc._id, true], [campaign.doc._id, true]]);
    expect(await snapshot(services)).toEqual(written);

    // what differs is another place: a store of the same name in another city, another bonus
    expect((await addStore(services, { name: '静安店', city: '苏州' })).doc._id).not.toBe(store.doc._id);
    expect((await addGuide(services, { storeId: 'SH001', name: '小陈' })).doc._id).not.toBe(guide.doc._id);
    expect((await addCampaign(services, { name: '双12包裹卡', platform: 'tmall', bonus: 40, validTo: '2027-01-31' })).doc._id).not.toBe(campaign.doc._id);
  });

  test('a new guide named as one who left is a new guide, and adding them again answers the new one', async () => {
    const { doc: first } = await addGuide(services, { storeId: 'SH002', name: '小陈' });
    await guideLeft(services, first._id);
    const hired = await addGuide(services, { storeId: 'SH002', name: '小陈' });
    expect(hired).toMatchObject({ repeated: false, doc: { status: 'active' } });
    expect(hired.doc._id).not.toBe(first._id);
    const again = await addGuide(services, { storeId: 'SH002', name: '小陈' });
    expect(again).toEqual({ doc: hired.doc, repeated: true });
    // with an explicit id the id decides: the guide who left is answered as such
    expect(await addGuide(services, { id: first._id, storeId: 'SH002', name: '小陈' })).toMatchObject({ repeated: true, doc: { status: 'left' } });
  });

  test('added again without --id, a place added under another id (given with --id, or by an earlier version) is answered, not added twice', async () => {
    // the beforeEach's SH001, G001 and P11 were added with --id
    const before = await snapshot(services);
    expect(await addStore(services, { name: '南京西路店', city: '上海' })).toMatchObject({ repeated: true, doc: { _id: 'SH001' } });
    expect(await addGuide(services, { storeId: 'SH001', name: '小林' })).toMatchObject({ repeated: true, doc: { _id: 'G001' } });
    expect(await addCampaign(services, { name: '双11包裹卡', platform: 'tmall', bonus: 50 })).toMatchObject({ repeated: true, doc: { _id: 'P11' } });
    expect(await snapshot(services)).toEqual(before);
    // a random id an earlier version gave
    await services.store.transaction((tx) => tx.create('stores', { _id: 's_oldrandom01', name: '静安店', city: null, recruited: 3, createdAt: '2026-01-01T00:00:00.000Z' }));
    expect(await addStore(services, { name: '静安店' })).toMatchObject({ repeated: true, doc: { _id: 's_oldrandom01', recruited: 3 } });
    // another city is another store
    expect(await addStore(services, { name: '静安店', city: '北京' })).toMatchObject({ repeated: false });
  });

  test('an id already given to a different place is refused, naming what holds it', async () => {
    const before = await snapshot(services);
    await expect(addStore(services, { id: 'SH001', name: '南京西路店' })).rejects.toMatchObject({ code: 'CONFLICT', message: 'store SH001 already exists: 南京西路店 (上海)' });
    await expect(addGuide(services, { id: 'G001', storeId: 'SH002', name: '小林' })).rejects.toMatchObject({ code: 'CONFLICT', message: 'guide G001 already exists: 小林 of store SH001' });
    await expect(addCampaign(services, { id: 'P11', name: '双11包裹卡', platform: 'tmall', bonus: 60 })).rejects.toMatchObject({ code: 'CONFLICT', message: 'campaign P11 already exists: 双11包裹卡, bonus 50 on tmall orders paid from 2026-10-24' });
    expect(await snapshot(services)).toEqual(before);
    // the same campaign but for the orders it takes, added without --id: told how to add it
    const { doc: p12 } = await addCampaign(services, { name: '双12包裹卡', platform: 'tmall', bonus: 30, ordersFrom: '2026-12-01' });
    await expect(addCampaign(services, { name: '双12包裹卡', platform: 'tmall', bonus: 30, ordersFrom: '2026-12-05' }))
      .rejects.toMatchObject({ code: 'CONFLICT', message: `campaign ${p12._id} already exists: 双12包裹卡, bonus 30 on tmall orders paid from 2026-12-01 (give --id for a campaign of its own)` });
  });
});
