import { openLocalServices } from '../../cloudfunctions/core/local/services';
import { fixedClock } from '../../cloudfunctions/core/runtime/clock';
import { sequentialIds, timeOrderedIds, type IdSource } from '../../cloudfunctions/core/runtime/ids';
import { silentLogger } from '../../cloudfunctions/core/runtime/log';
import { importMembers, partition } from '../support/members';
import { tempDir } from '../support/temp';

/**
 * Members made in one import batch share their createdAt to the millisecond, and reconcile.ts
 * takes the one whose id sorts first as the older. With random low bits in ids made in the same
 * millisecond, the same files gave other counters (created/linked, merges) and let other members
 * keep their ids from one run to the next (bench/identity.ts at 1M records).
 */

/** Ids that sort the other way round from the order they are made in (as random low bits may). */
function descendingIds(): IdSource {
  const counters = new Map<string, number>();
  return {
    next(prefix) {
      const n = (counters.get(prefix) ?? 0) + 1;
      counters.set(prefix, n);
      return `${prefix}_${String(999_999 - n).padStart(6, '0')}`;
    },
  };
}

async function run(ids: IdSource) {
  const temp = tempDir('mc-tie-');
  const services = openLocalServices({ dbFile: temp.file('mc.db'), clock: fixedClock('2026-11-23T02:00:00Z'), ids, log: silentLogger, durability: 'normal' });
  try {
    // one batch: two members of the same age, {O1, O3} (founded on O1) and {O2}
    await importMembers(services, 'offline', [
      { channelMemberId: 'O1', phone: '13912340001' },
      { channelMemberId: 'O2', phone: '13912340002' },
      { channelMemberId: 'O3', phone: '13912340001' },
    ]);
    // O1 now carries O2's phone: the groups become {O1, O2} and {O3}
    const summary = await importMembers(services, 'offline', [
      { channelMemberId: 'O1', phone: '13912340002' },
      { channelMemberId: 'O2', phone: '13912340002' },
      { channelMemberId: 'O3', phone: '13912340001' },
    ]);
    return { created: summary.created, merged: summary.merged, partition: await partition(services) };
  } finally {
    await services.store.close();
    temp.cleanup();
  }
}

describe('members of the same age', () => {
  it('are placed by how their ids sort: ids in the order made and the other way give other counts (why ids must sort as made)', async () => {
    const ascending = await run(sequentialIds());
    const descending = await run(descendingIds());
    // the same records end up together either way; who is new, and who absorbed whom, differ
    expect(descending.partition).toEqual(ascending.partition);
    expect([ascending.created, ascending.merged]).toEqual([1, 1]);
    expect([descending.created, descending.merged]).toEqual([0, 0]);
  });

  it('get time-ordered ids that sort in the order they were made, also within one millisecond', () => {
    const now = jest.spyOn(Date, 'now').mockReturnValue(Date.parse('2026-12-07T12:00:00Z'));
    try {
      const ids = Array.from({ length: 2000 }, () => timeOrderedIds.next('m'));
      expect([...ids].sort()).toEqual(ids);
      expect(new Set(ids).size).toBe(ids.length);
      // a clock set back keeps counting up from the last id
      now.mockReturnValue(Date.parse('2026-12-07T11:59:59Z'));
      const after = timeOrderedIds.next('m');
      expect(after > ids[ids.length - 1]!).toBe(true);
    } finally {
      now.mockRestore();
    }
  });
});
