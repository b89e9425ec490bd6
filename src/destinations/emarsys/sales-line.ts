/**
 * Writes the Emarsys sales line of one export record as bytes. The common values (clean UTF-8 text,
 * plain decimals, Domo timestamps) are checked and copied byte by byte; anything else takes the field's
 * text formatter, which defines the result: the byte paths only take values whose output they know is identical.
 */
import { DataError } from '../../errors/index.ts';
import type { EmarsysSalesSpec } from './spec.ts';
import { ESCAPED, QUOTED, type CsvRecord } from '../../pipeline/csv-records.ts';
import { domoTimestampMs, formatEmail, formatInteger, formatNumber, formatTimestamp, Invalid } from '../../pipeline/values.ts';
import type { LineBuffer } from '../../pipeline/line-buffer.ts';
import type { KeyEncoding, KeyHasher } from '../../state/key-hasher.ts';
import { salesFields, type RowError, type SalesField } from './fields.ts';
import { maskReason } from '../../reports/personal-data.ts';

/** What the byte path does with a field. */
const TEXT = 0;
const NUMBER = 1;
const INTEGER = 2;
const TIMESTAMP = 3;
const OTHER = 4;

const SLOW = -1;
const COMMA = 44;
const QUOTE = 34;

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
    // Room for every byte of the record, quotes, separators and timestamp suffixes; text goes its own way.
    line.ensure(record.ends[record.count - 1]! - record.starts[0]! + 16 * this.fields.length);
    for (let i = 0; i < this.fields.length; i++) {
      const column = this.columns[i]!;
      const start = record.starts[column]!;
      const end = record.ends[column]!;
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
    const out = line.bytes;
    const base = line.start;
    let at = base + line.length;
    switch (this.kinds[i]) {
      case TEXT: {
        // Copied as is. A comma needs quotes; a field written with doubled quotes is quoted again exactly
        // as it came (its quotes are all doubled); a lone quote, CR or LF goes to the text path.
        let quoted = kind === ESCAPED;
        if (kind === QUOTED) for (let k = start; k < end && !quoted; k++) quoted = src[k] === COMMA; // a plain field cannot hold one
        if (quoted) out[at++] = QUOTE;
        const valueStart = at;
        let high = 0;
        for (let k = start; k < end; k++) {
          const c = src[k]!;
          // One comparison for most bytes: quote, CR and LF are all below '#'.
          if (c <= QUOTE && ((c === QUOTE && kind !== ESCAPED) || c === 10 || c === 13)) return SLOW;
          high |= c;
          out[at++] = c;
        }
        this.valueStarts[i] = valueStart - base;
        this.valueEnds[i] = at - base;
        this.ascii[i] = high < 0x80 && kind !== ESCAPED ? 1 : 0;
        if (quoted) out[at++] = QUOTE;
        break;
      }
      case NUMBER:
      case INTEGER: {
        if (kind === ESCAPED) return SLOW;
        // -?\d+(\.\d+)? (integers without the fraction) passes through unchanged.
        let k = start;
        if (src[k] === 45) k++;
        const digitsFrom = k;
        while (k < end && src[k]! >= 48 && src[k]! <= 57) k++;
        if (k === digitsFrom) return SLOW;
        if (k < end && this.kinds[i] === NUMBER && src[k] === 46) {
          const fraction = ++k;
          while (k < end && src[k]! >= 48 && src[k]! <= 57) k++;
          if (k === fraction) return SLOW;
        }
        if (k !== end) return SLOW;
        this.valueStarts[i] = at - base;
        for (k = start; k < end; k++) out[at++] = src[k]!;
        this.valueEnds[i] = at - base;
        this.ascii[i] = 1;
        break;
      }
      case TIMESTAMP: {
        if (this.columns[i] !== this.checkedTimestamp && (kind === ESCAPED || Number.isNaN(domoTimestampMs(src, start, end)))) return SLOW;
        this.valueStarts[i] = at - base;
        for (let k = start; k < start + 10; k++) out[at++] = src[k]!;
        out[at++] = 84; // T
        if (end - start === 10) at += out.write('00:00:00', at, 'latin1');
        else for (let k = start + 11; k < end; k++) out[at++] = src[k]!;
        out[at++] = 90; // Z
        this.valueEnds[i] = at - base;
        this.ascii[i] = 1;
        break;
      }
      default:
        return SLOW;
    }
    line.length = at - base;
    return at;
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
