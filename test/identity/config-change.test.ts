import { verifyPoints } from '../../cloudfunctions/core/points/verify.store';
import { importOrders } from '../codes/support';
import { boundConsumer, exportAll, importMembers, memberOk } from '../support/members';
import { openTestServices, reconfigured, type TestServices } from '../support/services';

/** Channel ids of each live member, order-free. */
async function members(services: TestServices): Promise<string[][]> {
  return (await exportAll(services))
    .map((line) => line.identifiers.filter((i) => ['offline', 'tmall', 'jd'].includes(i.type)).map((i) => `${i.type}:${i.value}`).sort())
    .filter((ids) => ids.length > 0)
    .sort((a, b) => (a.join() < b.join() ? -1 : 1));
}

/**
 * The brand edits config/member-centre.json after going live (members, orders and joins already in
 * the store) and restarts. The identity rules it then runs by must be the configured ones, whatever
 * the store saw under the old.
 */
describe('identity config changed after going live', () => {
  let services: TestServices;
  beforeEach(() => { services = openTestServices(); });
  afterEach(() => services.close());

  it('a number taken off identity.blockedPhones (a real customer\'s) is an ordinary phone again: its orders earn and it joins its owner\'s card', async () => {
    // 18888888888 is blocked by default: the store card carrying it was imported while it was
    await importMembers(services, 'offline', [{ channelMemberId: 'C1', phone: '18888888888', points: '100' }]);
    const live = reconfigured(services, (config) => {
      config.identity.blockedPhones = config.identity.blockedPhones.filter((phone) => phone !== '18888888888');
    });
    // never shared by many records: not `buyer_phone_shared`, and the points are not lost
    expect(await importOrders(live, 'tmall', [{ orderId: '9001', phone: '18888888888', amountFen: 5000, paidAt: '2026-11-01 10:00' }]))
      .toMatchObject({ credited: 1, rejected: 0, points: 50 });
    // its owner binds it in the mini-program: their store card and their Tmall order are theirs
    await boundConsumer(live, 'u1', '18888888888');
    expect(await memberOk(live, 'u1', { action: 'channels' })).toMatchObject({ offline: true });
    expect((await verifyPoints(live)).differences).toBe(0);
  });

  it('a number added to identity.blockedPhones joins no one from then on: a member the import walks again is split where only that number joined it', async () => {
    const P = '13912345678';
    await importMembers(services, 'offline', [{ channelMemberId: 'C1', phone: P, email: 'li@example.com' }]);
    await importMembers(services, 'tmall', [{ channelMemberId: 'T1', phone: P }]);
    expect(await members(services)).toEqual([['offline:C1', 'tmall:T1']]);
    // the brand finds P is a placeholder its stores type for walk-in customers and blocks it
    const live = reconfigured(services, (config) => { config.identity.blockedPhones.push(P); });
    // a JD card with the store card's email: the walk that joins it must not join through P
    await importMembers(live, 'jd', [{ channelMemberId: 'J1', email: 'li@example.com' }]);
    // what the same records give on a store that had the number blocked from the start
    expect(await members(live)).toEqual([['jd:J1', 'offline:C1'], ['tmall:T1']]);
    expect((await verifyPoints(live)).differences).toBe(0);
  });

  it('after identity.quarantineThreshold is lowered, a value already on more records of one channel than it allows joins no new record', async () => {
    const P = '13912345678';
    await importMembers(services, 'offline', [{ channelMemberId: 'C1', phone: P }, { channelMemberId: 'C2', phone: P }]);
    expect(await members(services)).toEqual([['offline:C1', 'offline:C2']]);
    // the brand decides one store card per phone is all a person has: P on two is a shop's number
    const live = reconfigured(services, (config) => { config.identity.quarantineThreshold = 1; });
    await importMembers(live, 'tmall', [{ channelMemberId: 'T1', phone: P }]);
    // as on a store with threshold 1 from the start: P is on more store cards than allowed and joins no one
    expect(await members(live)).toEqual([['offline:C1'], ['offline:C2'], ['tmall:T1']]);
    expect((await verifyPoints(live)).differences).toBe(0);
  });
});
