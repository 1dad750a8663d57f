import { mergeMembers } from '../../cloudfunctions/core/identity/operator';
import type { ConflictDoc, RecordDoc, ValueDoc } from '../../cloudfunctions/core/identity/graph.store';
import { liveMember } from '../../cloudfunctions/core/identity/lookup';
import { listConflicts } from '../../cloudfunctions/core/identity/operator';
import { runCliAt } from '../support/cli';
import { importMembers, member, memberOk, refusedCardLink } from '../support/members';
import { openTestServices, reconfigured, withStepAfterRefusal, type TestServices } from '../support/services';

/**
 * The edges of the joins a consumer asked for that a limit refused (identity/refused-joins.ts, and
 * their `askedBy` refusals in graph.store.ts, operator.ts and erase.ts): who is named, what is kept
 * beside the graph's own refusals on the value, when they stop being listed, and what erasure takes.
 */
describe('refused joins asked for, at their edges', () => {
  let services: TestServices;
  beforeEach(() => { services = openTestServices(); });
  afterEach(() => services.close());

  const P = '13912345678';
  const onboard = async (s: TestServices, openid: string) => {
    await memberOk(s, openid, { action: 'login' });
    await memberOk(s, openid, { action: 'consent', version: s.config.termsVersion });
  };
  /** A new tap of the phone button: a code never used before. */
  let taps = 0;
  const bind = (s: TestServices, openid: string, phone: string) => member(s, openid, { action: 'bindPhone', code: `dev:${phone}:${s.clock.now() - ++taps}` });
  const wechatOf = async (openid: string) => (await services.store.get<ValueDoc>('identifiers', `openid:${openid}`))!.records.find((id) => id.startsWith('wechat:'))!;
  const memberOf = async (s: TestServices, recordId: string) => (await liveMember(s.store.get.bind(s.store), (await s.store.get<RecordDoc>('records', recordId))?.memberId ?? null))?._id ?? null;
  const listed = async (s: TestServices = services) => (await listConflicts(s, 1000)).conflicts;
  const refusals = async () => ((await services.dump('conflicts')) as ConflictDoc[]).flatMap((doc) => (doc.refusals ?? [doc]).map((r) => ({ id: doc._id, between: r.between, askedBy: r.askedBy ?? null, at: r.at })));

  /** `tmall:T1` holds P; the consumer's member holds another Tmall membership (`T2` carries their openid). */
  const refusedBinding = async (openid = 'openid_u1_xx', own = 'T2') => {
    await importMembers(services, 'tmall', [{ channelMemberId: own, openid }]);
    await onboard(services, openid);
    expect(await bind(services, openid, P)).toMatchObject({ ok: false, error: { code: 'PHONE_CONFLICT' } });
    return wechatOf(openid);
  };

  // guards against recording a refusal the graph found between two others on the phone as the asker's
  it('names the asker only in a refusal that is theirs: two others kept apart on the phone stay as the graph found them', async () => {
    // T1 and T3 share P, and a member holds one Tmall membership: they are refused, by the graph
    await importMembers(services, 'tmall', [{ channelMemberId: 'T1', phone: P }, { channelMemberId: 'T3', phone: P }]);
    const before = await refusals();
    expect(before).toHaveLength(1);
    // a consumer holding nothing limited binds P: they join one side, and the other is not theirs to join
    await onboard(services, 'openid_u1_xx');
    expect(await bind(services, 'openid_u1_xx', P)).toMatchObject({ ok: false, error: { code: 'PHONE_CONFLICT' } });
    expect(await refusals()).toEqual(before);
  });

  // guards against recording a refusal an operator's unmerge made as one a limit made
  it('records nothing when an operator\'s unmerge keeps the consumer apart from the phone\'s member', async () => {
    await onboard(services, 'openid_u1_xx');
    expect(await bind(services, 'openid_u1_xx', P)).toMatchObject({ ok: true });
    await onboard(services, 'openid_u2_xx');
    expect(await bind(services, 'openid_u2_xx', P)).toMatchObject({ ok: true, data: { merged: true } });
    const merge = (await services.dump('merges')).find((m) => (m as { kind?: string }).kind === 'merge')!;
    expect((await runCliAt(services.clock, services.dbFile, 'members', 'unmerge', merge._id)).failed).toBe(false);
    expect(await bind(services, 'openid_u2_xx', '13900000002')).toMatchObject({ ok: true });
    expect(await services.dump('conflicts')).toEqual([]);
    // bound P again: apart from the member holding it, by the operator's hand, not a limit's
    expect(await bind(services, 'openid_u2_xx', P)).toMatchObject({ ok: false, error: { code: 'PHONE_CONFLICT' } });
    expect(await services.dump('conflicts')).toEqual([]);
  });

  // guards against two consumers' refusals under one phone keeping only the last, or the first on top
  it('keeps each consumer\'s refusal under the phone, the latest on top', async () => {
    await importMembers(services, 'tmall', [{ channelMemberId: 'T1', phone: P }]);
    const first = await refusedBinding('openid_u1_xx', 'T2');
    services.clock.advance(60_000);
    const second = await refusedBinding('openid_u2_xx', 'T3');
    const [doc] = (await services.dump('conflicts')) as ConflictDoc[];
    expect(doc!.refusals!.map((r) => r.askedBy)).toEqual([first, second]);
    expect(doc!.askedBy).toBe(second);
    expect((await listed()).map((c) => c.askedBy)).toEqual([second, first]);
    // each asker notes the value once, for erasure to find
    for (const id of [first, second]) expect((await services.store.get<RecordDoc & { refusedJoins?: string[] }>('records', id))!.refusedJoins).toEqual([doc!._id]);
  });

  // guards against telling a retry from a new refusal by the records it names rather than by their members
  it('takes a retry naming another record of the same member for the same refusal', async () => {
    await importMembers(services, 'tmall', [{ channelMemberId: 'T5', phone: P }]);
    const asker = await refusedBinding('openid_u1_xx', 'T2');
    const once = await services.dump('conflicts');
    expect((once[0] as ConflictDoc).between).toContain('tmall:T5');
    // a store card with P joins T5's member, and is walked before it
    await importMembers(services, 'offline', [{ channelMemberId: 'C0', phone: P }]);
    expect(await memberOf(services, 'offline:C0')).toBe(await memberOf(services, 'tmall:T5'));
    services.clock.advance(60_000);
    expect(await bind(services, 'openid_u1_xx', P)).toMatchObject({ ok: false, error: { code: 'PHONE_CONFLICT' } });
    expect(await listed()).toHaveLength(1);
    expect((await listed())[0]).toMatchObject({ askedBy: asker });
  });

  // guards against the asker noting the value again for a second refusal under it
  it('notes the phone once on the asker who is refused under it again, against another member', async () => {
    await importMembers(services, 'tmall', [{ channelMemberId: 'T1', phone: P }, { channelMemberId: 'T3', phone: P }]);
    const asker = await refusedBinding();
    const first = (await refusals()).find((r) => r.askedBy)!;
    // the side it was refused drops the phone; asked again, it is refused against the other
    const gone = first.between.find((id) => id !== asker)!;
    await importMembers(services, 'tmall', [{ channelMemberId: gone.slice('tmall:'.length), phone: '' }]);
    services.clock.advance(60_000);
    expect(await bind(services, 'openid_u1_xx', P)).toMatchObject({ ok: false, error: { code: 'PHONE_CONFLICT' } });
    // (the first no longer stands: the side it was refused against carries the phone no more)
    expect((await refusals()).filter((r) => r.askedBy).map((r) => r.between.find((id) => id !== asker)).sort()).toEqual(['tmall:T1', 'tmall:T3'].filter((id) => id !== gone));
    expect((await services.store.get<RecordDoc & { refusedJoins?: string[] }>('records', asker))!.refusedJoins).toEqual([first.id]);
  });

  // guards against keeping a refusal asked for once the phone is set aside as shared (it joins and refuses no one)
  it('drops a refused binding once the phone is set aside as shared', async () => {
    await importMembers(services, 'tmall', [{ channelMemberId: 'T1', phone: P }]);
    await refusedBinding();
    expect(await listed()).toHaveLength(1);
    const low = reconfigured(services, (config) => { config.identity.quarantineThreshold = 2; });
    await importMembers(low, 'tmall', [{ channelMemberId: 'T7', phone: P }, { channelMemberId: 'T8', phone: P }]);
    expect((await services.store.get<ValueDoc>('identifiers', (await services.dump('identifiers') as ValueDoc[]).find((v) => v.type === 'phone')!._id))!.quarantined).toBe(true);
    expect(await listed(low)).toEqual([]);
    expect(await services.dump('conflicts')).toEqual([]);
  });

  // guards against keeping the graph's refusals that no longer hold beside a refused binding that does
  it('keeps a refused binding alone when the graph\'s refusal beside it no longer holds', async () => {
    await importMembers(services, 'tmall', [{ channelMemberId: 'T1', phone: P }, { channelMemberId: 'T3', phone: P }]);
    const asker = await refusedBinding();
    expect((await listed()).map((c) => c.askedBy ?? null).sort()).toEqual([asker, null].sort());
    // T3 no longer carries P: the graph refuses nothing on it, the consumer's refusal still stands
    await importMembers(services, 'tmall', [{ channelMemberId: 'T3', phone: '' }]);
    const now = await listed();
    expect(now.map((c) => c.askedBy)).toEqual([asker]);
    expect((await refusals()).map((r) => r.askedBy)).toEqual([asker]);
  });

  // guards against dropping a refused binding when an import finds another refusal on the same phone
  it('keeps a refused binding when an import finds another refusal on the phone, and counts that one', async () => {
    await importMembers(services, 'tmall', [{ channelMemberId: 'T1', phone: P }]);
    const asker = await refusedBinding();
    services.clock.advance(60_000);
    const summary = await importMembers(services, 'tmall', [{ channelMemberId: 'T3', phone: P }]);
    expect(summary.conflicts).toBe(1);
    expect((await listed()).map((c) => c.askedBy ?? null).sort()).toEqual([asker, null].sort());
  });

  // guards against listing the same two members twice under the phone (the graph's refusal and the one
  // asked for), and against the graph taking the asked one's time for its own and counting none
  it('lists the graph\'s own refusal alone once it refuses the same two members as a binding did', async () => {
    await importMembers(services, 'tmall', [{ channelMemberId: 'T1', phone: P }]);
    await refusedBinding('openid_u1_xx', 'T2');
    services.clock.advance(60_000);
    // T2 (the consumer's member) now carries P itself: the graph refuses T2 and T1 on it
    const summary = await importMembers(services, 'tmall', [{ channelMemberId: 'T2', openid: 'openid_u1_xx', phone: P }]);
    expect(summary.conflicts).toBe(1);
    const now = await listed();
    expect(now).toHaveLength(1);
    expect(now[0]!.askedBy).toBeUndefined();
    expect(now[0]!.at).toBe(new Date(services.clock.now()).toISOString());
  });

  const refusedCard = () => refusedCardLink(services, P);

  // guards against listing a refused card link once an operator joined the two members
  it('no longer lists a refused card link once the operator merges the two members', async () => {
    const asker = await refusedCard();
    const relaxed = reconfigured(services, (config) => { config.identity.limits.unionid = 2; config.identity.limits.phone = 2; });
    await mergeMembers(relaxed, (await memberOf(services, asker))!, (await memberOf(services, 'offline:C1'))!);
    expect(await memberOf(services, asker)).toBe(await memberOf(services, 'offline:C1'));
    expect(await listed(relaxed)).toEqual([]);
  });

  // guards against erasure keeping a refused card link whose card (not its asker) was erased
  it('erases a refused card link with the member of the card', async () => {
    await refusedCard();
    // another consumer binds the card's phone, joining its member, and erases themselves
    await onboard(services, 'openid_u2_xx');
    expect(await bind(services, 'openid_u2_xx', '13700000009')).toMatchObject({ ok: true });
    expect(await memberOf(services, await wechatOf('openid_u2_xx'))).toBe(await memberOf(services, 'offline:C1'));
    expect(await memberOk(services, 'openid_u2_xx', { action: 'delete', confirm: true })).toEqual({ deleted: true });
    expect(await services.store.get('records', 'offline:C1')).toBeNull();
    expect(await listed()).toEqual([]);
    expect(await services.dump('conflicts')).toEqual([]);
  });

  // guards against erasure leaving the phone the erased consumer asked for flagged as refusing (its
  // holder's walks would read a conflicts document that is gone, and the flag says refusals are kept)
  it('erasing the consumer who asked leaves the phone, still held by another, flagged as refusing nothing', async () => {
    await importMembers(services, 'tmall', [{ channelMemberId: 'T1', phone: P }]);
    await refusedBinding();
    const phone = ((await services.dump('identifiers')) as ValueDoc[]).find((v) => v.type === 'phone')!;
    expect(phone.refused).toBe(true);
    expect(await memberOk(services, 'openid_u1_xx', { action: 'delete', confirm: true })).toEqual({ deleted: true });
    expect(await services.dump('conflicts')).toEqual([]);
    const after = (await services.store.get<ValueDoc>('identifiers', phone._id))!;
    expect(after.records).toEqual(['tmall:T1']);
    expect(after.refused).toBeUndefined();
  });

  // guards against recording a refusal naming a record erased between the rollback and the recording
  it('records nothing naming a record erased between the refusal and its recording', async () => {
    await importMembers(services, 'tmall', [{ channelMemberId: 'T1', openid: 'openid_u1_xx' }, { channelMemberId: 'T2', openid: 'openid_u2_xx' }]);
    await onboard(services, 'openid_u1_xx');
    expect(await bind(services, 'openid_u1_xx', P)).toMatchObject({ ok: true });
    await onboard(services, 'openid_u2_xx');
    // the holder of P erases themselves just after the binding is refused, before it is recorded
    const erasing = withStepAfterRefusal(services, async () => {
      expect(await memberOk(services, 'openid_u1_xx', { action: 'delete', confirm: true })).toEqual({ deleted: true });
    });
    expect(await bind(erasing, 'openid_u2_xx', P)).toMatchObject({ ok: false, error: { code: 'PHONE_CONFLICT' } });
    expect(await services.dump('conflicts')).toEqual([]);
  });
});
