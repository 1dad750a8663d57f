/**
 * A sequence the cross-capability model found (test/model/cross-capability.test.ts, identity rules
 * allowing two phones a member): a consumer binding the phone of another consumer's member, whose
 * Tmall membership (joined to it by openid) the limit of one Tmall id keeps from the binder's own.
 * member.bindPhone answers PHONE_CONFLICT, and the refused binding must be recorded once for the CRM
 * team under the phone (docs/cli.md, `members conflicts`), also when the walk of the graph names the
 * refusal between the phone's other carriers: the binder's record joins the phone's imported buyer
 * record on the way, and the refusal names that record, not the binder's.
 */
import { refusalsOf, type ConflictDoc, type RecordDoc } from '../../cloudfunctions/core/identity/graph.store';
import { findWechatRecord } from '../../cloudfunctions/core/identity/lookup';
import { phoneKey } from '../../cloudfunctions/core/identity/normalize';
import { importOrdersFile } from '../../cloudfunctions/core/orders/import.store';
import { runCliAt } from '../support/cli';
import { importMembers, writeRows } from '../support/members';
import { MODEL_PHONES, MODEL_USERS, modelConsumers, twoPhonesAMember, withModelKeys } from '../support/model-scenarios';
import type { TestServices } from '../support/services';

const [ALICE, BOB] = MODEL_USERS;
const [PHONE_A, PHONE_B] = MODEL_PHONES;

describe('a phone binding refused because the phone\'s member holds another Tmall id (two phones a member allowed)', () => {
  const model = withModelKeys();
  let services: TestServices;
  beforeEach(() => {
    services = model.open(twoPhonesAMember());
  });
  afterEach(() => services.close());

  const { onboard } = modelConsumers(() => services);

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
