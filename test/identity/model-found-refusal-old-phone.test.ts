/**
 * Found by the cross-capability model (two requests side by side, seed 424242, shipped rules): a
 * consumer whose member holds a Tmall membership binds a phone that another Tmall member carries,
 * and is refused (PHONE_CONFLICT, two Tmall memberships in one member); the refusal is recorded for
 * the CRM team. The partner's next member file then gives that Tmall member another phone. The
 * refusal no longer holds (in the model's run the phone's one carrier left was the consumer's to
 * join: binding it again went through), yet `members conflicts` kept listing it against a record that no longer carries the
 * phone. Had the file been imported between the refusal and its recording, recordRefusedJoins would
 * not have recorded it ("the other side no longer carries the value"); the walk keeping a join asked
 * for now drops it on the same ground (graph.store.ts, askedStanding). The model's conflicts check
 * now says so too (its refusals property found it at seed 47 without the fix).
 */
import { refusalsOf, type ConflictDoc } from '../../cloudfunctions/core/identity/graph.store';
import { findWechatRecord } from '../../cloudfunctions/core/identity/lookup';
import { phoneKey } from '../../cloudfunctions/core/identity/normalize';
import { recordRefusedJoins } from '../../cloudfunctions/core/identity/refused-joins';
import { listConflicts } from '../../cloudfunctions/core/identity/operator';
import { loadConfig } from '../../cloudfunctions/core/runtime/config';
import { boundConsumer, importMembers, memberOk } from '../support/members';
import { MODEL_PHONES, MODEL_START, MODEL_USERS } from '../support/model-scenarios';
import { openTestServices, type TestServices } from '../support/services';

const [OTHER, X, , U] = MODEL_USERS;
const [P1, P2, P3] = MODEL_PHONES;

describe('a refused phone binding whose other side changed phone', () => {
  let services: TestServices;
  beforeEach(() => {
    services = openTestServices(MODEL_START, { identity: loadConfig({}).identity });
  });
  afterEach(() => services.close());

  it('is no longer listed once the record it was refused against no longer carries the phone', async () => {
    const s = services;
    // the consumer (P1) and T3 (P2) are two members; binding P2 was refused against T3, and recorded
    // as the bindPhone path records it (reaching that refusal through the doors takes the model's
    // long prefix: an operator's merge, another consumer on P2, the model's hash keys)
    await boundConsumer(s, U, P1);
    // another consumer holds P2 too, and stays on it
    await boundConsumer(s, OTHER, P2);
    await importMembers(s, 'tmall', [{ channelMemberId: 'T3', phone: P2 }]);
    const asker = (await findWechatRecord(s.store.get.bind(s.store), U))!._id;
    await recordRefusedJoins(s, [{ type: 'phone', value: phoneKey(s.secrets.phoneHashKey, P2), askedBy: asker, other: 'tmall:T3', reason: 'limit', limitType: 'tmall' }]);
    expect((await listConflicts(s, 100)).conflicts).toHaveLength(1);
    s.clock.advance(1000);

    // T3's next export carries another phone: nothing carries P2 against the consumer any more
    await importMembers(s, 'tmall', [{ channelMemberId: 'T3', phone: P3 }]);
    expect((await listConflicts(s, 100)).conflicts).toEqual([]);
    const docs = (await s.dump('conflicts')) as ConflictDoc[];
    expect(docs.flatMap((doc) => refusalsOf(doc))).toEqual([]);
  });

  it('is no longer listed once the record it was refused against sets the phone aside (its card linked by another consumer)', async () => {
    const s = services;
    // the consumer (P1) was refused P2 against store card C1, which carries P2
    await boundConsumer(s, U, P1);
    await importMembers(s, 'offline', [{ channelMemberId: 'C1', phone: P2 }]);
    const asker = (await findWechatRecord(s.store.get.bind(s.store), U))!._id;
    await recordRefusedJoins(s, [{ type: 'phone', value: phoneKey(s.secrets.phoneHashKey, P2), askedBy: asker, other: 'offline:C1', reason: 'limit', limitType: 'offline' }]);
    expect((await listConflicts(s, 100)).conflicts).toHaveLength(1);
    s.clock.advance(1000);

    // another consumer (P3) links C1 by P2's last four digits: the card's old phone no longer decides
    // whom it belongs to (set aside on it), so binding P2 would join no one: the refusal is gone
    await boundConsumer(s, X, P3);
    expect(await memberOk(s, X, { action: 'linkOffline', cardNo: 'C1', last4: P2.slice(-4) })).toMatchObject({ status: 'linked' });
    expect((await listConflicts(s, 100)).conflicts).toEqual([]);
    expect(((await s.dump('conflicts')) as ConflictDoc[]).flatMap((doc) => refusalsOf(doc))).toEqual([]);
  });
});
