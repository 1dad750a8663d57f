import type { RecordDoc } from '../../cloudfunctions/core/identity/graph.store';
import { confirmLinkRequest, listLinkRequests, refuseLinkRequest } from '../../cloudfunctions/core/identity/link-requests';
import { mergeMembers, unmergeMembers } from '../../cloudfunctions/core/identity/operator';
import { runCliAt } from '../support/cli';
import { boundConsumer, importMembers, member, memberOk } from '../support/members';
import { openTestServices, type TestServices } from '../support/services';

/**
 * Review 38: a store-card link request whose card joined the consumer's member some other way
 * while it waited for staff (an operator's `members merge`, a re-import giving the card the
 * consumer's phone, the consumer linking it by its digits once a re-import gave it a phone) waits
 * for nothing. It is not listed as pending; confirming it answers that the card is linked already
 * and writes nothing; refusing it is CONFLICT (a refusal would tell the consumer the store did not
 * confirm a card their member holds). Nothing is written on it, so when the card leaves the
 * consumer again (the merge undone) it waits again, as no one decided it.
 */
describe('a link request answered meanwhile by another join', () => {
  let s: TestServices;
  beforeEach(() => { s = openTestServices(); });
  afterEach(() => {
    process.exitCode = undefined;
    return s.close();
  });

  const PHONE = '13912345678';
  const everything = async () => Object.fromEntries(
    await Promise.all(['members', 'records', 'identifiers', 'merges', 'conflicts', 'linkRequests', 'linkAttempts', 'accounts', 'balances', 'ledger'].map(async (c) => [c, await s.dump(c)] as const)),
  );
  const memberOfRecord = async (id: string) => (await s.store.get<RecordDoc>('records', id))!.memberId!;
  const requestOf = async (cardNo: string) => (await s.dump('linkRequests')).find((r) => r.cardRecordId === `offline:${cardNo}`)!._id;
  const pendingCards = async () => (await listLinkRequests(s, 'pending', 100)).requests.map((r) => r.cardNo);
  const errorOf = (promise: Promise<unknown>) => promise.then(() => null, (error: { code?: string; message?: string }) => ({ code: error.code, message: error.message }));

  /** u1 asks staff for C200 (no phone on file) and C300 (no phone either): both wait. */
  async function twoRequests(): Promise<{ memberId: string }> {
    await importMembers(s, 'offline', [{ channelMemberId: 'C200', name: '王芳', points: '300' }, { channelMemberId: 'C300' }]);
    const consumer = await boundConsumer(s, 'u1', PHONE);
    expect(await memberOk(s, 'u1', { action: 'linkOffline', cardNo: 'C200' })).toMatchObject({ status: 'pending' });
    s.clock.advance(60_000);
    expect(await memberOk(s, 'u1', { action: 'linkOffline', cardNo: 'C300' })).toMatchObject({ status: 'pending' });
    expect(await pendingCards()).toEqual(['C200', 'C300']);
    return consumer;
  }

  /** Once C200 is in u1's member: not listed, confirm answers linked (twice, nothing written), refuse is CONFLICT (twice, nothing written). */
  async function expectAnswered(): Promise<void> {
    const holder = await memberOfRecord('offline:C200');
    expect(await memberOfRecord((await requestOf('C200')).split('>')[1]!)).toBe(holder);
    expect(await pendingCards()).toEqual(['C300']);
    const id = await requestOf('C200');
    const before = await everything();
    const answer = { requestId: id, status: 'linked', memberId: holder, mergeId: null };
    expect(await confirmLinkRequest(s, id)).toEqual(answer);
    s.clock.advance(60_000);
    expect(await confirmLinkRequest(s, id)).toEqual(answer);
    expect(await everything()).toEqual(before);
    for (let i = 0; i < 2; i++) {
      expect(await errorOf(refuseLinkRequest(s, id, '卡主不是本人'))).toMatchObject({ code: 'CONFLICT', message: expect.stringMatching(/already in the consumer's member/) });
    }
    expect(await everything()).toEqual(before);
    // the consumer's page says the card is linked, and their link sent again answers so
    expect(await memberOk(s, 'u1', { action: 'channels' })).toMatchObject({ offline: true, offlinePending: false, offlineRefused: false });
    expect(await memberOk(s, 'u1', { action: 'linkOffline', cardNo: 'C200' })).toEqual({ status: 'linked', memberId: holder });
    // the other request still waits, and is decided as before
    expect((await confirmLinkRequest(s, await requestOf('C300'))).status).toBe('confirmed');
  }

  it('an operator merged the card into the consumer: not pending, confirm answers linked, refuse is refused, nothing written', async () => {
    const { memberId } = await twoRequests();
    await mergeMembers(s, memberId, await memberOfRecord('offline:C200'));
    await expectAnswered();
  });

  it('refusing one answered meanwhile tells its caller why in the error\'s details (linked_already), as a card held tells card_held', async () => {
    const { memberId } = await twoRequests();
    await mergeMembers(s, memberId, await memberOfRecord('offline:C200'));
    await expect(refuseLinkRequest(s, await requestOf('C200'), null)).rejects.toMatchObject({ code: 'CONFLICT', details: { reason: 'linked_already' } });
  });

  it('a re-import gave the card the consumer\'s phone', async () => {
    await twoRequests();
    await importMembers(s, 'offline', [{ channelMemberId: 'C200', name: '王芳', phone: PHONE, points: '300' }]);
    await expectAnswered();
  });

  it('a re-import gave the card a phone, and the consumer linked it by its last four digits', async () => {
    await twoRequests();
    await importMembers(s, 'offline', [{ channelMemberId: 'C200', name: '王芳', phone: '13011112222', points: '300' }]);
    expect(await memberOk(s, 'u1', { action: 'linkOffline', cardNo: 'C200', last4: '2222' })).toMatchObject({ status: 'linked' });
    await expectAnswered();
  });

  it('the merge undone, the card leaves the consumer again and the request waits again as it was; staff then decide it', async () => {
    const { memberId } = await twoRequests();
    const merge = await mergeMembers(s, memberId, await memberOfRecord('offline:C200'));
    const stored = (await s.dump('linkRequests')).find((r) => r.cardRecordId === 'offline:C200');
    expect(await pendingCards()).toEqual(['C300']);
    await unmergeMembers(s, merge._id);
    expect(await memberOfRecord('offline:C200')).not.toBe(await memberOfRecord((await requestOf('C200')).split('>')[1]!));
    expect(await pendingCards()).toEqual(['C200', 'C300']);
    expect((await s.dump('linkRequests')).find((r) => r.cardRecordId === 'offline:C200')).toEqual(stored);
    expect(await memberOk(s, 'u1', { action: 'channels' })).toMatchObject({ offline: false, offlinePending: true });
    // the operator's unmerge keeps the two apart: staff refuse, and the consumer is told to see the store
    expect(await refuseLinkRequest(s, await requestOf('C200'), null)).toEqual({ requestId: await requestOf('C200'), status: 'refused' });
    expect(await pendingCards()).toEqual(['C300']);
  });

  it('a request for a card another consumer held and erased still waits for staff, who can refuse it', async () => {
    await importMembers(s, 'offline', [{ channelMemberId: 'C200' }]);
    await boundConsumer(s, 'u1', PHONE);
    const other = await boundConsumer(s, 'u2', '13700001111');
    expect(await memberOk(s, 'u1', { action: 'linkOffline', cardNo: 'C200' })).toMatchObject({ status: 'pending' });
    await mergeMembers(s, other.memberId, await memberOfRecord('offline:C200'));
    expect(await pendingCards()).toEqual(['C200']);
    await memberOk(s, 'u2', { action: 'delete', confirm: true });
    expect(await s.store.get('records', 'offline:C200')).toBeNull();
    expect(await pendingCards()).toEqual(['C200']);
    const id = await requestOf('C200');
    expect(await errorOf(confirmLinkRequest(s, id))).toMatchObject({ code: 'NOT_FOUND' });
    expect(await refuseLinkRequest(s, id, null)).toEqual({ requestId: id, status: 'refused' });
    // and the consumer whose card joined them erases themselves: their requests go with them
    await importMembers(s, 'offline', [{ channelMemberId: 'C500' }]);
    expect(await memberOk(s, 'u1', { action: 'linkOffline', cardNo: 'C500' })).toMatchObject({ status: 'pending' });
    const mine = await memberOfRecord((await requestOf('C500')).split('>')[1]!);
    await mergeMembers(s, mine, await memberOfRecord('offline:C500'));
    await memberOk(s, 'u1', { action: 'delete', confirm: true });
    expect(await s.dump('linkRequests')).toEqual([]);
  });

  it('members link-requests pages with --after over the requests still waiting, each once, the answered ones left out; link-confirm says the card is linked already', async () => {
    const cards = ['C201', 'C202', 'C203', 'C204', 'C205', 'C206'];
    await importMembers(s, 'offline', cards.map((channelMemberId) => ({ channelMemberId })));
    const { memberId } = await boundConsumer(s, 'u1', PHONE);
    for (const card of cards) {
      expect(await memberOk(s, 'u1', { action: 'linkOffline', cardNo: card })).toMatchObject({ status: 'pending' });
      s.clock.advance(60_000);
    }
    // C202, C203 and C205 join the consumer by operator merges; C201, C204, C206 still wait
    for (const card of ['C202', 'C203', 'C205']) await mergeMembers(s, memberId, await memberOfRecord(`offline:${card}`));
    const cli = (...args: string[]) => runCliAt(s.clock, s.dbFile, 'members', ...args);
    for (const limit of ['1', '2', '3', '100']) {
      const listed: string[] = [];
      let after: string[] = [];
      for (let pages = 0; pages < 10; pages++) {
        const run = await cli('link-requests', '--limit', limit, ...after);
        expect(run.failed).toBe(false);
        listed.push(...[...run.out.matchAll(/card (C\d+)/g)].map((m) => m[1]!));
        const more = /--after '([^']+)'/.exec(run.err);
        if (!more) break;
        after = ['--after', more[1]!];
      }
      expect(listed).toEqual(['C201', 'C204', 'C206']);
    }
    const before = await everything();
    const confirm = await cli('link-confirm', await requestOf('C203'));
    expect(confirm.failed).toBe(false);
    expect(confirm.out).toMatch(/^already linked '[^']+': the card is in the consumer's member \S+ already .*nothing changed/);
    const refuse = await cli('link-refuse', await requestOf('C203'));
    expect(refuse.failed).toBe(true);
    expect(refuse.err).toMatch(/CONFLICT: the card is already in the consumer's member/);
    expect(await everything()).toEqual(before);
    // another consumer's request for a card u1 holds is no answered one: it waits for staff (who refuse it)
    await boundConsumer(s, 'u2', '13700001111');
    expect(await memberOk(s, 'u2', { action: 'linkOffline', cardNo: 'C202' })).toMatchObject({ status: 'pending' });
    expect((await listLinkRequests(s, 'pending', 100)).requests.map((r) => r.cardNo)).toEqual(['C201', 'C204', 'C206', 'C202']);
    expect(await member(s, 'u2', { action: 'linkOffline', cardNo: 'C202' })).toMatchObject({ ok: true, data: { status: 'pending' } });
  });
});
