/**
 * Domain transactions racing on CloudBase, through the real wx-server-sdk against the responder
 * with MongoDB's snapshot isolation: two transactions conflict only where both write one document,
 * so a decision resting on a document that is only read can be overtaken (write skew). A gate
 * holds each transaction's first run at its first read until both have started, so both work on
 * one snapshot; whatever then commits must be what the two give one after the other.
 */
import fc from 'fast-check';
import { codesFunction } from '../../cloudfunctions/core/functions/codes';
import { memberFunction } from '../../cloudfunctions/core/functions/member';
import { scenesFunction } from '../../cloudfunctions/core/functions/scenes';
import { deleteMember } from '../../cloudfunctions/core/identity/erase';
import { importMemberRows, emptySummary, type PlannedRecord } from '../../cloudfunctions/core/identity/import';
import { blockedPhoneKeys } from '../../cloudfunctions/core/identity/identity.rules';
import { linkOffline } from '../../cloudfunctions/core/identity/offline-link';
import { recordFromRow } from '../../cloudfunctions/core/identity/records';
import { emptyOrderSummary, importPlannedOrders, planOrderRows, type OrderPlanContext } from '../../cloudfunctions/core/orders/import.store';
import { importOrders, makeBatch } from '../codes/support';
import { earnRateOf } from '../../cloudfunctions/core/points/config';
import { expirePoints } from '../../cloudfunctions/core/points/expire.store';
import { postEarn, postReverse } from '../../cloudfunctions/core/points/ledger';
import { verifyPoints } from '../../cloudfunctions/core/points/verify.store';
import { mergeMembers, unmergeMembers } from '../../cloudfunctions/core/identity/operator';
import { bindOrder } from '../../cloudfunctions/core/scenes/bind-order';
import { joinScene } from '../../cloudfunctions/core/scenes/join';
import { addCampaign, addGuide, addStore } from '../../cloudfunctions/core/scenes/places.store';
import { recruitReport } from '../../cloudfunctions/core/scenes/report';
import { invoke, type CloudFunction } from '../../cloudfunctions/core/runtime/handler';
import type { Services } from '../../cloudfunctions/core/runtime/services';
import { CloudBaseStore } from '../../cloudfunctions/core/store/cloudbase';
import { COLLECTIONS } from '../../cloudfunctions/core/store/collections';
import type { Doc, DocStore, Tx } from '../../cloudfunctions/core/store/port';
import { responderForTests } from '../support/cloudbase-responder';
import { byRank } from '../support/made-ids';
import { runs, timeoutFor } from '../support/property';
import { boundConsumer, importMembers, memberOk } from '../support/members';
import { callerOf, openTestServices, type TestServices } from '../support/services';

const { responder, database } = responderForTests();

/** `inner`, with the first run of each transaction paused after its first read (its snapshot taken) on what `pauseOf` gives for it (null: not paused); reruns pass. */
function pausingAtFirstRead(inner: DocStore, pauseOf: () => (() => Promise<void>) | null): DocStore {
  return {
    transaction: (fn) => {
      let pause = pauseOf();
      return inner.transaction((tx: Tx) => {
        let waiting = pause;
        pause = null;
        const get: Tx['get'] = async (collection, id) => {
          const doc = await tx.get(collection, id);
          if (waiting) {
            const wait = waiting;
            waiting = null;
            await wait();
          }
          return doc as never;
        };
        return fn({ ...tx, get });
      });
    },
    get: (collection, id) => inner.get(collection, id),
    updateIf: (collection, id, expected, patch) => inner.updateIf(collection, id, expected, patch),
    query: (collection, options) => inner.query(collection, options),
    close: () => inner.close(),
  };
}

/** Holds the first run of each of `parties` transactions at its first read until all have started; reruns pass. */
function gated(inner: DocStore, parties: number): DocStore {
  let arrived = 0;
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return pausingAtFirstRead(inner, () => async () => {
    if (++arrived === parties) open();
    await opened;
  });
}

let base: TestServices;
afterEach(() => base.close());

/** The state built on SQLite, copied into the responder; the same keys, clock and config, on CloudBase. */
async function onCloud(parties: number): Promise<Services> {
  responder.reset();
  for (const collection of Object.keys(COLLECTIONS)) for (const doc of await base.dump(collection)) responder.seed(collection, doc as Doc);
  return { ...base, store: gated(new CloudBaseStore(database()), parties) };
}

it('a right guess at a store card beside the wrong try that locks it: the card is linked or locked, not both', async () => {
  base = openTestServices();
  await importMembers(base, 'offline', [{ channelMemberId: 'C100', phone: '13800001111' }]);
  await boundConsumer(base, 'guesser', '13912345678');
  const services = await onCloud(2);
  // four wrong tries on record: the fifth locks the card for a day
  const earlier = new Date(base.clock.now() - 60_000).toISOString();
  responder.seed('linkAttempts', { _id: 'offline:C100', failures: [earlier, earlier, earlier, earlier] });

  const caller = { ...callerOf('guesser'), openid: 'guesser' };
  const [wrong, right] = await Promise.allSettled([linkOffline(services, caller, 'C100', '0000'), linkOffline(services, caller, 'C100', '1111')]);
  const failures = (responder.peek('linkAttempts', 'offline:C100') as { failures: string[] }).failures.length;
  const linked = !!(responder.peek('records', 'offline:C100') as { memberId: string | null }).memberId
    && right.status === 'fulfilled';
  // wrong first: the fifth failure is counted and the right guess is LOCKED;
  // right first: the card is linked and the wrong try finds it linked, counting nothing
  const serial = (failures === 5 && !linked && right.status === 'rejected' && (right.reason as { code?: string }).code === 'LOCKED')
    || (failures === 4 && linked && wrong.status === 'fulfilled');
  expect({ failures, linked, wrong: wrong.status, right: right.status, serial }).toMatchObject({ serial: true });
});

it('an order imported while its buyer\'s record is being imported: the points reach the member and its balance', async () => {
  base = openTestServices();
  const services = await onCloud(2);
  const { record } = recordFromRow('tmall', { channelMemberId: 'T1', phone: '13800002222' }, Buffer.from(base.secrets.phoneHashKey));
  const members: PlannedRecord[] = [{ line: 2, record: record! }];
  const context: OrderPlanContext = {
    channel: 'tmall', rate: earnRateOf(base.config.points, 'tmall'), now: new Date(base.clock.now()).toISOString(),
    phoneHashKey: base.secrets.phoneHashKey, blockedPhoneKeys: blockedPhoneKeys(base),
  };
  const order = planOrderRows(context).prepare({ line: 2, row: { orderId: 'O1', channelMemberId: 'T1', amountFen: '10000', paidAt: '2026-11-20 10:00:00' } });
  await Promise.all([
    importMemberRows(services, 'tmall', members, emptySummary(), []),
    importPlannedOrders(services, context, [order], emptyOrderSummary(), []),
  ]);
  const { memberId } = responder.peek('records', 'tmall:T1') as { memberId: string };
  const account = responder.peek('accounts', 'tmall:T1') as { memberId: string | null; points: number; growth: number };
  expect(account).toMatchObject({ memberId, points: 100, growth: 100 });
  expect(responder.peek('balances', memberId)).toMatchObject({ points: 100, growth: 100 });
});

it('a store card asked for while the consumer erases themselves: no request is left naming the erased consumer', async () => {
  base = openTestServices();
  await importMembers(base, 'offline', [{ channelMemberId: 'C200' }]); // no phone on file: a request for staff
  await boundConsumer(base, 'u1', '13800001111');
  const services = await onCloud(2);
  const caller = { ...callerOf('u1'), openid: 'u1' };
  // erasure queries first, then both transactions work on one snapshot
  const [erased, asked] = await Promise.allSettled([deleteMember(services, caller), linkOffline(services, caller, 'C200', undefined)]);
  expect(erased.status).toBe('fulfilled');
  // asked first: erased with the rest; erased first: the request finds a new visitor with no phone
  expect(asked.status === 'fulfilled' || (asked.reason as { code?: string }).code === 'NOT_BOUND').toBe(true);
  expect((await services.store.query('linkRequests', { limit: 10 })).items).toEqual([]);
  expect((await services.store.query('records', { limit: 10 })).items.map((r) => r._id)).toEqual(['offline:C200']);
});

it('a scene join sent while the consumer erases themselves: no first touch is left naming the erased member', async () => {
  base = openTestServices();
  await addStore(base, { id: 'SH001', name: '南京西路店', city: '上海' });
  const { memberId } = await boundConsumer(base, 'u1', '13912345601');
  const services = await onCloud(2);
  const caller = { ...callerOf('u1'), openid: 'u1' };
  // the page sends a join it kept while the consumer is on the erasure page
  const [erased, joined] = await Promise.allSettled([deleteMember(services, caller), joinScene(services, 'u1', { scene: 's=SH001' })]);
  expect(erased.status).toBe('fulfilled');
  // joined first: erased with the rest; erased first: the join finds no one bound
  expect(joined.status === 'fulfilled' || (joined.reason as { code?: string }).code === 'NOT_BOUND').toBe(true);
  expect(responder.peek('members', memberId)).toMatchObject({ status: 'deleted' });
  expect((await services.store.query('attributions', { limit: 10 })).items).toEqual([]);
});

it('two consumers joining through one store at once both commit on their first run: no store counter to collide on', async () => {
  base = openTestServices();
  await addStore(base, { id: 'SH001', name: '南京西路店', city: '上海' });
  await boundConsumer(base, 'u1', '13912345601');
  await boundConsumer(base, 'u2', '13912345602');
  const services = await onCloud(2);
  const answers = await Promise.all(['u1', 'u2'].map((openid) => joinScene(services, openid, { scene: 's=SH001' })));
  expect(answers.map((a) => a.attributed)).toEqual([true, true]);
  // one run each: neither was refused and run again
  expect(responder.actions().filter((a) => a === 'database.startTransaction')).toHaveLength(2);
  expect(responder.actions()).not.toContain('database.abortTransaction');
  const report = await recruitReport(services);
  expect(report.stores[0]).toMatchObject({ storeId: 'SH001', recruited: 2 });
});

it('one consumer\'s right guess beside their wrong try at another card: weighed one after the other, never side by side', async () => {
  base = openTestServices();
  await importMembers(base, 'offline', [{ channelMemberId: 'C101', phone: '13800001111' }, { channelMemberId: 'C102', phone: '13800002222' }]);
  await boundConsumer(base, 'guesser', '13912345678');
  const services = await onCloud(2);
  const caller = { ...callerOf('guesser'), openid: 'guesser' };
  const [wrong, right] = await Promise.allSettled([linkOffline(services, caller, 'C101', '0000'), linkOffline(services, caller, 'C102', '2222')]);
  expect([wrong.status, right.status]).toEqual(['rejected', 'fulfilled']);
  // both write the consumer's WeChat record: the second to commit was refused and ran again,
  // so in a burst a right guess waits its turn behind the wrong tries that may stop it
  expect(responder.actions().filter((a) => a === 'database.startTransaction').length).toBeGreaterThan(2);
});

/**
 * A store whose first transaction's first run waits at its first read (its snapshot taken) until
 * `release` settles; `arrived` resolves when it waits. Reruns, and other transactions, pass.
 */
function heldUntil(inner: DocStore, release: () => Promise<unknown>): { store: DocStore; arrived: Promise<void> } {
  let arrive!: () => void;
  const arrived = new Promise<void>((resolve) => (arrive = resolve));
  let first = true;
  const store = pausingAtFirstRead(inner, () => {
    if (!first) return null;
    first = false;
    return async () => {
      arrive();
      await release().catch(() => undefined);
    };
  });
  return { store, arrived };
}

it('the nightly expiry beside a refund on the same account: the job finishes, as it does one after the other', async () => {
  // an old order's lot due at the end of 2026, a newer one's a year later
  base = openTestServices('2025-06-01T02:00:00Z');
  await importMembers(base, 'tmall', [{ channelMemberId: 'T1', phone: '13800004444' }]);
  const earn = (orderId: string, paidAt: string) => base.store.transaction((tx) => postEarn(tx, base, {
    key: `order:tmall:${orderId}`, accountId: 'tmall:T1', points: 100, growth: 100, at: paidAt, source: { channel: 'tmall', ref: orderId },
  }));
  await earn('O2', '2025-05-01T02:00:00.000Z');
  base.clock.set('2026-05-02T02:00:00Z');
  await earn('O1', '2026-05-01T02:00:00.000Z');
  base.clock.set('2027-01-05T02:00:00Z'); // O2's lot is due, O1's is not
  // (the clock moved on: a rewrite refreshing updatedAt alone is a write, as on CloudBase)
  const services = await onCloud(1);
  const now = new Date(services.clock.now()).toISOString();

  // the job has listed the due account and opened its transaction when the refund commits
  let settled!: () => void;
  const refundSettled = new Promise<void>((resolve) => (settled = resolve));
  const { store, arrived } = heldUntil(new CloudBaseStore(database()), () => refundSettled);
  const expiring = expirePoints({ ...services, store }, now);
  await arrived;
  await services.store.transaction((tx) => postReverse(tx, services, {
    key: 'refund:tmall:O1', of: 'order:tmall:O1', points: 50, growth: 50, at: now, source: { channel: 'tmall', ref: 'O1' },
  })).finally(settled);
  // the refund expired O2's lot, as a refund does (due lots are gone, swept or not); the job's
  // transaction collides with it and runs again over its old list, finds nothing due on that
  // account, and goes on (it stopped the night's run with "expiry made no progress")
  await expect(expiring).resolves.toMatchObject({ lots: 0 });
  expect((await verifyPoints(services)).differences).toBe(0);
});

it('a package card\'s order bound while an operator undoes the merge that made it the caller\'s: bound before the unmerge, or refused after it', async () => {
  base = openTestServices();
  await addCampaign(base, { id: 'P11', name: '双11包裹卡', platform: 'tmall', bonus: 50 });
  await importMembers(base, 'tmall', [{ channelMemberId: 'T1' }]);
  const [tmall] = await base.dump('members');
  await importOrders(base, 'tmall', [{ orderId: '5001', channelMemberId: 'T1', amountFen: 9900, status: 'paid', paidAt: '2026-11-11 10:00:00' }]);
  const { memberId } = await boundConsumer(base, 'u1', '13912345678');
  const merge = await mergeMembers(base, tmall!._id, memberId);
  const services = await onCloud(2);
  // the binding's transaction runs, counted: run again, it lost to the unmerge, which committed first
  let bindingRuns = 0;
  const binding = { ...services, store: { ...services.store, transaction: <T>(fn: (tx: Tx) => Promise<T>) => services.store.transaction((tx) => (bindingRuns++, fn(tx))) } };
  // both transactions work on one snapshot: the binding's re-read still finds the order the caller's
  const [unmerged, bound] = await Promise.allSettled([unmergeMembers(services, merge._id), bindOrder(binding, 'u1', { platform: 'tmall', orderId: '5001', campaignId: 'P11' })]);
  expect(unmerged.status).toBe('fulfilled');
  const cardOrders = (await services.store.query('cardOrders', { limit: 10 })).items;
  // bound first: the bonus was the merged member's, and stays with the caller's record; unmerged
  // first: the order is T1's alone and the binding, run again, is refused, binding nothing
  const serial = (bindingRuns === 1 && bound.status === 'fulfilled' && cardOrders.length === 1)
    || (bindingRuns > 1 && bound.status === 'rejected' && (bound.reason as { code?: string }).code === 'FORBIDDEN' && cardOrders.length === 0);
  expect({ bindingRuns, bound: bound.status, cardOrders: cardOrders.length, serial }).toMatchObject({ serial: true });
  expect((await verifyPoints(services)).differences).toBe(0);
});

describe('two requests of consumers sent side by side, on one snapshot', () => {
  const USERS = ['u1', 'u2'];
  const PHONES = ['13912340001', '13912340002', '13800001111'];
  type Request = { kind: 'bind' | 'link' | 'delete' | 'join' | 'scan' | 'order' | 'login' | 'consent'; user: number; pick: number; card: boolean };
  const requestArb: fc.Arbitrary<Request> = fc.record({
    kind: fc.constantFrom('bind', 'link', 'link', 'delete', 'join', 'scan', 'order', 'login', 'consent'),
    user: fc.nat(USERS.length - 1), pick: fc.nat(2), card: fc.boolean(),
  });

  const comparable = (value: unknown) => JSON.stringify(byRank(value, ['hash', 'phoneSealed']));

  const everything = async (services: Services) => {
    const docs: Record<string, Doc[]> = {};
    for (const collection of Object.keys(COLLECTIONS)) {
      const items = (await services.store.query<Doc>(collection, { limit: 1000 })).items;
      if (items.length) docs[collection] = items;
    }
    return docs;
  };

  it('answer and leave what the two give one after the other, in one order or the other', async () => {
    await fc.assert(fc.asyncProperty(requestArb, requestArb, fc.array(fc.record({ user: fc.nat(1), phone: fc.nat(2) }), { maxLength: 2 }), fc.nat(4), async (a, b, bound, wrongTries) => {
      const opened: TestServices[] = [];
      /** The same state each time: a store, a guide, a package card run, codes, cards, an order, consumers. */
      const prepared = async () => {
        const s = openTestServices();
        if (opened[0]) Object.assign(s, { secrets: opened[0].secrets });
        opened.push(s);
        await addStore(s, { id: 'SH001', name: '南京西路店' });
        await addGuide(s, { id: 'G001', storeId: 'SH001', name: '小林' });
        await addCampaign(s, { id: 'P11', name: '双11包裹卡', platform: 'tmall', bonus: 50 });
        const { codes } = await makeBatch(s, { sku: 'SKU-A', name: '面霜', points: 20, count: 3 });
        await importMembers(s, 'offline', [{ channelMemberId: 'C1', phone: PHONES[2] }, { channelMemberId: 'C2' }]);
        await importMembers(s, 'tmall', [{ channelMemberId: 'T1', phone: PHONES[0] }]);
        await importOrders(s, 'tmall', [{ orderId: '9001', channelMemberId: 'T1', amountFen: 9900, status: 'paid', paidAt: '2026-11-20 10:00:00' }]);
        for (const user of USERS) {
          const { termsVersion } = await memberOk<{ termsVersion: string }>(s, user, { action: 'login' });
          if (user === 'u1' || bound.length) await memberOk(s, user, { action: 'consent', version: termsVersion });
        }
        for (const { user, phone } of bound) await memberOk(s, USERS[user]!, { action: 'bindPhone', code: `dev:${PHONES[phone]}:${s.clock.now()}` }).catch(() => undefined);
        // someone else's wrong tries at C1, up to one short of its lock
        if (wrongTries) await boundConsumer(s, 'u3', '13700001234');
        for (let i = 0; i < wrongTries; i++) await invoke(memberFunction, { action: 'linkOffline', cardNo: 'C1', last4: `000${i}` }, callerOf('u3'), s);
        return { s, codes };
      };
      const send = (services: Services, codes: string[]) => (request: Request) => {
        const call = (fn: CloudFunction, event: Record<string, unknown>) => invoke(fn, event, callerOf(USERS[request.user]!), services);
        switch (request.kind) {
          case 'bind': return call(memberFunction, { action: 'bindPhone', code: `dev:${PHONES[request.pick]}:${services.clock.now()}` });
          case 'link': return call(memberFunction, { action: 'linkOffline', cardNo: request.card ? 'C1' : 'C2', last4: request.pick === 0 ? '1111' : '0000' });
          case 'delete': return call(memberFunction, { action: 'delete', confirm: true });
          case 'join': return call(scenesFunction, { action: 'join', scene: ['g=G001', 's=SH001', 'p=P11'][request.pick]! });
          case 'scan': return call(codesFunction, { action: 'redeem', code: codes[request.pick]!, requestId: `scan-${request.user}` });
          case 'order': return call(scenesFunction, { action: 'bindOrder', platform: 'tmall', orderId: '9001', campaignId: 'P11', requestId: `order-${request.user}` });
          case 'consent': return call(memberFunction, { action: 'consent', version: services.config.termsVersion });
          case 'login': return call(memberFunction, { action: 'login' });
        }
      };
      try {
        const serial: string[] = [];
        for (const [first, second] of [[a, b], [b, a]] as const) {
          const { s, codes } = await prepared();
          const one = await send(s, codes)(first);
          const two = await send(s, codes)(second);
          serial.push(comparable({ answers: first === a ? [one, two] : [two, one], docs: await everything(s) }));
        }
        const { s, codes } = await prepared();
        base = s;
        const cloud = await onCloud(1);
        // each transaction's first run waits at its first read until the other request has one open, or has ended
        let arrived = 0;
        let open!: () => void;
        const both = new Promise<void>((resolve) => (open = resolve));
        const gatedCloud = { ...cloud, store: pausingAtFirstRead(new CloudBaseStore(database()), () => async () => {
          if (++arrived === 2) open();
          await both;
        }) };
        const answers = await Promise.all([a, b].map((request) => send(gatedCloud, codes)(request).finally(open)));
        expect(serial).toContain(comparable({ answers, docs: await everything(cloud) }));
      } finally {
        for (const services of opened) if (services !== base) services.close();
      }
    }), { numRuns: runs(20, 'CLOUD_RUNS'), examples: [
      [{ kind: 'join', user: 0, pick: 1, card: false }, { kind: 'delete', user: 0, pick: 0, card: false }, [{ user: 0, phone: 1 }], 0],
      // the same phone code sent twice at once, by one consumer and by two (each claims the code before exchanging it)
      [{ kind: 'bind', user: 0, pick: 1, card: false }, { kind: 'bind', user: 0, pick: 1, card: false }, [], 0],
      [{ kind: 'bind', user: 0, pick: 1, card: false }, { kind: 'bind', user: 1, pick: 1, card: false }, [{ user: 1, phone: 0 }], 0],
    ] });
  }, timeoutFor(120_000, 20, 'CLOUD_RUNS'));
});
