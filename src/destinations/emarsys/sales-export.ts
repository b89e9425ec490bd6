/**
 * One pass over the Domo export for an Emarsys job: format every row, reject bad ones with their line,
 * skip what is outside the window or already delivered, and spool the rest as upload parts.
 */
import type { Readable } from 'node:stream';
import { DataError } from '../../errors/index.ts';
import type { EmarsysSalesSpec } from '../../definitions/types.ts';
import { csvLine } from '../../pipeline/csv-line.ts';
import { PLAIN, readCsvRecords, type CsvRecord } from '../../pipeline/csv-records.ts';
import { Spool } from '../../pipeline/spool.ts';
import { cursorMs, domoTimestampMs, Invalid } from '../../pipeline/values.ts';
import { MAX_REJECTS_LISTED, type RejectedRow } from '../../reports/run-report.ts';
import { ExportDuplicates } from '../../pipeline/export-duplicates.ts';
import { KeyHasher, type FingerprintSet } from '../../state/key-hash.ts';
import { SalesLineWriter } from './sales-line.ts';

export interface ScanOptions {
  spec: EmarsysSalesSpec;
  ledger: FingerprintSet;
  /** Rows whose cursor is before this (ms) are outside the window. */
  windowStart?: number;
  maxPartBytes: number;
  /** Rows the DataSet announces: sizes the in-run duplicate check. */
  expectedRows?: number;
  progress?: (rowsRead: number) => void;
}

export interface ScanResult {
  spool: Spool;
  dispose(): void;
  read: number;
  rejected: number;
  rejects: RejectedRow[];
  alreadyDelivered: number;
  beforeWindow: number;
  duplicateInExport: number;
  /** Latest cursor among the rows spooled for sending. */
  maxCursor?: number;
}

export const DEFAULT_KEY = ['order', 'item'];
const PROGRESS_EVERY = 100_000;

export async function scanSalesExport(input: Readable, options: ScanOptions): Promise<ScanResult> {
  const { spec, ledger, windowStart } = options;
  const cursorColumn = spec.delivery?.cursor;
  const result: ScanResult = { spool: undefined as unknown as Spool, dispose: () => result.spool?.dispose(), read: 0, rejected: 0, rejects: [], alreadyDelivered: 0, beforeWindow: 0, duplicateInExport: 0 };
  const duplicates = new ExportDuplicates(options.expectedRows ?? 1024);
  const hasher = new KeyHasher();
  const pair = new Uint32Array(2);
  let writer: SalesLineWriter | undefined;
  let cursorIndex = -1;

  const reject = (row: number, field: string, column: string, reason: string) => {
    result.rejected++;
    if (result.rejects.length < MAX_REJECTS_LISTED) result.rejects.push({ row, field, column, reason });
  };

  /** The cursor of a row that is not a plain Domo timestamp (ms), or undefined when it is rejected. */
  const cursorFromText = (record: CsvRecord): number | undefined => {
    const text = record.text(cursorIndex);
    const parsed = cursorMs(text);
    if (!(parsed instanceof Invalid)) return parsed;
    reject(record.row, 'cursor', cursorColumn!, text ? parsed.reason : 'is empty but is the delivery cursor');
    return undefined;
  };

  const handle = (record: CsvRecord): void => {
    if (!writer) {
      const header = record.texts();
      writer = new SalesLineWriter(spec, header, spec.delivery?.key ?? DEFAULT_KEY);
      if (cursorColumn !== undefined) {
        cursorIndex = header.indexOf(cursorColumn);
        if (cursorIndex < 0) throw new DataError(`the DataSet has no column ${cursorColumn} (spec.delivery.cursor); its columns are: ${header.join(', ')}`);
      }
      result.spool = new Spool(csvLine(writer.fields.map((f) => f.name)), options.maxPartBytes);
      return;
    }
    result.read++;
    if (options.progress && result.read % PROGRESS_EVERY === 0) options.progress(result.read);

    let cursor: number | undefined;
    let checkedTimestamp = -1;
    if (cursorIndex >= 0) {
      const fast = record.kinds[cursorIndex] === PLAIN ? domoTimestampMs(record.bytes, record.starts[cursorIndex]!, record.ends[cursorIndex]!) : NaN;
      cursor = Number.isNaN(fast) ? cursorFromText(record) : fast;
      if (cursor === undefined) return;
      if (!Number.isNaN(fast) && record.clean) checkedTimestamp = cursorIndex; // the writer need not check it again
      if (windowStart !== undefined && cursor < windowStart) {
        result.beforeWindow++;
        return;
      }
    }

    const line = result.spool.line;
    const problem = writer.write(record, line, checkedTimestamp);
    if (problem) return reject(record.row, problem.field, problem.column, problem.reason);
    writer.fingerprint(hasher, pair);
    const hi = pair[0]!;
    const lo = pair[1]!;
    if (ledger.has(hi, lo)) {
      result.alreadyDelivered++;
      return;
    }
    duplicates.add(hi, lo);
    if (cursor !== undefined && (result.maxCursor === undefined || cursor > result.maxCursor)) result.maxCursor = cursor;
    result.spool.commit(hi, lo, cursor);
  };

  try {
    await readCsvRecords(input, handle);
  } catch (error) {
    result.dispose();
    throw error;
  }
  if (!writer) throw new DataError('the export was empty: not even a header row came back from Domo');
  result.spool.finish();
  // A later copy of a key was spooled too: it goes now, with the exact check only the flagged keys need.
  result.duplicateInExport = duplicates.removeFrom(result.spool);
  return result;
}
