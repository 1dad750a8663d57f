import { openLocalServices } from '../../cloudfunctions/core/local/services';
import { silentLogger } from '../../cloudfunctions/core/runtime/log';
import { cliOnFreshDatabase, runCli } from '../support/cli';
import { boundConsumer } from '../support/members';

/**
 * ARCHITECTURE §5: "the merge is an event with an id, and an operator can undo it (unmerge)"; §4 gives
 * the operator `members unmerge MERGE_ID`. A merge an import or a phone binding makes prints no id
 * (an import says only `1 merged`), so the operator must be able to find the merges of a member.
 */
describe('members merges: the merges a member holds, with the ids members unmerge takes', () => {
  const fresh = cliOnFreshDatabase();
  const { cli } = fresh;
  type Line = { memberId: string; identifiers: { type: string; value: string }[]; points: { available: number } };
  const exported = async (): Promise<Line[]> => (await cli('members', 'export')).out.trim().split('\n').map((line) => JSON.parse(line) as Line);
  const holding = async (type: string, value: string) => (await exported()).find((m) => m.identifiers.some((i) => i.type === type && i.value === value))!;

  it('lists a merge an import made, whose id then undoes it', async () => {
    await cli('import', 'members', '--channel', 'tmall', '--file', fresh.temp.write('t.csv', 'channelMemberId,phone,points\nT1,13933330001,100\n'));
    await cli('import', 'members', '--channel', 'offline', '--file', fresh.temp.write('o.csv', 'channelMemberId,email,points\nO1,family@example.com,50\n'));
    // a JD card with T1's phone and O1's email makes them one member: the import says `1 merged`, no id
    const joined = await cli('import', 'members', '--channel', 'jd', '--file', fresh.temp.write('j.csv', 'channelMemberId,phone,email\nJ1,13933330001,family@example.com\n'));
    expect(joined.out).toMatch(/1 merged/);
    expect(joined.out).not.toMatch(/mg_/);
    const member = await holding('offline', 'O1');
    expect(member.points.available).toBe(150);

    const listed = await cli('members', 'merges', member.memberId);
    const ids = [...listed.out.matchAll(/\bmg_[a-z0-9]+/g)].map((m) => m[0]);
    expect(new Set(ids).size).toBe(1);
    expect(listed.out).toMatch(/offline:O1/);
    expect(listed.err).toMatch(/1 merge in force/);

    expect((await cli('members', 'unmerge', ids[0]!)).out).toMatch(/^separated /);
    expect((await holding('offline', 'O1')).points.available).toBe(50);
    expect((await holding('tmall', 'T1')).points.available).toBe(100);
    // undone: no longer listed
    expect((await cli('members', 'merges', (await holding('tmall', 'T1')).memberId)).out).toBe('');
  });

  it('lists the merge a consumer\'s phone binding made into the Tmall member holding that phone', async () => {
    await cli('import', 'members', '--channel', 'tmall', '--file', fresh.temp.write('t.csv', 'channelMemberId,phone,points\nT1,13933330001,100\n'));
    const local = openLocalServices({ dbFile: fresh.db, log: silentLogger });
    try {
      // a recycled number: the consumer binding it joins the Tmall member, points and all
      expect((await boundConsumer(local, 'openid-new-owner', '13933330001')).merged).toBe(true);
    } finally {
      await local.store.close();
    }
    const member = await holding('tmall', 'T1');
    const listed = await cli('members', 'merges', member.memberId);
    const ids = [...listed.out.matchAll(/\bmg_[a-z0-9]+/g)].map((m) => m[0]);
    expect(new Set(ids).size).toBe(1);
    expect(listed.out).toMatch(/wechat:/);
    await cli('members', 'unmerge', ids[0]!);
    expect((await holding('tmall', 'T1')).identifiers.some((i) => i.type === 'openid')).toBe(false);
  });

  it('follows a member merged away to the member it is in, and lists the merges that member holds', async () => {
    // store cards without a phone: nothing limits joining them
    await cli('import', 'members', '--channel', 'offline', '--file', fresh.temp.write('o.csv', 'channelMemberId,name\nO1,a\nO2,b\nO3,c\n'));
    const [a, b, c] = [await holding('offline', 'O1'), await holding('offline', 'O2'), await holding('offline', 'O3')];
    await cli('members', 'merge', a.memberId, b.memberId);
    await cli('members', 'merge', a.memberId, c.memberId);
    // asked by the id of the member merged away: the answer is the member it is in now
    const listed = await cli('members', 'merges', c.memberId);
    expect([...listed.out.matchAll(/\bmg_[a-z0-9]+/g)].map((m) => m[0])).toHaveLength(2);
    expect(listed.out).toMatch(/members merge/);
    expect(listed.err).toMatch(/2 merges in force/);
  });

  it('refuses a member id that leads to no live member', async () => {
    await cli('import', 'members', '--channel', 'tmall', '--file', fresh.temp.write('t.csv', 'channelMemberId,phone\nT1,13933330001\n'));
    const run = await runCli(fresh.db, 'members', 'merges', 'm_nosuch');
    expect(run.failed).toBe(true);
    expect(run.err).toMatch(/NOT_FOUND/);
  });
});
