import { cluster } from '../../cloudfunctions/core/identity/cluster';
import type { ValueDoc } from '../../cloudfunctions/core/identity/graph.store';
import { identityRules } from '../../cloudfunctions/core/identity/identity.rules';
import { reconcile, type RecordState } from '../../cloudfunctions/core/identity/reconcile';
import { importMembers } from '../support/members';
import { openTestServices, type TestServices } from '../support/services';

/** Orderings (priority, age, founders) and guards of the identity graph, each a slip the rest of the suite would let pass (found by hand-made mutation testing). */
describe('identity: orderings and guards', () => {
  let services: TestServices;
  beforeEach(() => { services = openTestServices(); });
  afterEach(() => services.close());

  const rec = (id: string, ...identifiers: [string, string][]) => ({ id, identifiers: identifiers.map(([type, value]) => ({ type, value })) });

  // guards against (cluster ignoring the configured priority): unionid is tried before email, so when the two
  // joins cannot both be made (one phone per member), the unionid one is made.
  it('joins by the configured priority when a limit lets only one of two joins through', () => {
    const records = [rec('offline:X', ['phone', 'P1'], ['email', 'E']), rec('tmall:Y', ['email', 'E'], ['unionid', 'U']), rec('wechat:Z', ['unionid', 'U'], ['phone', 'P2'])];
    const { groups, conflicts } = cluster(records, new Set(), identityRules(services));
    expect(groups).toEqual([['offline:X'], ['tmall:Y', 'wechat:Z']]);
    expect(conflicts).toEqual([{ type: 'email', value: 'E', between: ['offline:X', 'tmall:Y'], reason: 'limit', limitType: 'phone' }]);
  });

  // guards against (identity.rules putting 'link' last): an operator's link is tried before anything else.
  it('tries an operator\'s link before any shared value', () => {
    const records = [rec('offline:X', ['phone', 'P1'], ['link', 'link_1']), rec('tmall:Y', ['link', 'link_1'], ['email', 'E']), rec('jd:Z', ['email', 'E'], ['phone', 'P2'])];
    const { groups, conflicts } = cluster(records, new Set(), identityRules(services));
    expect(groups).toEqual([['jd:Z'], ['offline:X', 'tmall:Y']]);
    expect(conflicts).toMatchObject([{ type: 'email', value: 'E', reason: 'limit', limitType: 'phone' }]);
  });

  const state = (memberId: string | null, homeMemberId: string | null, createdAt: string): RecordState => ({ memberId, homeMemberId, createdAt });
  const counter = () => { let n = 0; return () => `m_new${++n}`; };

  // guards against (members placed in id order, not oldest first): ids need not sort by age (CloudBase ids do not).
  it('a merge keeps the older member even when its id sorts after the younger one\'s', () => {
    const records = new Map([['offline:1', state('mA', 'mA', '2026-02-01T00:00:00.000Z')], ['tmall:2', state('mB', 'mB', '2026-01-01T00:00:00.000Z')]]);
    const createdAt = new Map([['mA', '2026-02-01T00:00:00.000Z'], ['mB', '2026-01-01T00:00:00.000Z']]);
    const plan = reconcile([['offline:1', 'tmall:2']], records, createdAt, counter());
    expect([...plan.assignment]).toEqual([['offline:1', 'mB'], ['tmall:2', 'mB']]);
    expect(plan.retired).toEqual([{ memberId: 'mA', into: 'mB', records: ['offline:1'] }]);
  });

  // guards against (retired.into the member that took the fewest records)
  it('a retired member is recorded as merged into the member that took most of its records', () => {
    const t = '2026-01-01T00:00:00.000Z';
    const records = new Map([['jd:3', state('mX', 'mB', t)], ['offline:1', state('mX', 'mA', t)], ['tmall:2', state('mX', 'mA', t)]]);
    const createdAt = new Map([['mA', '2026-01-01T00:00:00.000Z'], ['mB', '2026-01-02T00:00:00.000Z'], ['mX', '2026-01-03T00:00:00.000Z']]);
    const plan = reconcile([['jd:3'], ['offline:1', 'tmall:2']], records, createdAt, counter());
    expect(plan.members).toEqual(new Map([['mB', ['jd:3']], ['mA', ['offline:1', 'tmall:2']]]));
    expect(plan.retired).toEqual([{ memberId: 'mX', into: 'mA', records: ['jd:3', 'offline:1', 'tmall:2'] }]);
  });

  // guards against (a kept founder used although it was rehomed to another member)
  it('a founder kept by a member but rehomed to another no longer founds it', () => {
    const records = new Map([['offline:1', state('mA', 'mA', '2026-01-02T00:00:00.000Z')], ['tmall:2', state('mB', 'mB', '2026-01-01T00:00:00.000Z')]]);
    const createdAt = new Map([['mB', '2026-01-01T00:00:00.000Z'], ['mA', '2026-01-02T00:00:00.000Z']]);
    const plan = reconcile([['offline:1'], ['tmall:2']], records, createdAt, counter(), new Map([['mB', 'offline:1']]));
    expect([...plan.assignment]).toEqual([['offline:1', 'mA'], ['tmall:2', 'mB']]);
    expect(plan.created).toEqual([]);
    expect(plan.founders.get('mB')).toBe('tmall:2');
  });

  const valueOfType = async (type: string) => ((await services.dump('identifiers')) as ValueDoc[]).filter((d) => d.type === type);

  // guards against (an identifier document leading to a member although several members hold the value)
  it('a value two members hold (a limit kept them apart) leads to no member', async () => {
    await importMembers(services, 'offline', [{ channelMemberId: 'C1', phone: '13812340001', email: 'li@x.cn' }]);
    await importMembers(services, 'tmall', [{ channelMemberId: 'T1', phone: '13812340002', email: 'li@x.cn' }]);
    const members = (await services.dump('members')).filter((m) => (m as unknown as { status: string }).status === 'active');
    expect(members).toHaveLength(2);
    const [email] = await valueOfType('email');
    expect(email).toMatchObject({ quarantined: false, memberId: null });
    expect(email!.records.sort()).toEqual(['offline:C1', 'tmall:T1']);
    // each phone still leads to its one member
    for (const phone of await valueOfType('phone')) expect(phone.memberId).not.toBeNull();
  });

  // guards against (RECORDS_CAP not applied: the identifiers document lists every record)
  it('a value carried by many records lists at most 64 of them, counting them all', async () => {
    const rows = Array.from({ length: 70 }, (_, i) => ({ channelMemberId: `C${String(i).padStart(3, '0')}`, phone: '13812345678' }));
    await importMembers(services, 'offline', rows);
    const [phone] = await valueOfType('phone');
    expect(phone).toMatchObject({ quarantined: true, memberId: null, channels: { offline: 70 } });
    expect(phone!.records).toHaveLength(64);
  });
});
