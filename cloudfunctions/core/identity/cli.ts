import { createWriteStream } from 'node:fs';
import { progressBar } from '../channels/progress';
import type { CliContext } from '../local/cli';
import { isAppError } from '../runtime/errors';
import { importMembersFile } from './import';
import { exportMembers, mergeMembers, unmergeMembers } from './operator';

/** `import members`, `members export|merge|unmerge`. */
export function registerIdentityCommands({ program, importCommand, open }: CliContext): void {
  const fail = (error: unknown): never =>
    program.error(isAppError(error) ? `${error.code}: ${error.message}` : error instanceof Error ? error.message : String(error));

  importCommand
    .command('members')
    .description('import channel members (columns: channelMemberId, phone, phoneSha256, unionid, openid, email, name, points, growth, level, joinedAt, storeId, guideId)')
    .requiredOption('--channel <channel>', 'channel the file comes from, e.g. tmall, offline, jd')
    .requiredOption('--file <file>', 'CSV with a header row, or JSONL (.jsonl)')
    .option('--rejects <file>', 'where rejected rows go (default: FILE.rejects.jsonl)')
    .action(async (options: { channel: string; file: string; rejects?: string }) => {
      const services = open();
      const bar = progressBar('导入会员');
      const started = Date.now();
      try {
        const summary = await importMembersFile(services, {
          channel: options.channel,
          file: options.file,
          rejectsFile: options.rejects ?? `${options.file}.rejects.jsonl`,
          onProgress: (done, total, s) => bar.update(done, total, `${s.read} rows`),
        });
        bar.stop();
        const seconds = (Date.now() - started) / 1000;
        process.stdout.write(
          `read ${summary.read} rows in ${seconds.toFixed(1)} s: ${summary.created} members created, ${summary.linked} linked to existing members, ` +
            `${summary.merged} merged, ${summary.unchanged} unchanged, ${summary.rejected} rejected, ${summary.warnings} warnings, ${summary.conflicts} conflicts for review\n`,
        );
        if (summary.rejectsFile) process.stdout.write(`rejected rows and reasons: ${summary.rejectsFile}\n`);
      } catch (error) {
        bar.stop();
        fail(error);
      } finally {
        await services.store.close();
      }
    });

  const members = program.command('members').description('look at and correct members');

  members
    .command('export')
    .description('one JSON line per live member: memberId, identifiers, points, growth, level (phones as keyed hashes)')
    .option('--out <file>', 'write to a file instead of stdout')
    .action(async (options: { out?: string }) => {
      const services = open();
      const out: NodeJS.WritableStream = options.out ? createWriteStream(options.out) : process.stdout;
      let count = 0;
      for await (const line of exportMembers(services)) {
        if (!out.write(`${JSON.stringify(line)}\n`)) await new Promise<void>((done) => out.once('drain', () => done()));
        count++;
      }
      if (options.out) {
        await new Promise<void>((done) => out.end(() => done()));
        process.stderr.write(`exported ${count} members to ${options.out}\n`);
      }
      await services.store.close();
    });

  members
    .command('merge <a> <b>')
    .description('join two members an operator knows are one person (limits still apply)')
    .action(async (a: string, b: string) => {
      const services = open();
      try {
        const merge = await mergeMembers(services, a, b);
        process.stdout.write(`merged ${merge.absorbed} into ${merge.survivor} (merge ${merge._id}; undo with: members unmerge ${merge._id})\n`);
      } catch (error) {
        fail(error);
      } finally {
        await services.store.close();
      }
    });

  members
    .command('unmerge <mergeId>')
    .description('undo a merge: the absorbed side gets back its identifiers and the points they brought')
    .action(async (mergeId: string) => {
      const services = open();
      try {
        const { restored, survivor } = await unmergeMembers(services, mergeId);
        process.stdout.write(`separated ${restored} from ${survivor}\n`);
      } catch (error) {
        fail(error);
      } finally {
        await services.store.close();
      }
    });
}
