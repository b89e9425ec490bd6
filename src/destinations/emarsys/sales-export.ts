/**
 * One pass over the Domo export for an Emarsys job: format every row, reject bad ones with their line,
 * skip what is outside the window or already delivered, and spool the rest as upload parts.
 */
import type { Readable } from 'node:stream';
import { DataError } from '../../errors/index.ts';
import type { EmarsysSalesSpec } from '../../definitions/types.ts';
import { csvLine } from '../../pipeline/csv-line.ts';
import { csvRows } from '../../pipeline/csv-rows.ts';
import { Spool } from '../../pipeline/spool.ts';
import { Invalid, parseTimestamp } from '../../pipeline/values.ts';
import { MAX_REJECTS_LISTED, type RejectedRow } from '../../reports/run-report.ts';
import { FingerprintSet, hashKey } from '../../state/key-hash.ts';
import { SalesRowFormatter } from './fields.ts';

export interface ScanOptions {
  spec: EmarsysSalesSpec;
  ledger: FingerprintSet;
  /** Rows whose cursor is before this (ms) are outside the window. */
  windowStart?: number;
  maxPartBytes: number;
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
export const KEY_SEPARATOR = '\u001f';
const PROGRESS_EVERY = 100_000;

export async function scanSalesExport(input: Readable, options: ScanOptions): Promise<ScanResult> {
  const { spec, ledger, windowStart } = options;
  const cursorColumn = spec.delivery?.cursor;
  const result: ScanResult = { spool: undefined as unknown as Spool, dispose: () => result.spool?.dispose(), read: 0, rejected: 0, rejects: [], alreadyDelivered: 0, beforeWindow: 0, duplicateInExport: 0 };
  const seen = new FingerprintSet();
  const pair = new Uint32Array(2);
  let formatter: SalesRowFormatter | undefined;
  let keyIndexes: number[] = [];
  let cursorIndex = -1;
  let rowNumber = 0;

  const reject = (field: string, column: string, reason: string) => {
    result.rejected++;
    if (result.rejects.length < MAX_REJECTS_LISTED) result.rejects.push({ row: rowNumber, field, column, reason });
  };

  try {
    for await (const row of csvRows(input)) {
      if (!formatter) {
        formatter = new SalesRowFormatter(spec, row);
        const names = formatter.fields.map((f) => f.name);
        keyIndexes = (spec.delivery?.key ?? DEFAULT_KEY).map((k) => names.indexOf(k));
        if (cursorColumn !== undefined) {
          cursorIndex = row.indexOf(cursorColumn);
          if (cursorIndex < 0) throw new DataError(`the DataSet has no column ${cursorColumn} (spec.delivery.cursor); its columns are: ${row.join(', ')}`);
        }
        result.spool = new Spool(csvLine(names), options.maxPartBytes);
        continue;
      }
      rowNumber++;
      result.read++;
      if (options.progress && result.read % PROGRESS_EVERY === 0) options.progress(result.read);

      let cursor: number | undefined;
      if (cursorIndex >= 0) {
        const parsed = parseTimestamp(row[cursorIndex] ?? '');
        if (parsed instanceof Invalid) {
          reject('cursor', cursorColumn!, row[cursorIndex] ? parsed.reason : 'is empty but is the delivery cursor');
          continue;
        }
        cursor = parsed;
        if (windowStart !== undefined && cursor < windowStart) {
          result.beforeWindow++;
          continue;
        }
      }

      const problem = formatter.format(row);
      if (problem) {
        reject(problem.field, problem.column, problem.reason);
        continue;
      }
      const values = formatter.values;
      let key = values[keyIndexes[0]!]!;
      for (let k = 1; k < keyIndexes.length; k++) key += KEY_SEPARATOR + values[keyIndexes[k]!]!;
      hashKey(key, pair);
      const hi = pair[0]!;
      const lo = pair[1]!;
      if (ledger.has(hi, lo)) {
        result.alreadyDelivered++;
        continue;
      }
      if (!seen.add(hi, lo)) {
        result.duplicateInExport++;
        continue;
      }
      if (cursor !== undefined && (result.maxCursor === undefined || cursor > result.maxCursor)) result.maxCursor = cursor;
      result.spool.add(csvLine(values), hi, lo, cursor, key);
    }
  } catch (error) {
    result.spool?.dispose();
    throw error;
  }
  if (!formatter) throw new DataError('the export was empty: not even a header row came back from Domo');
  result.spool.finish();
  return result;
}
