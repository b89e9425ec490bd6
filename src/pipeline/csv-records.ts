/**
 * An RFC 4180 reader over bytes. A record is handed over as field offsets into the chunk it came in,
 * so a job reads, checks and copies the bytes it needs without a string or an array per row. Measured on
 * the 1M-row bench export: 0.25 s, against 1.2 s for papaparse (the fastest library tried; csv-parse
 * took 5.5 s), which also builds 8 strings a row.
 */
import { isUtf8 } from 'node:buffer';
import type { Readable } from 'node:stream';

export class CsvError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

/** A record longer than this is refused rather than buffered: no real export has 4 MB in one record. */
export const MAX_LINE_BYTES = 4 * 1024 * 1024;

/** How a field was written: plain, quoted, or quoted with doubled quotes inside (`""`). */
export const PLAIN = 0;
export const QUOTED = 1;
export const ESCAPED = 2;

const COMMA = 44;
const QUOTE = 34;
const LF = 10;
const CR = 13;
const REPLACEMENT = Buffer.from('\uFFFD');

/** One record: fields as [start, end) byte offsets into `bytes`, valid only during the callback. */
export class CsvRecord {
  bytes: Buffer = Buffer.alloc(0);
  count = 0;
  starts = new Int32Array(64);
  ends = new Int32Array(64);
  kinds = new Uint8Array(64);
  /** Data row number: the header is row 0; empty lines are not counted. */
  row = 0;
  /** The bytes are valid UTF-8 without U+FFFD, so a field's bytes may be used as they are. */
  clean = true;

  /** The field's text, decoded and unquoted (invalid bytes become U+FFFD, as a UTF-8 decoder does). */
  text(i: number): string {
    const text = this.bytes.toString('utf8', this.starts[i]!, this.ends[i]!);
    return this.kinds[i] === ESCAPED ? text.replaceAll('""', '"') : text;
  }

  /** Every field's text: for the header, and for consumers that want strings. */
  texts(): string[] {
    const out = new Array<string>(this.count);
    for (let i = 0; i < this.count; i++) out[i] = this.text(i);
    return out;
  }

  grow(): void {
    const size = this.starts.length * 2;
    const starts = new Int32Array(size);
    const ends = new Int32Array(size);
    const kinds = new Uint8Array(size);
    starts.set(this.starts);
    ends.set(this.ends);
    kinds.set(this.kinds);
    this.starts = starts;
    this.ends = ends;
    this.kinds = kinds;
  }
}

const INCOMPLETE = -1;
const BATCH_BYTES = 512 * 1024;

/**
 * Reads one record of `bytes` from `at` into `record`. Returns where the next record starts, or
 * INCOMPLETE when the bytes end before the record does (and more may come). At the end of the input
 * (`final`), the last record needs no line break. Throws CsvError on quotes that are malformed or never close.
 */
function readRecord(bytes: Buffer, at: number, end: number, final: boolean, record: CsvRecord): number {
  let i = at;
  let field = 0;
  for (;;) {
    if (field === record.starts.length) record.grow();
    let c: number;
    if (i < end && bytes[i] === QUOTE) {
      let kind = QUOTED;
      let close = i + 1;
      for (;;) {
        close = bytes.indexOf(QUOTE, close);
        if (close < 0 || close >= end) {
          if (final) throw new CsvError(`a quoted field that starts at data row ${record.row} never ends: the export was cut off or is malformed`, 'CSV_QUOTE_NOT_CLOSED');
          return INCOMPLETE;
        }
        if (close + 1 >= end && !final) return INCOMPLETE; // a quote could follow: "" inside the field
        if (close + 1 < end && bytes[close + 1] === QUOTE) {
          kind = ESCAPED;
          close += 2;
          continue;
        }
        break;
      }
      record.starts[field] = i + 1;
      record.ends[field] = close;
      record.kinds[field] = kind;
      i = close + 1;
      c = i < end ? bytes[i]! : -1;
      if (c === CR) {
        if (i + 1 < end) c = bytes[i + 1] === LF ? bytes[++i]! : CR;
        else c = -1; // CR at the end of the bytes: its LF may come next
      }
      if (c === -1 && !final) return INCOMPLETE;
      if (c !== COMMA && c !== LF && c !== -1) {
        throw new CsvError(`malformed quotes at data row ${record.row}: text after the closing quote of field ${field + 1}`, 'CSV_INVALID_QUOTE');
      }
    } else {
      let j = i;
      while (j < end) {
        c = bytes[j]!;
        if (c === COMMA || c === LF) break;
        j++;
      }
      if (j >= end) {
        if (!final) return INCOMPLETE;
        c = -1;
      } else c = bytes[j]!;
      record.starts[field] = i;
      record.ends[field] = c === LF && j > i && bytes[j - 1] === CR ? j - 1 : j;
      record.kinds[field] = PLAIN;
      i = j;
    }
    field++;
    if (c === COMMA) {
      i++;
      continue;
    }
    record.count = field;
    return c === LF ? i + 1 : end;
  }
}

/**
 * Calls `onRecord` for each record (the header first, as row 0) of a CSV byte stream. Rejects on
 * malformed quotes and on a record with another field count than the header, naming the data row,
 * and on a failing input stream (a reset connection). Empty lines are skipped.
 */
export async function readCsvRecords(input: Readable, onRecord: (record: CsvRecord) => void): Promise<void> {
  const record = new CsvRecord();
  let columns = -1;
  let carry: Buffer | undefined;
  let first = true;

  const consume = (bytes: Buffer, final: boolean): void => {
    let at = 0;
    if (first && bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) at = 3;
    if (first && (bytes.length >= 3 || final)) first = false;
    // Validated once per chunk, up to its last line break: a partial character may only follow it.
    const checkedEnd = final ? bytes.length : bytes.lastIndexOf(LF) + 1;
    const checked = bytes.subarray(0, checkedEnd);
    const clean = isUtf8(checked) && checked.indexOf(REPLACEMENT) < 0;
    record.bytes = bytes;
    while (at < bytes.length) {
      const next = readRecord(bytes, at, bytes.length, final, record);
      if (next === INCOMPLETE) break;
      at = next;
      if (record.count === 1 && record.starts[0] === record.ends[0]) continue; // an empty line
      if (columns < 0) columns = record.count;
      else if (record.count !== columns) {
        throw new CsvError(`data row ${record.row} has ${record.count} fields but the header has ${columns}`, 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH');
      }
      record.clean = clean;
      onRecord(record);
      record.row++;
    }
    carry = at < bytes.length ? bytes.subarray(at) : undefined;
    if (carry && carry.length > MAX_LINE_BYTES) {
      throw new CsvError(`the export has a line longer than ${MAX_LINE_BYTES / 1024 / 1024} MB: an enormous field or not CSV`, 'CSV_RECORD_TOO_LONG');
    }
  };

  // Network chunks (often 16 to 64 KB) are gathered into batches: the per-batch work (UTF-8 check,
  // joining a record split across batches) then costs little; at 16 KB it doubled the reading time.
  // The batch buffer is reused: a new 512 KB buffer per batch made the heap grow with the export.
  let batch = Buffer.allocUnsafe(BATCH_BYTES * 2);
  let batched = 0;
  const append = (bytes: Buffer) => {
    if (batched + bytes.length > batch.length) {
      const bigger = Buffer.allocUnsafe(Math.max(batch.length * 2, batched + bytes.length));
      batch.copy(bigger, 0, 0, batched);
      batch = bigger;
    }
    batched += bytes.copy(batch, batched);
  };
  const consumeBatch = (final: boolean) => {
    consume(batch.subarray(0, batched), final);
    // What is left is the start of a record: it moves to the front, for the next batch to complete.
    const left = carry?.length ?? 0;
    if (left) batch.copyWithin(0, batched - left, batched);
    batched = left;
  };
  try {
    for await (const chunk of input) {
      append(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
      if (batched >= BATCH_BYTES) consumeBatch(false);
    }
    if (batched || first) consumeBatch(true);
  } catch (error) {
    input.destroy();
    throw error;
  }
}
