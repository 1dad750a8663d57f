/**
 * Edges of the `member` function's actions that its own tests left open (found by mutating
 * the member core): the phone code spent before consent, a change of phone, the Beijing date of
 * a birthday, new terms, the unionid from the context, a profile saved again, and what erasure
 * removes and keeps.
 */
import { listConflicts, mergeMembers, unmergeMembers } from '../../cloudfunctions/core/identity/operator';
import { memberFunction } from '../../cloudfunctions/core/functions/member';
import type { MergeDoc } from '../../cloudfunctions/core/identity/graph.store';
import { invoke } from '../../cloudfunctions/core/runtime/handler';
import type { Doc } from '../../cloudfunctions/core/store/port';
import { addGuide, addStore } from '../../cloudfunctions/core/scenes/places.store';
import { boundConsumer, importMembers, member, memberOk } from '../support/members';
import { openTestServices, reconfigured, withStepBeforeTransaction, type TestServices } from '../support/services';
import { scenesOk } from '../codes/support';

let services: TestServices;
afterEach(() => services.close());

const DAY = 24 * 3600_000;
const memberIdOf = async (s: TestServices, openid: string) => (await memberOk<{ memberId: string }>(s, openid, { action: 'login' })).memberId;
const wechatRecordOf = async (openid: string) => (await services.dump('records')).find((r) => (r as Doc & { identifiers: { type: string; value: string }[] }).identifiers.some((i) => i.type === 'openid' && i.value === openid))!._id;

describe('binding a phone', () => {
  beforeEach(() => { services = openTestServices(); });

  it('does not spend the phone code of a consumer who has not agreed to the terms: WeChat is not asked', async () => {
    let asked = 0;
    const counting = { ...services, phoneCodes: { exchange: (code: string) => { asked++; return services.phoneCodes.exchange(code); } } };
    await memberOk(services, 'u1', { action: 'login' });
    for (const openid of ['u1', 'u2']) {
      expect(await member(counting, openid, { action: 'bindPhone', code: `dev:13912345678:${services.clock.now()}` })).toMatchObject({ ok: false, error: { code: 'CONSENT_REQUIRED' } });
    }
    expect(asked).toBe(0);
  });

  it('a new phone replaces the old one: whoever binds the old number next is not joined to this member', async () => {
    const { memberId } = await boundConsumer(services, 'u1', '13912345678');
    services.clock.advance(1000);
    expect(await memberOk(services, 'u1', { action: 'bindPhone', code: `dev:13912345679:${services.clock.now()}` })).toMatchObject({ memberId, phoneMasked: '139****5679' });
    services.clock.advance(1000);
    const other = await boundConsumer(services, 'u2', '13912345678');
    expect(other).toMatchObject({ merged: false });
    expect(other.memberId).not.toBe(memberId);
    expect(await memberOk(services, 'u1', { action: 'profile' })).toMatchObject({ memberId, phoneMasked: '139****5679' });
  });

  it('a change of phone is no new joining: a guide\'s code scanned after it does not count the member of long standing as a recruit', async () => {
    await addStore(services, { id: 'SH001', name: '南京西路店', city: '上海' });
    await addGuide(services, { id: 'G001', storeId: 'SH001', name: '小林' });
    await boundConsumer(services, 'u1', '13912345678');
    services.clock.advance(10 * DAY);
    await memberOk(services, 'u1', { action: 'bindPhone', code: `dev:13912345679:${services.clock.now()}` });
    expect(await scenesOk(services, 'u1', { action: 'join', scene: 'g=G001' })).toMatchObject({ attributed: false, guideId: 'G001' });
  });

  it('takes the unionid from the trusted context: a Tmall member imported with it is the same member', async () => {
    await importMembers(services, 'tmall', [{ channelMemberId: 'T1', unionid: 'oUnion1' }]);
    const answer = await invoke(memberFunction, { action: 'login' }, { openid: 'u1', unionid: 'oUnion1', appid: 'dev' }, services);
    expect(answer).toMatchObject({ ok: true, data: { isNew: true } });
    expect(await memberOk(services, 'u1', { action: 'channels' })).toMatchObject({ tmall: true });
  });
});

describe('terms and profile', () => {
  it('asks again for consent once the brand publishes new terms, and binds no phone until given', async () => {
    services = openTestServices();
    await memberOk(services, 'u1', { action: 'consent', version: services.config.termsVersion });
    const updated = reconfigured(services, (config) => { config.termsVersion = '2027-06-01'; });
    expect(await memberOk(updated, 'u1', { action: 'login' })).toMatchObject({ consented: false, termsVersion: '2027-06-01' });
    expect(await member(updated, 'u1', { action: 'bindPhone', code: `dev:13912345678:${services.clock.now()}` })).toMatchObject({ ok: false, error: { code: 'CONSENT_REQUIRED' } });
    expect(await memberOk(updated, 'u1', { action: 'consent', version: '2027-06-01' })).toMatchObject({ consented: true });
  });

  it('takes a birthday of today in Beijing, when it is still yesterday in UTC, and refuses tomorrow', async () => {
    services = openTestServices('2026-11-23T20:00:00Z'); // 2026-11-24 04:00 in Beijing
    await memberOk(services, 'u1', { action: 'consent', version: services.config.termsVersion });
    expect(await member(services, 'u1', { action: 'updateProfile', birthday: '2026-11-25' })).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    expect(await memberOk(services, 'u1', { action: 'updateProfile', birthday: '2026-11-24' })).toMatchObject({ birthday: '2026-11-24' });
  });

  it('saving the same profile again writes nothing', async () => {
    services = openTestServices();
    await memberOk(services, 'u1', { action: 'consent', version: services.config.termsVersion });
    await memberOk(services, 'u1', { action: 'updateProfile', nickname: '小李', birthday: '1990-05-01' });
    const records = await services.dump('records');
    services.clock.advance(60_000);
    expect(await memberOk(services, 'u1', { action: 'updateProfile', nickname: '小李', birthday: '1990-05-01' })).toMatchObject({ nickname: '小李', birthday: '1990-05-01' });
    expect(await services.dump('records')).toEqual(records);
  });
});

describe('channels', () => {
  it('says no phone is bound for a consumer an operator merged with a store member who has one: their own WeChat bound none', async () => {
    services = openTestServices();
    await importMembers(services, 'offline', [{ channelMemberId: 'C1', phone: '13011112222' }]);
    const consumer = await memberIdOf(services, 'u1');
    const card = (await services.store.get<Doc & { memberId: string }>('records', 'offline:C1'))!.memberId;
    await mergeMembers(services, consumer, card);
    expect(await memberOk(services, 'u1', { action: 'channels' })).toMatchObject({ phone: false, offline: true });
    expect(await member(services, 'u1', { action: 'memberCode' })).toMatchObject({ ok: false, error: { code: 'NOT_BOUND' } });
  });
});

describe('erasure', () => {
  beforeEach(() => { services = openTestServices(); });

  it('leaves the refused join between two others on the erased one\'s email as it was found, time included', async () => {
    const email = 'shared@x.cn';
    await importMembers(services, 'tmall', [{ channelMemberId: 'T1', email }, { channelMemberId: 'T2', email }]);
    const found = (await listConflicts(services, 10)).conflicts.map((c) => c.at);
    expect(found).toHaveLength(1);
    services.clock.advance(60_000);
    await importMembers(services, 'tmall', [{ channelMemberId: 'T3', email, phone: '13912345688' }]);
    services.clock.advance(60_000);
    await boundConsumer(services, 'u1', '13912345688');
    await memberOk(services, 'u1', { action: 'delete', confirm: true });
    expect((await listConflicts(services, 10)).conflicts.map((c) => [c.at, c.between.map((b) => b.recordId)])).toEqual([[found[0], ['tmall:T1', 'tmall:T2']]]);
  });

  it('removes the store-card tries and first touch an earlier version kept under the WeChat record\'s or the member\'s id', async () => {
    await addStore(services, { id: 'SH001', name: '南京西路店', city: '上海' });
    const { memberId } = await boundConsumer(services, 'u1', '13912345678');
    await scenesOk(services, 'u1', { action: 'join', scene: 's=SH001' });
    const wechat = await wechatRecordOf('u1');
    const touch = (await services.store.get<Doc & { recordId: string }>('attributions', wechat))!;
    // as earlier versions left them
    await services.store.transaction(async (tx) => {
      await tx.remove('attributions', wechat);
      await tx.create('attributions', { ...touch, _id: memberId });
      await tx.create('linkAttempts', { _id: wechat, failures: [new Date(services.clock.now()).toISOString()] });
    });
    await memberOk(services, 'u1', { action: 'delete', confirm: true });
    expect(await services.dump('attributions')).toEqual([]);
    expect((await services.dump('linkAttempts')).map((d) => d._id)).not.toContain(wechat);
  });

  it('removes a first touch kept under the id of a member merged into this one', async () => {
    await addStore(services, { id: 'SH001', name: '南京西路店', city: '上海' });
    await boundConsumer(services, 'u1', '13912345678');
    await scenesOk(services, 'u1', { action: 'join', scene: 's=SH001' });
    const wechat = await wechatRecordOf('u1');
    const touch = (await services.store.get<Doc & { recordId: string }>('attributions', wechat))!;
    await services.store.transaction(async (tx) => {
      await tx.remove('attributions', wechat);
      await tx.create('attributions', { ...touch, _id: 'm_absorbed_long_ago' });
    });
    await memberOk(services, 'u1', { action: 'delete', confirm: true });
    expect(await services.dump('attributions')).toEqual([]);
  });

  it('keeps the receipts of a WeChat an operator separated from the member while the erasure was under way', async () => {
    await boundConsumer(services, 'u1', '13912345678');
    services.clock.advance(1000);
    await boundConsumer(services, 'u2', '13912345678'); // the same phone: one member
    const u2 = await wechatRecordOf('u2');
    const receipts = (await services.dump('phoneCodes')).filter((d) => (d as Doc & { recordId: string }).recordId === u2);
    expect(receipts).toHaveLength(1);
    const merge = ((await services.dump('merges')) as MergeDoc[]).find((m) => m.kind === 'merge' && m.records.includes(u2))!;
    const racing = withStepBeforeTransaction(services, () => unmergeMembers(services, merge._id));
    expect(await memberOk(racing, 'u1', { action: 'delete', confirm: true })).toEqual({ deleted: true });
    expect(await services.dump('phoneCodes')).toEqual(receipts);
    expect(await memberOk(services, 'u2', { action: 'profile' })).toMatchObject({ phoneMasked: '139****5678' });
  });
});
