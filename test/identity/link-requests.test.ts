import { writeFileSync } from 'node:fs';
import { confirmLinkRequest, listLinkRequests, refuseLinkRequest } from '../../cloudfunctions/core/identity/link-requests';
import { unmergeMembers } from '../../cloudfunctions/core/identity/operator';
import { openLocalServices } from '../../cloudfunctions/core/local/services';
import { silentLogger } from '../../cloudfunctions/core/runtime/log';
import { runCli } from '../support/cli';
import { boundConsumer, exportAll, importMembers, member, memberOk } from '../support/members';
import { openTestServices, type TestServices } from '../support/services';
import { tempDir } from '../support/temp';

/** Staff deciding the store cards without a phone that consumers asked to link (member.linkOffline → pending). */
describe('store card link requests', () => {
  let services: TestServices;
  beforeEach(async () => {
    services = openTestServices();
    await importMembers(services, 'offline', [
      { channelMemberId: 'C200', name: '王芳', points: '300', growth: '1200' }, // no phone on file
      { channelMemberId: 'C300' },
    ]);
    await boundConsumer(services, 'u1', '13912345678');
  });
  afterEach(() => services.close());

  const everything = async () => Object.fromEntries(
    await Promise.all(['members', 'records', 'identifiers', 'merges', 'linkRequests', 'accounts', 'balances', 'ledger'].map(async (c) => [c, await services.dump(c)] as const)),
  );
  const ask = async (openid: string, cardNo: string) => memberOk(services, openid, { action: 'linkOffline', cardNo });
  const requestOf = async (cardNo: string) => (await services.dump('linkRequests')).find((r) => r.cardRecordId === `offline:${cardNo}`)!._id;
  const codeOf = (promise: Promise<unknown>) => promise.then(() => 'ok', (error: { code?: string }) => error.code);

  it('lists what waits, oldest first, with what staff need to check the card', async () => {
    await ask('u1', 'C300');
    services.clock.advance(60_000);
    await ask('u1', 'C200');
    const { requests, nextCursor } = await listLinkRequests(services, 'pending', 10);
    expect(nextCursor).toBeNull();
    expect(requests.map((r) => [r.cardNo, r.cardName, r.requesterPhone, r.status])).toEqual([
      ['C300', null, '139****5678', 'pending'],
      ['C200', '王芳', '139****5678', 'pending'],
    ]);
    expect((await listLinkRequests(services, 'pending', 1)).nextCursor).not.toBeNull();
    expect(JSON.stringify(requests)).not.toContain('13912345678');
  });

  it('confirming joins the card to the consumer: its points and level count for them; a retry answers the same and writes nothing', async () => {
    await ask('u1', 'C200');
    const id = await requestOf('C200');
    const confirmed = await confirmLinkRequest(services, id);
    const line = (await exportAll(services)).find((l) => l.memberId === confirmed.memberId)!;
    expect(line).toMatchObject({ points: { available: 300 }, growth: 1200, level: 'silver' });
    expect(line.identifiers).toEqual(expect.arrayContaining([{ type: 'offline', value: 'C200' }]));
    expect(await listLinkRequests(services, 'pending', 10)).toMatchObject({ requests: [] });
    expect(await memberOk(services, 'u1', { action: 'linkOffline', cardNo: 'C200' })).toMatchObject({ status: 'linked', memberId: confirmed.memberId });

    const after = await everything();
    services.clock.advance(60_000);
    expect(await confirmLinkRequest(services, id)).toEqual(confirmed);
    expect(await everything()).toEqual(after);
  });

  it('a confirmation names its merge, whose unmerge gives the card back its points and its number alone', async () => {
    await ask('u1', 'C200');
    const confirmed = await confirmLinkRequest(services, await requestOf('C200'));
    expect(confirmed.mergeId).toMatch(/^mg_/);
    const { restored, survivor } = await unmergeMembers(services, confirmed.mergeId!);
    const lines = await exportAll(services);
    const holders = lines.filter((l) => l.identifiers.some((i) => i.type === 'offline' && i.value === 'C200'));
    expect(holders).toHaveLength(1);
    expect(holders[0]).toMatchObject({ points: { available: 300 }, growth: 1200 });
    expect([restored, survivor]).toContain(holders[0]!.memberId);
    expect(await memberOk(services, 'u1', { action: 'channels' })).toMatchObject({ offline: false });
    const consumer = lines.find((l) => l.memberId !== holders[0]!.memberId && [restored, survivor].includes(l.memberId));
    expect(consumer).toMatchObject({ points: { available: 0 } });
  });

  it('refusing leaves the card as it is and tells the consumer to see the store; a retry answers the same and writes nothing', async () => {
    await ask('u1', 'C200');
    const id = await requestOf('C200');
    const before = await everything();
    expect(await refuseLinkRequest(services, id, '卡主不是本人')).toEqual({ requestId: id, status: 'refused' });
    expect((await listLinkRequests(services, 'refused', 10)).requests).toMatchObject([{ cardNo: 'C200', reason: '卡主不是本人' }]);
    const refused = await everything();
    expect({ ...refused, linkRequests: before.linkRequests }).toEqual(before);

    services.clock.advance(60_000);
    expect(await refuseLinkRequest(services, id, null)).toEqual({ requestId: id, status: 'refused' });
    // asking again does not reopen it
    expect(await member(services, 'u1', { action: 'linkOffline', cardNo: 'C200' })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await everything()).toEqual(refused);
  });

  it('answers a decision the other way, an unknown request, or a card already held with an error code, and writes nothing', async () => {
    await ask('u1', 'C200');
    await ask('u1', 'C300');
    const [c200, c300] = [await requestOf('C200'), await requestOf('C300')];
    await refuseLinkRequest(services, c200, null);
    await confirmLinkRequest(services, c300);
    // another consumer asks for the card u1 now holds
    await boundConsumer(services, 'u2', '13700001111');
    await ask('u2', 'C300');
    const other = (await services.dump('linkRequests')).find((r) => r.cardRecordId === 'offline:C300' && r.status === 'pending')!._id;
    const before = await everything();
    expect(await codeOf(confirmLinkRequest(services, c200))).toBe('CONFLICT');
    expect(await codeOf(refuseLinkRequest(services, c300, null))).toBe('CONFLICT');
    expect(await codeOf(confirmLinkRequest(services, 'offline:C999>wechat:w_x'))).toBe('NOT_FOUND');
    expect(await codeOf(refuseLinkRequest(services, 'offline:C999>wechat:w_x', null))).toBe('NOT_FOUND');
    expect(await codeOf(confirmLinkRequest(services, other))).toBe('CONFLICT');
    expect(await everything()).toEqual(before);
  });

  it('forgets the requests of a consumer who erased themselves', async () => {
    await ask('u1', 'C200');
    await memberOk(services, 'u1', { action: 'delete', confirm: true });
    expect(await services.dump('linkRequests')).toEqual([]);
    expect((await listLinkRequests(services, 'pending', 10)).requests).toEqual([]);
  });

  it('is there for the operator as member-centre commands', async () => {
    const temp = tempDir('mc-link-requests-');
    try {
      const db = temp.file('mc.db');
      const cardFile = temp.file('cards.csv');
      writeFileSync(cardFile, 'channelMemberId,name\nC500,李雷\n');
      expect(await runCli(db, 'import', 'members', '--channel', 'offline', '--file', cardFile)).toMatchObject({ failed: false });
      // the consumer side, on the same database file
      const local = openLocalServices({ dbFile: db, log: silentLogger });
      try {
        await boundConsumer(local, 'u9', '13812340000');
        await memberOk(local, 'u9', { action: 'linkOffline', cardNo: 'C500' });
      } finally {
        await local.store.close();
      }
      const listed = await runCli(db, 'members', 'link-requests');
      expect(listed).toMatchObject({ failed: false });
      expect(listed.out).toContain('card C500 (李雷), asked by 138****0000');
      // printed quoted: the id's > would redirect the output of a command pasted unquoted
      expect(listed.out).toMatch(/^'offline:C500>wechat:w_[^']+'  card/);
      expect(listed.err).toMatch(/decide with: members link-confirm 'ID'/);
      const id = listed.out.split("'")[1]!;
      const confirmedRun = await runCli(db, 'members', 'link-confirm', id);
      expect(confirmedRun.out).toMatch(new RegExp(`^confirmed '${id}': the card now belongs to m_\\w+ \\(merge (mg_\\w+); undo with: members unmerge \\1\\)\n$`));
      expect(await runCli(db, 'members', 'link-confirm', id)).toEqual(confirmedRun);
      const mergeId = /merge (mg_\w+)/.exec(confirmedRun.out)![1]!;
      expect((await runCli(db, 'members', 'link-refuse', id)).err).toMatch(new RegExp(`CONFLICT: this request was confirmed; separate the card with members unmerge ${mergeId} if that was wrong`));
      expect(await runCli(db, 'members', 'link-requests', '--status', 'maybe')).toMatchObject({ failed: true });
    } finally {
      temp.cleanup();
    }
  });
});
