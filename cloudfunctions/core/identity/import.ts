import { openingHash, postOpeningBalances } from '../points/opening';
import { COLLECTION } from '../points/types';
import type { Services } from '../runtime/services';
import { importFileInBatches, MEMBER_COLUMNS, type FileImportOptions, type RowItem, type RowPlan, type RowPlanner } from '../channels/rows';
import { TxCache } from '../store/tx-cache';
import { applyRecordChanges, flagRefusedValues, markBlockedValues, type RecordChange, type RecordDoc } from './graph.store';
import { CHANNEL, checkImportChannel, recordFromRow, recordIdOf, text, type RecordFields } from './records';

/**
 * `import members --channel CH --file F`: each row becomes (or updates) the
 * channel's record, then the identity graph decides whom it belongs to. A
 * batch of rows is one transaction; re-importing a file changes nothing.
 */

export interface ImportSummary {
  read: number;
  /**
   * Rows bringing a channel member new to the store. Every row read counts once in `added`,
   * `updated`, `unchanged`, `repeated` or `rejected`.
   */
  added: number;
  /** Members created for records that joined no one. */
  created: number;
  /** Records that joined an existing member. */
  linked: number;
  /** Members absorbed by another. */
  merged: number;
  /** Records already imported whose fields this file changed (a new phone, a name). A later row of a member the file already had is a `duplicate_in_file` warning instead. */
  updated: number;
  unchanged: number;
  /** Later rows of a member listed earlier in the file (its `duplicate_in_file` warning): the later row's fields win. */
  repeated: number;
  rejected: number;
  /** Fields dropped from rows that imported (a phone that is not a mainland mobile…), each listed in the rejects file. */
  warnings: number;
  conflicts: number;
  /** Values set aside by this import (shared by too many records of a channel, or blocked test numbers): they join no one. */
  quarantined: number;
  /** Rejected rows and dropped fields by reason (`not_utf8`, `phone_not_mainland_mobile`…), for the summary line. */
  reasons: Record<string, number>;
}

/** A line of the rejects file: a row rejected (`reason`), or a field dropped from a row that imported (`warning`). */
export type Reject = { line: number; channelMemberId?: string } & ({ reason: string } | { warning: string });

export const emptySummary = (): ImportSummary => ({
  read: 0, added: 0, created: 0, linked: 0, merged: 0, updated: 0, unchanged: 0, repeated: 0, rejected: 0, warnings: 0, conflicts: 0, quarantined: 0, reasons: {},
});

/** Fields that come from the channel file; everything else on the record is ours. */
const sameFields = (a: RecordDoc, b: RecordFields) =>
  JSON.stringify([a.identifiers, a.phoneMasked ?? null, a.name ?? null, a.joinedAt ?? null, a.storeId ?? null, a.guideId ?? null]) ===
  JSON.stringify([b.identifiers, b.phoneMasked ?? null, b.name ?? null, b.joinedAt ?? null, b.storeId ?? null, b.guideId ?? null]);

/**
 * Identifiers no channel file carries, put on a record by us (an operator's merge, `link:`):
 * a re-import of the record keeps them, so it neither undoes the merge nor reads as a change.
 */
const withOurIdentifiers = (record: RecordFields, before: RecordDoc | null): RecordFields => {
  const links = (before?.identifiers ?? []).filter((i) => i.type === 'link');
  return links.length ? { ...record, identifiers: [...record.identifiers, ...links] } : record;
};

/**
 * The grouping key of a member row: its channel member id as the import reads it (a JSON number
 * too, as JD exports write them: it was a group of its own, so a member listed twice was rewritten
 * by each row on every import); a row without one is a group alone.
 */
function memberKeyOf(item: RowItem): string {
  return text(item.row?.channelMemberId) ?? `#${item.line}`;
}

/** A member row made ready for its transaction, or rejected. */
export type PlannedRecord =
  | { line: number; reject: string; channelMemberId?: string }
  | { line: number; record: RecordFields; opening?: { points: number; growth: number; hash: string }; warnings?: string[]; repeated?: true };

/**
 * Normalising and hashing each row (recordFromRow): pure, so it runs in the import's reading
 * thread. One plan reads one file, a member's rows in file order: it marks a member seen on an
 * earlier line of the file as `repeated`.
 */
export function planMemberRows({ channel, phoneHashKey }: { channel: string; phoneHashKey: Uint8Array }): RowPlan<PlannedRecord> {
  const hashKey = Buffer.from(phoneHashKey);
  // about 60 bytes a member, in the reading thread's heap: 120 MB for a 2-million-row export
  const seen = new Set<string>();
  return {
    // A member's rows share a batch (within a window of a million rows), so one listed twice is
    // decided there once: a re-import of the file then finds the later row's fields stored and
    // changes nothing, where rows a batch apart rewrote the record (and its merges) every time.
    grouping: { keysForWindow: () => (item) => memberKeyOf(item), inFileOrder: true },
    prepare(item) {
      if (!item.row) return { line: item.line, reject: item.error ?? 'malformed_line' };
      const outcome = recordFromRow(channel, item.row, hashKey);
      if (!outcome.record) {
        const channelMemberId = text(item.row.channelMemberId)?.slice(0, 64);
        return { line: item.line, reject: outcome.reject!, channelMemberId };
      }
      const { opening } = outcome;
      const repeated = seen.has(outcome.record.channelMemberId);
      if (!repeated) seen.add(outcome.record.channelMemberId);
      return {
        line: item.line,
        record: outcome.record,
        // the opening's entry hash is pure: computed here, off the writing thread
        opening: opening && { ...opening, hash: openingHash({ recordId: recordIdOf(channel, outcome.record.channelMemberId), ...opening }) },
        // most rows have none: no empty array to copy out of the reading thread
        ...(outcome.warnings.length ? { warnings: outcome.warnings } : {}),
        ...(repeated ? { repeated: true as const } : {}),
      };
    },
  };
}

export async function importMemberRows(services: Services, channel: string, items: PlannedRecord[], summary: ImportSummary, rejects: Reject[]): Promise<void> {
  const at = new Date(services.clock.now()).toISOString();
  // counted inside the transaction, added to the caller's only once it committed (a rerun starts over)
  const { batch, rejected } = await services.store.transaction(async (tx) => {
    const counted = emptySummary();
    const refused: Reject[] = [];
    const cache = new TxCache(tx);
    const changes = new Map<string, RecordChange>();
    const openings: { recordId: string; points: number; growth: number; hash: string; at: string }[] = [];
    const created = new Set<string>();
    const updated = new Set<string>();
    /** Stored members counted unchanged by their first row in this batch: a later row may change them yet. */
    const asStored = new Set<string>();
    const opened = new Set<string>();
    for (const item of items) {
      counted.read++;
      if ('reject' in item) {
        refused.push({ line: item.line, reason: item.reject, ...(item.channelMemberId ? { channelMemberId: item.channelMemberId } : {}) });
        counted.rejected++;
        continue;
      }
      for (const warning of item.warnings ?? []) refused.push({ line: item.line, warning, channelMemberId: item.record.channelMemberId });
      counted.warnings += item.warnings?.length ?? 0;
      const id = recordIdOf(channel, item.record.channelMemberId);
      const pending = changes.get(id);
      const before = pending ? pending.before : await cache.get<RecordDoc>('records', id);
      const record = withOurIdentifiers(item.record, before);
      // Opening balances enter once per channel member, from the file that first brings it: its
      // first row that gives one (a later row of the same member may, when the first had none).
      // A later file's balance has moved with orders counted already, and never enters. A record
      // erased since (member.delete) comes back without its opening: that entered already.
      if (item.opening && !before && !opened.has(id) && !(await cache.get(COLLECTION.ledger, `migrate:${id}`))) {
        openings.push({ recordId: id, ...item.opening, at });
        opened.add(id);
      }
      // The same member again later in the file (in this batch or an earlier one): the later
      // row's fields win, the rejects file says so, and the row counts as that warning alone.
      const repeated = !!pending || !!item.repeated;
      if (repeated) {
        refused.push({ line: item.line, warning: 'duplicate_in_file', channelMemberId: item.record.channelMemberId });
        counted.warnings++;
        counted.repeated++;
      }
      if (before && !pending && sameFields(before, record)) {
        if (!repeated) {
          counted.unchanged++;
          asStored.add(id);
        }
        continue;
      }
      if (!before) created.add(id);
      else if (!repeated) updated.add(id);
      // the file changes it after all: its first row counts as updated (the last pass undoes it if a later row gives it back)
      else if (asStored.delete(id)) {
        counted.unchanged--;
        updated.add(id);
      }
      const after: RecordDoc = {
        memberId: null, homeMemberId: null, apart: [], createdAt: at,
        ...before, ...record, _id: id, updatedAt: at,
      };
      changes.set(id, { before, after });
    }
    // A member listed twice in this batch whose later row gives back what is stored (a re-import
    // of the same file): nothing changed, nothing is written.
    for (const [id, { before, after }] of changes) {
      if (before && after && sameFields(before, after)) {
        changes.delete(id);
        if (updated.delete(id)) counted.unchanged++;
      }
    }
    counted.updated += updated.size;
    counted.added += created.size;
    // Opening balances first, on accounts not yet attached to anyone: the graph
    // then attaches them, and every document is written once.
    await postOpeningBalances(cache, services, openings);
    const graph = await applyRecordChanges(cache, services, [...changes.values()]);
    counted.created += graph.createdMembers.length;
    counted.merged += graph.merges.filter((m) => m.kind === 'merge').length;
    counted.conflicts += graph.conflicts;
    counted.quarantined += graph.quarantined.length;
    const fresh = new Set(graph.createdMembers);
    for (const id of created) if (!fresh.has(graph.assignment.get(id)!)) counted.linked++;
    return { batch: counted, rejected: refused };
  });
  for (const key of Object.keys(batch) as (keyof ImportSummary)[]) if (key !== 'reasons') summary[key] += batch[key];
  for (const line of rejected) {
    const reason = 'reason' in line ? line.reason : line.warning;
    summary.reasons[reason] = (summary.reasons[reason] ?? 0) + 1;
  }
  rejects.push(...rejected);
}

export interface ImportFileOptions extends FileImportOptions<ImportSummary> {
  channel: string;
}

export async function importMembersFile(services: Services, options: ImportFileOptions): Promise<ImportSummary & { rejectsFile: string | null }> {
  if (!CHANNEL.test(options.channel) || options.channel === 'wechat') throw new Error(`channel must be 2-16 lowercase letters or digits (not wechat), got ${options.channel}`);
  checkImportChannel(options.channel, services.config.identity.priority);
  // refusals an earlier version recorded: flagged on their values first, so this import can drop those that no longer hold
  await flagRefusedValues(services);
  // numbers an earlier version blocked: marked so, or taking one off the list would not free it
  await markBlockedValues(services);
  const summary = emptySummary();
  const planner: RowPlanner<Parameters<typeof planMemberRows>[0], PlannedRecord> = {
    module: __filename,
    name: planMemberRows.name,
    create: planMemberRows,
    context: { channel: options.channel, phoneHashKey: services.secrets.phoneHashKey },
  };
  const rejectsFile = await importFileInBatches({ ...options, requiredColumns: ['channelMemberId'], readColumns: MEMBER_COLUMNS, otherImport: { column: 'orderId', command: 'import orders' } }, summary, planner, (batch, rejects: Reject[]) =>
    importMemberRows(services, options.channel, batch, summary, rejects));
  return { ...summary, rejectsFile };
}
