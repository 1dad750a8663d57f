/**
 * Found by the cross-capability model (refusal steps, seed 8, two phones a member): a consumer's
 * phone binding refused, asked for again later when the phone's carriers were in two members, is
 * recorded twice under the phone, once against each member (two refusals, rightly). When the two
 * carriers' records then become one member, both refusals name the same two members: `members
 * conflicts` listed the one refused binding twice. A value lists each pair of members once
 * (graph.store.ts, ConflictDoc; refused-joins.ts records a join asked again once).
 */
import { refusalsOf, type ConflictDoc, type MergeDoc, type RecordDoc } from '../../cloudfunctions/core/identity/graph.store';
import { findWechatRecord } from '../../cloudfunctions/core/identity/lookup';
import { phoneKey } from '../../cloudfunctions/core/identity/normalize';
import { runCliAt } from '../support/cli';
import { importMembers } from '../support/members';
import { MODEL_PHONES, MODEL_USERS, modelConsumers, twoPhonesAMember, withModelKeys } from '../support/model-scenarios';
import type { TestServices } from '../support/services';

const [U0, U1, U2] = MODEL_USERS;
const [P0, P1, P2] = MODEL_PHONES;
const UNION = 'oUnionAAAA01';

const row = (channelMemberId: string, phone: string, unionid: string, openid: string) => ({ channelMemberId, phone, unionid, openid, points: '0', growth: '0' });

describe('a refused phone binding asked again is listed once when the phone\'s carriers become one member (two phones a member)', () => {
  const model = withModelKeys();
  let services: TestServices;
  beforeEach(() => {
    services = model.open(twoPhonesAMember(), { cliReadsRules: true });
  });
  afterEach(() => services.close());

  const { onboard, onboarding } = modelConsumers(() => services);

  /**
   * The model's shrunk steps up to the refused binding sent again: U0's binding of P1 is refused
   * twice, once against Tmall T2's member and once against store card C1's (each holding a Tmall
   * id, as U0's member does).
   */
  async function arrange() {
    const s = services;
    await importMembers(s, 'tmall', [row('T2', P1, '', U0), row('T1', P0, '', U0), row('T1', P0, '', U0)]);
    await importMembers(s, 'offline', [row('C1', P0, '', '')]);
    const refused = onboarding(U0, P1);
    expect(await refused()).toMatchObject({ ok: false, error: { code: 'PHONE_CONFLICT' } });
    expect(await onboard(U1, P0)).toMatchObject({ ok: true });
    await importMembers(s, 'tmall', [row('T1', P0, UNION, U0)]);
    await importMembers(s, 'offline', [row('C1', P1, '', U2)]);
    expect(await onboard(U0, P0)).toMatchObject({ ok: true });
    await importMembers(s, 'tmall', [row('T3', P0, UNION, U2)]);
    // the operator undoes the first merge (U1's consumer joined by P0)
    const merge = ((await s.dump('merges')) as MergeDoc[]).find((m) => m.kind === 'merge')!;
    expect((await runCliAt(s.clock, s.dbFile, 'members', 'unmerge', merge._id)).failed).toBe(false);
    // the refused binding sent again: P1's carriers T2 and C1 are in two members now
    expect(await refused()).toMatchObject({ ok: false, error: { code: 'PHONE_CONFLICT' } });
    const key = `phone:${phoneKey(s.secrets.phoneHashKey, P1)}`;
    const asker = (await findWechatRecord(s.store.get.bind(s.store), U0))!;
    const asked = refusalsOf((await s.store.get<ConflictDoc>('conflicts', key))!).filter((r) => r.askedBy === asker._id);
    expect(asked.map((r) => r.between.find((id) => id !== asker._id)).sort()).toEqual(['offline:C1', 'tmall:T2']);
    return { key, asker };
  }

  /** Each value's refusals whose records are in the same two live members as an earlier one of the value's. */
  async function listedTwice(): Promise<string[]> {
    const s = services;
    const memberOf = async (id: string) => (await s.store.get<RecordDoc>('records', id))?.memberId ?? null;
    const twice: string[] = [];
    for (const doc of (await s.dump('conflicts')) as ConflictDoc[]) {
      const pairs = new Set<string>();
      for (const refusal of refusalsOf(doc)) {
        const [a, b] = [await memberOf(refusal.between[0]!), await memberOf(refusal.between[1]!)];
        if (refusal.askedBy && a === b) continue;
        const pair = [a, b].sort().join(' / ');
        if (pairs.has(pair)) twice.push(`${doc.type} (${refusal.between.join(' / ')}): ${pair}`);
        pairs.add(pair);
      }
    }
    return twice;
  }

  async function expectListedOnce(asker: RecordDoc) {
    expect(await listedTwice()).toEqual([]);
    const listed = await runCliAt(services.clock, services.dbFile, 'members', 'conflicts');
    expect(listed.failed).toBe(false);
    const lines = listed.out.split('\n').filter((line) => line.includes(`asked for by ${asker._id}`));
    expect(lines).toHaveLength(1);
  }

  it('a Tmall import moves T2 to another phone and into card C1\'s member: the binding is listed once', async () => {
    const { key, asker } = await arrange();
    // T2 now carries P0 and U2's openid, which C1 carries too: T2 and C1 are one member
    await importMembers(services, 'tmall', [row('T2', P0, UNION, U2)]);
    const t2 = (await services.store.get<RecordDoc>('records', 'tmall:T2'))!;
    const c1 = (await services.store.get<RecordDoc>('records', 'offline:C1'))!;
    expect(t2.memberId).toBe(c1.memberId);
    expect(asker.memberId).not.toBe(c1.memberId);
    // still refused, once
    expect(refusalsOf((await services.store.get<ConflictDoc>('conflicts', key))!).filter((r) => r.askedBy === asker._id)).toHaveLength(1);
    await expectListedOnce(asker);
  });

  it('T3 leaves card C1\'s member, so C1 joins T2 by the phone both still carry: the binding is listed once', async () => {
    const { key, asker } = await arrange();
    // T3 no longer carries C1's openid: nothing keeps C1 from T2, the other carrier of P1
    await importMembers(services, 'tmall', [row('T3', P2, '', '')]);
    const t2 = (await services.store.get<RecordDoc>('records', 'tmall:T2'))!;
    const c1 = (await services.store.get<RecordDoc>('records', 'offline:C1'))!;
    expect(t2.memberId).toBe(c1.memberId);
    expect(refusalsOf((await services.store.get<ConflictDoc>('conflicts', key))!).filter((r) => r.askedBy === asker._id)).toHaveLength(1);
    await expectListedOnce(asker);
    // asked once more: the same refusal, nothing recorded
    const conflictsBefore = await services.dump('conflicts');
    expect(await onboard(U0, P1)).toMatchObject({ ok: false, error: { code: 'PHONE_CONFLICT' } });
    expect(await services.dump('conflicts')).toEqual(conflictsBefore);
  });
});
