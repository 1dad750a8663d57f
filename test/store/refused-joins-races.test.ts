/**
 * A refused join is recorded in a transaction of its own (identity/refused-joins.ts), which on
 * CloudBase may run beside the asking consumer's erasure (identity/erase.ts) on one snapshot. Under
 * MongoDB's snapshot isolation the two collide only on a document both write: the recording must
 * write one the erasure writes too, or a refusal naming the erased consumer is left for the CRM team.
 * Run through the real wx-server-sdk against the local responder, both transactions held at their
 * first read until both have started.
 */
import { deleteMember } from '../../cloudfunctions/core/identity/erase';
import type { RecordDoc, ValueDoc } from '../../cloudfunctions/core/identity/graph.store';
import { liveMember } from '../../cloudfunctions/core/identity/lookup';
import { mergeMembers, unmergeMembers } from '../../cloudfunctions/core/identity/operator';
import { recordRefusedJoins, type AskedJoin } from '../../cloudfunctions/core/identity/refused-joins';
import { memberFunction } from '../../cloudfunctions/core/functions/member';
import { invoke } from '../../cloudfunctions/core/runtime/handler';
import type { Services } from '../../cloudfunctions/core/runtime/services';
import { CloudBaseStore } from '../../cloudfunctions/core/store/cloudbase';
import { COLLECTIONS } from '../../cloudfunctions/core/store/collections';
import type { Doc, DocStore, Tx } from '../../cloudfunctions/core/store/port';
import { responderForTests } from '../support/cloudbase-responder';
import { importMembers } from '../support/members';
import { callerOf, openTestServices, reconfigured, type TestServices } from '../support/services';

const { responder, database } = responderForTests();

/** `inner`, each transaction's first run held after its first read until `parties` first runs have read; reruns pass. */
function meetingAtFirstRead(inner: DocStore, parties: number): DocStore {
  let arrived = 0;
  let release!: () => void;
  const met = new Promise<void>((resolve) => (release = resolve));
  return {
    transaction: (fn) => {
      let first = true;
      return inner.transaction((tx: Tx) => {
        let hold = first;
        first = false;
        return fn({
          ...tx,
          get: async (collection, id) => {
            const doc = await tx.get(collection, id);
            if (hold) {
              hold = false;
              if (++arrived === parties) release();
              await met;
            }
            return doc as never;
          },
        });
      });
    },
    get: (collection, id) => inner.get(collection, id),
    updateIf: (collection, id, expected, patch) => inner.updateIf(collection, id, expected, patch),
    query: (collection, options) => inner.query(collection, options),
    close: () => inner.close(),
  };
}

let base: TestServices;
afterEach(() => base.close());

const OPENID = 'openid_u1_xx';

/** The state built on SQLite, copied into the responder; the same keys, clock and config, on CloudBase. */
async function onCloud(parties: number): Promise<Services> {
  responder.reset();
  for (const collection of Object.keys(COLLECTIONS)) for (const doc of await base.dump(collection)) responder.seed(collection, doc as Doc);
  return { ...base, store: meetingAtFirstRead(new CloudBaseStore(database()), parties) };
}

const memberOf = async (s: Services, recordId: string) =>
  (await liveMember(s.store.get.bind(s.store), (await s.store.get<RecordDoc>('records', recordId))?.memberId ?? null))?._id ?? null;

it('a refused card link recorded while its asker erases themselves: no refusal is left naming the erased consumer', async () => {
  base = openTestServices();
  // C1 holds a unionid; the consumer holds another: linking C1 is refused, and listed under the card
  await importMembers(base, 'offline', [{ channelMemberId: 'C1', phone: '13700000009', unionid: 'union_card_1' }]);
  const as = (event: Record<string, unknown>) => invoke(memberFunction, event, { openid: OPENID, unionid: 'union_mine_1', appid: 'dev' }, base);
  expect(await as({ action: 'consent', version: base.config.termsVersion })).toMatchObject({ ok: true });
  expect(await as({ action: 'bindPhone', code: `dev:13912345678:${base.clock.now()}` })).toMatchObject({ ok: true });
  expect(await as({ action: 'linkOffline', cardNo: 'C1', last4: '0009' })).toMatchObject({ ok: false, error: { details: { reason: 'cannot_join' } } });
  const asker = (await base.store.get<ValueDoc>('identifiers', `openid:${OPENID}`))!.records.find((id) => id.startsWith('wechat:'))!;
  // an operator joins the two (the refusal goes) and separates them again: the consumer's record
  // still notes the card, under which nothing is listed now
  const relaxed = reconfigured(base, (config) => { config.identity.limits.unionid = 2; config.identity.limits.phone = 2; });
  const merge = await mergeMembers(relaxed, (await memberOf(base, asker))!, (await memberOf(base, 'offline:C1'))!);
  await unmergeMembers(relaxed, merge._id);
  expect((await base.store.get<RecordDoc>('records', asker))!.refusedJoins).toEqual(['offline:C1']);
  expect(await base.dump('conflicts')).toEqual([]);

  // asked again and refused: its recording runs beside the consumer's erasure, on one snapshot
  const services = await onCloud(2);
  const refused: AskedJoin[] = [{ type: 'offline', value: 'C1', askedBy: asker, other: 'offline:C1', reason: 'limit', limitType: 'unionid' }];
  const [erased, recorded] = await Promise.allSettled([
    deleteMember(services, { ...callerOf(OPENID), openid: OPENID }),
    recordRefusedJoins(services, refused),
  ]);
  expect(erased.status).toBe('fulfilled');
  expect(recorded.status).toBe('fulfilled');
  expect(responder.peek('records', asker)).toBeUndefined();
  // recorded first: the erasure takes it away; erased first: the recording finds no one to name
  expect(responder.peek('conflicts', 'offline:C1')).toBeUndefined();
});
