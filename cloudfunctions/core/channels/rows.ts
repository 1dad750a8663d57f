import { parse } from 'csv-parse';
import { createReadStream, statSync } from 'node:fs';
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

async function* csvRows(input: Readable): AsyncGenerator<RowItem> {
  const skipped: RowItem[] = [];
  const parser = input.pipe(
    parse({
      columns: (header: string[]) => header.map((name) => name.trim()),
      bom: true,
      skip_empty_lines: true,
      trim: true,
      relax_column_count: true,
      max_record_size: MAX_LINE_BYTES,
      skip_records_with_error: true,
      info: true,
    }),
  );
  parser.on('skip', (error: Error & { lines?: number; code?: string }) => {
    skipped.push({ line: error.lines ?? 0, row: null, error: error.code === 'CSV_MAX_RECORD_SIZE' ? 'line_too_long' : 'malformed_line' });
  });
  for await (const record of parser as AsyncIterable<{ record: Row; info: { lines: number } }>) {
    while (skipped.length) yield skipped.shift()!;
    yield { line: record.info.lines, row: record.record };
  }
  while (skipped.length) yield skipped.shift()!;
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
