import fc from 'fast-check';
import { cluster, type ClusterRecord, type ClusterRules } from './cluster';

const rules: ClusterRules = { limits: { phone: 1, unionid: 1, tmall: 1 }, priority: ['unionid', 'openid', 'phone', 'tmall', 'offline', 'email'] };
const rec = (id: string, ...pairs: string[]): ClusterRecord => ({
  id,
  identifiers: pairs.map((pair) => {
    const [type, value] = pair.split('=') as [string, string];
    return { type, value };
  }),
});

describe('cluster', () => {
  it('joins a WeChat user, a Tmall member and a store card that share a phone', () => {
    const result = cluster([
      rec('wechat:o1', 'openid=o1', 'phone=P1'),
      rec('tmall:T1', 'tmall=T1', 'phone=P1'),
      rec('offline:C1', 'offline=C1', 'phone=P1'),
      rec('offline:C2', 'offline=C2', 'phone=P2'),
    ], new Set(), rules);
    expect(result.groups).toEqual([['offline:C1', 'tmall:T1', 'wechat:o1'], ['offline:C2']]);
    expect(result.conflicts).toEqual([]);
  });

  it('joins through a chain of different identifiers', () => {
    const result = cluster([
      rec('wechat:o1', 'openid=o1', 'unionid=U1'),
      rec('offline:C1', 'offline=C1', 'unionid=U1', 'email=a@b.cn'),
      rec('jd:J1', 'jd=J1', 'email=a@b.cn'),
    ], new Set(), rules);
    expect(result.groups).toEqual([['jd:J1', 'offline:C1', 'wechat:o1']]);
  });

  it('refuses a join that would give one member two phones, and reports it', () => {
    const result = cluster([
      rec('wechat:o1', 'openid=o1', 'unionid=U1', 'phone=P1'),
      rec('wechat:o2', 'openid=o2', 'unionid=U1', 'phone=P2'),
    ], new Set(), rules);
    expect(result.groups).toEqual([['wechat:o1'], ['wechat:o2']]);
    expect(result.conflicts).toEqual([{ type: 'unionid', value: 'U1', between: ['wechat:o1', 'wechat:o2'], reason: 'limit', limitType: 'phone' }]);
  });

  it('refuses two Tmall memberships in one member', () => {
    const result = cluster([rec('tmall:T1', 'tmall=T1', 'phone=P1'), rec('tmall:T2', 'tmall=T2', 'phone=P1')], new Set(), rules);
    expect(result.groups).toEqual([['tmall:T1'], ['tmall:T2']]);
    expect(result.conflicts[0]).toMatchObject({ type: 'phone', limitType: 'tmall' });
  });

  it('never joins through an excluded (quarantined or blocked) value', () => {
    const result = cluster([rec('offline:C1', 'phone=SHOP'), rec('offline:C2', 'phone=SHOP')], new Set(['phone:SHOP']), rules);
    expect(result.groups).toEqual([['offline:C1'], ['offline:C2']]);
    expect(result.conflicts).toEqual([]);
  });

  it('keeps apart records an operator separated, even when they share a value', () => {
    const result = cluster([{ ...rec('offline:C1', 'email=x@y.cn'), apart: ['offline:C2'] }, rec('offline:C2', 'email=x@y.cn')], new Set(), rules);
    expect(result.groups).toEqual([['offline:C1'], ['offline:C2']]);
    expect(result.conflicts[0]).toMatchObject({ reason: 'apart' });
  });

  it('lets a carrier refused by one group join another group of the same value', () => {
    // o2 cannot join o1 (different phones) but can join o3, which has no phone.
    const result = cluster([
      rec('wechat:o1', 'email=e', 'phone=P1'),
      rec('wechat:o2', 'email=e', 'phone=P2'),
      rec('wechat:o3', 'email=e', 'phone=P2'),
    ], new Set(), rules);
    expect(result.groups).toEqual([['wechat:o1'], ['wechat:o2', 'wechat:o3']]);
  });

  const identifierArb = fc.oneof(
    fc.constantFrom('P1', 'P2', 'P3', 'P4').map((value) => ({ type: 'phone', value })),
    fc.constantFrom('U1', 'U2', 'U3').map((value) => ({ type: 'unionid', value })),
    fc.constantFrom('T1', 'T2', 'T3').map((value) => ({ type: 'tmall', value })),
    fc.constantFrom('e1', 'e2', 'e3').map((value) => ({ type: 'email', value })),
  );
  const recordsArb = fc.uniqueArray(
    fc.record({ id: fc.string({ minLength: 1, maxLength: 4 }), identifiers: fc.array(identifierArb, { maxLength: 3 }) }),
    { selector: (r) => r.id, maxLength: 25 },
  );

  it('gives the same partition whatever order the records arrive in (property)', () => {
    fc.assert(fc.property(recordsArb, fc.infiniteStream(fc.nat()), fc.subarray(['phone:P1', 'email:e1']), (records, randoms, excluded) => {
      const shuffled = records.map((r) => [randoms.next().value, r] as const).sort((a, b) => a[0] - b[0]).map(([, r]) => r);
      const reversed = [...records].reverse().map((r) => ({ ...r, identifiers: [...r.identifiers].reverse() }));
      const expected = cluster(records, new Set(excluded), rules).groups;
      expect(cluster(shuffled, new Set(excluded), rules).groups).toEqual(expected);
      expect(cluster(reversed, new Set(excluded), rules).groups).toEqual(expected);
    }), { numRuns: 300 });
  });

  it('never lets a member exceed a limit, and keeps every record exactly once (property)', () => {
    fc.assert(fc.property(recordsArb, (records) => {
      const { groups } = cluster(records, new Set(), rules);
      expect(groups.flat().sort()).toEqual(records.map((r) => r.id).sort());
      const byId = new Map(records.map((r) => [r.id, r]));
      for (const group of groups) {
        for (const type of ['phone', 'unionid', 'tmall']) {
          const valuesOf = (id: string) => new Set(byId.get(id)!.identifiers.filter((i) => i.type === type).map((i) => i.value));
          const values = new Set(group.flatMap((id) => [...valuesOf(id)]));
          // a joined member holds one value, unless a single record brought several itself
          const ownMost = Math.max(...group.map((id) => valuesOf(id).size));
          expect(values.size).toBeLessThanOrEqual(Math.max(1, ownMost));
        }
      }
    }), { numRuns: 300 });
  });
});
