/**
 * One pass over the Domo export for an Emarsys job: format every row, reject bad ones with their line,
 * skip what is outside the window or already delivered, and spool the rest as upload parts.
 */
import type { Readable } from 'node:stream';
import { DataError } from '../../errors/index.ts';
import type { EmarsysSalesSpec } from '../../definitions/types.ts';
import { csvLine } from '../../pipeline/csv-line.ts';
import { readCsv } from '../../pipeline/csv-rows.ts';
import { Spool } from '../../pipeline/spool.ts';
import { cursorMs, Invalid } from '../../pipeline/values.ts';
import { MAX_REJECTS_LISTED, type RejectedRow } from '../../reports/run-report.ts';
import { FingerprintSet, hashFields } from '../../state/key-hash.ts';
import { SalesRowFormatter } from './fields.ts';

export interface ScanOptions {
  spec: EmarsysSalesSpec;
  ledger: FingerprintSet;
  /** Rows whose cursor is before this (ms) are outside the window. */
  windowStart?: number;
  maxPartBytes: number;
  /** Rows the DataSet announces: sizes the in-run duplicate check once instead of growing it. */
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
  const seen = new FingerprintSet(options.expectedRows ?? 1024);
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
    const handle = (row: string[]): void => {
      if (!formatter) {
        formatter = new SalesRowFormatter(spec, row);
        const names = formatter.fields.map((f) => f.name);
        keyIndexes = (spec.delivery?.key ?? DEFAULT_KEY).map((k) => names.indexOf(k));
        if (cursorColumn !== undefined) {
          cursorIndex = row.indexOf(cursorColumn);
          if (cursorIndex < 0) throw new DataError(`the DataSet has no column ${cursorColumn} (spec.delivery.cursor); its columns are: ${row.join(', ')}`);
        }
        result.spool = new Spool(csvLine(names), options.maxPartBytes);
        return;
      }
      rowNumber++;
      result.read++;
      if (options.progress && result.read % PROGRESS_EVERY === 0) options.progress(result.read);

      let cursor: number | undefined;
      if (cursorIndex >= 0) {
        const parsed = cursorMs(row[cursorIndex] ?? '');
        if (parsed instanceof Invalid) {
          reject('cursor', cursorColumn!, row[cursorIndex] ? parsed.reason : 'is empty but is the delivery cursor');
          return;
        }
        cursor = parsed;
        if (windowStart !== undefined && cursor < windowStart) {
          result.beforeWindow++;
          return;
        }
      }

      const problem = formatter.format(row);
      if (problem) {
        reject(problem.field, problem.column, problem.reason);
        return;
      }
      const values = formatter.values;
      hashFields(values, keyIndexes, pair);
      const hi = pair[0]!;
      const lo = pair[1]!;
      if (ledger.has(hi, lo)) {
        result.alreadyDelivered++;
        return;
      }
      if (!seen.add(hi, lo)) {
        result.duplicateInExport++;
        return;
      }
      if (cursor !== undefined && (result.maxCursor === undefined || cursor > result.maxCursor)) result.maxCursor = cursor;
      result.spool.add(formatter.line(), hi, lo, cursor);
    };
    await readCsv(input, (rows) => {
      for (const r of rows) handle(r);
    });
  } catch (error) {
    result.dispose();
    throw error;
  }
  if (!formatter) throw new DataError('the export was empty: not even a header row came back from Domo');
  result.spool.finish();
  return result;
}
