import { createWriteStream } from 'node:fs';
import { explainInterrupt, progressBar } from '../channels/progress';
import { prepareOutputFile } from '../channels/rows';
import type { CliContext } from '../local/cli';
import { plural } from '../local/wording';
import { importMembersFile } from './import';
import { exportMembers, mergeMembers, unmergeMembers } from './operator';

/** `import members`, `members export|merge|unmerge`. */
export function registerIdentityCommands({ program, importCommand, run }: CliContext): void {
  importCommand
    .command('members')
    .description('import channel members (columns: channelMemberId, phone, phoneSha256, unionid, openid, email, name, points, growth, level, joinedAt, storeId, guideId)')
    .requiredOption('--channel <channel>', 'channel the file comes from, e.g. tmall, offline, jd')
    .requiredOption('--file <file>', 'CSV with a header row, or JSONL (.jsonl)')
    .option('--rejects <file>', 'where rejected rows and dropped fields go (default: FILE.rejects.jsonl)')
    .action((options: { channel: string; file: string; rejects?: string }) => run(async (services) => {
      const bar = progressBar('importing members');
      const started = Date.now();
      let imported = 0;
      const stopExplaining = explainInterrupt(() => plural(imported, 'row'));
      try {
        const summary = await importMembersFile(services, {
          channel: options.channel,
          file: options.file,
          rejectsFile: options.rejects ?? `${options.file}.rejects.jsonl`,
          // parsing and hashing on the second core while this thread writes
          readAhead: true,
          onProgress: (done, total, s) => {
            imported = s.read;
            bar.update(done, total, plural(s.read, 'row'));
          },
        });
        const seconds = (Date.now() - started) / 1000;
        bar.stop();
        process.stdout.write(
          `read ${plural(summary.read, 'row')} in ${seconds.toFixed(1)} s: ${plural(summary.created, 'member')} created, ${summary.linked} linked to existing members, ` +
            `${summary.updated} updated, ${summary.merged} merged, ${summary.unchanged} unchanged, ${summary.rejected} rejected, ${plural(summary.warnings, 'warning')}, ${plural(summary.conflicts, 'conflict')} for review\n`,
        );
        if (summary.quarantined) process.stdout.write(`${plural(summary.quarantined, 'phone or id', 'phones or ids')} newly set aside: shared by more records than allowed, or blocked test numbers; they join no one\n`);
        if (summary.rejectsFile) process.stdout.write(`rejected rows (reason) and fields dropped from imported rows (warning), by line: ${summary.rejectsFile}\n`);
      } finally {
        stopExplaining();
        bar.stop();
      }
    }, { createsDatabase: true }));

  const members = program.command('members').description('look at and correct members');

  members
    .command('export')
    .description('one JSON line per live member: memberId, identifiers, points, growth, level (phones as keyed hashes)')
    .option('--out <file>', 'write to a file instead of stdout')
    .action((options: { out?: string }) => run(async (services) => {
      if (options.out) prepareOutputFile(options.out, 'the export');
      const out: NodeJS.WritableStream = options.out ? createWriteStream(options.out) : process.stdout;
      let count = 0;
      for await (const line of exportMembers(services)) {
        if (!out.write(`${JSON.stringify(line)}\n`)) await new Promise<void>((done) => out.once('drain', () => done()));
        count++;
      }
      if (options.out) {
        await new Promise<void>((done) => out.end(() => done()));
        process.stderr.write(`exported ${plural(count, 'member')} to ${options.out}\n`);
      }
    }));

  members
    .command('merge <a> <b>')
    .description('join two members an operator knows are one person (limits still apply)')
    .action((a: string, b: string) => run(async (services) => {
      const merge = await mergeMembers(services, a, b);
      process.stdout.write(`merged ${merge.absorbed} into ${merge.survivor} (merge ${merge._id}; undo with: members unmerge ${merge._id})\n`);
    }));

  members
    .command('unmerge <mergeId>')
    .description('undo a merge: the absorbed side gets back its identifiers and the points they brought')
    .action((mergeId: string) => run(async (services) => {
      const { restored, survivor } = await unmergeMembers(services, mergeId);
      process.stdout.write(`separated ${restored} from ${survivor}\n`);
    }));
}
