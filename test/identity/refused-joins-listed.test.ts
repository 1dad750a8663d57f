/**
 * The CRM team's review list of refused joins (`members conflicts`; identity/refused-joins.ts,
 * graph.store.ts, operator.ts listConflicts): a refused store-card link is gone, not merely hidden,
 * once the two sides are one member, so an unmerge does not bring it back with its old date; a
 * refused phone binding too, and two refusals of one phone whose sides are now the same two members
 * are one, whichever side each names first; and the list can be read past its first page.
 */
import { refusalsOf, type ConflictDoc, type RecordDoc, type ValueDoc } from '../../cloudfunctions/core/identity/graph.store';
import { liveMember } from '../../cloudfunctions/core/identity/lookup';
import { listConflicts, mergeMembers, unmergeMembers } from '../../cloudfunctions/core/identity/operator';
import { memberFunction } from '../../cloudfunctions/core/functions/member';
import { invoke } from '../../cloudfunctions/core/runtime/handler';
import { runCliAt } from '../support/cli';
import { cardAsker, importMembers, member, memberOk, refusedCardLink } from '../support/members';
import { openTestServices, reconfigured, type TestServices } from '../support/services';

describe('the refused joins listed for review', () => {
  let services: TestServices;
  beforeEach(() => { services = openTestServices(); });
  afterEach(() => services.close());

  const P = '13912345678';
  const memberOf = async (recordId: string) =>
    (await liveMember(services.store.get.bind(services.store), (await services.store.get<RecordDoc>('records', recordId))?.memberId ?? null))?._id ?? null;
  const listed = async (s: TestServices = services) => (await listConflicts(s, 1000)).conflicts;

  const refusedCard = () => refusedCardLink(services, P);

  // guards against a refused card link (filed under the card's own id, which no walk reads) being
  // hidden rather than removed once the two sides are one member, and listed again, with its old
  // date, once an operator separates them
  it('drops a refused card link once the operator merges the two members, and an unmerge does not bring it back', async () => {
    const asker = await refusedCard();
    const relaxed = reconfigured(services, (config) => { config.identity.limits.unionid = 2; config.identity.limits.phone = 2; });
    services.clock.advance(3_600_000);
    const merge = await mergeMembers(relaxed, (await memberOf(asker))!, (await memberOf('offline:C1'))!);
    expect(await memberOf(asker)).toBe(await memberOf('offline:C1'));
    expect(await listed(relaxed)).toEqual([]);
    // the two are one member: the refusal no longer stands, and is not kept
    expect(await services.dump('conflicts')).toEqual([]);

    services.clock.advance(3_600_000);
    await unmergeMembers(relaxed, merge._id);
    expect(await memberOf(asker)).not.toBe(await memberOf('offline:C1'));
    // separated by the operator, who knows it: not a limit's refusal from an hour before the merge
    expect(await listed(relaxed)).toEqual([]);
    expect(await services.dump('conflicts')).toEqual([]);
  });

  // guards against a refused card link kept after the limit was raised and the two joined by the
  // consumer asking again (the join the refusal stood for now made)
  it('drops a refused card link once a raised limit lets the consumer link the card', async () => {
    const asker = await refusedCard();
    const relaxed = reconfigured(services, (config) => { config.identity.limits.unionid = 2; config.identity.limits.phone = 2; });
    const as = (event: Record<string, unknown>) => invoke(memberFunction, event, cardAsker, relaxed);
    expect(await as({ action: 'linkOffline', cardNo: 'C1', last4: '0009' })).toMatchObject({ ok: true });
    expect(await memberOf(asker)).toBe(await memberOf('offline:C1'));
    expect(await services.dump('conflicts')).toEqual([]);
  });

  // the choice for an operator's own merge a limit refuses (ARCHITECTURE §5): answered at the
  // terminal, which says it changed nothing, and not listed for review beside the joins others asked for
  it('lists nothing for a members merge a limit refuses: the operator was answered', async () => {
    await importMembers(services, 'tmall', [{ channelMemberId: 'T1', phone: P }, { channelMemberId: 'T2', phone: '13912340000' }]);
    const run = await runCliAt(services.clock, services.dbFile, 'members', 'merge', (await memberOf('tmall:T1'))!, (await memberOf('tmall:T2'))!);
    expect(run.failed).toBe(true);
    expect(run.err).toMatch(/limit/);
    expect(await services.dump('conflicts')).toEqual([]);
    expect(await services.dump('merges')).toEqual([]);
  });

  it('drops a refused phone binding once the operator joins its two sides, and the phone is no longer marked as refusing', async () => {
    await importMembers(services, 'tmall', [{ channelMemberId: 'T1', phone: P }]);
    await importMembers(services, 'tmall', [{ channelMemberId: 'T2', openid: 'openid_u1_xx' }]);
    await memberOk(services, 'openid_u1_xx', { action: 'login' });
    await memberOk(services, 'openid_u1_xx', { action: 'consent', version: services.config.termsVersion });
    expect(await member(services, 'openid_u1_xx', { action: 'bindPhone', code: `dev:${P}:${services.clock.now()}` })).toMatchObject({ ok: false, error: { code: 'PHONE_CONFLICT' } });
    expect((await listConflicts(services, 1000)).conflicts).toHaveLength(1);

    // the brand allows two Tmall memberships now, and an operator joins the two
    const roomier = reconfigured(services, (config) => { config.identity.limits.tmall = 2; });
    await mergeMembers(roomier, (await memberOf('tmall:T1'))!, (await memberOf('tmall:T2'))!);
    expect(await memberOf('tmall:T1')).toBe(await memberOf('tmall:T2'));
    expect((await listConflicts(roomier, 1000)).conflicts).toEqual([]);
    expect((await services.dump('conflicts')) as ConflictDoc[]).toEqual([]);
    expect(((await services.dump('identifiers')) as ValueDoc[]).filter((v) => v.refused)).toEqual([]);
  });

  describe('members conflicts, page after page', () => {
    /** Two Tmall memberships on each of `n` phones, and two phones more a minute apart: one refusal, and one conflicts document, a phone. */
    const refusedOnPhones = async (n: number) => {
      const rows = [];
      for (let i = 0; i < n; i++) {
        const phone = `1391234${String(i).padStart(4, '0')}`;
        rows.push({ channelMemberId: `T${i}a`, phone }, { channelMemberId: `T${i}b`, phone });
      }
      await importMembers(services, 'tmall', rows);
      // and some later, on their own dates
      for (let i = n; i < n + 2; i++) {
        services.clock.advance(60_000);
        const phone = `1391234${String(i).padStart(4, '0')}`;
        await importMembers(services, 'tmall', [{ channelMemberId: `T${i}a`, phone }, { channelMemberId: `T${i}b`, phone }]);
      }
      expect(await services.dump('conflicts')).toHaveLength(n + 2);
    };
    const lines = (out: string) => out.split('\n').filter(Boolean);

    // guards against a list that stops at its first page: only the first 1,000 could ever be read
    it('goes on from where the last page ended with --after, each refusal once, in the order of one long page', async () => {
      await refusedOnPhones(5);
      const all = await runCliAt(services.clock, services.dbFile, 'members', 'conflicts', '--limit', '1000');
      expect(all.failed).toBe(false);
      expect(lines(all.out)).toHaveLength(7);
      expect(all.err).not.toMatch(/more/);

      const seen: string[] = [];
      let args = ['--limit', '2'];
      for (let pages = 0; pages < 10; pages++) {
        const page = await runCliAt(services.clock, services.dbFile, 'members', 'conflicts', ...args);
        expect(page.failed).toBe(false);
        seen.push(...lines(page.out));
        const next = /members conflicts --limit 2 --after '([A-Za-z0-9_-]+)'/.exec(page.err);
        if (!next) break;
        args = ['--limit', '2', '--after', next[1]!];
      }
      // each listed once; one conflict a phone here, so pages in order make the one long list
      expect(seen).toEqual(lines(all.out));
    });

    it('refuses an --after that no listing gave out, saying what it takes', async () => {
      await refusedOnPhones(1);
      const run = await runCliAt(services.clock, services.dbFile, 'members', 'conflicts', '--after', 'not a cursor');
      expect(run.failed).toBe(true);
      expect(run.err).toMatch(/--after takes the cursor/);
    });
  });
});

describe('a consumer\'s phone binding refused twice, against two members that become one', () => {
  let s: TestServices;
  beforeEach(() => { s = openTestServices(); });
  afterEach(() => s.close());

  const P = '13912345678';
  let taps = 0;
  const bind = (openid: string) => member(s, openid, { action: 'bindPhone', code: `dev:${P}:${s.clock.now() - ++taps}` });
  const onboard = async (openid: string) => {
    await memberOk(s, openid, { action: 'login' });
    await memberOk(s, openid, { action: 'consent', version: s.config.termsVersion });
  };
  const recordOf = async (id: string) => (await s.store.get<RecordDoc>('records', id))!;

  it('is listed once, the first refusal kept, though one names the asker first and the other names it second', async () => {
    // u1 and u2 each hold a Tmall membership (by openid): one member may hold one
    await importMembers(s, 'tmall', [{ channelMemberId: 'T6', openid: 'openid_u1_xx' }, { channelMemberId: 'T5', openid: 'openid_u2_xx' }]);
    await onboard('openid_u1_xx');
    await onboard('openid_u2_xx');
    expect(await bind('openid_u2_xx')).toMatchObject({ ok: true });
    // u1 asks for the phone u2 holds: refused (between u1's WeChat record and u2's, u1's named first)
    expect(await bind('openid_u1_xx')).toMatchObject({ ok: false, error: { code: 'PHONE_CONFLICT' } });
    s.clock.advance(1000);
    // a Tmall member with the phone arrives, kept from u2's member by the same limit; u1 asks again:
    // refused against it too (between T2 and u1's WeChat record, u1's named second)
    await importMembers(s, 'tmall', [{ channelMemberId: 'T2', phone: P }]);
    expect(await bind('openid_u1_xx')).toMatchObject({ ok: false, error: { code: 'PHONE_CONFLICT' } });
    const [conflict] = (await s.dump('conflicts')) as ConflictDoc[];
    const asker = (await s.dump('records') as RecordDoc[]).find((r) => r.identifiers.some((i) => i.value === 'openid_u1_xx' && r._id.startsWith('wechat:')))!._id;
    const asked = () => refusalsOf(conflict!).filter((r) => r.askedBy === asker);
    expect(asked().map((r) => r.between.indexOf(asker)).sort()).toEqual([0, 1]);

    // Tmall's next export drops u2's openid from T5: u2 joins T2 by the phone both carry
    await importMembers(s, 'tmall', [{ channelMemberId: 'T5' }]);
    const u2 = asked()[0]!.between.find((id) => id !== asker)!;
    expect((await recordOf(u2)).memberId).toBe((await recordOf('tmall:T2')).memberId);
    expect((await recordOf(asker)).memberId).not.toBe((await recordOf('tmall:T2')).memberId);
    const [after] = (await s.dump('conflicts')) as ConflictDoc[];
    const standing = refusalsOf(after!).filter((r) => r.askedBy === asker);
    expect(standing).toEqual([asked()[0]]);
  });
});
