import fc from 'fast-check';
import { runs, timeoutFor } from '../support/property';
import type { ValueDoc } from '../../cloudfunctions/core/identity/graph.store';
import { phoneKey } from '../../cloudfunctions/core/identity/normalize';
import { boundConsumer, importMembers, memberOk, partition } from '../support/members';
import { openTestServices, reconfigured, type TestServices } from '../support/services';

describe('identity rules as configured now, upgrading and in any order', () => {
  let services: TestServices;
  beforeEach(() => { services = openTestServices(); });
  afterEach(() => services.close());

  it('a number blocked under an earlier version (its value carries no `blocked` mark) joins again once taken off the list', async () => {
    const P = '18888888888'; // blocked by default, and a real subscriber's number
    await importMembers(services, 'offline', [{ channelMemberId: 'C1', phone: P }]);
    // the value as every version before the `blocked` mark wrote it: set aside, nothing saying why
    const id = `phone:${phoneKey(services.secrets.phoneHashKey, P)}`;
    await services.store.transaction(async (tx) => {
      const { blocked: _mark, ...earlier } = (await tx.get<ValueDoc>('identifiers', id))!;
      await tx.set('identifiers', earlier);
    });
    // the brand upgrades and goes on importing under the same config for a while
    await importMembers(services, 'tmall', [{ channelMemberId: 'T9', phone: '13912340009' }]);
    // then its owner asks: the brand takes the number off the list, and the owner binds it
    const live = reconfigured(services, (config) => {
      config.identity.blockedPhones = config.identity.blockedPhones.filter((phone) => phone !== P);
    });
    await boundConsumer(live, 'u1', P);
    expect(await memberOk(live, 'u1', { action: 'channels' })).toMatchObject({ offline: true });
  });

  it('gives the same members whatever order records come in, with a blocked number and WeChat bindings among them (property)', async () => {
    const phones = ['13800138000', '13800138001', '13800138002', '18888888888'];
    const rowArb = fc.record({
      channel: fc.constantFrom('offline', 'tmall', 'jd', 'wechat'),
      id: fc.integer({ min: 1, max: 5 }),
      phone: fc.constantFrom(...phones),
      email: fc.constantFrom('', 'a@x.cn', 'b@x.cn'),
    });
    await fc.assert(fc.asyncProperty(fc.uniqueArray(rowArb, { selector: (r) => `${r.channel}${r.id}`, maxLength: 12 }), fc.infiniteStream(fc.nat()), async (rows, randoms) => {
      const run = async (ordered: typeof rows) => {
        const s = openTestServices();
        try {
          for (const row of ordered) {
            if (row.channel !== 'wechat') {
              await importMembers(s, row.channel, [{ channelMemberId: `${row.channel[0]}${row.id}`, phone: row.phone, email: row.email }]);
              continue;
            }
            s.clock.advance(1000); // a fresh phone code
            // a binding a limit refuses leaves the record without the phone: another set of records
            try { await boundConsumer(s, `openid${row.id}xx`, row.phone); } catch { return null; }
          }
          return await partition(s);
        } finally {
          await s.close();
        }
      };
      const shuffled = rows.map((r) => [randoms.next().value, r] as const).sort((a, b) => a[0] - b[0]).map(([, r]) => r);
      const [a, b] = [await run(shuffled), await run(rows)];
      if (a && b) expect(a).toEqual(b);
    }), { numRuns: runs(40) });
  }, timeoutFor(120_000));
});
