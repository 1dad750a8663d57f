import Database from 'better-sqlite3';
import fc from 'fast-check';
import { runs, timeoutFor } from '../support/property';
import { writeFileSync } from 'node:fs';
import { mergeMembers, unmergeMembers } from '../../cloudfunctions/core/identity/operator';
import { levelFor } from '../../cloudfunctions/core/levels/rules';
import { liveMember, type MemberRef } from '../../cloudfunctions/core/points/accounts.store';
import { postAdjust, type AdjustInput } from '../../cloudfunctions/core/points/ledger';
import { contentHash } from '../../cloudfunctions/core/points/rules';
import { pointsHistory, pointsSummary } from '../../cloudfunctions/core/points/summary.store';
import type { AccountDoc, BalanceDoc, LedgerEntry } from '../../cloudfunctions/core/points/types';
import { verifyPoints } from '../../cloudfunctions/core/points/verify.store';
import { AppError } from '../../cloudfunctions/core/runtime/errors';
import { allDocs } from '../../cloudfunctions/core/store/all-docs';
import type { Doc } from '../../cloudfunctions/core/store/port';
import { cliOnFreshDatabase } from '../support/cli';
import { boundConsumer, exportAll, importMembers, memberOk } from '../support/members';
import { openTestServices, type TestServices } from '../support/services';

/**
 * The operator's correction of growth (成长值) through the audited adjustment: `points adjust
 * MEMBER DELTA --reason R --growth G`, DELTA 0 for growth alone. A migration's mistake in growth
 * (and so in level) can be put right, once per request, never below zero, with the level following.
 */

async function collect<T extends Doc>(services: TestServices, collection: string): Promise<T[]> {
  const docs: T[] = [];
  for await (const doc of allDocs<T>(services.store, collection, { orderBy: '_id', pageSize: 1000 })) docs.push(doc);
  return docs;
}

type Line = { memberId: string; identifiers: { type: string; value: string }[]; points: { available: number }; growth: number; level: string };

describe('points adjust --growth, as the operator runs it', () => {
  const fresh = cliOnFreshDatabase();
  const file = (name: string, text: string) => (writeFileSync(fresh.temp.file(name), text), fresh.temp.file(name));
  const cli = async (...args: string[]) => (await fresh.cli(...args)).out;
  const exported = async (): Promise<Line[]> => (await cli('members', 'export')).trim().split('\n').map((line) => JSON.parse(line) as Line);
  const holding = async (type: string, value: string) => (await exported()).find((m) => m.identifiers.some((i) => i.type === type && i.value === value))!;
  const ledger = () => {
    const db = new Database(fresh.db, { readonly: true });
    try {
      return (db.prepare('SELECT body FROM doc_ledger ORDER BY id').pluck().all() as string[]).map((body) => JSON.parse(body) as LedgerEntry);
    } finally {
      db.close();
    }
  };

  it('corrects growth alone (DELTA 0), moving the level across a threshold up and down, once per request, audited', async () => {
    await cli('import', 'members', '--channel', 'tmall', '--file', file('members.csv', 'channelMemberId,points,growth\nT1,100,900\n'));
    const member = (await holding('tmall', 'T1')).memberId;
    expect(await holding('tmall', 'T1')).toMatchObject({ growth: 900, level: 'normal', points: { available: 100 } });

    const user = process.env.USER;
    process.env.USER = 'crm-alice';
    try {
      expect(await cli('points', 'adjust', member, '0', '--growth', '300', '--reason', '迁移成长值漏导', '--request-id', 'g1'))
        .toBe(`adjusted: +300 growth for ${member} (request g1); level now 银卡 (silver)\n`);
    } finally {
      process.env.USER = user;
    }
    expect(await holding('tmall', 'T1')).toMatchObject({ growth: 1200, level: 'silver', points: { available: 100 } });
    const entry = ledger().find((e) => e._id === 'adjust:g1')!;
    expect(entry).toMatchObject({ kind: 'adjust', accountId: 'tmall:T1', points: 0, growth: 300, reason: '迁移成长值漏导', operator: 'crm-alice' });

    // the retry replays: nothing doubles
    expect(await cli('points', 'adjust', member, '0', '--growth', '300', '--reason', '迁移成长值漏导', '--request-id', 'g1'))
      .toBe(`already done: +300 growth for ${member} (request g1)\n`);
    expect(await holding('tmall', 'T1')).toMatchObject({ growth: 1200, level: 'silver' });
    // the same request with other content is refused, not taken as a retry
    const mismatch = await fresh.run('points', 'adjust', member, '0', '--growth', '3000', '--reason', '迁移成长值漏导', '--request-id', 'g1');
    expect(mismatch.err).toMatch(/IDEMPOTENCY_MISMATCH/);
    // a request of points alone under a key first used with growth: other content too
    expect((await fresh.run('points', 'adjust', member, '5', '--reason', '迁移成长值漏导', '--request-id', 'g1')).err).toMatch(/IDEMPOTENCY_MISMATCH/);

    // back down across the threshold, with points in the same request
    expect(await cli('points', 'adjust', member, '-40', '--growth', '-700', '--reason', '重复导入', '--request-id', 'g2'))
      .toBe(`adjusted: -40 points and -700 growth for ${member} (request g2); level now 普通会员 (normal)\n`);
    expect(await holding('tmall', 'T1')).toMatchObject({ growth: 500, level: 'normal', points: { available: 60 } });
    expect(await cli('points', 'verify')).toMatch(/no differences/);
    expect(process.exitCode).toBeUndefined();
  });

  it('refuses bad input with a clear error and writes nothing', async () => {
    await cli('import', 'members', '--channel', 'tmall', '--file', file('members.csv', 'channelMemberId,points,growth\nT1,100,900\n'));
    const member = (await holding('tmall', 'T1')).memberId;
    const before = ledger();
    const refusals: [string[], RegExp][] = [
      [['0', '--growth', '1.5'], /--growth.*must be a non-zero whole number of growth/],
      [['0', '--growth', '0'], /--growth.*must be a non-zero whole number of growth/],
      [['0', '--growth', 'lots'], /--growth.*must be a non-zero whole number of growth/],
      [['0', '--growth', '1234567890'], /--growth.*at most 9 digits/],
      [['1.5', '--growth', '10'], /delta 1\.5 must be a whole number of points, at most 9 digits, e\.g\. 50 or -30, or 0 to change growth alone/],
      // never below zero: the member has 900
      [['0', '--growth', '-901'], /INVALID_INPUT: growth cannot go below zero: 901 to take away, the member has 900/],
      // a slip of the keyboard lifting a member levels needs --yes, as a large points adjustment does
      [['0', '--growth', '20000'], /\+20,000 growth is more than 10,000 growth: check the number, then run again with --yes/],
      [['0', '--growth', '10', '--reason', ' '], /--reason <reason>' argument ' ' is invalid\. it needs a value, not one of spaces alone/],
    ];
    for (const [args, message] of refusals) {
      const run = await fresh.run('points', 'adjust', member, ...args, ...(args.includes('--reason') ? [] : ['--reason', '修正']));
      expect(run.failed).toBe(true);
      expect(run.err).toMatch(message);
    }
    expect((await fresh.run('points', 'adjust', 'm_nobody', '0', '--growth', '10', '--reason', '修正')).err).toMatch(/NOT_FOUND/);
    expect(ledger()).toEqual(before);
    expect(await holding('tmall', 'T1')).toMatchObject({ growth: 900, level: 'normal', points: { available: 100 } });
    // the whole of it may go, and --yes lets a large correction through
    expect(await cli('points', 'adjust', member, '0', '--growth', '-900', '--reason', '修正', '--request-id', 'all')).toMatch(/-900 growth .*level now 普通会员/);
    expect(await cli('points', 'adjust', member, '0', '--growth', '20000', '--reason', '修正', '--request-id', 'big', '--yes')).toMatch(/\+20,000 growth .*level now 钻石卡 \(diamond\)/);
  });

  it('leaves `points adjust MEMBER DELTA --reason R` as it was: its answer, its refusal of 0, and the hash a retry of an older request matches', async () => {
    await cli('import', 'members', '--channel', 'tmall', '--file', file('members.csv', 'channelMemberId,points,growth\nT1,100,900\n'));
    const member = (await holding('tmall', 'T1')).memberId;
    expect(await cli('points', 'adjust', member, '5', '--reason', '补发', '--request-id', 'p1')).toBe(`adjusted: +5 points for ${member} (request p1)\n`);
    expect(await cli('points', 'adjust', member, '-5', '--reason', '扣回', '--request-id', 'p2')).toBe(`adjusted: -5 points for ${member} (request p2)\n`);
    expect((await fresh.run('points', 'adjust', member, '0', '--reason', '补发')).err).toMatch(/delta 0 must be a non-zero whole number of points, at most 9 digits, e\.g\. 50 or -30\n$/);
    const entries = ledger();
    // the content hash an adjustment of points alone was stored with before growth could be adjusted
    expect(entries.find((e) => e._id === 'adjust:p1')).toMatchObject({ growth: 0, hash: contentHash({ op: 'adjust', memberId: member, points: 5, reason: '补发' }) });
    expect(entries.find((e) => e._id === 'adjust:p2')).toMatchObject({ growth: 0, hash: contentHash({ op: 'adjust', memberId: member, points: -5, reason: '扣回' }) });
    expect(await holding('tmall', 'T1')).toMatchObject({ growth: 900, points: { available: 100 } });
  });
});

describe('growth adjustments in the ledger', () => {
  let services: TestServices;
  beforeEach(() => { services = openTestServices(); });
  afterEach(() => services.close());

  const now = () => new Date(services.clock.now()).toISOString();
  const adjust = (input: Partial<AdjustInput> & Pick<AdjustInput, 'key' | 'memberId' | 'points'>) =>
    services.store.transaction((tx) => postAdjust(tx, services, { reason: '迁移修正', operator: 'ops', at: now(), ...input }));
  const codeOf = async (p: Promise<unknown>) => p.then(() => 'ok', (e: unknown) => (e instanceof AppError ? e.code : String(e)));
  const memberOf = async (type: string, value: string) => (await exportAll(services)).find((l) => l.identifiers.some((i) => i.type === type && i.value === value))!;
  const ledgerSize = async () => (await collect(services, 'ledger')).length;
  const clean = async () => expect((await verifyPoints(services)).details).toEqual([]);
  const growthOf = async (memberId: string) => (await exportAll(services)).find((l) => l.memberId === memberId)!.growth;

  it('describes a growth correction in the history as 客服调整成长值, showing its growth; one with points stays 客服调整', async () => {
    await importMembers(services, 'tmall', [{ channelMemberId: 'T1', points: 10, growth: 900 }]);
    const { memberId } = await memberOf('tmall', 'T1');
    services.clock.advance(1000);
    await adjust({ key: 'adjust:h1', memberId, points: 0, growth: 150 });
    services.clock.advance(1000);
    await adjust({ key: 'adjust:h2', memberId, points: 20, growth: 30 });
    const member = (await liveMember(services.store.get.bind(services.store), memberId))!;
    const { entries } = await pointsHistory(services, member, { limit: 10 });
    expect(entries.slice(0, 2).map((e) => ({ description: e.description, points: e.points, growth: e.growth, kind: e.kind }))).toEqual([
      { description: '客服调整', points: 20, growth: 30, kind: 'adjust' },
      { description: '客服调整成长值', points: 0, growth: 150, kind: 'adjust' },
    ]);
    expect((await pointsSummary(services, member)).level.code).toBe('silver');
  });

  it('corrects the growth of a member who owes points (growth alone spends nothing)', async () => {
    await importMembers(services, 'tmall', [{ channelMemberId: 'T1', points: -50, growth: 900 }]);
    const { memberId } = await memberOf('tmall', 'T1');
    expect(await codeOf(adjust({ key: 'adjust:o1', memberId, points: 0, growth: 200 }))).toBe('ok');
    expect(await memberOf('tmall', 'T1')).toMatchObject({ growth: 1100, level: 'silver' });
    await clean();
  });

  it('refuses in the ledger too: nothing to change, a growth that is no safe integer, below zero; nothing written', async () => {
    await importMembers(services, 'tmall', [{ channelMemberId: 'T1', growth: 100 }]);
    const { memberId } = await memberOf('tmall', 'T1');
    const size = await ledgerSize();
    expect(await codeOf(adjust({ key: 'adjust:b1', memberId, points: 0 }))).toBe('INVALID_INPUT');
    expect(await codeOf(adjust({ key: 'adjust:b1', memberId, points: 0, growth: 0 }))).toBe('INVALID_INPUT');
    expect(await codeOf(adjust({ key: 'adjust:b2', memberId, points: 0, growth: 1.5 }))).toBe('INVALID_INPUT');
    expect(await codeOf(adjust({ key: 'adjust:b3', memberId, points: 0, growth: 1_000_000_001 }))).toBe('INVALID_INPUT');
    expect(await codeOf(adjust({ key: 'adjust:b4', memberId, points: 0, growth: Number.NaN }))).toBe('INVALID_INPUT');
    expect(await codeOf(adjust({ key: 'adjust:b5', memberId, points: 10, growth: -101 }))).toBe('INVALID_INPUT');
    expect(await ledgerSize()).toBe(size);
    expect(await memberOf('tmall', 'T1')).toMatchObject({ growth: 100, points: { available: 0 } });
  });

  it('takes growth from the member\'s other accounts when its own has too little, one entry each, and an unmerge keeps the totals', async () => {
    // T1's member is older and survives the merge; C1's is absorbed
    await importMembers(services, 'tmall', [{ channelMemberId: 'T1', points: 100, growth: 4500 }]);
    services.clock.advance(1000);
    await importMembers(services, 'offline', [{ channelMemberId: 'C1', points: 30, growth: 600 }]);
    const survivor = (await memberOf('tmall', 'T1')).memberId;
    const absorbed = (await memberOf('offline', 'C1')).memberId;
    const merge = await mergeMembers(services, survivor, absorbed);
    expect(await memberOf('tmall', 'T1')).toMatchObject({ growth: 5100, level: 'gold' });
    services.clock.advance(1000);

    // named as the absorbed member: its own card's growth goes first, then the survivor's
    const { entries } = await adjust({ key: 'adjust:m1', memberId: absorbed, points: 10, growth: -1000 });
    expect(entries.map((e) => [e._id, e.accountId, e.points, e.growth])).toEqual([
      ['adjust:m1', 'offline:C1', 10, -600],
      ['adjust:m1#2', 'tmall:T1', 0, -400],
    ]);
    expect(await memberOf('tmall', 'T1')).toMatchObject({ growth: 4100, level: 'silver', points: { available: 140 } });
    // a retry replays the whole operation
    const again = await adjust({ key: 'adjust:m1', memberId: absorbed, points: 10, growth: -1000 });
    expect(again.replayed).toBe(true);
    expect(again.entries.map((e) => e._id)).toEqual(['adjust:m1', 'adjust:m1#2']);
    expect(await memberOf('tmall', 'T1')).toMatchObject({ growth: 4100, points: { available: 140 } });
    await clean();

    // one history line for the operation
    const member = (await liveMember(services.store.get.bind(services.store), survivor))!;
    const history = await pointsHistory(services, member, { limit: 10 });
    expect(history.entries[0]).toMatchObject({ kind: 'adjust', points: 10, growth: -1000, description: '客服调整' });

    await unmergeMembers(services, merge._id);
    const [t1, c1] = [await memberOf('tmall', 'T1'), await memberOf('offline', 'C1')];
    expect(t1).toMatchObject({ memberId: survivor, growth: 4100, level: 'silver', points: { available: 100 } });
    expect(c1).toMatchObject({ memberId: absorbed, growth: 0, level: 'normal', points: { available: 40 } });
    await clean();
  });

  it('a growth correction made before a merge adds up in it and comes back with its side on an unmerge', async () => {
    await importMembers(services, 'tmall', [{ channelMemberId: 'T1', growth: 800 }]);
    services.clock.advance(1000);
    await importMembers(services, 'offline', [{ channelMemberId: 'C1', growth: 100 }]);
    const a = (await memberOf('tmall', 'T1')).memberId;
    const b = (await memberOf('offline', 'C1')).memberId;
    await adjust({ key: 'adjust:pre', memberId: b, points: 0, growth: 250 });
    const merge = await mergeMembers(services, a, b);
    expect(await memberOf('tmall', 'T1')).toMatchObject({ growth: 1150, level: 'silver' });
    await unmergeMembers(services, merge._id);
    expect(await memberOf('tmall', 'T1')).toMatchObject({ growth: 800, level: 'normal' });
    expect(await memberOf('offline', 'C1')).toMatchObject({ growth: 350, level: 'normal' });
    await clean();
  });

  it('takes from the named member\'s own account first, then its other records, then the survivor\'s; an account giving nothing gets no entry', async () => {
    // B: a Tmall member, the oldest, so it survives the merge
    await importMembers(services, 'tmall', [{ channelMemberId: 'T1', growth: 1000 }]);
    services.clock.advance(1000);
    // W: a consumer's WeChat record (its own account, the member's home) and a store card joined by the phone
    const { memberId: w } = await boundConsumer(services, 'u1', '13011112222');
    services.clock.advance(1000);
    await importMembers(services, 'offline', [{ channelMemberId: 'C1', phone: '13011112222', growth: 100 }]);
    services.clock.advance(1000);
    await adjust({ key: 'adjust:g0', memberId: w, points: 0, growth: 300 });
    const b = (await exportAll(services)).find((l) => l.identifiers.some((i) => i.type === 'tmall'))!.memberId;
    expect(b).not.toBe(w);
    const wechat = (await memberOk<{ memberId: string }>(services, 'u1', { action: 'login' }));
    expect(wechat.memberId).toBe(w);
    await mergeMembers(services, b, w);
    services.clock.advance(1000);
    expect(await growthOf(b)).toBe(1400);

    // named as W: its WeChat record's 300, then its card's 50; the Tmall card gives nothing, and has no entry
    const first = await adjust({ key: 'adjust:g1', memberId: w, points: 0, growth: -350 });
    expect(first.entries.map((e) => [e.accountId.replace(/^wechat:.*/, 'wechat'), e.points, e.growth])).toEqual([
      ['wechat', 0, -300],
      ['offline:C1', 0, -50],
    ]);
    services.clock.advance(1000);
    // named as B: the Tmall card's own growth goes first
    const second = await adjust({ key: 'adjust:g2', memberId: b, points: 0, growth: -200 });
    expect(second.entries.map((e) => [e.accountId, e.growth])).toEqual([['tmall:T1', -200]]);
    expect(await growthOf(b)).toBe(850);
    services.clock.advance(1000);
    // named as W again, its WeChat record has nothing left: only the card gives, one entry
    const third = await adjust({ key: 'adjust:g3', memberId: w, points: 0, growth: -50 });
    expect(third.entries.map((e) => [e.accountId, e.growth])).toEqual([['offline:C1', -50]]);
    expect(await growthOf(b)).toBe(800);
    expect((await verifyPoints(services)).details).toEqual([]);
  });

  it('property: after any adjustments of points and growth, merges and unmerges, growth is the ledger\'s, never below zero on any account, the level follows it and verify is clean', async () => {
    const CARDS = [['tmall', 'T1'], ['offline', 'C1'], ['tmall', 'T2']] as const;
    type Op = { op: 'adjust'; card: number; points: number; growth: number; request: number } | { op: 'merge'; a: number; b: number } | { op: 'unmerge' };
    const opArb: fc.Arbitrary<Op> = fc.oneof(
      { weight: 4, arbitrary: fc.record({ op: fc.constant('adjust' as const), card: fc.nat(2), points: fc.integer({ min: -60, max: 60 }), growth: fc.integer({ min: -1500, max: 1500 }), request: fc.nat(5) }) },
      { weight: 2, arbitrary: fc.record({ op: fc.constant('merge' as const), a: fc.nat(2), b: fc.nat(2) }) },
      { weight: 1, arbitrary: fc.constant({ op: 'unmerge' as const }) },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 1200 }), { minLength: 3, maxLength: 3 }), fc.array(opArb, { minLength: 1, maxLength: 10 }), async (openings, ops) => {
        const local = openTestServices();
        try {
          for (const [i, [channel, id]] of CARDS.entries()) {
            await importMembers(local, channel, [{ channelMemberId: id, points: 50, growth: openings[i]! }]);
            local.clock.advance(1000);
          }
          const memberOfCard = async (card: number) => (await exportAll(local)).find((l) => l.identifiers.some((i) => i.type === CARDS[card]![0] && i.value === CARDS[card]![1]))!;
          const merges: string[] = [];
          // what each request did the first time, to check its retries against
          const done = new Map<number, { memberId: string; points: number; growth: number }>();
          let total = openings.reduce((sum, g) => sum + g, 0);
          for (const op of ops) {
            try {
              if (op.op === 'adjust') {
                const memberId = (await memberOfCard(op.card)).memberId;
                const asked = done.get(op.request) ?? { memberId, points: op.points, growth: op.growth };
                const result = await local.store.transaction((tx) => postAdjust(tx, local, {
                  key: `adjust:r${op.request}`, memberId: asked.memberId, points: asked.points, growth: asked.growth, reason: '修正', operator: 'ops', at: new Date(local.clock.now()).toISOString(),
                }));
                const moved = result.entries.reduce((sum, e) => sum + e.growth, 0);
                expect(moved).toBe(asked.growth);
                if (!result.replayed) {
                  done.set(op.request, asked);
                  total += moved;
                }
              } else if (op.op === 'merge') {
                const [a, b] = [(await memberOfCard(op.a)).memberId, (await memberOfCard(op.b)).memberId];
                if (a !== b) merges.push((await mergeMembers(local, a, b))._id);
              } else if (merges.length) {
                await unmergeMembers(local, merges.pop()!);
              }
            } catch (error) {
              // refusals (nothing to change, below zero, not enough points, an unmerge a later merge overlaps) write nothing
              if (!(error instanceof AppError)) throw error;
            }
            local.clock.advance(1000);
          }
          expect((await verifyPoints(local)).details).toEqual([]);
          const accounts = await collect<AccountDoc>(local, 'accounts');
          expect(accounts.filter((a) => a.growth < 0)).toEqual([]);
          const lines = await exportAll(local);
          expect(lines.reduce((sum, l) => sum + l.growth, 0)).toBe(total);
          for (const line of lines) {
            const member = (await local.store.get<MemberRef>('members', line.memberId))!;
            const stored = (await local.store.get<BalanceDoc>('balances', line.memberId))!;
            expect(line.growth).toBeGreaterThanOrEqual(0);
            expect(stored).toMatchObject({ growth: line.growth, level: levelFor(line.growth, local.config.levels).code });
            expect((await pointsSummary(local, member)).growth).toBe(line.growth);
          }
        } finally {
          await local.close();
        }
      }),
      { numRuns: runs(25) },
    );
  }, timeoutFor());
});
