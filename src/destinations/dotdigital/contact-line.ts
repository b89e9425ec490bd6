/**
 * Writes the import-file line of one export record as bytes (Email, then one column per data field) with
 * the two fingerprints changed-only needs: the lowercased email's, and that of every value sent. Clean
 * ASCII emails, text, plain numbers and Domo timestamps take the byte paths; anything else the field's
 * text formatter, which defines the result (formatEmail, formatFieldValue).
 */
import { DataError } from '../../errors/index.ts';
import { BYTE_PATH_ROOM, SLOW, WrittenValue, writeDecimalBytes, writeTextBytes, writeTimestampBytes } from '../../pipeline/byte-values.ts';
import { ESCAPED, PLAIN, QUOTED, type CsvRecord } from '../../pipeline/csv-records.ts';
import type { LineBuffer } from '../../pipeline/line-buffer.ts';
import { formatEmail, Invalid } from '../../pipeline/values.ts';
import { maskReason } from '../../reports/personal-data.ts';
import type { RejectedRow } from '../../reports/run-report.ts';
import { KeyHasher } from '../../state/key-hasher.ts';
import type { DotdigitalFieldType } from './spec.ts';
import { formatFieldValue } from './fields.ts';

export interface ContactField {
  /** The Dotdigital field (the file's column). */
  name: string;
  /** The Domo column. */
  column: string;
  type: DotdigitalFieldType;
}

export type RowError = Omit<RejectedRow, 'row'>;

const TYPES: Record<DotdigitalFieldType, number> = { String: 0, Numeric: 1, Date: 2, Boolean: 3 };
const [STRING, NUMERIC, DATE] = [0, 1, 2];
/** Dotdigital's dates are YYYY-MM-DDTHH:MM:SS with a four-digit year (fields.ts). */
const FIRST_YEAR = 1000;
const COMMA = 44;
const NEEDS_QUOTES = /[,"\r\n]/;

export class ContactLineWriter {
  /** The Email column's index in the export, then each field's. */
  private readonly columns: Int32Array;
  private readonly types: Uint8Array;
  private readonly hasher = new KeyHasher();
  /** Per value of the last line (0: Email): where its text sits in the line and whether it is ASCII there, or its text. */
  private readonly starts: Int32Array;
  private readonly ends: Int32Array;
  private readonly ascii: Uint8Array;
  /** Per value copied from an escaped field: its quotes are doubled in the line (and count once in the fingerprint). */
  private readonly escaped: Uint8Array;
  private readonly texts: (string | undefined)[];
  private readonly written = new WrittenValue();
  private line!: LineBuffer;

  constructor(
    private readonly emailColumn: string,
    private readonly fields: readonly ContactField[],
    header: readonly string[],
    /** Fields whose values are masked in reject reasons (lower case). */
    private readonly personal: ReadonlySet<string> | undefined,
  ) {
    const columns = [emailColumn, ...fields.map((f) => f.column)];
    const missing = columns.filter((c) => !header.includes(c));
    if (missing.length) throw new DataError(`the DataSet has no column ${missing.join(', ')}; its columns are: ${header.join(', ')}. Fix spec.mapping.`);
    this.columns = Int32Array.from(columns, (c) => header.indexOf(c));
    this.types = Uint8Array.from(fields, (f) => TYPES[f.type]);
    this.starts = new Int32Array(columns.length);
    this.ends = new Int32Array(columns.length);
    this.ascii = new Uint8Array(columns.length);
    this.escaped = new Uint8Array(columns.length);
    this.texts = new Array(columns.length);
  }

  /** The import file's header line. */
  static header(fields: readonly ContactField[]): string[] {
    return ['Email', ...fields.map((f) => f.name)];
  }

  /** Writes the record's line (with its newline) into `line`; returns undefined, or the row's first problem. */
  write(record: CsvRecord, line: LineBuffer): RowError | undefined {
    this.line = line;
    line.length = 0;
    const problem = this.writeEmail(record);
    if (problem) return problem;
    for (let i = 1; i < this.columns.length; i++) {
      const column = this.columns[i]!;
      const start = record.starts[column]!;
      const end = record.ends[column]!;
      // Room for this value's byte path, each time: a column may be mapped twice, a text value may grow.
      line.ensure(1 + end - start + BYTE_PATH_ROOM);
      line.bytes[line.start + line.length++] = COMMA;
      this.texts[i] = undefined;
      // Empty, or Domo's null (an unquoted \N): sent empty, and the import's merge option decides whether that clears the field.
      if (start === end || record.isNull(column)) {
        this.starts[i] = this.ends[i] = line.length;
        this.ascii[i] = 1;
        continue;
      }
      if (!record.clean || this.writeBytes(i, record, start, end) === SLOW) {
        const problem = this.writeText(i, record.text(column));
        if (problem) return problem;
      }
    }
    line.ensure(1);
    line.bytes[line.start + line.length++] = 10;
    return undefined;
  }

  /** The last line's fingerprints: its email's into out[at], out[at + 1]; that of all its values into values[valueAt]. */
  fingerprint(out: Uint32Array, at: number, values: Uint32Array, valueAt: number): void {
    const hasher = this.hasher;
    // The values joined by U+001F, as the fingerprints contacts.bin holds were made (hashKey of the joined
    // text). That text starts with the email, whose own fingerprint is taken on the way (finish does not end the hash).
    hasher.start('joined');
    this.hashValue(0);
    hasher.finish(out, at);
    for (let i = 1; i < this.columns.length; i++) this.hashValue(i);
    hasher.finish(PAIR);
    values[valueAt] = PAIR[0]!;
  }

  private hashValue(i: number): void {
    const text = this.texts[i];
    const line = this.line;
    if (text !== undefined) this.hasher.text(text);
    else if (this.ascii[i]) this.hasher.ascii(line.bytes, line.start + this.starts[i]!, line.start + this.ends[i]!);
    // Clean UTF-8 from a byte path, its quotes doubled when escaped: hashed from the bytes, with no string made.
    else this.hasher.utf8(line.bytes, line.start + this.starts[i]!, line.start + this.ends[i]!, this.escaped[i] === 1);
  }

  /** The email, lowercased as Dotdigital stores it (and as its fingerprint is made). */
  private writeEmail(record: CsvRecord): RowError | undefined {
    const column = this.columns[0]!;
    const start = record.starts[column]!;
    const end = record.ends[column]!;
    this.texts[0] = undefined;
    if (start === end) return this.emailProblem('is empty but required');
    if (record.isNull(column)) return this.emailProblem('is null but required');
    const kind = record.kinds[column]!;
    this.line.ensure(end - start);
    if (record.clean && (kind === PLAIN || kind === QUOTED) && this.writeEmailBytes(record.bytes, start, end)) return undefined;
    const raw = record.text(column);
    const email = formatEmail(raw);
    if (email instanceof Invalid) return this.emailProblem(this.personal?.has('email') ? maskReason(email.reason, raw) : email.reason);
    this.texts[0] = email.toLowerCase();
    this.line.text(this.texts[0]); // formatEmail lets no comma, quote or line break through
    return undefined;
  }

  private emailProblem(reason: string): RowError {
    return { field: 'email', column: this.emailColumn, reason };
  }

  /**
   * formatEmail's rule on bytes: printable ASCII without space, `,`, `;` or `"`, one `@`, and a domain with
   * a dot that is neither its first nor its last character. Lowercased as written. False: the text path
   * decides (and writes over what this began).
   */
  private writeEmailBytes(src: Uint8Array, start: number, end: number): boolean {
    const line = this.line;
    const out = line.bytes;
    let at = line.start + line.length;
    let atSign = -1;
    let dot = false;
    for (let k = start; k < end; k++) {
      let c = src[k]!;
      if (c <= 32 || c >= 127 || c === 44 || c === 59 || c === 34) return false;
      if (c === 64) {
        if (atSign >= 0 || k === start) return false;
        atSign = k;
      } else if (c === 46 && atSign >= 0 && k > atSign + 1 && k < end - 1) dot = true;
      else if (c >= 65 && c <= 90) c += 32;
      out[at++] = c;
    }
    if (!dot) return false;
    this.starts[0] = line.length;
    this.ends[0] = at - line.start;
    this.ascii[0] = 1;
    line.length = at - line.start;
    return true;
  }

  private writeBytes(i: number, record: CsvRecord, start: number, end: number): number {
    const line = this.line;
    const base = line.start;
    const at = base + line.length;
    const value = this.written;
    const kind = record.kinds[this.columns[i]!]!;
    const type = this.types[i - 1];
    let after = SLOW;
    if (type === STRING) after = writeTextBytes(record.bytes, start, end, kind, line.bytes, at, value);
    else if (type === NUMERIC) after = writeDecimalBytes(record.bytes, start, end, kind, false, line.bytes, at, value);
    else if (type === DATE) after = writeTimestampBytes(record.bytes, start, end, kind, false, undefined, FIRST_YEAR, line.bytes, at, value);
    if (after === SLOW) return SLOW;
    this.starts[i] = value.start - base;
    this.ends[i] = value.end - base;
    this.ascii[i] = value.ascii ? 1 : 0;
    this.escaped[i] = kind === ESCAPED ? 1 : 0;
    line.length = after - base;
    return after;
  }

  private writeText(i: number, raw: string): RowError | undefined {
    const field = this.fields[i - 1]!;
    const value = formatFieldValue(field.type, raw);
    if (value instanceof Invalid) return { field: field.name, column: field.column, reason: this.personal?.has(field.name.toLowerCase()) ? maskReason(value.reason, raw) : value.reason };
    this.texts[i] = value;
    this.line.text(NEEDS_QUOTES.test(value) ? `"${value.replace(/"/g, '""')}"` : value);
    return undefined;
  }
}

const PAIR = new Uint32Array(2);
