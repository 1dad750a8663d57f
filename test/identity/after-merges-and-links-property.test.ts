import fc from 'fast-check';
import { runs, timeoutFor } from '../support/property';
import type { MemberDoc, RecordDoc } from '../../cloudfunctions/core/identity/graph.store';
import { listConflicts, mergeMembers, unmergeMembers } from '../../cloudfunctions/core/identity/operator';
import { verifyPoints } from '../../cloudfunctions/core/points/verify.store';
import { expectEachRecordInOneLiveMember, expectRefusedJoinsListed, listedMerges, PHONES, snapshot, StepRunner, stepArbitraries, type Step } from '../support/identity-steps';
import { exportAll } from '../support/members';
import { openTestServices, type TestServices } from '../support/services';

/**
 * What an operator or a consumer does next after merges, unmerges and card links. After any mix
 * of imports, bindings, card links, merges and unmerges: a retried unmerge answers the first answer and writes nothing; a retried merge
 * answers its merge; a consumer's erasure leaves no record of theirs listed under any merge or
 * refusal; every merge listed can be undone (or is refused as an operator error, never INTERNAL);
 * points verify finds nothing; and every record is in one live member.
 */

type S = TestServices;

const arb = stepArbitraries({ users: ['u1', 'u2', 'u3'] });
const op: fc.Arbitrary<Step> = fc.oneof(
  { weight: 3, arbitrary: arb.import() },
  { weight: 2, arbitrary: arb.bind() },
  { weight: 3, arbitrary: arb.link() },
  { weight: 3, arbitrary: arb.merge({ retry: true }) },
  { weight: 4, arbitrary: arb.unmerge({ retry: true }) },
  { weight: 1, arbitrary: arb.erase() },
  { weight: 2, arbitrary: arb.order(['tmall', 'jd']) },
);

/** What a retried merge or unmerge must leave as it was. */
const written = (s: S) => snapshot(s, ['members', 'records', 'identifiers', 'merges', 'conflicts', 'accounts', 'balances', 'ledger']);

async function check(s: S, erased: Set<string>) {
  const graph = await expectEachRecordInOneLiveMember(s);
  const { live, records } = graph;
  // every join a limit (or an operator's unmerge) stops is listed for review while it stands, and only then
  await expectRefusedJoinsListed(s, graph);
  // no record of an erased consumer is left anywhere
  for (const id of erased) expect([id, records.some((r) => r._id === id)]).toEqual([id, false]);
  // a buyer known by phone alone is with a holder of its phone, or with other buyers alone
  for (const m of live) {
    const own = records.filter((r) => m.records.includes(r._id));
    // (one an operator merged carries the merge's link, which joins it, and holds its phone for the
    // other buyers of that phone, which came with it)
    const holds = (r: RecordDoc) => !r._id.startsWith('buyer:') || r.identifiers.some((i) => i.type === 'link');
    const held = new Set(own.filter(holds).flatMap((r) => r.identifiers.filter((i) => !r.ignored?.includes(`${i.type}:${i.value}`)).map((i) => `${i.type}:${i.value}`)));
    if (!held.size) continue;
    for (const buyer of own.filter((r) => r._id.startsWith('buyer:') && !r.identifiers.some((i) => i.type === 'link'))) {
      expect([buyer._id, m._id, buyer.identifiers.every((i) => held.has(`${i.type}:${i.value}`))]).toEqual([buyer._id, m._id, true]);
    }
  }
  // every merge listed names records its member holds, and never the whole member; and is listed once
  const ids = (await listedMerges(s)).map((v) => v.mergeId);
  expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([]);
  for (const view of await listedMerges(s)) {
    const held = (await s.store.get<MemberDoc>('members', view.holder))!.records;
    expect([view.mergeId, view.records.every((id) => held.includes(id)), view.records.length < held.length]).toEqual([view.mergeId, true, true]);
  }
  // the refusals the CRM team reviews name no erased record
  const { conflicts } = await listConflicts(s, 1000);
  for (const c of conflicts) for (const b of c.between) expect([b.recordId, erased.has(b.recordId)]).toEqual([b.recordId, false]);
  // the ledger and the accounts agree
  const report = await verifyPoints(s);
  expect(report.details).toEqual([]);
  // the export lists live members only
  const lines = await exportAll(s);
  expect(lines.map((l) => l.memberId).sort()).toEqual(live.map((m) => m._id).sort());
}

describe('what comes after a merge, an unmerge or a card link (property)', () => {
  it('retries answer the same and write nothing; erasure leaves nothing listed; verify and the export agree', async () => {
    await fc.assert(fc.asyncProperty(arb.prologue(), fc.array(op, { minLength: 3, maxLength: 14 }), async (prologue, rest) => {
      const s = openTestServices();
      const run = new StepRunner(s);
      const erased = new Set<string>();
      try {
        for (const step of [...prologue, ...rest]) {
          s.clock.advance(1000);
          if (step.kind === 'import') {
            // a card erased and imported again is a new record
            for (const r of await run.import(step)) erased.delete(`${step.channel}:${r.channelMemberId}`);
          } else if (step.kind === 'bind') {
            await run.bind(step);
          } else if (step.kind === 'link') {
            const sent = await run.link(step);
            if (sent && !sent.answer.ok) expect(sent.answer.error.code).not.toBe('INTERNAL');
          } else if (step.kind === 'erase') {
            for (const id of (await run.erase(step)) ?? []) erased.add(id);
          } else if (step.kind === 'order') {
            await run.order(step);
          } else if (step.kind === 'merge') {
            const merged = await run.merge(step);
            if (merged?.made && step.retry) {
              const before = await written(s);
              const again = await mergeMembers(s, merged.a, merged.b);
              expect([again._id, again.repeated]).toEqual([merged.made._id, true]);
              expect(await written(s)).toBe(before);
            }
          } else if (step.kind === 'unmerge') {
            const view = await run.pick(step);
            if (!view) continue;
            // a merge listed can be undone
            const first = await unmergeMembers(s, view.mergeId);
            if (step.retry) {
              const before = await written(s);
              const again = await unmergeMembers(s, view.mergeId);
              expect(again).toEqual({ ...first, repeated: true });
              expect(await written(s)).toBe(before);
            }
          }
          await check(s, erased);
        }
      } finally {
        await s.close();
      }
    }), {
      numRuns: runs(40, 'AFTER_MERGES_RUNS'),
      examples: [
        // an operator merges the member of two waiting buyers of one phone (tmall and jd) into a consumer's:
        // the buyer that got the merge's link brings the other, which shares its phone
        [[{ kind: 'import', channel: 'tmall', rows: [{ channelMemberId: 'T1' }] }, { kind: 'import', channel: 'offline', rows: [{ channelMemberId: 'C1' }] },
          { kind: 'import', channel: 'jd', rows: [{ channelMemberId: 'J1' }] }, { kind: 'bind', u: 'u1', phone: PHONES[0]! }, { kind: 'bind', u: 'u2', phone: PHONES[0]! }],
        [{ kind: 'order', channel: 'tmall', phone: PHONES[2]! }, { kind: 'order', channel: 'jd', phone: PHONES[2]! }, { kind: 'link', u: 'u1', card: 'C1' },
          { kind: 'merge', a: 14, b: 0, retry: false }, { kind: 'link', u: 'u1', card: 'C1' }]],
        [[
        // an operator merges T1 and u1 after their binding was undone, while a Tmall order by their phone waited
        { kind: 'import', channel: 'tmall', rows: [{ channelMemberId: 'T1', phone: PHONES[2] }] },
        { kind: 'import', channel: 'offline', rows: [{ channelMemberId: 'C1' }] },
        { kind: 'import', channel: 'jd', rows: [{ channelMemberId: 'J1' }] },
        { kind: 'bind', u: 'u1', phone: PHONES[2]! },
        { kind: 'bind', u: 'u2', phone: PHONES[0]! },
      ], [
        { kind: 'unmerge', pick: 0, retry: false },
        { kind: 'order', channel: 'tmall', phone: PHONES[2]! },
        { kind: 'merge', a: 0, b: 3, retry: true },
        { kind: 'unmerge', pick: 1, retry: true },
      ]]],
    });
  }, timeoutFor(900_000, 40, 'AFTER_MERGES_RUNS'));
});
