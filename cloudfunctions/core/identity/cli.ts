import { createWriteStream, existsSync, fchmodSync, openSync, renameSync, rmSync } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { explainInterrupt, failIfAllRejected, progressBar, progressNote, warnIgnoredColumns } from '../channels/progress';
import { checkOutputFile, fileHead, MEMBER_COLUMNS } from '../channels/rows';
import type { CliContext } from '../local/cli';
import { beijingTime, counted, plural } from '../local/wording';
import { decodeCursor } from '../store/cursor';
import { importMembersFile } from './import';
import { confirmLinkRequest, listLinkRequests, refuseLinkRequest } from './link-requests';
import { exportMembers, listConflicts, listShared, mergeMembers, mergesOf, unmergeMembers } from './operator';

/**
 * Nothing there, an empty file, or one starting with an exported member's line. Not any JSON line:
 * a channel's JSONL export (the Tmall file just imported, perhaps its only copy) starts with one too.
 */
function replaceableByExport(file: string): boolean {
  if (!existsSync(file)) return true;
  const text = fileHead(file, 64).toString('utf8').trimStart();
  return text === '' || text.startsWith('{"memberId":');
}

/** A request id as the shell takes it: its `>` unquoted would redirect the command's output to a file. */
export const shellQuoted = (id: string) => `'${id}'`;

/** A list command's `--limit`: a page the store reads at once. */
export function pageLimit(given: string): number {
  const limit = Number(given);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new Error(`--limit must be a whole number from 1 to 1000, got ${given}`);
  return limit;
}

/** A page cursor as a listing gives it out (`sortedBy`: what the listing sorts by, as the cursor holds it). */
function isCursor(given: string, sortedBy: 'number' | 'string' = 'string'): boolean {
  try {
    return typeof decodeCursor(given).value === sortedBy;
  } catch {
    return false;
  }
}

/** `--after` as the list command `command` printed it after "more:", or refused saying so. */
function afterCursor(given: string | undefined, command: string, sortedBy?: 'number' | 'string'): string | null {
  if (given === undefined) return null;
  if (!isCursor(given, sortedBy)) throw new Error(`--after takes the cursor an earlier ${command} printed (after "more:"), got ${given}`);
  return given;
}

/** `import members`, `members export|merge|unmerge|merges|conflicts|shared|link-requests|link-confirm|link-refuse`. */
export function registerIdentityCommands({ program, importCommand, run, dataFiles }: CliContext): void {
  importCommand
    .command('members')
    .description(`import channel members (columns: ${MEMBER_COLUMNS.join(', ')})`)
    .requiredOption('--channel <channel>', 'channel the file comes from, e.g. tmall, offline, jd')
    .requiredOption('--file <file>', 'CSV with a header row, or JSON lines (.jsonl or .ndjson)')
    .option('--rejects <file>', 'where rejected rows and dropped fields go (default: FILE.rejects.jsonl)')
    .action((options: { channel: string; file: string; rejects?: string }) => run(async (services) => {
      const bar = progressBar('importing members');
      const started = Date.now();
      let imported = 0;
      const rejectsFile = options.rejects ?? `${options.file}.rejects.jsonl`;
      const stopExplaining = explainInterrupt(() => plural(imported, 'row'), rejectsFile, bar);
      try {
        const summary = await importMembersFile(services, {
          channel: options.channel,
          file: options.file,
          rejectsFile,
          dataFiles: dataFiles(),
          onIgnoredColumns: warnIgnoredColumns,
          // parsing and hashing on the second core while this thread writes
          readAhead: true,
          onProgress: (done, total, s, reading) => {
            imported = s.read;
            bar.update(done, total, progressNote(s.read, reading));
          },
        });
        const seconds = (Date.now() - started) / 1000;
        bar.stop();
        process.stdout.write(
          // the rows first, each counted once, so they add up to those read; then what they did to members
          `read ${plural(summary.read, 'row')} in ${seconds.toFixed(1)} s: ${counted(summary.added)} new, ${counted(summary.updated)} updated, ${counted(summary.unchanged)} unchanged, ` +
            `${counted(summary.repeated)} repeating a member listed earlier in the file, ${counted(summary.rejected)} rejected; ` +
            `${plural(summary.created, 'member')} created, ${plural(summary.linked, 'record')} linked to existing members, ${counted(summary.merged)} merged, ` +
            `${plural(summary.warnings, 'warning')}, ${plural(summary.conflicts, 'conflict')} for review${summary.conflicts ? ' (members conflicts lists them)' : ''}\n`,
        );
        if (summary.quarantined) process.stdout.write(`${plural(summary.quarantined, 'phone or id', 'phones or ids')} newly set aside: shared by more records than allowed, or blocked test numbers; they join no one (members shared lists them)\n`);
        const reasons = Object.entries(summary.reasons).sort(([, a], [, b]) => b - a);
        if (reasons.length) process.stdout.write(`rejects and warnings by reason: ${reasons.map(([reason, n]) => `${reason} ${counted(n)}`).join(', ')}\n`);
        if (summary.rejectsFile) process.stdout.write(`rejected rows (reason) and fields dropped from imported rows (warning), by line: ${summary.rejectsFile}\n`);
        failIfAllRejected(summary, summary.rejectsFile);
      } finally {
        stopExplaining();
        bar.stop();
      }
    }, { createsDatabase: true }));

  const members = program.command('members').description('look at and correct members');

  members
    .command('export')
    .description('one JSON line per live member: memberId, identifiers, points, growth, level (phones as keyed hashes)')
    .option('--out <file>', 'write to a file instead of stdout (an earlier export there is replaced)')
    .option('--force', 'replace a file at --out that is not an earlier export')
    .action((options: { out?: string; force?: boolean }) => run(async (services) => {
      if (options.out) {
        checkOutputFile(options.out, 'the export', dataFiles());
        // yesterday's export is replaced as a matter of course; anything else (the CSV just imported) is asked for
        if (!options.force && !replaceableByExport(options.out)) {
          throw new Error(`${options.out} exists and is not an earlier export (it does not start with an exported member's line, {"memberId":…): choose another --out, or add --force to replace it`);
        }
      }
      let count = 0;
      const lines = Readable.from((async function* () {
        for await (const line of exportMembers(services)) {
          count++;
          yield `${JSON.stringify(line)}\n`;
        }
      })());
      if (!options.out) return pipeline(lines, process.stdout, { end: false });
      // Written beside the target and renamed over it once whole: a run stopped part-way (Ctrl-C,
      // a full disk) leaves yesterday's export as it was, not a part of today's that passes for all.
      const out = options.out;
      const part = `${out}.part`;
      // the part file is guarded as the export is (a link left there would be written through)
      checkOutputFile(part, 'the export', dataFiles());
      const onSignal = (signal: NodeJS.Signals) => {
        rmSync(part, { force: true });
        process.stderr.write(`\ninterrupted: the export was not written; ${out} is as it was\n`);
        process.exit(signal === 'SIGINT' ? 130 : signal === 'SIGHUP' ? 129 : 143);
      };
      // SIGHUP: the terminal closed (an ssh session dropped), which would otherwise leave the part-file
      const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
      for (const signal of signals) process.once(signal, onSignal);
      try {
        // every member's identifiers (emails, unionids, card numbers): readable by its owner alone, as
        // the database and a rejects file are (a part-file a killed run left is made so too)
        const fd = openSync(part, 'w', 0o600);
        fchmodSync(fd, 0o600);
        await pipeline(lines, createWriteStream('', { fd }));
        renameSync(part, out);
      } catch (error) {
        rmSync(part, { force: true });
        throw new Error(`cannot write the export to ${out}: ${error instanceof Error ? error.message : String(error)}`);
      } finally {
        for (const signal of signals) process.off(signal, onSignal);
      }
      process.stderr.write(`exported ${plural(count, 'member')} to ${out}\n`);
    }));

  members
    .command('merge <a> <b>')
    .description('join two members an operator knows are one person (limits still apply)')
    .action((a: string, b: string) => run(async (services) => {
      const merge = await mergeMembers(services, a, b);
      const already = merge.repeated ? `already one: ${merge.absorbed} was merged into ${merge.survivor} at ${beijingTime(merge.at)}, nothing changed` : `merged ${merge.absorbed} into ${merge.survivor}`;
      process.stdout.write(`${already} (merge ${merge._id}; undo with: members unmerge ${merge._id})\n`);
    }));

  members
    .command('unmerge <mergeId>')
    .description('undo a merge: the absorbed side gets back its identifiers and the points they brought')
    .action((mergeId: string) => run(async (services) => {
      const { restored, survivor, undoneAt, repeated } = await unmergeMembers(services, mergeId);
      process.stdout.write(repeated ? `already separated: ${restored} from ${survivor} at ${beijingTime(undoneAt)}, nothing changed\n` : `separated ${restored} from ${survivor}\n`);
    }));

  members
    .command('merges <member>')
    .description('the merges in force that joined other members into this one (an import, a phone binding, a store card linked, an operator), newest first, with the ids members unmerge takes')
    .action((member: string) => run(async (services) => {
      const { memberId, merges } = await mergesOf(services, member);
      const by = { operator: 'members merge', card: 'a store card linked', shared: 'a shared identifier (an import or a phone binding)' };
      for (const m of merges) {
        process.stdout.write(`${m.mergeId}  ${beijingTime(m.at)}  ${m.absorbed} joined ${m.survivor} by ${by[m.by]}, bringing ${m.records.join(', ')}\n`);
      }
      const where = memberId === member ? '' : ` (${member} is in ${memberId})`;
      process.stderr.write(`${plural(merges.length, 'merge')} in force${where}${merges.length ? '; undo one with: members unmerge MERGE_ID' : ''}\n`);
    }));

  members
    .command('conflicts')
    .description('joins a limit refused (two phones on one member, say; also a phone binding or store card link a consumer asked for) or an unmerge keeps apart, newest first, for review')
    .option('--limit <n>', 'how many identifiers, each with all its refusals (at most 1000)', '100')
    .option('--after <cursor>', 'the next page: the cursor the page before printed')
    .action((options: { limit: string; after?: string }) => run(async (services) => {
      const limit = pageLimit(options.limit);
      const { conflicts, nextCursor } = await listConflicts(services, limit, afterCursor(options.after, 'members conflicts'));
      for (const c of conflicts) {
        const named = (side: { recordId: string; memberId: string | null }) => `${side.recordId} (${side.memberId ? `member ${side.memberId}` : 'erased'})`;
        const asker = c.between.find((side) => side.recordId === c.askedBy);
        const holder = c.between.find((side) => side !== asker);
        // a phone bound or a store card linked that was refused: the asking side does not carry the value
        const sides = asker && holder ? `${named(holder)}, asked for by ${named(asker)}` : c.between.map(named).join(' and ');
        const why = c.reason !== 'limit' ? 'an operator separated them (members unmerge)'
          // the limit as configured now: the brand may have dropped it since the join was refused
          : c.limit === undefined ? `a limit on ${c.limitType} per member, which identity.limits no longer sets (members merge joins them)`
            : `at most ${c.limit} ${c.limitType} per member (identity.limits)`;
        process.stdout.write(`${beijingTime(c.at)}  ${c.value === null ? c.type : `${c.type} ${c.value}`} ${asker && holder ? 'of' : 'shared by'} ${sides}, not joined: ${why}\n`);
      }
      // the next page as a command to run (the cursor is base64url: nothing a shell reads into)
      const more = nextCursor ? ` (more: members conflicts --limit ${limit} --after ${shellQuoted(nextCursor)})` : '';
      process.stderr.write(`${plural(conflicts.length, 'conflict')}${more}\n`);
    }));

  members
    .command('shared')
    .description('phones and ids set aside (quarantined): on more records of one channel than allowed, or blocked test numbers; most records first')
    .option('--limit <n>', 'how many (at most 1000)', '50')
    .option('--after <cursor>', 'the next page: the cursor the page before printed')
    .action((options: { limit: string; after?: string }) => run(async (services) => {
      const limit = pageLimit(options.limit);
      const { shared, total, nextCursor } = await listShared(services, limit, afterCursor(options.after, 'members shared', 'number'));
      for (const s of shared) {
        const channels = Object.entries(s.channels).sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1)).map(([channel, count]) => `${channel} ${count}`).join(', ');
        const more = s.records - s.firstRecords.length;
        const records = [s.firstRecords.join(', '), more > 0 ? `+${more} more` : ''].filter(Boolean).join(' ');
        process.stdout.write(`${s.type} ${s.value}  ${s.why}  ${plural(s.records, 'record')} (${channels}): ${records}\n`);
      }
      const listed = total > shared.length ? ` (${counted(shared.length)} listed, most records first)` : '';
      const why = `shared: seen on more than ${services.config.identity.quarantineThreshold} records of one channel (identity.quarantineThreshold); blocked: in identity.blockedPhones`;
      // last, the next page as a command to run
      const more = nextCursor ? ` (more: members shared --limit ${limit} --after ${shellQuoted(nextCursor)})` : '';
      process.stderr.write(`${plural(total, 'value')} set aside, joining no one${listed}${total ? `; ${why}` : ''}${more}\n`);
    }));

  members
    .command('link-requests')
    .description('store cards without a phone that consumers asked to link (member.linkOffline), for staff to check at the store (pending: those whose card is not in the consumer\'s member yet)')
    .option('--status <status>', 'pending, confirmed or refused', 'pending')
    .option('--limit <n>', 'how many, oldest first (at most 1000)', '100')
    .option('--after <cursor>', 'the next page: the cursor the page before printed')
    .action((options: { status: string; limit: string; after?: string }) => run(async (services) => {
      if (!['pending', 'confirmed', 'refused'].includes(options.status)) throw new Error(`--status must be pending, confirmed or refused, got ${options.status}`);
      const limit = pageLimit(options.limit);
      const { requests, nextCursor } = await listLinkRequests(services, options.status as 'pending', limit, afterCursor(options.after, 'members link-requests'));
      for (const r of requests) {
        const decided = r.decidedAt ? `, ${r.status} ${beijingTime(r.decidedAt)}${r.reason ? ` (${r.reason})` : ''}` : '';
        process.stdout.write(`${shellQuoted(r.requestId)}  card ${r.cardNo}${r.cardName ? ` (${r.cardName})` : ''}, asked by ${r.requesterPhone ?? 'a consumer without a phone'} at ${beijingTime(r.at)}${decided}\n`);
      }
      const decide = requests.length && options.status === 'pending' ? "; decide with: members link-confirm 'ID' | members link-refuse 'ID' --reason R" : '';
      // last, the next page as a command to run
      const more = nextCursor ? ` (more: members link-requests --status ${options.status} --limit ${limit} --after ${shellQuoted(nextCursor)})` : '';
      process.stderr.write(`${plural(requests.length, `${options.status} request`)}${decide}${more}\n`);
    }));

  members
    .command('link-confirm <requestId>')
    .description('the card is the consumer\'s: join it to their member (its points and level count for them)')
    .action((requestId: string) => run(async (services) => {
      const { status, memberId, mergeId } = await confirmLinkRequest(services, requestId);
      if (status === 'linked') {
        // joined some other way while the request waited: nothing was decided, nor written
        process.stdout.write(`already linked ${shellQuoted(requestId)}: the card is in the consumer's member ${memberId} already (a merge, an import or their own link joined them), nothing changed (members merges ${memberId} lists how)\n`);
        return;
      }
      const undo = mergeId ? ` (merge ${mergeId}; undo with: members unmerge ${mergeId})` : '';
      process.stdout.write(`confirmed ${shellQuoted(requestId)}: the card now belongs to ${memberId}${undo}\n`);
    }));

  members
    .command('link-refuse <requestId>')
    .description('the card is not the consumer\'s: leave it as it is; the consumer is told to see the store')
    .option('--reason <reason>', 'why, kept with the request')
    .action((requestId: string, options: { reason?: string }) => run(async (services) => {
      await refuseLinkRequest(services, requestId, options.reason?.trim().slice(0, 200) || null);
      process.stdout.write(`refused ${shellQuoted(requestId)}\n`);
    }));
}
