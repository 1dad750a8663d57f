import fc from 'fast-check';
import { cluster, type ClusterRecord, type ClusterRules } from '../../cloudfunctions/core/identity/cluster';

/**
 * Mutation-testing gaps in the followers of `cluster` (records known by phone alone, `buyer:`):
 * who a refused follower is reported against, and that a follower already in the group holding
 * another of its values stays in it.
 */

const rules: ClusterRules = { limits: { phone: 1, unionid: 1 }, priority: ['unionid', 'phone', 'email'], follows: (id) => id.startsWith('buyer:') };
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
    const { groups, conflicts } = cluster(records, new Set(), rules);
    expect(groups).toEqual([['buyer:b'], ['jd:H1', 'jd:H2', 'jd:H3']]);
    expect(conflicts).toEqual([{ type: 'phone', value: 'P1', between: ['buyer:b', 'jd:H1'], reason: 'limit', limitType: 'unionid' }]);
  });

  it('a follower already in the group holding its other value stays there: every record is in exactly one group', () => {
    const records: ClusterRecord[] = [
      { id: 'jd:H1', identifiers: [phone('P1'), { type: 'email', value: 'e' }] },
      { id: 'buyer:b', identifiers: [phone('P1'), { type: 'email', value: 'e' }] },
    ];
    expect(cluster(records, new Set(), rules).groups).toEqual([['buyer:b', 'jd:H1']]);
  });

  it('property: whatever the records and followers, every record is in exactly one group', () => {
    const id = fc.constantFrom('jd:A', 'jd:B', 'tmall:C', 'buyer:d', 'buyer:e', 'buyer:f');
    const identifier = fc.record({ type: fc.constantFrom('phone', 'email', 'unionid'), value: fc.constantFrom('1', '2', '3') });
    fc.assert(fc.property(fc.uniqueArray(fc.record({ id, identifiers: fc.array(identifier, { maxLength: 3 }) }), { selector: (r) => r.id }), (records) => {
      const ids = cluster(records, new Set(), rules).groups.flat().sort();
      expect(ids).toEqual(records.map((r) => r.id).sort());
    }));
  });
});
