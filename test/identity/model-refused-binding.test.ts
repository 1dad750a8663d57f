/**
 * A sequence the cross-capability model found (test/model/cross-capability.test.ts, identity rules
 * allowing two phones a member): a consumer binding the phone of another consumer's member, whose
 * Tmall membership (joined to it by openid) the limit of one Tmall id keeps from the binder's own.
 * member.bindPhone answers PHONE_CONFLICT, and the refused binding must be recorded once for the CRM
 * team under the phone (README, `members conflicts`), also when the walk of the graph names the
 * refusal between the phone's other carriers: the binder's record joins the phone's imported buyer
 * record on the way, and the refusal names that record, not the binder's.
 */
import { memberFunction } from '../../cloudfunctions/core/functions/member';
import type { ConflictDoc, RecordDoc } from '../../cloudfunctions/core/identity/graph.store';
import { findWechatRecord } from '../../cloudfunctions/core/identity/lookup';
import { phoneKey } from '../../cloudfunctions/core/identity/normalize';
import { refusalsOf } from '../../cloudfunctions/core/identity/graph.store';
import { importOrdersFile } from '../../cloudfunctions/core/orders/import.store';
import { loadConfig } from '../../cloudfunctions/core/runtime/config';
import { invoke } from '../../cloudfunctions/core/runtime/handler';
import { runCliAt } from '../support/cli';
import { importMembers, writeRows } from '../support/members';
import { callerOf, openTestServices, type TestServices } from '../support/services';

const ALICE = 'oUser1AAAAAAAAAAAAAAAAAAAAAA';
const BOB = 'oUser2AAAAAAAAAAAAAAAAAAAAAA';
const PHONE_A = '13912340001';
const PHONE_B = '13912340002';

/** The model's keys: the order in which identity tries a value's joins follows its keyed hash. */
const KEYS = {
  MC_PHONE_HASH_KEY: Buffer.alloc(32, 1).toString('base64'),
  MC_PHONE_ENC_KEY: Buffer.alloc(32, 2).toString('base64'),
  MC_MEMBER_CODE_KEY: Buffer.alloc(32, 3).toString('base64'),
  MC_CODE_KEYS: `A:${Buffer.alloc(32, 4).toString('base64')}`,
};

describe('a phone binding refused because the phone\'s member holds another Tmall id (two phones a member allowed)', () => {
  const saved = Object.fromEntries(Object.keys(KEYS).map((name) => [name, process.env[name]]));
  let services: TestServices;
  let codes = 0;
  beforeAll(() => Object.assign(process.env, KEYS));
  afterAll(() => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });
  beforeEach(() => {
    const identity = loadConfig({}).identity;
    services = openTestServices('2026-11-23T02:00:00Z', { identity: { ...identity, limits: { ...identity.limits, phone: 2 } } });
  });
  afterEach(() => services.close());

  const call = (openid: string, event: Record<string, unknown>) => invoke(memberFunction, event, callerOf(openid), services);
  /** login, consent and bindPhone in a row, as the page walks a consumer through them (a new phone-button code each time). */
  async function onboard(openid: string, phone: string) {
    for (const event of [{ action: 'login' }, { action: 'consent', version: services.config.termsVersion }]) {
      const answer = await call(openid, event);
      if (!answer.ok) return answer;
    }
    return call(openid, { action: 'bindPhone', code: `dev:${phone}:${services.clock.now() - ++codes}` });
  }

  async function arrange() {
    expect(await onboard(BOB, PHONE_B)).toMatchObject({ ok: true });
    expect(await onboard(ALICE, PHONE_A)).toMatchObject({ ok: true });
    await importMembers(services, 'tmall', [{ channelMemberId: 'T1', phone: PHONE_A, unionid: 'oUnionAAAA01', openid: ALICE, points: '0', growth: '0' }]);
    // an order of Alice's phone: its buyer record carries the phone too
    const file = writeRows([{ channelMemberId: '', orderId: '9003', phone: PHONE_A, amountFen: 12000, paidAt: '2026-11-20 10:00:00', status: 'paid', refundFen: '' }]);
    await importOrdersFile(services, { channel: 'tmall', file, rejectsFile: `${file}.rejects.jsonl` });
    // Alice's Tmall membership changes to Bob's number; Bob's own Tmall membership is found by his openid
    await importMembers(services, 'tmall', [
      { channelMemberId: 'T1', phone: PHONE_B, unionid: 'oUnionAAAA01', openid: ALICE, points: '0', growth: '0' },
      { channelMemberId: 'T2', phone: PHONE_B, unionid: '', openid: BOB, points: '0', growth: '0' },
    ]);
    const bob = (await findWechatRecord(services.store.get.bind(services.store), BOB))!;
    const alice = (await findWechatRecord(services.store.get.bind(services.store), ALICE))!;
    return { bob, alice, key: `phone:${phoneKey(services.secrets.phoneHashKey, PHONE_A)}` };
  }

  it('answers PHONE_CONFLICT, records the refusal under the phone once, between Bob and Alice\'s member, and lists it', async () => {
    const { bob, alice, key } = await arrange();
    const recordsBefore = await services.dump('records');
    const membersBefore = await services.dump('members');

    expect(await onboard(BOB, PHONE_A)).toMatchObject({ ok: false, error: { code: 'PHONE_CONFLICT' } });

    // nothing of the binding is written: the members and the records are as they were (Bob's notes the refusal)
    expect(await services.dump('members')).toEqual(membersBefore);
    const notes = (r: RecordDoc) => (r._id === bob._id ? { ...r, refusedJoins: undefined, trail: undefined } : r);
    expect((await services.dump('records')).map((r) => notes(r as RecordDoc))).toEqual(recordsBefore.map((r) => notes(r as RecordDoc)));
    // recorded under the phone, asked for by Bob, against a record of Alice's member that carries the phone
    const doc = await services.store.get<ConflictDoc>('conflicts', key);
    expect(doc).not.toBeNull();
    const refusals = refusalsOf(doc!);
    expect(refusals).toHaveLength(1);
    expect(refusals[0]).toMatchObject({ askedBy: bob._id, reason: 'limit', limitType: 'tmall' });
    const other = (await services.store.get<RecordDoc>('records', refusals[0]!.between.find((id) => id !== bob._id)!))!;
    expect(refusals[0]!.between).toContain(bob._id);
    expect(other.memberId).toBe(alice.memberId);
    expect(other.identifiers.some((i) => `${i.type}:${i.value}` === key)).toBe(true);
    expect(((await services.store.get<RecordDoc>('records', bob._id))!).refusedJoins).toEqual([key]);

    // the CRM team sees it
    const listed = await runCliAt(services.clock, services.dbFile, 'members', 'conflicts');
    expect(listed.failed).toBe(false);
    expect(listed.out).toContain(`asked for by ${bob._id}`);

    // asked again (a new tap of the phone button): the same refusal, recorded once
    const conflictsAfter = await services.dump('conflicts');
    expect(await onboard(BOB, PHONE_A)).toMatchObject({ ok: false, error: { code: 'PHONE_CONFLICT' } });
    expect(await services.dump('conflicts')).toEqual(conflictsAfter);
  });
});
