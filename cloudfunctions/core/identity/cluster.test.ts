import fc from 'fast-check';
import { runs, timeoutFor } from '../../../test/support/property';
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
    }), { numRuns: runs(300) });
  }, timeoutFor());

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
    }), { numRuns: runs(300) });
  }, timeoutFor());
});

/**
 * Followers (records known by phone alone, `buyer:`): who a refused follower is reported against,
 * and that a follower already in the group holding another of its values stays in it.
 */
const followerRules: ClusterRules = { limits: { phone: 1, unionid: 1 }, priority: ['unionid', 'phone', 'email'], follows: (id) => id.startsWith('buyer:') };
const phone = (value: string) => ({ type: 'phone', value });

describe('followers in cluster', () => {
  it('a follower refused by the one group holding its phone is reported against that group\'s first carrier of the phone', () => {
    const records: ClusterRecord[] = [
      { id: 'jd:H1', identifiers: [phone('P1'), { type: 'unionid', value: 'U1' }] },
      { id: 'jd:H2', identifiers: [phone('P1')] },
      { id: 'jd:H3', identifiers: [phone('P1')] },
      // the buyer's own group holds another unionid: it cannot join
      { id: 'buyer:b', identifiers: [phone('P1'), { type: 'unionid', value: 'U2' }] },
    ];
    const { groups, conflicts } = cluster(records, new Set(), followerRules);
    expect(groups).toEqual([['buyer:b'], ['jd:H1', 'jd:H2', 'jd:H3']]);
    expect(conflicts).toEqual([{ type: 'phone', value: 'P1', between: ['buyer:b', 'jd:H1'], reason: 'limit', limitType: 'unionid' }]);
  });

  it('a follower already in the group holding its other value stays there: every record is in exactly one group', () => {
    const records: ClusterRecord[] = [
      { id: 'jd:H1', identifiers: [phone('P1'), { type: 'email', value: 'e' }] },
      { id: 'buyer:b', identifiers: [phone('P1'), { type: 'email', value: 'e' }] },
    ];
    expect(cluster(records, new Set(), followerRules).groups).toEqual([['buyer:b', 'jd:H1']]);
  });

  it('property: whatever the records and followers, every record is in exactly one group', () => {
    const id = fc.constantFrom('jd:A', 'jd:B', 'tmall:C', 'buyer:d', 'buyer:e', 'buyer:f');
    const identifier = fc.record({ type: fc.constantFrom('phone', 'email', 'unionid'), value: fc.constantFrom('1', '2', '3') });
    fc.assert(fc.property(fc.uniqueArray(fc.record({ id, identifiers: fc.array(identifier, { maxLength: 3 }) }), { selector: (r) => r.id }), (records) => {
      const ids = cluster(records, new Set(), followerRules).groups.flat().sort();
      expect(ids).toEqual(records.map((r) => r.id).sort());
    }));
  });
});
