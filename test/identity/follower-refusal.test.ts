/**
 * cluster.ts: a buyer record known by phone alone (a follower) joins the one group holding its phone.
 * When a limit refuses that join (the buyer's own group, which an operator's merge link gave another
 * phone, would give the holder's member one phone too many), the refusal is reported like any other
 * refused join, between the buyer and a record of the holder's group carrying the phone: it is what
 * bindPhone turns into the consumer's refused binding for the CRM team (test/identity/
 * model-refused-binding-merged-buyer.test.ts). Two holders a limit keeps apart refuse nothing: the
 * buyer waits, and only the holders' own refusal is reported.
 */
import { cluster, type ClusterRecord, type ClusterRules } from '../../cloudfunctions/core/identity/cluster';

const rules: ClusterRules = { limits: { phone: 2, tmall: 1 }, priority: ['unionid', 'openid', 'phone', 'tmall', 'offline', 'link'], follows: (id) => id.startsWith('buyer:') };
const rec = (id: string, ...pairs: string[]): ClusterRecord => ({
  id,
  identifiers: pairs.map((pair) => {
    const [type, value] = pair.split('=') as [string, string];
    return { type, value };
  }),
});

describe('a buyer record a limit keeps from the one group holding its phone', () => {
  it('is reported as a refused join between the buyer and the holder', () => {
    const result = cluster([
      // the consumer: her own phone B now, her Tmall membership (by openid) and an order still carrying A
      rec('wechat:w1', 'openid=o1', 'phone=B'),
      rec('tmall:T1', 'tmall=T1', 'openid=o1', 'phone=A'),
      rec('buyer:tmall-A', 'phone=A'),
      // two buyers an operator merged (a link): phone B's and the shop's
      rec('buyer:tmall-B', 'phone=B', 'link=L1'),
      rec('buyer:tmall-S', 'phone=S', 'link=L1'),
    ], new Set(), rules);
    expect(result.groups).toEqual([['buyer:tmall-A', 'tmall:T1', 'wechat:w1'], ['buyer:tmall-B', 'buyer:tmall-S']]);
    expect(result.conflicts).toEqual([{ type: 'phone', value: 'B', between: ['buyer:tmall-B', 'wechat:w1'], reason: 'limit', limitType: 'phone' }]);
  });

  it('is not reported when the phone has two holders: the buyer waits, the holders\' refusal is', () => {
    const result = cluster([
      rec('tmall:T1', 'tmall=T1', 'phone=B'),
      rec('tmall:T2', 'tmall=T2', 'phone=B'),
      rec('buyer:tmall-B', 'phone=B'),
    ], new Set(), rules);
    expect(result.groups).toEqual([['buyer:tmall-B'], ['tmall:T1'], ['tmall:T2']]);
    expect(result.conflicts).toEqual([{ type: 'phone', value: 'B', between: ['tmall:T1', 'tmall:T2'], reason: 'limit', limitType: 'tmall' }]);
  });
});
