/**
 * The operator's lists capped at 1,000 a run (`members link-requests`, `members shared`): past the
 * cap, the last line on stderr is the command for the next page (`--after CURSOR`), as `members
 * conflicts` gives it, instead of "raise --limit", which cannot go past 1,000.
 */
import { runCliAt } from '../support/cli';
import { boundConsumer, importMembers, memberOk } from '../support/members';
import { openTestServices, type TestServices } from '../support/services';

describe('operator lists read past their cap, page after page', () => {
  let services: TestServices;
  beforeEach(() => { services = openTestServices(); });
  afterEach(() => {
    process.exitCode = undefined;
    return services.close();
  });

  const cli = (...args: string[]) => runCliAt(services.clock, services.dbFile, ...args);
  const lines = (out: string) => out.split('\n').filter(Boolean);

  /** Runs `first`, then each command its stderr names after "more: ", collecting the lines. */
  const everyPage = async (command: string[], first: string[]) => {
    const seen: string[] = [];
    let args = first;
    const commands: string[] = [];
    for (let pages = 0; pages < 20; pages++) {
      const page = await cli(...command, ...args);
      expect(page.failed).toBe(false);
      seen.push(...lines(page.out));
      const next = new RegExp(`more: ${command.join(' ')} (--.*) --after '([A-Za-z0-9_-]+)'\\)\\n$`).exec(page.err);
      if (!next) break;
      commands.push(next[0]);
      args = [...next[1]!.split(' '), '--after', next[2]!];
    }
    return { seen, commands };
  };

  // guards against "(more: raise --limit)" on a list whose --limit stops at 1,000: past it, the
  // requests waiting could never be listed, nor decided
  it('members link-requests: goes on with --after, each request once, oldest first as one long page', async () => {
    const cards = ['C1', 'C2', 'C3', 'C4', 'C5'];
    await importMembers(services, 'offline', cards.map((channelMemberId) => ({ channelMemberId })));
    await boundConsumer(services, 'u1', '13912345678');
    for (const cardNo of cards) {
      services.clock.advance(60_000);
      await memberOk(services, 'u1', { action: 'linkOffline', cardNo });
    }
    const all = await cli('members', 'link-requests', '--limit', '1000');
    expect(lines(all.out)).toHaveLength(5);
    expect(all.err).not.toMatch(/more:/);

    const { seen, commands } = await everyPage(['members', 'link-requests'], ['--limit', '2']);
    expect(seen).toEqual(lines(all.out));
    expect(commands).toHaveLength(2);
    expect(commands[0]).toMatch(/^more: members link-requests --status pending --limit 2 --after '[A-Za-z0-9_-]+'\)\n$/);
  });

  it('members link-requests: a decided status pages under its own status', async () => {
    await importMembers(services, 'offline', [{ channelMemberId: 'C1' }, { channelMemberId: 'C2' }, { channelMemberId: 'C3' }]);
    await boundConsumer(services, 'u1', '13912345678');
    for (const cardNo of ['C1', 'C2', 'C3']) {
      services.clock.advance(60_000);
      await memberOk(services, 'u1', { action: 'linkOffline', cardNo });
    }
    for (const id of lines((await cli('members', 'link-requests')).out).map((line) => line.split("'")[1]!)) {
      expect((await cli('members', 'link-refuse', id)).failed).toBe(false);
    }
    const { seen, commands } = await everyPage(['members', 'link-requests'], ['--status', 'refused', '--limit', '1']);
    expect(seen).toHaveLength(3);
    expect(new Set(seen).size).toBe(3);
    expect(commands[0]).toMatch(/^more: members link-requests --status refused --limit 1 --after /);
  });

  it('members link-requests: refuses an --after that no listing gave out, saying what it takes', async () => {
    await importMembers(services, 'offline', [{ channelMemberId: 'C1' }]);
    const run = await cli('members', 'link-requests', '--after', 'not a cursor');
    expect(run.failed).toBe(true);
    expect(run.err).toMatch(/--after takes the cursor an earlier members link-requests printed/);
  });

  // guards against the same dead end on the list of values set aside
  it('members shared: goes on with --after, most records first as one long page', async () => {
    // five emails, each on 4 to 8 offline cards (past the threshold of 3), and two on as many
    const rows: { channelMemberId: string; email: string }[] = [];
    const counts = { a: 4, b: 6, c: 4, d: 8, e: 5, f: 6, g: 4 };
    for (const [name, n] of Object.entries(counts)) {
      for (let i = 0; i < n; i++) rows.push({ channelMemberId: `${name.toUpperCase()}${i}`, email: `${name}@example.com` });
    }
    await importMembers(services, 'offline', rows);
    const all = await cli('members', 'shared', '--limit', '1000');
    expect(lines(all.out)).toHaveLength(7);
    expect(all.err).not.toMatch(/more:/);

    const { seen, commands } = await everyPage(['members', 'shared'], ['--limit', '2']);
    expect(seen).toEqual(lines(all.out));
    expect(commands).toHaveLength(3);
    expect(commands[0]).toMatch(/^more: members shared --limit 2 --after '[A-Za-z0-9_-]+'\)\n$/);
    expect((await cli('members', 'shared', '--limit', '2')).err).toMatch(/^7 values set aside, joining no one \(2 listed, most records first\); shared: .* \(more: members shared --limit 2 --after '[A-Za-z0-9_-]+'\)\n$/);
  });

  it('members shared: refuses an --after that no listing gave out', async () => {
    await importMembers(services, 'offline', [{ channelMemberId: 'C1' }]);
    const run = await cli('members', 'shared', '--after', 'not a cursor');
    expect(run.failed).toBe(true);
    expect(run.err).toMatch(/--after takes the cursor an earlier members shared printed/);
  });
});
