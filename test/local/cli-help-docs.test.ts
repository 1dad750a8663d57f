import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { buildCli } from '../../cloudfunctions/core/local/cli';
import { fixedClock } from '../../cloudfunctions/core/runtime/clock';
import { cliOnFreshDatabase } from '../support/cli';

/**
 * What `member-centre <command> --help` says against the reference an operator reads beside it
 * (docs/cli.md): the same options, and the same forms of a value the command reads.
 */
const REFERENCE = readFileSync(join(__dirname, '..', '..', 'docs', 'cli.md'), 'utf8');

/** Every command an operator runs (not a group), by its words: `members merges`. */
function commandsOf(command: Command, path: string[] = []): [string, Command][] {
  return command.commands.flatMap((sub) => (sub.commands.length > 0 ? commandsOf(sub, [...path, sub.name()]) : [[[...path, sub.name()].join(' '), sub] as [string, Command]]));
}
const COMMANDS = new Map(commandsOf(buildCli()));

/** A command's help on one line: commander wraps it to the terminal's width. */
const helpOf = (name: string) => COMMANDS.get(name)!.helpInformation().replace(/\s+/g, ' ');

/** The synopses of docs/cli.md's table of commands (`members link-confirm ID`), by command. */
function referenceSynopses(): Map<string, string> {
  const synopses = REFERENCE.split('\n')
    .filter((line) => line.startsWith('| `'))
    .flatMap((row) => (row.split(' | ')[0]!.match(/`[^`]+`/g) ?? []).map((code) => code.slice(1, -1)));
  const found = new Map<string, string>();
  for (const name of COMMANDS.keys()) {
    const synopsis = synopses.find((s) => s === name || s.startsWith(`${name} `));
    if (synopsis) found.set(name, synopsis);
  }
  return found;
}

describe('the CLI\'s help and docs/cli.md', () => {
  const { cli, run } = cliOnFreshDatabase(fixedClock('2026-11-23T02:00:00Z'));

  it('campaigns add --valid-to names the date and time forms it reads, as codes create\'s does', async () => {
    const forms = 'YYYY-MM-DD (to the end of that day) or a time (YYYY-MM-DD HH:MM, or ISO with a zone); Beijing time unless it carries a zone';
    expect(helpOf('campaigns add')).toContain(`--valid-to <date> last day an order can be bound: ${forms}`);
    expect(helpOf('codes create')).toContain(`--valid-to <date> last day a code can be redeemed: ${forms}`);
    // what the help names is read: a Beijing date and time without a zone
    expect((await cli('campaigns', 'add', '--bonus', '30', '--name', '包裹卡', '--valid-to', '2027-01-31 20:00')).out).toMatch(/until 2027-01-31 20:00:00 Beijing/);
    // and a value of none of those forms is refused naming them all
    const refused = await run('campaigns', 'add', '--bonus', '30', '--name', '包裹卡', '--valid-to', '2027-02-30');
    expect(refused.failed).toBe(true);
    expect(refused.err).toMatch(/INVALID_INPUT: valid-to 2027-02-30 is not a date \(YYYY-MM-DD\) or a time \(YYYY-MM-DD HH:MM, or ISO with a zone\)/);
  });

  it('members merges names every way of merging it lists, a store card linked among them', () => {
    expect(helpOf('members merges')).toContain('(an import, a phone binding, a store card linked, an operator)');
  });

  it('docs/cli.md gives every command the options its help lists, the required ones without brackets', () => {
    const synopses = referenceSynopses();
    for (const [name, command] of COMMANDS) {
      const options = command.options.filter((o) => o.long !== '--help');
      const synopsis = synopses.get(name) ?? '';
      const listed = [...synopsis.matchAll(/(\[?)(--[a-z-]+)/g)].map(([, bracket, long]) => `${bracket}${long}`);
      // `[--out F [--force]]`, `[--max N | --all]`: an option inside another's brackets is optional too
      const optional = (long: string) => new RegExp(`\\[[^\\]]*${long}\\b`).test(synopsis);
      expect({ name, options: listed.map((l) => l.replace('[', '')).sort() }).toEqual({ name, options: options.map((o) => o.long!).sort() });
      for (const option of options) expect({ name, option: option.long, optional: optional(option.long!) }).toEqual({ name, option: option.long, optional: !option.mandatory });
    }
    expect([...COMMANDS.keys()].filter((name) => !synopses.has(name))).toEqual([]);
  });

  it('docs/cli.md names the JSON lines files each import reads, as its help does', () => {
    for (const name of ['import members', 'import orders']) {
      expect(helpOf(name)).toContain('--file <file> CSV with a header row, or JSON lines (.jsonl or .ndjson)');
      const row = REFERENCE.split('\n').find((line) => line.startsWith(`| \`${name} `))!;
      expect({ name, row: /`\.jsonl` \/ `\.ndjson`/.test(row) }).toEqual({ name, row: true });
      const section = REFERENCE.split('\n').find((line) => line.startsWith(`\`${name} `))!;
      expect({ name, section: /`\.jsonl` \/ `\.ndjson`/.test(section) }).toEqual({ name, section: true });
    }
  });
});
