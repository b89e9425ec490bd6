/**
 * Formats one batch of whole export records into Emarsys lines: the per-row work of a scan (checking,
 * formatting, fingerprinting), which needs nothing from the rows before it, so batches may be formatted
 * in worker threads. What does depend on order (the ledger, duplicates, the spool) stays with the scan.
 */
import type { EmarsysSalesSpec } from './spec.ts';
import { CsvRecord, PLAIN, readDataBatch, type BatchCsvError } from '../../pipeline/csv-records.ts';
import { KeyFilter } from '../../pipeline/export-duplicates.ts';
import { batchLineBuffer, grown, perLine, perLineCapacity } from '../../pipeline/batch-workers.ts';
import { clip, cursorMs, domoTimestampMs, Invalid, isoUtc } from '../../pipeline/values.ts';
import { MAX_REJECTS_LISTED, type RejectedRow } from '../../reports/run-report.ts';
import { KeyHasher, type KeyEncoding } from '../../state/key-hasher.ts';
import { SalesLineWriter } from './sales-line.ts';

/** What a formatter needs to know, sent once to each worker. */
export interface SalesBatchConfig {
  spec: EmarsysSalesSpec;
  /** The export's header fields. */
  header: string[];
  key: string[];
  /** Rows whose cursor is before this (ms) are outside the window. */
  windowStart?: number;
  /** Rows whose cursor is after this (ms) are rejected: a value so far ahead would move the cursor past every later row. */
  cursorLimit?: number;
  /** Rows whose cursor is after this (ms) are left out, counted as afterWindow (`baseline --until`). */
  windowEnd?: number;
  /** How key fingerprints are computed: as the job's ledger was written. */
  keyEncoding: KeyEncoding;
  /** The memory of the KeyFilter that flags keys repeated within the export (shared by every formatter). */
  keyFilter: SharedArrayBuffer;
}

/** A formatted batch. Row numbers count from 0 at the batch's first record; the scan makes them the export's. */
export interface SalesBatch {
  /** Records read (every data row, kept or not). */
  records: number;
  /** The formatted lines, back to back; line i ends at ends[i] (exclusive) and starts where line i - 1 ends. */
  lines: Buffer;
  ends: Uint32Array;
  /** Line i's key fingerprint: keys[2i], keys[2i + 1]. */
  keys: Uint32Array;
  /** Line i's order id fingerprint, the same way: to count the orders of an upload. */
  orders: Uint32Array;
  /** Line i's cursor value (ms), NaN without a cursor. */
  cursors: Float64Array;
  beforeWindow: number;
  afterWindow: number;
  rejected: number;
  /** The first MAX_REJECTS_LISTED rejected rows. */
  rejects: RejectedRow[];
  /** Keys the KeyFilter flagged as maybe seen before, as hi, lo pairs (few: they are checked exactly later). */
  suspects: number[];
  /** A batch that is not CSV stops the scan. */
  error?: BatchCsvError;
}

/** The buffers a batch can hand to another thread without copying. */
export const transferables = (batch: SalesBatch): ArrayBuffer[] => [batch.lines.buffer, batch.ends.buffer, batch.keys.buffer, batch.orders.buffer, batch.cursors.buffer] as ArrayBuffer[];

export class SalesBatchFormatter {
  private readonly writer: SalesLineWriter;
  private readonly cursorIndex: number;
  private readonly record = new CsvRecord();
  private readonly hasher = new KeyHasher();
  private readonly pair = new Uint32Array(2);
  private readonly orderPair = new Uint32Array(2);
  private readonly keyFilter: KeyFilter;

  constructor(private readonly config: SalesBatchConfig) {
    this.keyFilter = new KeyFilter(config.keyFilter);
    this.writer = new SalesLineWriter(config.spec, config.header, config.key);
    const cursor = config.spec.delivery?.cursor;
    this.cursorIndex = cursor === undefined ? -1 : config.header.indexOf(cursor);
  }

  /** Formats `bytes`, writing into the buffers of `spare` (a batch already used) where they are large enough. */
  format(bytes: Buffer, spare?: SalesBatch): SalesBatch {
    const { writer, record, hasher, pair, orderPair, cursorIndex } = this;
    const { windowStart, windowEnd, cursorLimit, keyEncoding } = this.config;
    const cursorColumn = this.config.spec.delivery?.cursor;
    const out = batchLineBuffer(bytes, spare?.lines);
    const first = perLineCapacity(bytes, spare?.ends);
    let capacity = first.capacity;
    const used = first.reuse ? spare : undefined;
    let ends = perLine(Uint32Array, capacity, used?.ends);
    let keys = perLine(Uint32Array, capacity * 2, used?.keys);
    let orders = perLine(Uint32Array, capacity * 2, used?.orders);
    let cursors = perLine(Float64Array, capacity, used?.cursors);
    const batch: SalesBatch = { records: 0, lines: out.bytes, ends, keys, orders, cursors, beforeWindow: 0, afterWindow: 0, rejected: 0, rejects: [], suspects: [] };
    let count = 0;

    const reject = (record: CsvRecord, field: string, column: string, reason: string) => {
      batch.rejected++;
      if (batch.rejects.length >= MAX_REJECTS_LISTED) return;
      const order = writer.orderOf(record);
      batch.rejects.push(order === undefined ? { row: record.row, field, column, reason } : { row: record.row, order, field, column, reason });
    };

    const onRecord = (record: CsvRecord): void => {
      batch.records++;
      let cursor = NaN;
      let checkedTimestamp = -1;
      if (cursorIndex >= 0) {
        if (record.kinds[cursorIndex] === PLAIN) cursor = domoTimestampMs(record.bytes, record.starts[cursorIndex]!, record.ends[cursorIndex]!);
        if (!Number.isNaN(cursor)) {
          if (record.clean) checkedTimestamp = cursorIndex; // the writer need not check it again
        } else if (record.isNull(cursorIndex)) {
          return reject(record, 'cursor', cursorColumn!, 'is null but is the delivery cursor');
        } else {
          const text = record.text(cursorIndex);
          const parsed = cursorMs(text);
          if (parsed instanceof Invalid) return reject(record, 'cursor', cursorColumn!, text ? parsed.reason : 'is empty but is the delivery cursor');
          cursor = parsed;
        }
        if (windowStart !== undefined && cursor < windowStart) {
          batch.beforeWindow++;
          return;
        }
        if (cursorLimit !== undefined && cursor > cursorLimit) {
          const text = record.text(cursorIndex);
          return reject(record, 'cursor', cursorColumn!, `"${clip(text)}" lies after ${isoUtc(cursorLimit)}, too far in the future for the delivery cursor (it would make every later row look old); fix the value in the DataSet`);
        }
        if (windowEnd !== undefined && cursor > windowEnd) {
          batch.afterWindow++;
          return;
        }
      }
      const problem = writer.write(record, out, checkedTimestamp);
      if (problem) return reject(record, problem.field, problem.column, problem.reason);
      writer.fingerprint(hasher, pair, keyEncoding);
      writer.orderFingerprint(hasher, orderPair);
      if (count === capacity) {
        capacity *= 2;
        ends = grown(ends, capacity);
        keys = grown(keys, capacity * 2);
        orders = grown(orders, capacity * 2);
        cursors = grown(cursors, capacity);
      }
      out.start += out.length;
      out.length = 0;
      ends[count] = out.start;
      keys[count * 2] = pair[0]!;
      keys[count * 2 + 1] = pair[1]!;
      orders[count * 2] = orderPair[0]!;
      orders[count * 2 + 1] = orderPair[1]!;
      cursors[count] = cursor;
      count++;
    };

    batch.error = readDataBatch(bytes, record, this.config.header.length, onRecord);
    // The filter's words are all over memory: looked up in one tight loop, several lookups are under way
    // at a time: 120 ms per 1M keys, against 200 ms when done row by row between the rows' other work.
    const filter = this.keyFilter;
    for (let i = 0; i < count * 2; i += 2) if (filter.add(keys[i]!, keys[i + 1]!)) batch.suspects.push(keys[i]!, keys[i + 1]!);
    return Object.assign(batch, { lines: out.bytes.subarray(0, out.start), ends: ends.subarray(0, count), keys: keys.subarray(0, count * 2), orders: orders.subarray(0, count * 2), cursors: cursors.subarray(0, count) });
  }
}
