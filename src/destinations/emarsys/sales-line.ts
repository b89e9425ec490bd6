/**
 * Writes the Emarsys sales line of one export record as bytes. The common values (clean UTF-8 text,
 * plain decimals, Domo timestamps) are checked and copied byte by byte; anything else takes the field's
 * text formatter, which defines the result: the byte paths only take values whose output they know is identical.
 */
import { DataError } from '../../errors/index.ts';
import type { EmarsysSalesSpec } from './spec.ts';
import type { CsvRecord } from '../../pipeline/csv-records.ts';
import { BYTE_PATH_ROOM, SLOW, WrittenValue, writeDecimalBytes, writeTextBytes, writeTimestampBytes } from '../../pipeline/byte-values.ts';
import { clip, formatEmail, formatInteger, formatNumber, formatTimestamp, Invalid } from '../../pipeline/values.ts';
import type { LineBuffer } from '../../pipeline/line-buffer.ts';
import type { KeyEncoding, KeyHasher } from '../../state/key-hasher.ts';
import { salesFields, type RowError, type SalesField } from './fields.ts';
import { maskReason, maskValue } from '../../reports/personal-data.ts';

/** What the byte path does with a field. */
const TEXT = 0;
const NUMBER = 1;
const INTEGER = 2;
const TIMESTAMP = 3;
const OTHER = 4;

const COMMA = 44;
const Z = 90;

function byteKind(field: SalesField): number {
  if (field.format === formatTimestamp) return TIMESTAMP;
  if (field.format === formatNumber) return NUMBER;
  if (field.format === formatInteger) return INTEGER;
  if (field.format === formatEmail) return OTHER;
  return TEXT;
}

export class SalesLineWriter {
  readonly fields: SalesField[];
  /** The line being written (the spool's), set by write(). */
  private line!: LineBuffer;
  private readonly columns: Int32Array;
  private readonly kinds: Uint8Array;
  private readonly keys: Int32Array;
  private readonly order: Int32Array;
  /**
   * Per field of the last line: where its value sits in the line, whether those bytes are its ASCII
   * text (else they are UTF-8, with quotes doubled when it was quoted), or its text.
   */
  private readonly valueStarts: Int32Array;
  private readonly valueEnds: Int32Array;
  private readonly ascii: Uint8Array;
  private readonly texts: (string | undefined)[];
  private checkedTimestamp = -1;
  private readonly written = new WrittenValue();

  constructor(spec: EmarsysSalesSpec, header: readonly string[], key: readonly string[]) {
    this.fields = salesFields(spec);
    const missing = this.fields.filter((f) => !header.includes(f.column)).map((f) => `${f.column} (for ${f.name})`);
    if (missing.length) {
      throw new DataError(`the DataSet has no column ${missing.join(', ')}; its columns are: ${header.join(', ')}. Fix spec.mapping.`);
    }
    const count = this.fields.length;
    this.columns = Int32Array.from(this.fields, (f) => header.indexOf(f.column));
    this.kinds = Uint8Array.from(this.fields, byteKind);
    this.keys = Int32Array.from(key, (k) => this.fields.findIndex((f) => f.name === k));
    this.order = Int32Array.of(this.fields.findIndex((f) => f.name === 'order'));
    this.valueStarts = new Int32Array(count);
    this.valueEnds = new Int32Array(count);
    this.ascii = new Uint8Array(count);
    this.texts = new Array(count);
  }

  /**
   * Writes the record's line (with its newline) into `line`; returns undefined, or the row's first
   * problem. `checkedTimestamp` is a column already found to hold a Domo timestamp (the cursor's), or -1.
   */
  write(record: CsvRecord, line: LineBuffer, checkedTimestamp = -1): RowError | undefined {
    this.line = line;
    this.checkedTimestamp = checkedTimestamp;
    line.length = 0;
    for (let i = 0; i < this.fields.length; i++) {
      const column = this.columns[i]!;
      const start = record.starts[column]!;
      const end = record.ends[column]!;
      // Room for this value's byte path, each time: a column may be mapped twice, a text value may grow.
      line.ensure(1 + end - start + BYTE_PATH_ROOM);
      if (i > 0) line.bytes[line.start + line.length++] = COMMA;
      this.texts[i] = undefined;
      // Empty, or Domo's null (an unquoted \N): a required field rejects the row, an optional one is sent empty.
      if (start === end || (end - start === 2 && record.isNull(column))) {
        if (this.fields[i]!.required) return { field: this.fields[i]!.name, column: this.fields[i]!.column, reason: start === end ? 'is empty but required' : 'is null but required' };
        this.valueStarts[i] = this.valueEnds[i] = line.length;
        this.ascii[i] = 1;
        continue;
      }
      const fast = record.clean ? this.writeBytes(i, record.bytes, start, end, record.kinds[column]!) : SLOW;
      if (fast === SLOW) {
        const problem = this.writeText(i, record.text(column));
        if (problem) return problem;
      }
    }
    line.ensure(1);
    line.bytes[line.start + line.length++] = 10;
    return undefined;
  }

  /** Hashes the key fields' values of the last line, as hashFields does their text. */
  fingerprint(hasher: KeyHasher, out: Uint32Array, encoding: KeyEncoding): void {
    this.hash(this.keys, hasher, out, encoding);
  }

  /** Hashes the last line's order id (to count the orders an upload holds). */
  orderFingerprint(hasher: KeyHasher, out: Uint32Array): void {
    this.hash(this.order, hasher, out, 'joined');
  }

  private hash(fields: Int32Array, hasher: KeyHasher, out: Uint32Array, encoding: KeyEncoding): void {
    hasher.start(encoding);
    for (let k = 0; k < fields.length; k++) {
      const i = fields[k]!;
      const text = this.texts[i];
      if (text !== undefined) hasher.text(text);
      else if (this.ascii[i]) hasher.ascii(this.line.bytes, this.line.start + this.valueStarts[i]!, this.line.start + this.valueEnds[i]!);
      else hasher.text(this.line.toString(this.valueStarts[i]!, this.valueEnds[i]!).replaceAll('""', '"'));
    }
    hasher.finish(out);
  }

  /** The byte path; returns SLOW (having written nothing) for anything it does not know to be identical. */
  private writeBytes(i: number, src: Buffer, start: number, end: number, kind: number): number {
    const line = this.line;
    const base = line.start;
    const at = base + line.length;
    const value = this.written;
    let after: number;
    switch (this.kinds[i]) {
      case TEXT:
        after = writeTextBytes(src, start, end, kind, line.bytes, at, value);
        break;
      case NUMBER:
      case INTEGER:
        after = writeDecimalBytes(src, start, end, kind, this.kinds[i] === INTEGER, line.bytes, at, value);
        break;
      case TIMESTAMP:
        after = writeTimestampBytes(src, start, end, kind, this.columns[i] === this.checkedTimestamp, Z, 1, line.bytes, at, value);
        break;
      default:
        return SLOW;
    }
    if (after === SLOW) return SLOW;
    this.valueStarts[i] = value.start - base;
    this.valueEnds[i] = value.end - base;
    this.ascii[i] = value.ascii ? 1 : 0;
    line.length = after - base;
    return after;
  }

  /** The record's order id as the DataSet holds it (masked when personal), to name a rejected row by; undefined without one. */
  orderOf(record: CsvRecord): string | undefined {
    const field = this.fields[this.order[0]!];
    const column = this.columns[this.order[0]!]!;
    if (!field || record.starts[column] === record.ends[column] || record.isNull(column)) return undefined;
    const text = record.text(column);
    return clip(field.personal ? maskValue(text) : text);
  }

  /** The text path: the field's formatter decides, and quoting follows RFC 4180. */
  private writeText(i: number, raw: string): RowError | undefined {
    const field = this.fields[i]!;
    const value = field.format(raw);
    if (value instanceof Invalid) return { field: field.name, column: field.column, reason: field.personal ? maskReason(value.reason, raw) : value.reason };
    this.texts[i] = value;
    if (field.quotable && (value.includes(',') || value.includes('"'))) this.line.text(`"${value.replace(/"/g, '""')}"`);
    else this.line.text(value);
    return undefined;
  }
}
