import { cliOnFreshDatabase } from '../support/cli';

/**
 * docs/identity.md (Merges and unmerges): "a member an operator merged into the survivor later stays with it, and that merge can
 * still be undone". A member separated by an unmerge and merged back by an operator came back by
 * that later merge, not by the older merge that once brought it along: `members merges` must not
 * list it under the older one, and `members unmerge` of the older one must not take it away again.
 */
describe('a member separated and merged back', () => {
  const fresh = cliOnFreshDatabase();
  const { cli } = fresh;
  type Line = { memberId: string; identifiers: { type: string; value: string }[] };
  const memberOf = async (card: string) => {
    const lines = (await cli('members', 'export')).out.trim().split('\n').map((line) => JSON.parse(line) as Line);
    return lines.find((m) => m.identifiers.some((i) => i.type === 'offline' && i.value === card))!.memberId;
  };
  const mergeId = (out: string) => /\bmg_[a-z0-9]+/.exec(out)![0];
  /** `members merges` lines as `merge id: the records it brought`. */
  const listed = async (member: string) =>
    (await cli('members', 'merges', member)).out.trim().split('\n').filter(Boolean).map((line) => `${mergeId(line)}: ${line.split('bringing ')[1]}`);

  async function separatedAndMergedBack() {
    // store cards without a phone (only the operator's merges join them), one import each: A is the
    // oldest member, then B, then C, and a merge keeps the older one's id
    for (const [card, name] of [['O1', 'a'], ['O2', 'b'], ['O3', 'c']]) {
      await cli('import', 'members', '--channel', 'offline', '--file', fresh.temp.write(`${card}.csv`, `channelMemberId,name\n${card},${name}\n`));
    }
    const [a, b, c] = [await memberOf('O1'), await memberOf('O2'), await memberOf('O3')];
    const bc = mergeId((await cli('members', 'merge', b, c)).out);
    const ab = mergeId((await cli('members', 'merge', a, b)).out);
    // C was wrong with B: separated, then merged into A, where it belongs
    await cli('members', 'unmerge', bc);
    const ac = mergeId((await cli('members', 'merge', a, await memberOf('O3'))).out);
    return { a, ab, ac };
  }

  it('lists the card merged back under the merge that brought it back, not under the older one', async () => {
    const { a, ab, ac } = await separatedAndMergedBack();
    expect((await listed(a)).sort()).toEqual([`${ab}: offline:O2`, `${ac}: offline:O3`].sort());
  });

  it('undoing the older merge separates what it brought and leaves the later merge in force', async () => {
    const { a, ab, ac } = await separatedAndMergedBack();
    await cli('members', 'unmerge', ab);
    expect(await memberOf('O3')).toBe(await memberOf('O1'));
    expect(await memberOf('O2')).not.toBe(await memberOf('O1'));
    expect(await listed(a)).toEqual([`${ac}: offline:O3`]);
  });
});
