import { existsSync, readdirSync } from 'node:fs';
import type { Command } from 'commander';
import { buildCli } from '../../cloudfunctions/core/local/cli';
import { runCli } from '../support/cli';
import { tempDir } from '../support/temp';

/**
 * Review 39: `member-centre <command> --help` says which options the command cannot run without, on
 * its usage line (as docs/cli.md writes its synopsis) and beside each one; one left out is refused
 * in a line naming it, exit 1, before anything is opened or written.
 */

/** Every command an operator runs (not a group), by its words: `import members`. */
function commandsOf(command: Command, path: string[] = []): [string, Command][] {
  return command.commands.flatMap((sub) => (sub.commands.length > 0 ? commandsOf(sub, [...path, sub.name()]) : [[[...path, sub.name()].join(' '), sub] as [string, Command]]));
}
const COMMANDS = commandsOf(buildCli());
const WITH_REQUIRED = COMMANDS.filter(([, command]) => command.options.some((o) => o.mandatory));

/** An option's entry in the help, its wrapped lines joined. */
function optionLine(command: Command, long: string): string {
  const entries = command.helpInformation().split('\nOptions:\n')[1]!.split(/\n(?= {2}-)/);
  return entries.find((entry) => entry.trimStart().startsWith(`${long} `))!.replace(/\s+/g, ' ').trim();
}

describe('the required options of every command', () => {
  it('the commands with required options are those docs/cli.md writes without brackets', () => {
    expect(WITH_REQUIRED.map(([name]) => name).sort()).toEqual(['campaigns add', 'codes create', 'guides add', 'import members', 'import orders', 'points adjust', 'stores add']);
  });

  it.each(COMMANDS.map(([name, command]) => [name, command] as const))('%s --help marks its required options as required, and no other', (name, command) => {
    const usage = command.helpInformation().split('\n')[0]!;
    for (const option of command.options.filter((o) => o.long !== '--help')) {
      const line = optionLine(command, option.long!);
      expect({ name, option: option.long, required: line.endsWith('(required)') }).toEqual({ name, option: option.long, required: option.mandatory });
      // the usage line names the required ones before [options], as the docs' synopsis does
      expect({ name, option: option.long, inUsage: usage.includes(` ${option.flags} `) }).toEqual({ name, option: option.long, inUsage: option.mandatory });
    }
    expect(usage.startsWith(`Usage: member-centre ${name} `)).toBe(true);
  });

  describe.each(WITH_REQUIRED.map(([name, command]) => [name, command] as const))('%s without one of its required options', (name, command) => {
    let temp: ReturnType<typeof tempDir>;
    beforeEach(() => { temp = tempDir(); });
    afterEach(() => {
      process.exitCode = undefined;
      temp.cleanup();
    });

    it.each(command.options.filter((o) => o.mandatory).map((o) => [o.long!] as const))('refuses a run without %s in one line naming it, exit 1, writing nothing', async (missing) => {
      const db = temp.file('new/mc.db');
      const args = [
        ...name.split(' '),
        ...command.registeredArguments.map(() => '1'),
        ...command.options.filter((o) => o.mandatory && o.long !== missing).flatMap((o) => [o.long!, '1']),
      ];
      const refused = await runCli(db, ...args);
      expect(refused.failed).toBe(true);
      expect((refused.error as { exitCode?: number }).exitCode).toBe(1);
      const [said, hint, ...more] = refused.err.trim().split('\n');
      expect(said).toBe(`error: required option '${command.options.find((o) => o.long === missing)!.flags}' not specified`);
      // the pointer is to the help that lists the command's options, not the list of commands
      expect(hint).toBe(`(member-centre ${name} --help lists its options)`);
      expect(more).toEqual([]);
      expect(refused.out).toBe('');
      expect(existsSync(db)).toBe(false);
      expect(readdirSync(temp.dir)).toEqual([]);
    });
  });
});

/** Every group of commands (`points`, `import`), by its words. */
function groupsOf(command: Command, path: string[] = []): string[] {
  return command.commands.flatMap((sub) => (sub.commands.length > 0 ? [[...path, sub.name()].join(' '), ...groupsOf(sub, [...path, sub.name()])] : []));
}

describe('an unknown command', () => {
  let temp: ReturnType<typeof tempDir>;
  beforeEach(() => { temp = tempDir(); });
  afterEach(() => {
    process.exitCode = undefined;
    temp.cleanup();
  });

  it('in a group points to the group\'s help, which lists its commands; at the top, to the list of commands', async () => {
    const groups = groupsOf(buildCli());
    expect(groups).toEqual(expect.arrayContaining(['import', 'points']));
    for (const group of [...groups, '']) {
      const db = temp.file('new/mc.db');
      const refused = await runCli(db, ...group.split(' ').filter(Boolean), 'bogus');
      expect(refused.failed).toBe(true);
      const [said, hint, ...more] = refused.err.trim().split('\n');
      expect({ group, said }).toEqual({ group, said: expect.stringMatching(/^error: unknown command 'bogus'/) });
      expect({ group, hint }).toEqual({ group, hint: group ? `(member-centre ${group} --help lists its commands)` : '(member-centre --help lists the commands)' });
      expect(more).toEqual([]);
      expect(refused.out).toBe('');
      expect(existsSync(db)).toBe(false);
    }
  });
});
