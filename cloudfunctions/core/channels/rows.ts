import { parse as parseCsv } from 'csv-parse/sync';
import { isUtf8 } from 'node:buffer';
import { accessSync, closeSync, constants, createReadStream, existsSync, lstatSync, openSync, readSync, rmSync, statSync, writeSync, type Stats } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { MEMBER_COLUMNS } from '../identity/records';
import { readAhead } from './read-ahead';

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
 * One CSV record's fields. Lines without quotes are split directly (nearly all
 * of them, and much faster); quoted ones go through csv-parse, which also reads
 * a record that `CsvRecords` joined from several lines.
 */
function splitCsvLine(text: string): string[] {
  if (!text.includes('"')) return text.split(',');
  const [fields] = parseQuoted(text);
  if (!fields) throw new Error('empty');
  return fields;
}

/**
 * csv-parse's records of a text. A quote inside a cell (`张"三`, `5" 屏`, as exports that quote
 * nothing write them) is part of the cell, as Excel reads it: strict parsing alone rejected the
 * member's whole row. Only in a line with no quoted cell at all, and none that ends with a quote:
 * such a cell (`VIP,2024"`) is the last line of a cell with line breaks whose start was lost,
 * not a row of its own.
 */
function parseQuoted(text: string): string[][] {
  try {
    return parseCsv(text, { relax_column_count: true }) as string[][];
  } catch (error) {
    const cells = text.split(',');
    const quotesInside = cells.every((cell) => !cell.startsWith('"') && !cell.endsWith('"'));
    if ((error as { code?: string }).code !== 'INVALID_OPENING_QUOTE' || !quotesInside) throw error;
    return [cells];
  }
}

/** Most lines one CSV record may span: a quoted field with line breaks (an address, a note typed into an Excel cell). */
export const MAX_RECORD_LINES = 100;

/** Whether a text has an odd number of quotes: a quoted field is left open at its end, or a quote is out of place. */
function oddQuotes(text: string): boolean {
  let odd = false;
  for (let at = text.indexOf('"'); at !== -1; at = text.indexOf('"', at + 1)) odd = !odd;
  return odd;
}

/** Whether csv-parse reads the text as a record whose last quoted field runs on past the text (and nothing else wrong). */
function opensQuotedField(text: string): boolean {
  try {
    parseCsv(text, { relax_column_count: true });
    return false;
  } catch (error) {
    return (error as { code?: string }).code === 'CSV_QUOTE_NOT_CLOSED';
  }
}

/** The fields of a joined record, or null when csv-parse cannot read it as one record. */
function recordFields(text: string): string[] | null {
  try {
    const records = parseCsv(text, { relax_column_count: true }) as string[][];
    return records.length === 1 ? records[0]! : null;
  } catch {
    return null;
  }
}

/** Commas in a text: a line without quotes has one fewer than its fields. */
function commas(text: string): number {
  let count = 0;
  for (let at = text.indexOf(','); at !== -1; at = text.indexOf(',', at + 1)) count++;
  return count;
}

/**
 * A CSV file's lines as its records. A record may break across lines inside
 * a quoted field, as Excel writes a cell with line breaks: a line that opens a
 * quoted field and leaves it open takes the lines after it until the field
 * closes. One stray quote must not swallow the rows after it, so a joined
 * record counts only when it closes within MAX_RECORD_LINES lines and
 * MAX_LINE_BYTES characters, reads as one record with the header's number of
 * fields, and holds no line inside it that reads as a row of its own (no
 * quotes, the header's number of fields or more). Otherwise the opening line
 * alone is handed on (to be rejected as malformed) and the lines it held are
 * read again as records of their own.
 */
class CsvRecords {
  private held: string[] = [];
  private heldFrom = 0;
  /** Characters of the held lines once joined. */
  private heldLength = 0;
  /** Fields of the header, the first record. */
  private columns = -1;
  /**
   * The header's fields up to its last name: a joined record has as many, or more left empty
   * (an export that ends its rows, or only its header, with a comma or several; two such pasted together).
   */
  private named = -1;
  /**
   * The most fields a joined record may have, the ones past the header's names empty: as csvParser
   * allows a row on one line (the header's, the file's usual width, one more after a pasted header).
   */
  private allowed = 0;
  /** The first header's names (headerSignature), to know a pasted export's header by. */
  private signature = '';
  /** A cheap first test of a line for a pasted export's header: its first cell the header's first name. */
  private headerStart: RegExp | null = null;

  /**
   * `header`: the line is the file's header or a pasted export's (see csvParser). `usual`: how many
   * fields the file's rows usually have (usualWidth): a record may have as many, the ones past the
   * header's names empty, as its rows on one line may (Infinity while that is being learnt).
   */
  constructor(private readonly emit: (line: number, text: string, header?: boolean) => void, private readonly usual = 0) {}

  /** The file's next line, numbered from 1. */
  push(line: number, text: string): void {
    if (this.held.length) {
      this.extend(text);
    } else if (text.length <= MAX_LINE_BYTES && text.includes('"') && oddQuotes(text) && this.columns > 0 && opensQuotedField(text)) {
      this.held = [text];
      this.heldFrom = line;
      this.heldLength = text.length;
    } else {
      let header = false;
      if (this.columns < 0 && text.trim()) {
        header = true;
        const names = recordFields(withoutBom(text)) ?? [];
        this.columns = names.length;
        this.allowed = Math.max(this.columns, this.usual);
        this.named = namedFields(names);
        this.signature = headerSignature(names);
        const first = columnName(names[0] ?? '').replace(/[.*+?^$()|[\]{}\\]/g, '\\$&');
        if (first) this.headerStart = new RegExp(`^\uFEFF?[\\s"]*${first}[\\s"]*(,|$)`, 'i');
      } else if (this.headerStart?.test(text)) {
        // a pasted export's header (csvParser rejects it as repeated_header): its records have its
        // names, which may leave out the first header's last columns, and its empty cells past them
        const fields = recordFields(withoutBom(text));
        if (fields && isHeaderOrItsStart(headerSignature(fields), this.signature)) {
          header = true;
          this.named = namedFields(fields);
          this.allowed = Math.max(this.allowed, this.columns + 1, fields.length);
        }
      }
      this.emit(line, text, header);
    }
  }

  /** The end of the file: a record still open was a stray quote. */
  end(): void {
    while (this.held.length) this.giveUp();
  }

  /** The held record is open (an odd number of quotes so far): a line with an even number leaves it open. */
  private extend(text: string): void {
    this.held.push(text);
    this.heldLength += 1 + text.length;
    if (this.heldLength > MAX_LINE_BYTES) return this.giveUp();
    if (!oddQuotes(text)) {
      // a whole row inside the open field: the quote that opened it was a stray one (as many fields
      // as the header names: rows need not end with the empty cell a header ending with a comma has)
      if (this.named > 1 && !text.includes('"') && commas(text) >= this.named - 1) return this.giveUp();
      if (this.held.length >= MAX_RECORD_LINES) this.giveUp();
      return;
    }
    const joined = this.held.join('\n');
    const fields = recordFields(joined);
    if (!fields || !this.fitsHeader(fields)) return this.giveUp();
    this.held = [];
    this.emit(this.heldFrom, joined);
  }

  /**
   * A joined record has the header's named fields, and past them only empty ones: one (rows ending
   * with a comma), as many as the header has (an export ending every line with several), or as
   * many as the file's rows usually have (an export ending its rows, not its header, with several).
   */
  private fitsHeader(fields: string[]): boolean {
    if (fields.length < this.named || fields.length > Math.max(this.allowed, this.named + 1)) return false;
    return fields.slice(this.named).every((field) => !field.trim());
  }

  private giveUp(): void {
    const [opening, ...rest] = this.held;
    const from = this.heldFrom;
    this.held = [];
    this.emit(from, opening!);
    rest.forEach((text, i) => this.push(from + 1 + i, text));
  }
}

/** A header's fields up to its last name (an export may end its lines with empty cells). */
function namedFields(header: string[]): number {
  let named = header.length;
  while (named > 0 && !header[named - 1]!.trim()) named--;
  return named;
}

/** Reads one line of a file into a row; null for a line that is no row (blank, the CSV header). */
type LineParser = (line: number, text: string) => RowItem | null;

export { MEMBER_COLUMNS };
/** The columns an orders file may have (docs/imports.md: Order columns). */
export const ORDER_COLUMNS = ['orderId', 'channelMemberId', 'phone', 'phoneSha256', 'amountFen', 'amount', 'status', 'refundFen', 'paidAt', 'refundedAt', 'storeId'];
/** Every column the imports read, spelled as here whatever case a header gives it. */
const KNOWN_COLUMNS = [...new Set([...MEMBER_COLUMNS, ...ORDER_COLUMNS])];
const CANONICAL = new Map(KNOWN_COLUMNS.map((name) => [name.toLowerCase(), name]));

/** A header cell as the imports name it: `ChannelMemberID ` reads as `channelMemberId`; unknown names stay as they are. */
const columnName = (cell: string) => {
  const name = cell.trim();
  return CANONICAL.get(name.toLowerCase()) ?? name;
};

/**
 * A header line as another export's header is compared to it: its names, without the empty cells
 * after the last (an export that ends every line with a comma ends its header so too).
 */
const headerSignature = (cells: string[]) => {
  const names = cells.map(columnName);
  while (names.length && !names[names.length - 1]) names.pop();
  return names.join(',');
};

/**
 * Whether a line holds nothing but column names (the first header's, or any the imports read),
 * two at least: another export's header, as no row of data is.
 */
const namesOnly = (fields: string[], header: string[]) => {
  let names = 0;
  for (const field of fields) {
    if (!field.trim()) continue;
    const name = columnName(field);
    if (!CANONICAL.has(name.toLowerCase()) && !header.includes(name)) return false;
    names++;
  }
  return names >= 2;
};

/** Whether a line's header signature is the header's, or the header's first names (an export leaving out its last columns). */
const isHeaderOrItsStart = (signature: string, header: string) => signature === header || header.startsWith(`${signature},`);

/** The text of a line read as UTF-8 had bytes that are not: the row's text would be stored garbled. */
const NOT_UTF8 = '\uFFFD';

/** The text without the byte-order mark a Windows tool starts a file with (the start of each of two files joined by `cat` too). */
const withoutBom = (text: string) => (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);

/** A line's end as the import's reader (readline) takes it: LF, CRLF, or a CR alone. */
const LINE_END = /\r\n|\r|\n/;

/** How much of a CSV is read first to learn how many cells its rows usually have. */
const WIDTH_SAMPLE_BYTES = 64 * 1024;

/**
 * How many cells the rows of a CSV usually have: the commonest count among the records of its
 * first 64 KB, the header's line not counted (null when there are none). Some exports end every
 * row with a comma, one empty cell past the header; most end at the header's last column.
 */
export function usualWidth(file: string): number | null {
  const head = fileHead(file, WIDTH_SAMPLE_BYTES);
  const lines = withoutBom(head.toString('utf8')).split(LINE_END);
  // a sample that filled its bytes ends in the middle of a line
  if (head.length === WIDTH_SAMPLE_BYTES) lines.pop();
  const counts = new Map<number, number>();
  // records, as the import reads them: the lines of a cell with line breaks are no rows of their
  // own, nor is a pasted export's header
  const records = new CsvRecords((_, text, header) => {
    if (header || !text.trim()) return;
    try {
      const width = splitCsvLine(text).length;
      counts.set(width, (counts.get(width) ?? 0) + 1);
    } catch {
      // a malformed line: not a width
    }
  }, Infinity);
  lines.forEach((text, i) => records.push(i + 1, text));
  records.end();
  let usual: number | null = null;
  for (const [width, n] of counts) if (usual === null || n > counts.get(usual)! || (n === counts.get(usual)! && width < usual)) usual = width;
  return usual;
}

/**
 * `usual`: how many cells the file's rows usually have (usualWidth). `cutLine`: the number of the
 * file's last line when no line break ends it (0 otherwise).
 */
function csvParser(usual: number | null, cutLine: () => number): LineParser {
  let columns: string[] | null = null;
  let header = '';
  /**
   * From each header's line on: `width`, the cells of the header the rows follow (the first header's,
   * then a pasted export's own: one export may end its lines, header too, with a comma, and the
   * other not); `allowed`, the most cells a row may have, the ones past the header empty (the
   * header's, or one more in a file whose rows usually end with a comma). By line, so a row read
   * again after a later pasted header is read as it was the first time.
   */
  const widths: { from: number; width: number; allowed: number }[] = [];
  const widthsAt = (line: number) => {
    let at = widths[0]!;
    for (const entry of widths) if (entry.from <= line) at = entry;
    return at;
  };
  /**
   * Pasted exports whose header names other columns than the first (`amount` where it had
   * `amountFen`): the line of that header and of the header like the first that ended them
   * (Infinity: none yet). By line, so a line read again gives the same answer.
   */
  const changed: { from: number; to: number }[] = [];
  const underChangedHeader = (line: number) => changed.length > 0 && changed.some(({ from, to }) => line >= from && line < to);
  return (line, raw) => {
    // on any line: the second of two files joined by `cat` starts with its own
    const text = withoutBom(raw);
    if (!text.trim()) return null;
    if (text.length > MAX_LINE_BYTES) return { line, row: null, error: 'line_too_long' };
    if (text.includes(NOT_UTF8)) return { line, row: null, error: 'not_utf8' };
    let fields: string[];
    try {
      fields = splitCsvLine(text);
    } catch {
      if (columns) return { line, row: null, error: 'malformed_line' };
      throw new Error('the header row cannot be read');
    }
    if (!columns) {
      columns = fields.map(columnName);
      header = headerSignature(columns);
      widths.push({ from: line, width: columns.length, allowed: Math.max(columns.length, usual ?? 0) });
      return null;
    }
    // two exports pasted together: the second one's header is no member (first cell first: it is
    // cheap), also when that export leaves out the first one's last columns; a first column with no
    // name (an index column, as pandas writes one) tells nothing, the line then names columns only
    if (columnName(fields[0] ?? '') === columns[0] && (columns[0] || namesOnly(fields, columns))) {
      if (isHeaderOrItsStart(headerSignature(fields), header)) {
        // what the rows after it usually end with is not known: an empty cell past the header passes,
        // or as many as that header ends with (an export ending every line with several)
        if (!widths.some(({ from }) => from === line)) {
          widths.push({ from: line, width: fields.length, allowed: Math.max(widthsAt(line).allowed, columns.length + 1, fields.length) });
        }
        const open = changed.at(-1);
        if (open && open.to === Infinity && line > open.from) open.to = line;
        return { line, row: null, error: 'repeated_header' };
      }
      // an export of other columns: its rows read under the first header's names would put its
      // cells in the wrong fields (a yuan amount read as fen), so none is read
      // (read again, its line is inside the interval it opened)
      if (!underChangedHeader(line)) changed.push({ from: line, to: Infinity });
      return { line, row: null, error: 'header_changed' };
    }
    // an export naming the same columns in another order (its first another): read under the first
    // header's names, an order's buyer id would be taken for its order id
    if (!underChangedHeader(line) && namesOnly(fields, columns)) changed.push({ from: line, to: Infinity });
    if (underChangedHeader(line)) return { line, row: null, error: 'header_changed' };
    // A last line without its line break and short of the header's cells is a file cut off mid-line
    // (copied while still being written): read as a short row, a cut id is another member and a cut
    // balance an opening that the whole file can never correct.
    const at = widthsAt(line);
    if (line === cutLine() && fields.length < at.width) return { line, row: null, error: 'line_cut_off' };
    // A cell beyond the header: an unquoted comma (in a name, an address) shifted the cells after
    // it. Empty, it is the same shift when the row's last cell was empty, unless the file's rows
    // usually end so.
    if (fields.length > columns.length && (fields.length > at.allowed || fields.slice(columns.length).some((field) => field.trim()))) return { line, row: null, error: 'too_many_fields' };
    const row: Row = {};
    columns.forEach((name, i) => {
      const value = fields[i];
      if (value !== undefined) row[name] = value.trim();
    });
    return { line, row };
  };
}

/** A JSONL object's keys named as CSV headers are (`ChannelMemberID` reads as `channelMemberId`); copied only when one differs. */
function withColumnNames(row: Row): Row {
  const named = Object.keys(row).map((key) => [key, columnName(key)] as const);
  if (named.every(([key, name]) => key === name)) return row;
  // a key already in our spelling wins over another spelling of it on the same line (it comes
  // last); fromEntries defines each key as JSON.parse did (`__proto__` stays a plain field)
  const others = named.filter(([key, name]) => key !== name && !Object.prototype.hasOwnProperty.call(row, name));
  const ours = named.filter(([key, name]) => key === name);
  return Object.fromEntries([...others, ...ours].map(([key, name]) => [name, row[key]]));
}

/** Digits past which a JSON number is no longer exact (2^53 has 16). */
const EXACT_DIGITS = 15;
/** A number of more than 15 digits where a value starts (an id already quoted as text does not match). */
const LONG_DIGITS = new RegExp(`[:[,]\\s*-?\\d{${EXACT_DIGITS + 1}}`);

/**
 * The line with every integer of more than 15 digits written as text: JSON.parse reads numbers as
 * doubles, and a Tmall order id or a long member id written as a number (2400000000000000001)
 * came out rounded, so that two orders became one. Quoted as text they are read as a CSV cell is.
 */
export function quoteLongIntegers(line: string): string {
  if (!LONG_DIGITS.test(line)) return line;
  let out = '';
  let from = 0;
  let inString = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') {
      inString = true;
      continue;
    }
    if (c !== '-' && (c < '0' || c > '9')) continue;
    let end = i + 1;
    while (end < line.length && /[0-9.eE+-]/.test(line[end]!)) end++;
    const token = line.slice(i, end);
    if (/^-?\d+$/.test(token) && token.replace('-', '').length > EXACT_DIGITS) {
      out += `${line.slice(from, i)}"${token}"`;
      from = end;
    }
    i = end - 1;
  }
  return from === 0 ? line : out + line.slice(from);
}

const jsonParser = (): LineParser => (line, raw) => {
  // on any line, as in a CSV (JSON never starts with one)
  const text = withoutBom(raw);
  if (!text.trim()) return null;
  if (text.length > MAX_LINE_BYTES) return { line, row: null, error: 'line_too_long' };
  if (text.includes(NOT_UTF8)) return { line, row: null, error: 'not_utf8' };
  try {
    const value: unknown = JSON.parse(quoteLongIntegers(text));
    if (!value || typeof value !== 'object' || Array.isArray(value)) return { line, row: null, error: 'not_an_object' };
    // a field is text, a number, true/false or null, as a CSV cell would be: an object or a list in
    // it (`{"toString":1}`, arrays 20,000 deep) made reading it throw and stopped the whole file
    if (Object.values(value).some((field) => field !== null && typeof field === 'object')) return { line, row: null, error: 'nested_value' };
    return { line, row: withColumnNames(value as Row) };
  } catch {
    return { line, row: null, error: 'malformed_line' };
  }
};

/** A row with the line it was read from, so it can be dropped and read again later. */
export interface LineItem extends RowItem {
  text: string;
}

export interface FileRows {
  /** Bytes of the file handed out as rows so far, for a progress bar. */
  bytesRead(): number;
  batches(size: number): AsyncGenerator<LineItem[]>;
  /** Reads a line handed out before into its row again (same answer as the first time). */
  reread(line: number, text: string): RowItem;
}

/** Whether the byte at `at` of a file ends a line. */
function lineBreakAt(file: string, at: number): boolean {
  const byte = Buffer.alloc(1);
  const fd = openSync(file, 'r');
  try {
    return readSync(fd, byte, 0, 1, at) === 1 && (byte[0] === LF || byte[0] === CR);
  } finally {
    closeSync(fd);
  }
}

export function readRows(file: string): FileRows {
  const input = createReadStream(file, { highWaterMark: 1 << 20 });
  const jsonLines = isJsonLines(file);
  // set once the file is read (see csvParser); a JSON line cut off does not parse anyway
  let cutLine = 0;
  const usual = jsonLines ? null : usualWidth(file);
  const parse = jsonLines ? jsonParser() : csvParser(usual, () => cutLine);
  // bytes of the lines handed out so far (the stream reads a megabyte ahead, a sixth of a
  // 100k-row file); a CRLF counts one byte short, until the end
  let consumed = 0;
  let ended = false;
  return {
    bytesRead: () => (ended ? input.bytesRead : Math.min(consumed, input.bytesRead)),
    reread: (line, text) => parse(line, text)!,
    // one loop over the lines, no generator per line: at a million rows, each
    // await and object copy per line cost more than reading the line
    async *batches(batchSize) {
      let batch: LineItem[] = [];
      const take = (line: number, text: string) => {
        const item = parse(line, text);
        // the row as the operator corrects and imports it again: without the file's BOM, which
        // parse drops too (inside a line of another file it would make the line unreadable)
        if (item) batch.push({ line: item.line, row: item.row, error: item.error, text: line === 1 ? withoutBom(text) : text });
      };
      // a JSON line never breaks across lines: only a CSV's lines are joined into records
      const records = jsonLines ? null : new CsvRecords(take, usual ?? 0);
      let line = 0;
      // each line is handed on once the next is read: whether the last one ended is known only then
      let last: string | null = null;
      const hand = (text: string) => {
        consumed += Buffer.byteLength(text) + 1;
        if (records) records.push(line, text);
        else take(line, text);
      };
      for await (const text of createInterface({ input, crlfDelay: Infinity })) {
        if (last !== null) hand(last);
        line++;
        last = text;
        // a record given up on hands on the lines it held at once
        while (batch.length >= batchSize) yield batch.splice(0, batchSize);
      }
      ended = true;
      if (last !== null) {
        // the file as read: one still being written may have grown since it was opened
        if (input.bytesRead > 0 && !lineBreakAt(file, input.bytesRead - 1)) cutLine = line;
        hand(last);
      }
      records?.end();
      while (batch.length >= batchSize) yield batch.splice(0, batchSize);
      if (batch.length) yield batch;
    },
  };
}

/** Bytes read to judge a file's encoding and header before importing it. */
const SNIFF_BYTES = 64 * 1024;
const ZIP_SIGNATURE = Buffer.from([0x50, 0x4b, 0x03, 0x04]);
/** Bytes read at a time to check a whole file is UTF-8 (a 160 MB export in about a second). */
const CHECK_CHUNK = 4 * 1024 * 1024;

/** How many bytes at the end of `data` begin a UTF-8 character that the next bytes complete. */
function cutCharacter(data: Buffer): number {
  for (let back = 1; back <= 4 && back <= data.length; back++) {
    const byte = data[data.length - back]!;
    if (byte < 0x80) return 0;
    if (byte >= 0xc0) {
      const length = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : 2;
      return length > back ? back : 0;
    }
  }
  return 0;
}

/**
 * The number of the first line of a file that is not UTF-8 (null if none), and whether all of it
 * is blank. The whole file: a GBK name far down a file mostly of ASCII may still read as valid
 * UTF-8 (郑桐 as ֣ͩ), so rejecting the lines that do not read left others stored garbled; a file
 * with any such line is refused. Lines are checked whole (a newline byte is never part of a UTF-8
 * character). Blank as a JSON line is (see jsonParser): found in the same read, so a 2 GB file of
 * blank lines is not read twice to learn it holds nothing.
 */
function scanText(file: string): { notUtf8: number | null; blank: boolean } {
  const fd = openSync(file, 'r');
  try {
    const chunk = Buffer.alloc(CHECK_CHUNK);
    let carry = Buffer.alloc(0);
    let line = 1;
    // decoded only while nothing but blanks has been read: a file of rows stops at its first chunk
    let blank = true;
    for (;;) {
      const read = readSync(fd, chunk, 0, chunk.length, null);
      const data = carry.length ? Buffer.concat([carry, chunk.subarray(0, read)]) : chunk.subarray(0, read);
      // whole lines now; the last, cut off, goes with the next chunk (all of it at the end; a line
      // longer than a chunk is checked up to its last whole character, so no chunk piles up)
      let cut = read === 0 ? data.length : afterLastLineEnd(data);
      // (a CR last there may be half a CRLF: it goes with the next chunk, whose LF ends the line once)
      if (cut === 0 && data.length > CHECK_CHUNK) cut = data.length - (data[data.length - 1] === CR ? 1 : cutCharacter(data));
      const whole = data.subarray(0, cut);
      if (isUtf8(whole)) {
        line += lineEndsIn(whole);
        // (trim drops a BOM, wherever it is, as it does each line's)
        if (blank && whole.toString('utf8').trim()) blank = false;
      } else {
        // line by line, as the import numbers them: a line ends with LF, CRLF or a CR alone
        for (let from = 0; from < whole.length; line++) {
          const next = afterLineEnd(whole, from);
          if (!isUtf8(whole.subarray(from, next))) return { notUtf8: line, blank: false };
          from = next;
        }
      }
      if (read === 0) return { notUtf8: null, blank };
      carry = Buffer.from(data.subarray(cut));
    }
  } finally {
    closeSync(fd);
  }
}

const LF = 0x0a;
const CR = 0x0d;

/** How many lines end in `data`: its LFs, and its CRs that no LF follows. */
function lineEndsIn(data: Buffer): number {
  let ends = 0;
  for (let at = data.indexOf(LF); at !== -1; at = data.indexOf(LF, at + 1)) ends++;
  for (let at = data.indexOf(CR); at !== -1; at = data.indexOf(CR, at + 1)) if (data[at + 1] !== LF) ends++;
  return ends;
}

/** Where the line starting at `from` ends, its LF, CRLF or CR included (the data's end if it does not). */
function afterLineEnd(data: Buffer, from: number): number {
  for (let i = from; i < data.length; i++) {
    if (data[i] === LF) return i + 1;
    if (data[i] === CR) return data[i + 1] === LF ? i + 2 : i + 1;
  }
  return data.length;
}

/** Just past the last whole line's end (0 if none): a CR last in the data may be half a CRLF, whose LF comes next. */
function afterLastLineEnd(data: Buffer): number {
  const lf = data.lastIndexOf(LF);
  // a CR last in the data is left out (a negative offset would count from the end)
  const cr = data.length >= 2 ? data.lastIndexOf(CR, data.length - 2) : -1;
  return Math.max(lf, cr) + 1;
}

/**
 * EPERM where a mode would say EACCES: macOS keeps Desktop, Documents and Downloads from a terminal
 * not allowed into them, whatever the file's mode (chmod changes nothing there).
 */
const notPermitted = (file: string) =>
  `cannot read ${file}: the system does not let this program read it; nothing was imported: on a Mac, allow the terminal in System Settings > Privacy & Security > Files and Folders (or Full Disk Access), or move the file out of Desktop, Documents or Downloads, and import it again`;

/**
 * Refuses, before anything is imported, a file the import could only get wrong: not there, not
 * UTF-8 (Excel on Chinese Windows saves "CSV" as GBK: its names would be stored garbled), or a
 * CSV whose header lacks a required column (every row would be rejected). Header names are
 * matched without regard to case.
 */
export function checkImportFile(file: string, requiredColumns: readonly string[], readColumns: readonly string[] = []): string[] {
  let size: number;
  try {
    const stat = statSync(file);
    if (!stat.isFile()) throw new Error(`${file} is not a file`);
    size = stat.size;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new Error(`no file ${file}`);
    // a folder on the way this user may not open: the file cannot even be looked at
    if (code === 'EACCES') throw new Error(`cannot read ${file}: this user may not open a folder it is in; nothing was imported: give this user access to each folder on the way (chmod o+x) and import it again`);
    if (code === 'EPERM') throw new Error(notPermitted(file));
    throw error;
  }
  const head = Buffer.alloc(Math.min(size, SNIFF_BYTES));
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (error) {
    // a file copied in by another user (root, an sftp account) with a mode this user cannot read
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EACCES') throw new Error(`cannot read ${file}: this user may not read it (its owner or mode); nothing was imported: give this user read access (chmod o+r, or chown) and import it again`);
    if (code === 'EPERM') throw new Error(notPermitted(file));
    throw error;
  }
  try {
    readSync(fd, head, 0, head.length, 0);
  } finally {
    closeSync(fd);
  }
  // UTF-16's BOM, either way round (Excel's "Unicode text"): not the GBK the check below would guess
  if ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff)) {
    throw new Error(`${file} is not UTF-8 text (it is UTF-16, as Excel's "Unicode text" saves): save it as "CSV UTF-8 (逗号分隔)" and import it again; nothing was imported`);
  }
  // a zip's signature: the workbook itself (.xlsx), not a CSV saved from it
  if (head.subarray(0, 4).equals(ZIP_SIGNATURE)) {
    throw new Error(`${file} is an Excel workbook (.xlsx) or another zip file, not CSV text: in Excel choose 另存为 "CSV UTF-8 (逗号分隔)" and import that file; nothing was imported`);
  }
  // UTF-16 without its BOM puts a NUL in every other byte of Latin text: checked before UTF-8, or
  // its Chinese text (阳 is 0x33 0x96) named it GBK; neither GBK nor UTF-8 text of ours holds a NUL
  if (head.includes(0)) {
    throw new Error(`${file} is not UTF-8 text (it holds NUL bytes, as UTF-16 "Unicode text" does): save it as "CSV UTF-8 (逗号分隔)" and import it again; nothing was imported`);
  }
  const { notUtf8, blank } = scanText(file);
  if (notUtf8 !== null) {
    throw new Error(`${file} is not UTF-8 text (line ${notUtf8} is the first that is not; Excel on Chinese Windows saves "CSV" as GBK): save it as "CSV UTF-8 (逗号分隔)" and import it again; nothing was imported`);
  }
  // nothing but blank lines (an export that wrote nothing), however many: refused as an empty CSV is, not read as a file of no rows
  if (isJsonLines(file) && blank) {
    throw new Error(`${file} holds no JSON lines (is it empty?); nothing was imported`);
  }
  if (isJsonLines(file) || requiredColumns.length === 0) return [];
  // a line ends as the import reads it: LF, CRLF or a CR alone (Excel for Mac's "CSV (Macintosh)"),
  // or the whole file was taken for its header, its phones and names printed as columns it ignores
  const firstLine = withoutBom(head.toString('utf8')).split(LINE_END)[0] ?? '';
  if (!firstLine.trim()) throw new Error(`${file} has no header row (is it empty?); nothing was imported`);
  if (/^\s*\{/.test(firstLine)) {
    throw new Error(`${file} looks like JSON lines, which are read from a file named .jsonl (or .ndjson): rename it and import it again; nothing was imported`);
  }
  let columns: string[];
  try {
    columns = splitCsvLine(firstLine).map(columnName);
  } catch {
    throw new Error(`${file}: the header row cannot be read; nothing was imported`);
  }
  // a column named twice (`phone` and `Phone`, a column renamed to one the file has): each row
  // would keep its last cell of that name, an empty one or another number, without a word
  const twice = [...requiredColumns, ...readColumns].find((name) => columns.indexOf(name) !== columns.lastIndexOf(name));
  if (twice) {
    const at = columns.flatMap((name, i) => (name === twice ? [i + 1] : []));
    throw new Error(`${file}: its header names the column ${twice} more than once (columns ${at.join(' and ')}): keep one and import it again; nothing was imported`);
  }
  const missing = requiredColumns.filter((name) => !columns.includes(name));
  // a column under another name (`mobile` for `phone`) would be dropped from every row without a word
  if (!missing.length) return readColumns.length ? [...new Set(columns.filter((name) => name && !readColumns.includes(name)))] : [];
  const separator = /\t/.test(firstLine) ? ' (it looks separated by tabs: columns must be separated by commas)'
    : /;/.test(firstLine) ? ' (it looks separated by semicolons: columns must be separated by commas)' : '';
  // a first line naming none of our columns and holding digits or an @ (a phone, an id, an amount, an
  // email) is a row of data (an export without its header): its phone and name are not for stderr,
  // which cron mails and CI logs keep. One of words alone (会员卡号,手机号,姓名) is a header, shown.
  const named = firstLine.split(/[,\t;]/).some((cell) => [...requiredColumns, ...readColumns].includes(columnName(cell.replace(/^\s*"|"\s*$/g, ''))));
  if (!named && /[0-9@]/.test(firstLine)) throw new Error(`${file} has no ${missing.join(', ')} column; its first line names none of the columns this import reads (${(readColumns.length ? readColumns : requiredColumns).join(', ')}): is its header row missing? nothing was imported`);
  throw new Error(`${file} has no ${missing.join(', ')} column; its header is: ${firstLine.slice(0, 200)}${separator}; nothing was imported`);
}

const SQLITE_HEADER = 'SQLite format 3\0';

/**
 * Refuses, before anything is written, a place an output file must not go: a missing folder
 * or no permission; one of the database's own files (`dataFiles`: an export written over the
 * database would delete it) or any SQLite database; anything but a plain file (a link would be
 * replaced or written through, a folder, pipe or device is no file to keep).
 */
export function checkOutputFile(file: string, what: string, dataFiles: readonly string[] = []): void {
  const path = resolve(file);
  const refuse = (why: string): never => {
    throw new Error(`cannot write ${what} to ${file}: ${why}`);
  };
  let existing: Stats | null = null;
  try {
    existing = lstatSync(path);
  } catch {
    // nothing there yet
  }
  const sameFile = (other: string) => {
    if (resolve(other) === path) return true;
    try {
      const stat = statSync(other);
      return existing !== null && stat.ino === existing.ino && stat.dev === existing.dev;
    } catch {
      return false;
    }
  };
  if (dataFiles.some(sameFile)) refuse('it is one of the database\'s own files');
  if (existing && !existing.isFile()) refuse('it is not a plain file (a folder, link, pipe or device)');
  if (existing && startsWith(path, SQLITE_HEADER)) refuse('it is an SQLite database');
  try {
    accessSync(dirname(path), constants.W_OK);
    if (existing) accessSync(path, constants.W_OK);
  } catch {
    refuse('no such folder, or no permission');
  }
}

/** The first `bytes` of a file (fewer if it is shorter). */
export function fileHead(path: string, bytes: number): Buffer {
  const head = Buffer.alloc(bytes);
  const fd = openSync(path, 'r');
  try {
    return head.subarray(0, readSync(fd, head, 0, bytes, 0));
  } finally {
    closeSync(fd);
  }
}

function startsWith(path: string, text: string): boolean {
  try {
    return fileHead(path, text.length).toString('latin1') === text;
  } catch {
    return false;
  }
}

/**
 * Makes way for this run's rejects: an earlier run's file would otherwise stand beside a file
 * that now imports cleanly. Refuses a place it may not write to before anything is imported.
 */
export function prepareOutputFile(file: string, what: string, dataFiles: readonly string[] = []): void {
  checkOutputFile(file, what, dataFiles);
  // an earlier import's rejects (or an empty file) make way; anything else was named by mistake
  // (the codes just printed, an export, a CSV) and is worth more than the rejects
  if (existsSync(file) && !/^(\{"line":|$)/.test(fileHead(file, 16).toString('utf8').trimStart())) {
    throw new Error(`cannot write ${what} to ${file}: it holds something else than the rejects of an earlier import; name another file`);
  }
  rmSync(file, { force: true });
}

export interface FileImportOptions<S> {
  file: string;
  /** Where rejected rows go, one JSON line each (created only if some are; an earlier run's is removed). */
  rejectsFile: string;
  /** The database's own files, which the rejects must never replace (see `checkOutputFile`). */
  dataFiles?: readonly string[];
  /** Columns a CSV header must have (checked before anything is imported). */
  requiredColumns?: readonly string[];
  /** Every column the import reads: others in a CSV header are told to `onIgnoredColumns` before it starts. */
  readColumns?: readonly string[];
  onIgnoredColumns?: (ignored: string[], readColumns: readonly string[]) => void;
  /** A CSV column that marks another import's file (`orderId` for members): refused, naming the command that reads it. */
  otherImport?: { column: string; command: string };
  batchSize?: number;
  /** `reading`: rows read into a window none of which is written yet (see PreparedBatch). */
  onProgress?: (bytesRead: number, size: number, summary: S, reading?: number) => void;
  /**
   * Read and prepare rows in a second thread while this one writes (the CLI
   * does): on a 2-core machine the file's parsing and hashing then cost the
   * import nothing. Same batches, same results, either way.
   */
  readAhead?: boolean;
}

/**
 * Rows that share a key (one buyer's orders) imported in the same batch cost
 * their shared documents one read and one write instead of one per row. A file
 * is read a window of rows at a time, each window grouped by key (the file's
 * order kept within a key; see `inFileOrder` for the order of the groups), then imported
 * batch by batch.
 */
export interface Grouping {
  /**
   * A key function for one window (called at the start of each, so it may
   * remember what it saw in the window): rows with equal keys are imported
   * together.
   */
  keysForWindow(): (item: RowItem) => string;
  /** Rows held and sorted at a time; bounds the memory a huge file takes. */
  windowRows?: number;
  /**
   * Groups in the order of their first rows, so a file of distinct keys stays in file order
   * (member ids inserted in file order fill the store's indexes about a third faster than
   * shuffled); otherwise in the order of their keys' hashes (orders import faster so).
   */
  inFileOrder?: boolean;
}

/**
 * What an import does to each row before its transaction: parsing, checking,
 * hashing. Pure and free of services, so it may run in the reading thread.
 */
export interface RowPlan<P> {
  prepare(item: RowItem): P;
  grouping?: Grouping;
}

/**
 * How to make an import's RowPlan, in this thread (`create`) or in the reading
 * thread, which loads `module` and calls its export `name` with `context`
 * (plain data: it is copied across).
 */
export interface RowPlanner<C, P> {
  module: string;
  name: string;
  create: (context: C) => RowPlan<P>;
  context: C;
}

/** About 400 MB of rows held at once. */
export const DEFAULT_WINDOW_ROWS = 1_000_000;

/** 32-bit FNV-1a: rows with equal keys get equal numbers (two keys may share one, which only mixes their groups). */
function keyHash(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return h | 0;
}

/**
 * The rows of a window as flat arrays: the line texts, their numbers and their
 * group (rows are grouped by the hash of their key): the hash itself, or with
 * `inFileOrder` the position in the window of the group's first row. A million
 * rows held as objects would keep the garbage collector busy for the whole
 * import; numbers in arrays cost it nothing.
 */
class HeldRows {
  private texts: string[] = [];
  private lines: number[] = [];
  private groups: number[] = [];
  private firstOfHash = new Map<number, number>();

  constructor(private readonly inFileOrder: boolean) {}

  get size(): number {
    return this.texts.length;
  }

  hold(key: string, line: number, text: string): void {
    const hash = keyHash(key);
    let group = hash;
    if (this.inFileOrder) {
      const first = this.firstOfHash.get(hash);
      if (first === undefined) this.firstOfHash.set(hash, (group = this.texts.length));
      else group = first;
    }
    this.texts.push(text);
    this.lines.push(line);
    this.groups.push(group);
  }

  /** The held rows grouped by key (file order within a key), as an order over them; the window is emptied. */
  take(): { order: Uint32Array; lines: number[]; texts: string[]; groups: number[] } {
    const { texts, lines, groups } = this;
    this.texts = [];
    this.lines = [];
    this.groups = [];
    this.firstOfHash = new Map();
    const order = new Uint32Array(texts.length);
    for (let i = 0; i < order.length; i++) order[i] = i;
    order.sort((a, b) => groups[a]! - groups[b]! || a - b);
    return { order, lines, texts, groups };
  }
}

/** Prepared rows for one transaction, and where the file stands once they are imported. */
export interface PreparedBatch<P> {
  items: P[];
  /** The file's line of each row and the row as it stands there: a rejected row is listed with its text, for the operator to correct. */
  lines: number[];
  texts: string[];
  /** Bytes of the file accounted for after this batch (for the progress bar). */
  progress: number;
  /** No later batch holds an earlier line: the rejects so far can be written in line order. */
  settled: boolean;
  /**
   * Set on a batch without rows, handed on while a window is read: the rows read into it so
   * far. None of them is written before the whole window is read (a million rows, 20 to 30 s),
   * and the progress bar says so meanwhile.
   */
  reading?: number;
}

/** While a window is read, how often (in rows) the progress bar is told. */
const READING_NOTE_ROWS = 50_000;

/** A group's rows held together in one batch need not make it more than this many times the batch size. */
const MAX_GROUP_BATCHES = 4;

/**
 * Where the batch starting at `start` of a grouped window ends: after `batchSize` rows, and
 * then at the end of the group it stopped in, so a key's rows share a batch (a member listed
 * twice is decided once); a group too large for that is cut at MAX_GROUP_BATCHES batches.
 */
function groupEnd(order: Uint32Array, groups: number[], start: number, batchSize: number): number {
  let end = Math.min(order.length, start + batchSize);
  const limit = Math.min(order.length, start + batchSize * MAX_GROUP_BATCHES);
  while (end < limit && groups[order[end]!] === groups[order[end - 1]!]) end++;
  return end;
}

/**
 * The file as batches of prepared rows: in file order, or with `grouping`
 * grouped by key within each window.
 */
export async function* preparedBatches<P>(file: string, batchSize: number, plan: RowPlan<P>): AsyncGenerator<PreparedBatch<P>> {
  const rows = readRows(file);
  const { grouping } = plan;
  if (!grouping) {
    for await (const batch of rows.batches(batchSize)) {
      yield {
        items: batch.map((item) => plan.prepare(item)),
        lines: batch.map((item) => item.line),
        texts: batch.map((item) => item.text),
        progress: rows.bytesRead(),
        settled: true,
      };
    }
    return;
  }
  const windowRows = Math.max(batchSize, grouping.windowRows ?? DEFAULT_WINDOW_ROWS);
  const window = new HeldRows(grouping.inFileOrder ?? false);
  let bytesDone = 0;
  function* takeWindow(): Generator<PreparedBatch<P>> {
    const from = bytesDone;
    const to = rows.bytesRead();
    const { order, lines, texts, groups } = window.take();
    for (let start = 0; start < order.length;) {
      const end = groupEnd(order, groups, start, batchSize);
      const taken = order.subarray(start, end);
      yield {
        items: Array.from(taken, (i) => plan.prepare(rows.reread(lines[i]!, texts[i]!))),
        lines: Array.from(taken, (i) => lines[i]!),
        texts: Array.from(taken, (i) => texts[i]!),
        progress: Math.round(from + ((to - from) * end) / order.length),
        settled: end === order.length,
      };
      start = end;
    }
    bytesDone = to;
  }
  let keyOf = grouping.keysForWindow();
  let noted = 0;
  for await (const batch of rows.batches(batchSize)) {
    for (const item of batch) window.hold(keyOf(item), item.line, item.text);
    if (window.size >= windowRows) {
      yield* takeWindow();
      keyOf = grouping.keysForWindow();
      noted = 0;
    } else if (window.size - noted >= READING_NOTE_ROWS) {
      noted = window.size;
      yield { items: [], lines: [], texts: [], progress: bytesDone, settled: false, reading: window.size };
    }
  }
  if (window.size) yield* takeWindow();
}

/** Rejects serialized and written at a time. */
const REJECTS_PER_WRITE = 10_000;

/** The most of a rejected row's text its line in the rejects file holds (a row this long is rejected for it). */
const MAX_REJECT_TEXT = MAX_LINE_BYTES;

/**
 * Adds to each rejected row from `from` on (a dropped field's warning is about a row that
 * imported) the row as it stands in the file, so the operator can correct the rows and import
 * them again without cutting them out of a 2-million-row export by line number.
 */
function withRowTexts<R extends { line: number }>(rejects: R[], from: number, lines: number[], texts: string[]): void {
  const textOfLine = new Map<number, string>();
  lines.forEach((line, i) => textOfLine.set(line, texts[i]!));
  for (let i = from; i < rejects.length; i++) {
    const reject = rejects[i]!;
    const text = 'reason' in reject ? textOfLine.get(reject.line) : undefined;
    if (text === undefined) continue;
    // on the reject itself: a copy of each of a million rejects was a million more objects held
    const row = reject as R & { text?: string; textCut?: true };
    if (text.length > MAX_REJECT_TEXT) Object.assign(row, { text: text.slice(0, MAX_REJECT_TEXT), textCut: true });
    else row.text = text;
  }
}

/**
 * The loop every channel import shares: batches of prepared rows to
 * `importBatch` (one transaction each), the rejects it collects appended to
 * the rejects file in line order, progress after each batch. Returns the
 * rejects file if it was written.
 */
export async function importFileInBatches<S, C, P, R extends { line: number }>(
  options: FileImportOptions<S>,
  summary: S,
  planner: RowPlanner<C, P>,
  importBatch: (batch: P[], rejects: R[]) => Promise<void>,
): Promise<string | null> {
  const ignored = checkImportFile(options.file, options.requiredColumns ?? [], options.readColumns);
  // an orders export has a buyer's channelMemberId too: imported as members, every buyer would become a card
  const other = options.otherImport;
  if (other && ignored.includes(other.column)) {
    throw new Error(`${options.file} has an ${other.column} column: it looks like a file for \`${other.command}\`, not this import; nothing was imported`);
  }
  if (ignored.length) options.onIgnoredColumns?.(ignored, options.readColumns ?? []);
  // the rejects file is cleared first: it must never be the file being imported
  if (resolve(options.rejectsFile) === resolve(options.file)) throw new Error(`--rejects must not be the file being imported (${options.file})`);
  prepareOutputFile(options.rejectsFile, 'rejected rows', options.dataFiles);
  const size = statSync(options.file).size;
  const batchSize = options.batchSize ?? 2000;
  const batches = options.readAhead
    ? readAhead(options.file, batchSize, planner)
    : preparedBatches(options.file, batchSize, planner.create(planner.context));
  const rejects: R[] = [];
  // Written synchronously as batches settle (a member import settles once per window of rows, to
  // keep line order), and the rest on exit: a run stopped by Ctrl-C (process.exit) keeps the rejects
  // of every batch it committed, which a stream's unflushed buffer lost. A kill -9 keeps the settled ones.
  let rejectsOut: number | null = null;
  const writeRejects = () => {
    if (!rejects.length) return;
    try {
      // it holds rows of the export (phones, names): for the operator's eyes only, as the database
      rejectsOut ??= openSync(options.rejectsFile, 'w', 0o600);
      rejects.sort((a, b) => a.line - b.line);
      // a slice at a time: a window of a million rejected rows, with their texts, written as one
      // string and one buffer held three more copies of them at once (a gigabyte for a 50 MB file)
      const held = rejects.splice(0);
      for (let from = 0; from < held.length; from += REJECTS_PER_WRITE) {
        const text = Buffer.from(held.slice(from, from + REJECTS_PER_WRITE).map((reject) => `${JSON.stringify(reject)}\n`).join(''));
        // a full disk first writes part of what was asked, and fails only on the next write
        for (let written = 0; written < text.length;) written += writeSync(rejectsOut, text, written);
      }
    } catch (error) {
      throw new Error(`cannot write the rejected rows to ${options.rejectsFile} (${error instanceof Error ? error.message : String(error)}): `
        + 'the rows imported so far stay, but the file lacks some of the rejected ones; make room and run the same import again (it adds nothing twice and writes the file whole)');
    }
  };
  // rejects held back for line order belong to committed batches too: on exit they are written as they are
  process.on('exit', writeRejects);

  try {
    for await (const { items, lines, texts, progress, settled, reading } of batches) {
      if (items.length) {
        const before = rejects.length;
        await importBatch(items, rejects);
        if (rejects.length > before) withRowTexts(rejects, before, lines, texts);
      }
      if (settled) writeRejects();
      options.onProgress?.(progress, size, summary, reading);
    }
    // the whole file read (a CRLF line counts a byte short as it goes)
    options.onProgress?.(size, size, summary);
  } finally {
    // rows rejected by batches that committed are reported even when a later batch fails
    process.off('exit', writeRejects);
    try {
      writeRejects();
    } finally {
      if (rejectsOut !== null) closeSync(rejectsOut);
    }
  }
  return rejectsOut === null ? null : options.rejectsFile;
}
