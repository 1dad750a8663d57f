/**
 * Field names CloudBase can store. Its MongoDB (before 5.0) takes a name holding `.` for a path and
 * one starting with `$` for an operator, and refuses both in a stored document; the responder holds
 * every document inserted, replacing one or set into one to that rule. Ids that come from a partner
 * (an order id may hold `.`) must then never become a field name as they are: a refund of such an
 * order once wrote `accounts/{id}.reversed["order:tmall:A.1"]`.
 */
import { postEarn, postReverse } from '../../cloudfunctions/core/points/ledger';
import { verifyPoints } from '../../cloudfunctions/core/points/verify.store';
import type { AccountDoc } from '../../cloudfunctions/core/points/types';
import type { Services } from '../../cloudfunctions/core/runtime/services';
import { CloudBaseStore } from '../../cloudfunctions/core/store/cloudbase';
import type { Doc } from '../../cloudfunctions/core/store/port';
import { responderForTests } from '../support/cloudbase-responder';
import { openTestServices, type TestServices } from '../support/services';
import { seedMember, source } from '../points/support';

const { responder, database } = responderForTests();
beforeEach(() => responder.reset());

/** Every field name of a stored value, at any depth (array items have none of their own). */
function fieldNames(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(fieldNames);
  if (!value || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([name, inner]) => [name, ...fieldNames(inner)]);
}
const unstorable = (doc: unknown) => fieldNames(doc).filter((name) => name.includes('.') || name.startsWith('$'));

describe('the responder refuses what CloudBase cannot store', () => {
  const store = () => new CloudBaseStore(database());
  const bad: [string, Doc][] = [
    ['a dotted name nested in a map', { _id: 'a1', reversed: { 'order:tmall:A.1': { points: 1 } } }],
    ['a $-prefixed name nested in an array item', { _id: 'a1', lots: [{ $id: 'x' }] }],
  ];

  test.each(bad)('create, set and update of %s are refused, and nothing is kept', async (_, doc) => {
    const { _id, ...fields } = doc;
    await expect(store().transaction((tx) => tx.create('accounts', doc))).rejects.toThrow(/not valid for storage/);
    await expect(store().transaction((tx) => tx.set('accounts', doc))).rejects.toThrow(/not valid for storage/);
    responder.seed('accounts', { _id, points: 0 });
    await expect(store().transaction((tx) => tx.update('accounts', _id, fields))).rejects.toThrow(/not valid for storage/);
    expect(responder.peek('accounts', _id)).toEqual({ _id, points: 0 });
  });

  test('plain names, and dots or dollars in values, are stored', async () => {
    const doc = { _id: 'a.1', note: '$5 off order A.1', map: { 'order:tmall:A#1': { points: 1 } }, list: [{ ref: 'x.y' }] };
    await store().transaction((tx) => tx.set('accounts', doc));
    expect(responder.peek('accounts', 'a.1')).toEqual(doc);
  });
});

describe('a refund of an order whose id holds a dot, on CloudBase', () => {
  let local: TestServices;
  let services: Services;
  beforeEach(() => {
    local = openTestServices('2026-11-23T02:00:00Z');
    services = { ...local, store: new CloudBaseStore(database()) };
  });
  afterEach(() => local.close());

  const at = '2026-03-01T04:00:00.000Z';
  const earn = (orderId: string, points: number) => services.store.transaction((tx) =>
    postEarn(tx, services, { key: `order:tmall:${orderId}`, accountId: 'tmall:T1', points, growth: points, at, source: source(orderId) }));
  const refund = (orderId: string, n: number, points: number) => services.store.transaction((tx) =>
    postReverse(tx, services, { key: `refund:tmall:${orderId}:${n}`, of: `order:tmall:${orderId}`, points, growth: points, at: '2026-04-01T00:00:00.000Z', source: source(orderId) }));

  test('is stored, counts the earlier refunds of the same order, and verifies', async () => {
    await seedMember(services, 'm1', ['tmall:T1']);
    await earn('A.1', 100);
    await earn('A-1', 50);
    await refund('A.1', 1, 30);
    await refund('A.1', 2, 30);
    // a third refund may only take what the credit has left
    const third = await refund('A.1', 3, 60);
    expect(third.entry.points).toBe(-40);
    await refund('A-1', 1, 10);

    const account = responder.peek('accounts', 'tmall:T1') as AccountDoc;
    expect(unstorable(account)).toEqual([]);
    expect(account).toMatchObject({ points: 40, growth: 40 });
    expect(Object.values(account.reversed)).toEqual(expect.arrayContaining([{ points: 100, growth: 100 }, { points: 10, growth: 10 }]));
    expect(Object.keys(account.reversed)).toHaveLength(2);
    await expect(verifyPoints(services)).resolves.toMatchObject({ differences: 0 });
  });
});
