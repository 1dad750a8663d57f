import { memberFunction } from '../../cloudfunctions/core/functions/member';
import type { ConflictDoc, MemberDoc, RecordDoc, ValueDoc } from '../../cloudfunctions/core/identity/graph.store';
import { confirmLinkRequest } from '../../cloudfunctions/core/identity/link-requests';
import { liveMember } from '../../cloudfunctions/core/identity/lookup';
import { listConflicts } from '../../cloudfunctions/core/identity/operator';
import { invoke } from '../../cloudfunctions/core/runtime/handler';
import { runCliAt } from '../support/cli';
import { importMembers } from '../support/members';
import { openTestServices, reconfigured, type TestServices } from '../support/services';

/**
 * ARCHITECTURE §5: "A link that would join two members holding different values of a limited type
 * is not merged: it is recorded as a conflict for the CRM team." The joins a consumer or staff ask
 * for (member.bindPhone, member.linkOffline, members link-confirm) are refused with nothing of the
 * request written, and the refusal is recorded once, naming both sides, never the phone.
 */
describe('joins a limit refuses are recorded for the CRM team', () => {
  let services: TestServices;
  beforeEach(() => { services = openTestServices(); });
  afterEach(() => services.close());

  const PHONE = '13912345678';
  /** A consumer as the dev runtime makes them, with a unionid when WeChat gives one. */
  const call = (s: TestServices, openid: string, event: Record<string, unknown>, unionid: string | null = null) =>
    invoke(memberFunction, event, { openid, unionid, appid: 'dev' }, s);
  const ok = async (s: TestServices, openid: string, event: Record<string, unknown>, unionid: string | null = null) => {
    const answer = await call(s, openid, event, unionid);
    if (!answer.ok) throw new Error(`${String(event.action)}: ${answer.error.code}`);
    return answer.data as Record<string, unknown>;
  };
  const agree = (openid: string, unionid: string | null = null) => ok(services, openid, { action: 'consent', version: services.config.termsVersion }, unionid);
  const bind = (s: TestServices, openid: string, phone: string, unionid: string | null = null) =>
    call(s, openid, { action: 'bindPhone', code: `dev:${phone}:${s.clock.now()}` }, unionid);
  const conflictsCli = async () => (await runCliAt(services.clock, services.dbFile, 'members', 'conflicts')).out;
  const wechatOf = async (openid: string) => (await services.store.get<ValueDoc>('identifiers', `openid:${openid}`))!.records.find((id) => id.startsWith('wechat:'))!;
  const memberOf = async (recordId: string) => (await liveMember(services.store.get.bind(services.store), (await services.store.get<RecordDoc>('records', recordId))!.memberId))!._id;
  const state = async () => Object.fromEntries(await Promise.all(
    ['members', 'merges', 'phoneCodes', 'accounts', 'balances', 'ledger', 'linkRequests', 'linkAttempts'].map(async (c) => [c, await services.dump(c)] as const),
  ));

  describe('member.bindPhone', () => {
    /** T1 holds the phone; the caller's member holds another Tmall membership (T2 carries their openid). */
    const twoTmallMemberships = async () => {
      await importMembers(services, 'tmall', [{ channelMemberId: 'T1', phone: PHONE, points: 100 }]);
      await importMembers(services, 'tmall', [{ channelMemberId: 'T2', openid: 'openid_u1_xx', points: 20 }]);
      await agree('openid_u1_xx');
    };

    it('records the refused join once, with both sides and the limit, and writes nothing of the binding', async () => {
      await twoTmallMemberships();
      const before = await state();
      const wechat = await wechatOf('openid_u1_xx');
      const recordBefore = await services.store.get<RecordDoc>('records', wechat);
      const phoneValueBefore = (await services.dump('identifiers')).find((v) => (v as ValueDoc).type === 'phone') as ValueDoc;

      expect(await bind(services, 'openid_u1_xx', PHONE)).toMatchObject({ ok: false, error: { code: 'PHONE_CONFLICT' } });

      const { conflicts } = await listConflicts(services, 100);
      expect(conflicts).toEqual([{
        at: '2026-11-23T02:00:00.000Z', type: 'phone', value: null, reason: 'limit', limitType: 'tmall', limit: 1,
        between: [{ recordId: 'tmall:T1', memberId: await memberOf('tmall:T1') }, { recordId: wechat, memberId: await memberOf('tmall:T2') }],
        askedBy: wechat,
      }]);
      const out = await conflictsCli();
      expect(out).toBe(`2026-11-23 10:00:00 Beijing  phone of tmall:T1 (member ${await memberOf('tmall:T1')}), asked for by ${wechat} (member ${await memberOf('tmall:T2')}), not joined: at most 1 tmall per member (identity.limits)\n`);
      // never the number, in clear or masked
      const stored = JSON.stringify(await services.dump('conflicts'));
      for (const text of [out, stored]) expect(text).not.toMatch(/5678|1391234/);

      // nothing of the binding: members, merges, receipts and points as they were; the phone not on the caller
      expect(await state()).toEqual(before);
      const recordAfter = await services.store.get<RecordDoc & { refusedJoins?: string[] }>('records', wechat);
      const { refusedJoins, ...rest } = recordAfter!;
      expect(rest).toEqual(recordBefore);
      expect(refusedJoins).toEqual([phoneValueBefore._id]);
      expect(await ok(services, 'openid_u1_xx', { action: 'login' })).toMatchObject({ phoneBound: false });
      const phoneValue = (await services.store.get<ValueDoc>('identifiers', phoneValueBefore._id))!;
      expect({ ...phoneValue, refused: undefined }).toEqual({ ...phoneValueBefore, refused: undefined });
    });

    it('records a retry (a new phone code) and the next imports as the same refusal, not a second one', async () => {
      await twoTmallMemberships();
      expect(await bind(services, 'openid_u1_xx', PHONE)).toMatchObject({ ok: false, error: { code: 'PHONE_CONFLICT' } });
      const once = await services.dump('conflicts');
      services.clock.advance(60_000);
      expect(await bind(services, 'openid_u1_xx', PHONE)).toMatchObject({ ok: false, error: { code: 'PHONE_CONFLICT' } });
      expect(await services.dump('conflicts')).toEqual(once);
      // an import walking the phone's member keeps it, and counts no conflict for it
      const summary = await importMembers(services, 'tmall', [{ channelMemberId: 'T1', phone: PHONE, points: 100, name: '李雷' }]);
      expect(summary.conflicts).toBe(0);
      expect((await listConflicts(services, 100)).conflicts).toHaveLength(1);
      expect(await services.dump('conflicts')).toEqual(once);
    });

    it('records a phone whose member holds another unionid, and none once a raised limit lets the phone join', async () => {
      await importMembers(services, 'tmall', [{ channelMemberId: 'T1', phone: PHONE, unionid: 'union_other_1' }]);
      await agree('openid_u3_xx', 'union_mine_1');
      expect(await bind(services, 'openid_u3_xx', PHONE, 'union_mine_1')).toMatchObject({ ok: false, error: { code: 'PHONE_CONFLICT' } });
      expect((await listConflicts(services, 100)).conflicts).toMatchObject([{ type: 'phone', value: null, limitType: 'unionid', askedBy: await wechatOf('openid_u3_xx') }]);

      // the brand allows two unionids a member: the phone joins, and the refusal no longer stands
      const relaxed = reconfigured(services, (config) => { config.identity.limits.unionid = 2; });
      expect(await bind(relaxed, 'openid_u3_xx', PHONE, 'union_mine_1')).toMatchObject({ ok: true, data: { merged: true } });
      expect((await listConflicts(relaxed, 100)).conflicts).toEqual([]);
      expect(await services.dump('conflicts')).toEqual([]);
    });

    it('drops the refusal when the consumer who asked erases themselves', async () => {
      await twoTmallMemberships();
      await bind(services, 'openid_u1_xx', PHONE);
      expect((await listConflicts(services, 100)).conflicts).toHaveLength(1);
      expect(await ok(services, 'openid_u1_xx', { action: 'delete', confirm: true })).toEqual({ deleted: true });
      expect((await listConflicts(services, 100)).conflicts).toEqual([]);
      expect(await services.dump('conflicts')).toEqual([]);
    });
  });

  describe('store cards', () => {
    it('records member.linkOffline refused by a limit (cannot_join) once, under the card', async () => {
      await importMembers(services, 'offline', [{ channelMemberId: 'C1', phone: '13700000009', unionid: 'union_card_1', points: 50 }]);
      await agree('openid_u4_xx', 'union_mine_4');
      expect(await bind(services, 'openid_u4_xx', PHONE, 'union_mine_4')).toMatchObject({ ok: true });
      const before = await state();
      const link = () => call(services, 'openid_u4_xx', { action: 'linkOffline', cardNo: 'C1', last4: '0009' }, 'union_mine_4');
      expect(await link()).toMatchObject({ ok: false, error: { code: 'CONFLICT', details: { reason: 'cannot_join' } } });
      const wechat = await wechatOf('openid_u4_xx');
      const expected = [{
        at: '2026-11-23T02:00:00.000Z', type: 'offline', value: 'C1', reason: 'limit', limitType: 'unionid', limit: 1,
        between: [{ recordId: 'offline:C1', memberId: await memberOf('offline:C1') }, { recordId: wechat, memberId: await memberOf(wechat) }],
        askedBy: wechat,
      }];
      expect((await listConflicts(services, 100)).conflicts).toEqual(expected);
      expect(await conflictsCli()).toContain(`offline C1 of offline:C1 (member ${await memberOf('offline:C1')}), asked for by ${wechat}`);
      expect(await state()).toEqual(before);
      // tried again: the same refusal
      const once = await services.dump('conflicts');
      services.clock.advance(60_000);
      expect(await link()).toMatchObject({ ok: false, error: { code: 'CONFLICT', details: { reason: 'cannot_join' } } });
      expect(await services.dump('conflicts')).toEqual(once);
    });

    it('records members link-confirm refused by a limit once', async () => {
      await importMembers(services, 'offline', [{ channelMemberId: 'C2', unionid: 'union_card_2' }]); // no phone: staff decide
      await agree('openid_u5_xx', 'union_mine_5');
      expect(await bind(services, 'openid_u5_xx', PHONE, 'union_mine_5')).toMatchObject({ ok: true });
      expect(await ok(services, 'openid_u5_xx', { action: 'linkOffline', cardNo: 'C2' }, 'union_mine_5')).toMatchObject({ status: 'pending' });
      const requestId = (await services.dump('linkRequests'))[0]!._id;
      for (let i = 0; i < 2; i++) {
        await expect(confirmLinkRequest(services, requestId)).rejects.toMatchObject({ code: 'CONFLICT', details: { reason: 'cannot_join' } });
      }
      const { conflicts } = await listConflicts(services, 100);
      expect(conflicts).toMatchObject([{ type: 'offline', value: 'C2', limitType: 'unionid', askedBy: await wechatOf('openid_u5_xx') }]);
      expect((await services.dump('linkRequests'))[0]).toMatchObject({ status: 'pending' });
    });

    it('leaves no identifier leading to the member a linked card was merged away from', async () => {
      await ok(services, 'openid_u6_xx', { action: 'login' });
      await agree('openid_u6_xx');
      expect(await bind(services, 'openid_u6_xx', PHONE)).toMatchObject({ ok: true });
      services.clock.advance(1000);
      await importMembers(services, 'offline', [{ channelMemberId: 'C3', phone: '13700000003', points: 30 }]);
      expect(await ok(services, 'openid_u6_xx', { action: 'linkOffline', cardNo: 'C3', last4: '0003' })).toMatchObject({ status: 'linked' });
      const members = new Map(((await services.dump('members')) as MemberDoc[]).map((m) => [m._id, m]));
      expect([...members.values()].filter((m) => m.status === 'merged')).toHaveLength(1);
      for (const value of (await services.dump('identifiers')) as ValueDoc[]) {
        if (value.memberId) expect([value._id, members.get(value.memberId)?.status]).toEqual([value._id, 'active']);
      }
    });
  });

  it('lists a refusal an import found once, and importing the file again counts none', async () => {
    const rows = [{ channelMemberId: 'T7', phone: '13700000007' }, { channelMemberId: 'T8', phone: '13700000007' }];
    expect((await importMembers(services, 'tmall', rows)).conflicts).toBe(1);
    expect((await importMembers(services, 'tmall', rows)).conflicts).toBe(0);
    const { conflicts } = await listConflicts(services, 100);
    expect(conflicts).toMatchObject([{ type: 'phone', value: null, limitType: 'tmall', between: [{ recordId: 'tmall:T7' }, { recordId: 'tmall:T8' }] }]);
    expect(conflicts[0]!.askedBy).toBeUndefined();
    expect(JSON.stringify(await services.dump('conflicts') as ConflictDoc[])).not.toContain('13700000007');
  });
});
