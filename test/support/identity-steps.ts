import fc from 'fast-check';
import type { MemberDoc, RecordDoc, ValueDoc } from '../../cloudfunctions/core/identity/graph.store';
import { confirmLinkRequest } from '../../cloudfunctions/core/identity/link-requests';
import { liveMember } from '../../cloudfunctions/core/identity/lookup';
import { listConflicts, mergeMembers, mergesOf, type MergeView } from '../../cloudfunctions/core/identity/operator';
import { AppError } from '../../cloudfunctions/core/runtime/errors';
import { importOrders } from '../codes/support';
import { importMembers, member, memberOk } from './members';
import type { TestServices } from './services';

/**
 * The random histories the identity property tests run (test/identity/unmerge-links,
 * test/identity/after-merges-and-links-property, test/orders/waiting-after-identity-property): the
 * steps' arbitraries over a handful of records, phones and consumers, and a runner doing each step
 * as the consumer, the operator or an import would. Each test keeps its own checks around the steps.
 */

type S = TestServices;

export const PHONES = ['13011110001', '13011110002', '13011110003'];
export const EMAILS = ['a@x.cn', 'b@x.cn'];
export const UNIONS = ['union_aaaaaa', 'union_bbbbbb'];
/** The channel ids a history draws from, by channel. */
export type ChannelIds = Record<string, string[]>;
export const IDS: ChannelIds = { tmall: ['T1', 'T2', 'T3'], offline: ['C1', 'C2', 'C3'], jd: ['J1', 'J2'] };

export type Row = { channelMemberId: string; phone?: string; email?: string; unionid?: string };
export type Step =
  | { kind: 'import'; channel: string; rows: Row[] }
  | { kind: 'bind'; u: string; phone: string }
  | { kind: 'link'; u: string; card: string }
  | { kind: 'confirm' }
  | { kind: 'merge'; a: number; b: number; retry?: boolean }
  | { kind: 'unmerge'; pick: number; retry?: boolean }
  | { kind: 'erase'; u: string }
  | { kind: 'order'; channel: string; phone?: string; card?: string };

const optional = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
const CHANNELS = ['tmall', 'offline', 'jd'] as const;

/**
 * The steps' arbitraries over `ids`: rows carry a phone, and with `sharedValues` an email and a
 * unionid too (each maybe); `users` are the consumers' dev openids.
 */
export function stepArbitraries({ ids = IDS, sharedValues = true, users = ['u1', 'u2'] }: { ids?: ChannelIds; sharedValues?: boolean; users?: string[] } = {}) {
  const row = (channel: string): fc.Arbitrary<Row> => (sharedValues
    ? fc.record({
      channelMemberId: fc.constantFrom(...ids[channel]!),
      phone: optional(fc.constantFrom(...PHONES)),
      email: optional(fc.constantFrom(...EMAILS)),
      unionid: optional(fc.constantFrom(...UNIONS)),
    })
    : fc.record({ channelMemberId: fc.constantFrom(...ids[channel]!), phone: optional(fc.constantFrom(...PHONES)) }));
  const rows = (channel: string, maxRows: number) => fc.array(row(channel), { minLength: 1, maxLength: maxRows });
  return {
    /** One channel's file of one to `maxRows` rows. */
    import: (maxRows = 3): fc.Arbitrary<Step> => fc.constantFrom(...CHANNELS).chain((channel) => rows(channel, maxRows).map((r): Step => ({ kind: 'import', channel, rows: r }))),
    bind: (): fc.Arbitrary<Step> => fc.record({ kind: fc.constant('bind' as const), u: fc.constantFrom(...users), phone: fc.constantFrom(...PHONES) }),
    link: (): fc.Arbitrary<Step> => fc.record({ kind: fc.constant('link' as const), u: fc.constantFrom(...users), card: fc.constantFrom(...ids.offline!) }),
    confirm: (): fc.Arbitrary<Step> => fc.constant({ kind: 'confirm' as const }),
    /** An operator's merge of two live members picked by index; with `retry`, maybe sent twice. */
    merge: ({ retry = false } = {}): fc.Arbitrary<Step> => (retry
      ? fc.record({ kind: fc.constant('merge' as const), a: fc.nat(20), b: fc.nat(20), retry: fc.boolean() })
      : fc.record({ kind: fc.constant('merge' as const), a: fc.nat(20), b: fc.nat(20) })),
    /** An unmerge of a listed merge picked by index; with `retry`, maybe sent twice. */
    unmerge: ({ retry = false } = {}): fc.Arbitrary<Step> => (retry
      ? fc.record({ kind: fc.constant('unmerge' as const), pick: fc.nat(20), retry: fc.boolean() })
      : fc.record({ kind: fc.constant('unmerge' as const), pick: fc.nat(20) })),
    erase: (): fc.Arbitrary<Step> => fc.record({ kind: fc.constant('erase' as const), u: fc.constantFrom(...users) }),
    /** An order of one of `channels` by a phone; with `cards`, by a phone or a channel id, each maybe. */
    order: (channels: string[], cards?: string[]): fc.Arbitrary<Step> => (cards
      ? fc.record({ kind: fc.constant('order' as const), channel: fc.constantFrom(...channels), phone: optional(fc.constantFrom(...PHONES)), card: optional(fc.constantFrom(...cards)) })
      : fc.record({ kind: fc.constant('order' as const), channel: fc.constantFrom(...channels), phone: fc.constantFrom(...PHONES) })),
    /** Every channel imported, then u1 and u2 bound: a history's start with something in it. */
    prologue: (maxRows = 3) => fc.tuple(
      ...CHANNELS.map((channel) => rows(channel, maxRows).map((r): Step => ({ kind: 'import', channel, rows: r }))),
      ...['u1', 'u2'].map((u) => fc.constantFrom(...PHONES).map((phone): Step => ({ kind: 'bind', u, phone }))),
    ),
  };
}

/** An operator error a step may meet (a merge a limit refuses, a merge gone): never INTERNAL. */
export const operatorRefusal = (error: unknown) => error instanceof AppError && ['CONFLICT', 'NOT_FOUND', 'INVALID_INPUT'].includes(error.code);

export async function liveMembers(s: S): Promise<MemberDoc[]> {
  return ((await s.dump('members')) as MemberDoc[]).filter((m) => m.status === 'active').sort((a, b) => (a._id < b._id ? -1 : 1));
}

/** Every merge `members merges` lists, under the live member (`holder`) it is listed under. */
export async function listedMerges(s: S): Promise<(MergeView & { holder: string })[]> {
  const all = [];
  for (const m of await liveMembers(s)) for (const view of (await mergesOf(s, m._id)).merges) all.push({ ...view, holder: m._id });
  return all.sort((a, b) => (a.mergeId < b.mergeId ? -1 : 1));
}

/** The documents of `collections` as one string: for "nothing was written" checks. */
export async function snapshot(s: S, collections = ['members', 'records', 'identifiers', 'merges', 'conflicts', 'accounts', 'balances', 'ledger', 'linkRequests', 'linkAttempts']): Promise<string> {
  const parts = [];
  for (const collection of collections) parts.push(JSON.stringify(await s.dump(collection)));
  return parts.join('\n');
}

/** Every record in exactly one live member, the one it points at; the live members and records. */
export async function expectEachRecordInOneLiveMember(s: S) {
  const live = await liveMembers(s);
  const records = (await s.dump('records')) as RecordDoc[];
  const holder = new Map<string, string>();
  for (const m of live) for (const id of m.records) { expect([id, holder.get(id)]).toEqual([id, undefined]); holder.set(id, m._id); }
  for (const r of records) expect([r._id, holder.get(r._id)]).toEqual([r._id, r.memberId]);
  return { live, records, holder };
}

/**
 * Runs a history's steps on one store, keeping what the steps need beside it: who is bound, the
 * phone each store card was last imported with (its last four digits link it), the orders made.
 * Each step that cannot run (a consumer not bound, one member only) does nothing and says so.
 */
export class StepRunner {
  readonly consumers = new Set<string>();
  readonly cardPhones = new Map<string, string | undefined>();
  private orders = 0;

  constructor(readonly s: S) {}

  /** The rows, one a channel id (the last wins), imported with `points` each; the rows imported. */
  async import(step: Extract<Step, { kind: 'import' }>, points: (row: Row) => number | undefined = () => 1): Promise<Row[]> {
    const rows = this.rowsOf(step);
    await importMembers(this.s, step.channel, rows.map((r) => ({ ...r, points: points(r) })));
    if (step.channel === 'offline') for (const r of rows) this.cardPhones.set(r.channelMemberId, r.phone);
    return rows;
  }

  /** The rows an import step writes, as one file: one a channel id, the last wins. */
  rowsOf(step: Extract<Step, { kind: 'import' }>): Row[] {
    return [...new Map(step.rows.map((r) => [r.channelMemberId, r])).values()];
  }

  /** login, consent and bindPhone; a phone a limit keeps from the consumer (PHONE_CONFLICT) leaves them unbound. */
  async bind(step: Extract<Step, { kind: 'bind' }>): Promise<void> {
    if (this.consumers.has(step.u)) return;
    const { termsVersion } = await memberOk<{ termsVersion: string }>(this.s, step.u, { action: 'login' });
    await memberOk(this.s, step.u, { action: 'consent', version: termsVersion });
    if ((await member(this.s, step.u, { action: 'bindPhone', code: `dev:${step.phone}:${this.s.clock.now()}` })).ok) this.consumers.add(step.u);
  }

  /** The card link a bound consumer sends, with the last four digits of the card's phone on file. */
  linkEvent(step: Extract<Step, { kind: 'link' }>): Record<string, unknown> | null {
    if (!this.consumers.has(step.u)) return null;
    return { action: 'linkOffline', cardNo: step.card, last4: this.cardPhones.get(step.card)?.slice(-4) };
  }

  /** Sends the card link; its event and answer, or null for a consumer not bound. */
  async link(step: Extract<Step, { kind: 'link' }>) {
    const event = this.linkEvent(step);
    if (!event) return null;
    return { event, answer: await member(this.s, step.u, event) };
  }

  /** Staff confirm the first pending request for a card, if any. */
  async confirm(): Promise<void> {
    const pending = (await this.s.dump('linkRequests')).find((r) => (r as unknown as { status: string }).status === 'pending');
    if (pending) await confirmLinkRequest(this.s, pending._id).catch((e) => { if (!operatorRefusal(e)) throw e; });
  }

  /** A bound consumer erases their data; the records their member held, or null for one not bound. */
  async erase(step: Extract<Step, { kind: 'erase' }>): Promise<string[] | null> {
    if (!this.consumers.has(step.u)) return null;
    const mine = await liveMember(this.s.store.get.bind(this.s.store), (await memberOk<{ memberId: string }>(this.s, step.u, { action: 'login' })).memberId);
    await memberOk(this.s, step.u, { action: 'delete', confirm: true });
    this.consumers.delete(step.u);
    return mine?.records ?? [];
  }

  /** An order paid by the step's channel id (not on the store's channel), else by its phone (or the first phone). */
  async order(step: Extract<Step, { kind: 'order' }>): Promise<void> {
    this.orders++;
    const buyer = step.card && step.channel !== 'offline' ? { channelMemberId: step.card } : { phone: step.phone ?? PHONES[0] };
    await importOrders(this.s, step.channel, [{ orderId: `O${this.orders}`, ...buyer, amountFen: 10000, paidAt: '2026-11-01 10:00:00' }]);
  }

  /** The operator merges the live members the step picks: the two and the merge, null when refused; null with fewer than two. */
  async merge(step: Extract<Step, { kind: 'merge' }>) {
    const live = await liveMembers(this.s);
    if (live.length < 2) return null;
    const [a, b] = [live[step.a % live.length]!._id, live[step.b % live.length]!._id];
    const made = await mergeMembers(this.s, a, b).catch((e) => { if (!operatorRefusal(e)) throw e; return null; });
    return { a, b, made };
  }

  /** The listed merge the step picks, or null when none is listed. */
  async pick(step: Extract<Step, { kind: 'unmerge' }>) {
    const listed = await listedMerges(this.s);
    return listed.length ? listed[step.pick % listed.length]! : null;
  }
}

/**
 * ARCHITECTURE §5: a join a limit stops is recorded for review, never silently merged. For every
 * value (a phone, a unionid, an email, a store card's link...) whose carriers sit in more than one
 * live member, `members conflicts` (listConflicts) lists refusals under that value tying all those
 * members together; and every refusal it lists still stands: its two records in two live members,
 * the value still carried (by the side that did not ask), and for the graph's own limit refusals, the
 * two members holding more values of the limited type than allowed. Values set aside as shared join no one and are
 * reported elsewhere (`members shared`), so they are left out.
 */
export async function expectRefusedJoinsListed(s: S, { live, records, holder }: Awaited<ReturnType<typeof expectEachRecordInOneLiveMember>>) {
  const listed = (await listConflicts(s, 1000)).conflicts;
  const byId = new Map(records.map((r) => [r._id, r]));
  const carries = (r: RecordDoc | undefined, key: string) => !!r && (r._id === key || (r.identifiers.some((i) => `${i.type}:${i.value}` === key) && !r.ignored?.includes(key)));
  const memberById = new Map(live.map((m) => [m._id, m]));
  const held = (memberId: string, type: string) => new Set(memberById.get(memberId)!.records.flatMap((id) => {
    const r = byId.get(id);
    return r ? r.identifiers.filter((i) => i.type === type && !r.ignored?.includes(`${i.type}:${i.value}`)).map((i) => i.value) : [];
  }));
  const setAside = new Set(((await s.dump('identifiers')) as ValueDoc[]).filter((v) => v.quarantined).map((v) => v._id));
  // each listed refusal stands
  for (const c of listed) {
    const [a, b] = c.between;
    expect([c, !!a?.memberId && !!b?.memberId && a.memberId !== b.memberId]).toEqual([c, true]);
    // (a phone is listed without its value: its carriers are checked through the values' walks)
    if (c.value !== null) {
      const key = `${c.type}:${c.value}`;
      expect([c, c.between.filter((x) => x.recordId !== c.askedBy).every((x) => carries(byId.get(x.recordId), key))]).toEqual([c, true]);
    }
    // the graph's own: the limit still bites (one asked for and refused stays listed while its two
    // records are two members and the other side carries the value, docs/identity.md: no one asked again)
    if (c.reason === 'limit' && c.limitType && !c.askedBy) {
      const union = new Set([...held(a!.memberId!, c.limitType), ...held(b!.memberId!, c.limitType)]);
      expect([c, union.size > (c.limit ?? 1)]).toEqual([c, true]);
    }
  }
  // each value's carriers in two or more members: those members tied by the refusals listed under it
  const carriersOf = new Map<string, Set<string>>();
  // (an order's buyer known by a phone two members hold waits alone, for `orders waiting`: no join refused)
  for (const r of records) for (const i of r.identifiers) {
    if (r._id.startsWith('buyer:')) continue;
    const key = `${i.type}:${i.value}`;
    if (r.ignored?.includes(key) || setAside.has(key)) continue;
    carriersOf.set(key, new Set([...(carriersOf.get(key) ?? []), holder.get(r._id)!]));
  }
  for (const [key, members] of carriersOf) {
    if (members.size < 2) continue;
    const type = key.slice(0, key.indexOf(':'));
    const under = listed.filter((c) => c.type === type && (c.value === key.slice(type.length + 1) || (c.value === null && c.between.some((x) => x.recordId !== c.askedBy && carries(byId.get(x.recordId), key)))));
    const tied = new Map([...members].map((m) => [m, m]));
    const root = (m: string): string => (tied.get(m) === m ? m : root(tied.get(m)!));
    for (const c of under) {
      const [x, y] = c.between.map((v) => v.memberId!);
      if (tied.has(x!) && tied.has(y!)) tied.set(root(x!), root(y!));
    }
    const roots = new Set([...members].map(root));
    expect([key, [...members].sort(), roots.size]).toEqual([key, [...members].sort(), 1]);
  }
}
