/**
 * Scale of the consumer actions: each must cost the same on a big store as on a small one. Every
 * action of the mini-program runs through the function edge, as the local server invokes it, on
 * a store of a few members and on one ten times larger; each query it makes must be read off an
 * index (EXPLAIN QUERY PLAN: a SEARCH, never a SCAN of a table nor a sort), and the store
 * operations it makes, counted at the port, must be the same in both. No timing.
 */
import { cloudFunctions } from '../../cloudfunctions/core/functions';
import { invoke } from '../../cloudfunctions/core/runtime/handler';
import { addCampaign, addGuide, addStore } from '../../cloudfunctions/core/scenes/places.store';
import type { DocStore, QueryOptions } from '../../cloudfunctions/core/store/port';
import type { SqliteStore } from '../../cloudfunctions/core/store/sqlite';
import { countingStore } from '../codes/counting-store';
import { importOrders, makeBatch } from '../codes/support';
import { boundConsumer, importMembers } from '../support/members';
import { callerOf, openTestServices, type TestServices } from '../support/services';

const phoneOf = (i: number) => `139${String(10_000_000 + i)}`;
/** Person 0 is the consumer the actions are made as, person 1 binds a phone during them; every tenth of the others bound one before. */
const ME = 0;
const NEWCOMER = 1;

/** A store of `people` channel members (a Tmall card each, a store card every other one but the consumer's) with their orders, some of them WeChat consumers. */
async function storeOf(people: number): Promise<{ services: TestServices; code: string }> {
  const services = openTestServices('2026-11-23T02:00:00Z');
  const person = (i: number) => ({ phone: phoneOf(i), email: '', name: `会员${i}`, points: 100, growth: 100, joinedAt: '2025-06-01 10:00:00' });
  await importMembers(services, 'tmall', Array.from({ length: people }, (_, i) => ({ channelMemberId: `T${i}`, ...person(i) })));
  await importMembers(services, 'offline', Array.from({ length: people }, (_, i) => i).filter((i) => i % 2 === 0 && i !== ME).map((i) => ({ channelMemberId: `C${i}`, ...person(i) })));
  const orders = Array.from({ length: people }, (_, i) => [1, 2, 3].map((k) => ({
    orderId: `O${i}-${k}`, channelMemberId: `T${i}`, amountFen: 1000 * k, status: 'paid', paidAt: `2026-11-0${k} 10:00:00`,
  }))).flat();
  // the consumer's own: a few dozen, one of them to bind through the package card
  for (let k = 0; k < 30; k++) orders.push({ orderId: `M${k}`, channelMemberId: `T${ME}`, amountFen: 500 + k, status: 'paid', paidAt: `2026-11-${String(10 + (k % 10)).padStart(2, '0')} 10:00:00` });
  await importOrders(services, 'tmall', orders);
  await addStore(services, { id: 'S1', name: '南京西路店' });
  await addGuide(services, { id: 'G1', storeId: 'S1', name: '导购一' });
  await addCampaign(services, { id: 'P1', name: '包裹卡', platform: 'tmall', bonus: 50, ordersFrom: '2026-01-01' });
  const { codes } = await makeBatch(services, { count: 2 });
  for (let i = 2; i < people; i += 10) await boundConsumer(services, `o${i}`, phoneOf(i));
  await boundConsumer(services, 'me', phoneOf(ME));
  await invoke(cloudFunctions.member!, { action: 'login' }, callerOf('newcomer'), services);
  return { services, code: codes[0]! };
}

interface Made {
  /** Store operations by kind and collection (`tx.get records`, `query ledger`…). */
  operations: Record<string, number>;
  queries: { collection: string; options: QueryOptions }[];
  outcome: string;
}

/** Every consumer action in the order a consumer makes them, each with the store operations and queries it made. */
async function actionsOn(services: TestServices, code: string): Promise<Map<string, Made>> {
  const made = new Map<string, Made>();
  const counting = countingStore(services.store);
  let queries: Made['queries'] = [];
  const store: DocStore = {
    transaction: (fn) => counting.transaction(fn),
    get: (collection, id) => counting.get(collection, id),
    updateIf: (collection, id, expected, patch) => counting.updateIf(collection, id, expected, patch),
    query: (collection, options) => {
      queries.push({ collection, options });
      return counting.query(collection, options);
    },
    close: () => counting.close(),
  };
  const call = async (label: string, fn: string, openid: string, event: Record<string, unknown>) => {
    counting.reset();
    queries = [];
    const answer = await invoke(cloudFunctions[fn]!, event, callerOf(openid), { ...services, store });
    made.set(label, { operations: { ...counting.counts.detail }, queries, outcome: answer.ok ? 'ok' : answer.error.code });
    return answer;
  };
  await call('member.login (first)', 'member', 'newcomer2', { action: 'login' });
  await call('member.consent', 'member', 'newcomer', { action: 'consent', version: services.config.termsVersion });
  await call('member.bindPhone', 'member', 'newcomer', { action: 'bindPhone', code: `dev:${phoneOf(NEWCOMER)}:${services.clock.now()}` });
  await call('member.login', 'member', 'me', { action: 'login' });
  await call('member.channels', 'member', 'me', { action: 'channels' });
  await call('member.profile', 'member', 'me', { action: 'profile' });
  await call('member.updateProfile', 'member', 'me', { action: 'updateProfile', nickname: '小王' });
  await call('member.memberCode', 'member', 'me', { action: 'memberCode' });
  await call('member.linkOffline', 'member', 'me', { action: 'linkOffline', cardNo: 'C4', last4: phoneOf(4).slice(-4) });
  await call('points.summary', 'points', 'me', { action: 'summary' });
  const first = await call('points.history', 'points', 'me', { action: 'history', limit: 5 });
  const cursor = first.ok ? (first.data as { nextCursor: string | null }).nextCursor : null;
  await call('points.history (next page)', 'points', 'me', { action: 'history', limit: 5, cursor });
  await call('codes.redeem', 'codes', 'me', { action: 'redeem', code });
  await call('scenes.resolve', 'scenes', 'me', { action: 'resolve', scene: 'g=G1' });
  await call('scenes.join', 'scenes', 'me', { action: 'join', scene: 'g=G1' });
  await call('scenes.join (package card)', 'scenes', 'me', { action: 'join', scene: 'p=P1' });
  await call('scenes.bindOrder', 'scenes', 'me', { action: 'bindOrder', platform: 'tmall', orderId: 'M3' });
  await call('member.delete', 'member', 'me', { action: 'delete', confirm: true });
  return made;
}

describe('consumer actions on a store ten times larger', () => {
  let small: Map<string, Made>;
  let large: Map<string, Made>;
  let largeServices: TestServices;

  beforeAll(async () => {
    const a = await storeOf(20);
    small = await actionsOn(a.services, a.code);
    await a.services.close();
    const b = await storeOf(200);
    largeServices = b.services;
    large = await actionsOn(b.services, b.code);
  });
  afterAll(() => largeServices.close());

  it('all succeed (what is measured is the real path, not a refusal)', () => {
    const outcomes = Object.fromEntries([...large].map(([label, made]) => [label, made.outcome]));
    expect(outcomes).toEqual(Object.fromEntries([...large.keys()].map((label) => [label, 'ok'])));
    expect(Object.fromEntries([...small].map(([label, made]) => [label, made.outcome]))).toEqual(outcomes);
  });

  it('read every page they query off an index: no SCAN of a table, no sort', () => {
    const store = largeServices.store as SqliteStore;
    const plans: string[] = [];
    const off: string[] = [];
    for (const [label, made] of large) {
      for (const { collection, options } of made.queries) {
        const plan = store.explainQuery(collection, options);
        plans.push(`${label}: ${collection}`);
        if (!plan.every((step) => step.startsWith('SEARCH '))) off.push(`${label}: ${collection} ${JSON.stringify(options.where)} → ${plan.join(' | ')}`);
      }
    }
    expect(off).toEqual([]);
    // the queries are there to be checked: channels, history (two pages), join and bindOrder (merges), delete (its trail)
    expect(new Set(plans)).toEqual(new Set([
      'member.channels: linkRequests', 'points.history: ledger', 'points.history (next page): ledger', 'scenes.join: merges',
      'scenes.join (package card): merges', 'scenes.bindOrder: merges', 'member.delete: phoneCodes', 'member.delete: linkRequests', 'member.delete: attributions',
    ]));
  });

  it('make the same store operations as on the small store', () => {
    expect(Object.fromEntries([...large].map(([label, made]) => [label, made.operations])))
      .toEqual(Object.fromEntries([...small].map(([label, made]) => [label, made.operations])));
  });
});
