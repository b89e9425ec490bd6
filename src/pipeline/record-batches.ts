/**
 * Cuts a CSV byte stream into batches of whole records, so each batch can be read on its own: in
 * another thread, in any order. A batch ends after a line break that is outside quotes; finding it
 * follows the reader's rule (a quote opens a field only at the field's start) from one quote to the
 * next with the native byte search, so the bytes between quotes are never looked at one by one.
 * readCsvRecords reads a whole stream in this thread, record by record.
 */
import type { Readable } from 'node:stream';
import { CsvError, CsvRecord, MAX_LINE_BYTES, readBatch } from './csv-records.ts';

const BATCH_BYTES = 512 * 1024;

const COMMA = 44;
const QUOTE = 34;
const LF = 10;

/** Where the whole records at the start of `bytes` end (after a line break outside quotes), or 0. */
function wholeRecordsEnd(bytes: Buffer): number {
  const end = bytes.length;
  // The last stretch outside quotes known to hold a line break: the cut is its last one.
  let plainFrom = 0;
  let plainTo = 0;
  let nextLf = -1; // the first line break at or after `at` (end: none), found once per line, not per quote
  let at = 0; // outside quotes, at a field's start or inside a plain field
  for (;;) {
    let open = bytes.indexOf(QUOTE, at);
    while (open > 0 && bytes[open - 1] !== COMMA && bytes[open - 1] !== LF) open = bytes.indexOf(QUOTE, open + 1); // a quote inside a plain field is text
    const plainEnd = open < 0 ? end : open;
    if (nextLf < at) {
      nextLf = bytes.indexOf(LF, at);
      if (nextLf < 0) nextLf = end;
    }
    if (nextLf < plainEnd) {
      plainFrom = at;
      plainTo = plainEnd;
    }
    if (open < 0) break;
    // Inside a quoted field: it ends at a quote that is not doubled. At the end of the bytes that is not known yet.
    let close = open + 1;
    for (;;) {
      close = bytes.indexOf(QUOTE, close);
      if (close < 0 || close + 1 >= end) close = -1;
      if (close < 0 || bytes[close + 1] !== QUOTE) break;
      close += 2;
    }
    if (close < 0) break;
    at = close + 1;
  }
  return plainTo > plainFrom ? bytes.lastIndexOf(LF, plainTo - 1) + 1 : 0;
}

/**
 * Yields the stream's bytes as batches of whole records of about `batchBytes` (the last may lack its
 * line break), each in a buffer that may be handed to another thread. A byte order mark is
 * dropped. Throws CsvError when a record grows past MAX_LINE_BYTES: it is refused, not buffered.
 */
export async function* recordBatches(
  input: Readable,
  /** Where a batch's bytes go: a buffer given back by the batches' reader, or a new one. */
  allocate: (size: number) => Buffer = (size) => Buffer.allocUnsafeSlow(size),
  batchBytes = BATCH_BYTES,
): AsyncGenerator<Buffer> {
  let buffer = Buffer.allocUnsafeSlow(batchBytes * 2);
  let length = 0;
  let started = false;
  const dropByteOrderMark = () => {
    started = true;
    if (length >= 3 && buffer[0] === 0xef && buffer[1] === 0xbb && buffer[2] === 0xbf) take(3);
  };
  function take(end: number): Buffer {
    const batch = allocate(end);
    buffer.copy(batch, 0, 0, end);
    buffer.copyWithin(0, end, length);
    length -= end;
    return batch;
  }
  for await (const chunk of input) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    if (length + bytes.length > buffer.length) {
      const bigger = Buffer.allocUnsafeSlow(Math.max(buffer.length * 2, length + bytes.length));
      buffer.copy(bigger, 0, 0, length);
      buffer = bigger;
    }
    length += bytes.copy(buffer, length);
    if (!started && length >= 3) dropByteOrderMark();
    if (length < batchBytes) continue;
    const end = wholeRecordsEnd(buffer.subarray(0, length));
    if (end > 0) yield take(end);
    else if (length > MAX_LINE_BYTES) {
      throw new CsvError('CSV_RECORD_TOO_LONG', 0, `the export has a line longer than ${MAX_LINE_BYTES / 1024 / 1024} MB: an enormous field or not CSV`);
    }
  }
  if (!started) dropByteOrderMark();
  if (length) yield take(length);
}

/**
 * Calls `onRecord` for each record (the header first, as row 0) of a CSV byte stream. Rejects on
 * malformed quotes and on a record with another field count than the header, naming the data row,
 * and on a failing input stream (a reset connection). Empty lines are skipped.
 */
export async function readCsvRecords(input: Readable, onRecord: (record: CsvRecord) => void, batchBytes?: number): Promise<void> {
  const record = new CsvRecord();
  let columns = -1;
  for await (const batch of recordBatches(input, undefined, batchBytes)) columns = readBatch(batch, record, columns, onRecord);
}
