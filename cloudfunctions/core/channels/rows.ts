import { parse as parseCsv } from 'csv-parse/sync';
import { createReadStream, createWriteStream, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';

/**
 * Streams the rows of a channel export, CSV with a header row or JSONL (by
 * extension: .jsonl / .ndjson), in batches. A line that cannot be read is
 * handed back as a bad row with its reason; the rest of the file goes on.
 */

export type Row = Record<string, unknown>;

export interface RowItem {
  /** 1-based line number in the file (the header is line 1 of a CSV). */
  line: number;
  row: Row | null;
  /** Set when the line could not be parsed. */
  error?: string;
}

/** A CSV record past this size is refused (a runaway quote, a pasted blob). */
export const MAX_LINE_BYTES = 64 * 1024;

export const isJsonLines = (file: string) => /\.(jsonl|ndjson)$/i.test(file);

/**
 * CSV, one record per line. Channel exports never break a record across lines,
 * and holding to that keeps one stray quote from swallowing the rest of a
 * 2-million-row file: the bad line is rejected and the next one reads fine.
 * Lines without quotes are split directly (nearly all of them, and much
 * faster); quoted lines go through csv-parse.
 */
function splitCsvLine(text: string): string[] {
  if (!text.includes('"')) return text.split(',');
  const [fields] = parseCsv(text, { relax_column_count: true }) as string[][];
  if (!fields) throw new Error('empty');
  return fields;
}

async function* csvRows(input: Readable): AsyncGenerator<RowItem> {
  let line = 0;
  let columns: string[] | null = null;
  for await (const raw of createInterface({ input, crlfDelay: Infinity })) {
    line++;
    const text = line === 1 ? raw.replace(/^\uFEFF/, '') : raw;
    if (!text.trim()) continue;
    if (text.length > MAX_LINE_BYTES) {
      yield { line, row: null, error: 'line_too_long' };
      continue;
    }
    let fields: string[];
    try {
      fields = splitCsvLine(text);
    } catch {
      if (columns) yield { line, row: null, error: 'malformed_line' };
      else throw new Error('the header row cannot be read');
      continue;
    }
    if (!columns) {
      columns = fields.map((name) => name.trim());
      continue;
    }
    const row: Row = {};
    columns.forEach((name, i) => {
      const value = fields[i];
      if (value !== undefined) row[name] = value.trim();
    });
    yield { line, row };
  }
}

async function* jsonRows(input: Readable): AsyncGenerator<RowItem> {
  let line = 0;
  for await (const text of createInterface({ input, crlfDelay: Infinity })) {
    line++;
    if (!text.trim()) continue;
    if (text.length > MAX_LINE_BYTES) {
      yield { line, row: null, error: 'line_too_long' };
      continue;
    }
    try {
      const value: unknown = JSON.parse(text);
      if (value && typeof value === 'object' && !Array.isArray(value)) yield { line, row: value as Row };
      else yield { line, row: null, error: 'not_an_object' };
    } catch {
      yield { line, row: null, error: 'malformed_line' };
    }
  }
}

export interface FileRows {
  size: number;
  /** Bytes read so far, for a progress bar. */
  bytesRead(): number;
  batches(size: number): AsyncGenerator<RowItem[]>;
}

export function readRows(file: string): FileRows {
  const size = statSync(file).size;
  const input = createReadStream(file, { highWaterMark: 1 << 20 });
  const rows = isJsonLines(file) ? jsonRows(input) : csvRows(input);
  return {
    size,
    bytesRead: () => input.bytesRead,
    async *batches(batchSize) {
      let batch: RowItem[] = [];
      for await (const item of rows) {
        batch.push(item);
        if (batch.length >= batchSize) {
          yield batch;
          batch = [];
        }
      }
      if (batch.length) yield batch;
    },
  };
}

export interface FileImportOptions<S> {
  file: string;
  /** Where rejected rows go, one JSON line each (created only if some are). */
  rejectsFile: string;
  batchSize?: number;
  onProgress?: (bytesRead: number, size: number, summary: S) => void;
}

/**
 * The loop every channel import shares: batches of rows to `importBatch`
 * (one transaction each), the rejects it collects appended to the rejects
 * file, progress after each batch. Returns the rejects file if it was written.
 */
export async function importFileInBatches<S, R>(
  options: FileImportOptions<S>,
  summary: S,
  importBatch: (batch: RowItem[], rejects: R[]) => Promise<void>,
): Promise<string | null> {
  const rows = readRows(options.file);
  const rejects: R[] = [];
  let rejectsOut: ReturnType<typeof createWriteStream> | null = null;
  for await (const batch of rows.batches(options.batchSize ?? 2000)) {
    await importBatch(batch, rejects);
    if (rejects.length) {
      rejectsOut ??= createWriteStream(options.rejectsFile);
      for (const reject of rejects.splice(0)) rejectsOut.write(`${JSON.stringify(reject)}\n`);
    }
    options.onProgress?.(rows.bytesRead(), rows.size, summary);
  }
  if (!rejectsOut) return null;
  await new Promise<void>((done) => rejectsOut!.end(done));
  return options.rejectsFile;
}
