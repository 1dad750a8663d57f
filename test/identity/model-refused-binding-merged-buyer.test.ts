/**
 * A sequence the cross-capability model found (test/model/cross-capability.test.ts, identity rules
 * allowing two phones a member), run through the same calls its steps make: a consumer bound to one
 * phone, every order imported (buyer records by Tmall id and by phone), two of the resulting members
 * merged by the operator, the consumer's own Tmall membership imported (by openid, with the phone),
 * the phone bound again, then a second phone bound. member.bindPhone answers PHONE_CONFLICT, and the
 * refused binding must be recorded for the CRM team under the second phone (docs/cli.md, `members conflicts`).
 */
import { refusalsOf, type ConflictDoc, type MemberDoc, type RecordDoc } from '../../cloudfunctions/core/identity/graph.store';
import { findWechatRecord } from '../../cloudfunctions/core/identity/lookup';
import { phoneKey } from '../../cloudfunctions/core/identity/normalize';
import { importOrdersFile } from '../../cloudfunctions/core/orders/import.store';
import { runCliAt } from '../support/cli';
import { importMembers, member, writeRows } from '../support/members';
import { MODEL_PHONES, MODEL_USERS, modelConsumers, twoPhonesAMember, withModelKeys } from '../support/model-scenarios';
import type { TestServices } from '../support/services';

const [ALICE] = MODEL_USERS;
const [PHONE_A, PHONE_B] = MODEL_PHONES;
const SHOP = '13912349999';
const ORDERS = [
  { orderId: '9001', channelMemberId: 'T1', amountFen: 9900 },
  { orderId: '9002', channelMemberId: 'T2', amountFen: 5000 },
  { orderId: '9003', phone: PHONE_A, amountFen: 12000 },
  { orderId: '9004', channelMemberId: 'T3', amountFen: 3000 },
  { orderId: '9005', phone: SHOP, amountFen: 2000 },
  { orderId: '9006', phone: PHONE_B, amountFen: 700 },
];

describe('a second phone refused after an operator merged two buyers and the consumer\'s Tmall membership came in (two phones a member)', () => {
  const model = withModelKeys();
  let services: TestServices;
  beforeEach(() => {
    services = model.open(twoPhonesAMember(), { cliReadsRules: true });
  });
  afterEach(() => services.close());

  const { onboard, phoneCode } = modelConsumers(() => services);

  it('answers PHONE_CONFLICT and records the refusal under the phone, asked for by the consumer', async () => {
    expect(await onboard(ALICE, PHONE_A)).toMatchObject({ ok: true });
    const file = writeRows(ORDERS.map((o) => ({ channelMemberId: '', phone: '', ...o, paidAt: '2026-11-20 10:00:00', status: 'paid', refundFen: '' })));
    await importOrdersFile(services, { channel: 'tmall', file, rejectsFile: `${file}.rejects.jsonl` });
    // the model's `merge a=1 b=1`: the second live member, and the second of the others
    const live = ((await services.dump('members')) as MemberDoc[]).filter((m) => m.status === 'active');
    const a = live[1 % live.length]!;
    const b = live.filter((m) => m !== a)[1 % (live.length - 1)]!;
    const merged = await runCliAt(services.clock, services.dbFile, 'members', 'merge', a._id, b._id);
    expect(merged.failed).toBe(false);
    await importMembers(services, 'tmall', [{ channelMemberId: 'T1', phone: PHONE_A, unionid: 'oUnionAAAA01', openid: ALICE, points: '0', growth: '0' }]);
    expect(await member(services, ALICE, { action: 'bindPhone', code: phoneCode(PHONE_A) })).toMatchObject({ ok: true });

    const alice = (await findWechatRecord(services.store.get.bind(services.store), ALICE))!;
    const membersBefore = await services.dump('members');
    expect(await onboard(ALICE, PHONE_B)).toMatchObject({ ok: false, error: { code: 'PHONE_CONFLICT' } });
    expect(await services.dump('members')).toEqual(membersBefore);

    const key = `phone:${phoneKey(services.secrets.phoneHashKey, PHONE_B)}`;
    const doc = await services.store.get<ConflictDoc>('conflicts', key);
    expect(doc).not.toBeNull();
    const refusals = refusalsOf(doc!);
    expect(refusals).toHaveLength(1);
    expect(refusals[0]).toMatchObject({ askedBy: alice._id, reason: 'limit' });
    expect(refusals[0]!.between).toContain(alice._id);
    const other = (await services.store.get<RecordDoc>('records', refusals[0]!.between.find((id) => id !== alice._id)!))!;
    expect(other.memberId).not.toBe(alice.memberId);

    // the CRM team sees it; asked again, it is the same refusal
    const listed = await runCliAt(services.clock, services.dbFile, 'members', 'conflicts');
    expect(listed.out).toContain(`asked for by ${alice._id}`);
    const conflictsAfter = await services.dump('conflicts');
    expect(await onboard(ALICE, PHONE_B)).toMatchObject({ ok: false, error: { code: 'PHONE_CONFLICT' } });
    expect(await services.dump('conflicts')).toEqual(conflictsAfter);
  });
});
