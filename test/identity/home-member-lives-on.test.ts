import fc from 'fast-check';
import { runs, timeoutFor } from '../support/property';
import type { MemberDoc, RecordDoc } from '../../cloudfunctions/core/identity/graph.store';
import { mergesOf, unmergeMembers } from '../../cloudfunctions/core/identity/operator';
import { exportAll, importMembers } from '../support/members';
import { openTestServices, type TestServices } from '../support/services';

/**
 * ARCHITECTURE §5: every record is in exactly one live member, the one it points at. A record goes
 * back to its home member (the member it came home to first) when a walk separates it (an unmerge,
 * a re-import taking it out of the member it joined). That member may have come back to life
 * since with others of its home records: the walk must see them, or it hands the member to this
 * record alone and leaves them pointing at a member that no longer lists them (gone from the
 * export, their points with them).
 */

const [P1, P2, P3, P4, P5] = ['13011110001', '13011110002', '13011110003', '13011110004', '13011110005'];

type S = TestServices;
const memberOf = async (s: S, recordId: string) =>
  ((await s.dump('members')) as MemberDoc[]).find((m) => m.status === 'active' && m.records.includes(recordId))?._id;
async function consistent(s: S) {
  const holder = new Map<string, string>();
  for (const m of ((await s.dump('members')) as MemberDoc[]).filter((x) => x.status === 'active')) {
    for (const id of m.records) { expect([id, holder.get(id)]).toEqual([id, undefined]); holder.set(id, m._id); }
  }
  for (const r of (await s.dump('records')) as RecordDoc[]) expect([r._id, holder.get(r._id)]).toEqual([r._id, r.memberId]);
}

describe('two JD cards that shared a phone, each re-imported with another member\'s phone', () => {
  let s: S;
  beforeEach(() => { s = openTestServices(); });
  afterEach(() => s.close());

  /** J1 and J2 are one member by P1; a corrected file gives J1 T1's phone and J2 C1's. */
  async function apart() {
    await importMembers(s, 'tmall', [{ channelMemberId: 'T1', phone: P2, points: 1 }]);
    await importMembers(s, 'offline', [{ channelMemberId: 'C1', phone: P3, points: 2 }]);
    s.clock.advance(1000);
    await importMembers(s, 'jd', [{ channelMemberId: 'J1', phone: P1, points: 4 }, { channelMemberId: 'J2', phone: P1, points: 8 }]);
    s.clock.advance(1000);
    await importMembers(s, 'jd', [{ channelMemberId: 'J1', phone: P2, points: 4 }, { channelMemberId: 'J2', phone: P3, points: 8 }]);
    s.clock.advance(1000);
  }

  it('undoing both joins leaves each card in a member of its own, with its points', async () => {
    await apart();
    const [j1] = (await mergesOf(s, (await memberOf(s, 'tmall:T1'))!)).merges;
    const [j2] = (await mergesOf(s, (await memberOf(s, 'offline:C1'))!)).merges;
    expect([j1!.records, j2!.records]).toEqual([['jd:J1'], ['jd:J2']]);
    await unmergeMembers(s, j1!.mergeId);
    s.clock.advance(1000);
    await unmergeMembers(s, j2!.mergeId);
    await consistent(s);
    const lines = await exportAll(s);
    expect(lines.map((l) => l.points.available).sort((a, b) => a - b)).toEqual([1, 2, 4, 8]);
    expect(await memberOf(s, 'jd:J1')).not.toBe(await memberOf(s, 'jd:J2'));
  });

  it('re-imports taking each card out again leave each in a member of its own (no operator involved)', async () => {
    await apart();
    await importMembers(s, 'jd', [{ channelMemberId: 'J1', phone: P4, points: 4 }]);
    s.clock.advance(1000);
    await importMembers(s, 'jd', [{ channelMemberId: 'J2', phone: P5, points: 8 }]);
    await consistent(s);
    expect((await exportAll(s)).map((l) => l.points.available).sort((a, b) => a - b)).toEqual([1, 2, 4, 8]);
  });

  it('keeps every record in one live member through any re-imports and unmerges (property)', async () => {
    const PHONES = [P1, P2, P3, P4, P5];
    const step = fc.oneof(
      fc.record({ kind: fc.constant('import' as const), rows: fc.array(fc.record({ id: fc.constantFrom('J1', 'J2', 'J3'), phone: fc.constantFrom(...PHONES) }), { minLength: 1, maxLength: 3 }) }),
      fc.record({ kind: fc.constant('unmerge' as const), pick: fc.nat(10) }),
    );
    await fc.assert(fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 10 }), async (steps) => {
      const t = openTestServices();
      try {
        await importMembers(t, 'tmall', [{ channelMemberId: 'T1', phone: P2 }]);
        await importMembers(t, 'offline', [{ channelMemberId: 'C1', phone: P3 }]);
        t.clock.advance(1000);
        await importMembers(t, 'jd', [{ channelMemberId: 'J1', phone: P1 }, { channelMemberId: 'J2', phone: P1 }, { channelMemberId: 'J3', phone: P4 }]);
        for (const op of steps) {
          t.clock.advance(1000);
          if (op.kind === 'import') {
            await importMembers(t, 'jd', [...new Map(op.rows.map((r) => [r.id, { channelMemberId: r.id, phone: r.phone }])).values()]);
          } else {
            const views = [];
            for (const m of ((await t.dump('members')) as MemberDoc[]).filter((x) => x.status === 'active')) views.push(...(await mergesOf(t, m._id)).merges);
            if (views.length) await unmergeMembers(t, views[op.pick % views.length]!.mergeId);
          }
          await consistent(t);
        }
      } finally {
        await t.close();
      }
    }), {
      numRuns: runs(40),
      // the second case above, as steps
      examples: [[[
        { kind: 'import', rows: [{ id: 'J1', phone: P2 }, { id: 'J2', phone: P3 }] },
        { kind: 'import', rows: [{ id: 'J1', phone: P5 }] },
        { kind: 'import', rows: [{ id: 'J2', phone: P1 }] },
      ]]],
    });
  }, timeoutFor(300_000));
});
