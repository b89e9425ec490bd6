/**
 * One pass over the Domo export for an Emarsys job: format every row, reject bad ones with their line,
 * skip what is outside the window or already delivered, and spool the rest as upload parts. The export
 * is cut into batches of whole records; formatting them (the per-row work) runs in worker threads for
 * large exports, while this thread keeps what depends on order: row numbers, the ledger, duplicates, the spool.
 */
import { tmpdir } from 'node:os';
import type { Readable } from 'node:stream';
import { storageError } from '../../state/durable.ts';
import { DataError } from '../../errors/index.ts';
import type { EmarsysSalesSpec } from './spec.ts';
import { linesOf, siblingModule } from '../../pipeline/batch-workers.ts';
import { scanBatches, type BatchFormatting } from '../../pipeline/batch-scan.ts';
import { csvLine } from '../../pipeline/csv-line.ts';
import { CsvError } from '../../pipeline/csv-records.ts';
import { Spool } from '../../pipeline/spool.ts';
import { MAX_REJECTS_LISTED, type RejectedRow } from '../../reports/run-report.ts';
import { ExportDuplicates, KeyFilter } from '../../pipeline/export-duplicates.ts';
import { KEY_ENCODING, type KeyEncoding } from '../../state/key-hasher.ts';
import { type FingerprintSet } from '../../state/fingerprint-tables.ts';
import { SalesBatchFormatter, transferables, type SalesBatch, type SalesBatchConfig } from './sales-batch.ts';
import { SalesLineWriter } from './sales-line.ts';
import { DEFAULT_KEY } from './ledger.ts';

export interface ScanOptions {
  spec: EmarsysSalesSpec;
  ledger: FingerprintSet;
  /** Rows whose cursor is before this (ms) are outside the window. */
  windowStart?: number;
  /** Rows whose cursor is after this (ms) are rejected (see SalesBatchConfig.cursorLimit). */
  cursorLimit?: number;
  /** Rows whose cursor is after this (ms) are left out and counted (see SalesBatchConfig.windowEnd). */
  windowEnd?: number;
  /** How key fingerprints are computed (the ledger's encoding; default: length-prefixed). */
  keyEncoding?: KeyEncoding;
  /** The cursor earlier runs delivered up to (ms): lines at or before it should be in the ledger (see ScanResult.recognised). */
  deliveredUpTo?: number;
  maxPartBytes: number;
  /** Rows the DataSet announces: sizes the in-run duplicate check. */
  expectedRows?: number;
  progress?: (rowsRead: number) => void;
  /** Each part's SHA-256, which the ledger's intent and the report record (default true); a plan, a baseline or a dry run sends nothing. */
  checksum?: boolean;
  /** Worker threads that format batches; 0 (the default) formats in this thread. */
  workers?: number;
  /** Bytes of export per batch (default 512 KB). */
  batchBytes?: number;
}

export interface ScanResult {
  spool: Spool;
  dispose(): void;
  read: number;
  rejected: number;
  rejects: RejectedRow[];
  alreadyDelivered: number;
  beforeWindow: number;
  afterWindow: number;
  duplicateInExport: number;
  /**
   * Lines earlier runs should have delivered (cursor at or before deliveredUpTo; without a cursor, every
   * line), and how many of them the ledger holds. A ledger that holds none of many is read with the wrong
   * meaning (a key changed unrecorded, say): the job then refuses rather than send them again.
   */
  shouldBeKnown: number;
  recognised: number;
  /** Latest cursor among the rows spooled for sending. */
  maxCursor?: number;
}


const PROGRESS_EVERY = 100_000;
/** The duplicate filter's size when the DataSet's is not known (1 MB). */
const UNKNOWN_SIZE_ROWS = 1_000_000;

export async function scanSalesExport(input: Readable, options: ScanOptions): Promise<ScanResult> {
  const { spec, ledger } = options;
  const cursorColumn = spec.delivery?.cursor;
  const result: ScanResult = { spool: undefined as unknown as Spool, dispose: () => result.spool?.dispose(), read: 0, rejected: 0, rejects: [], alreadyDelivered: 0, beforeWindow: 0, afterWindow: 0, duplicateInExport: 0, shouldBeKnown: 0, recognised: 0 };
  const duplicates = new ExportDuplicates();

  /** Adds a formatted batch, in export order: its rows get their numbers here. */
  const add = (batch: SalesBatch): void => {
    const firstRow = result.read + 1;
    if (batch.error) throw new CsvError(batch.error.code, firstRow + batch.error.row, batch.error.detail);
    const read = result.read + batch.records;
    if (options.progress) for (let row = (Math.floor(result.read / PROGRESS_EVERY) + 1) * PROGRESS_EVERY; row <= read; row += PROGRESS_EVERY) options.progress(row);
    result.read = read;
    result.beforeWindow += batch.beforeWindow;
    result.afterWindow += batch.afterWindow;
    result.rejected += batch.rejected;
    for (const reject of batch.rejects) if (result.rejects.length < MAX_REJECTS_LISTED) result.rejects.push({ ...reject, row: firstRow + reject.row });
    const lines = linesOf(batch.lines);
    const { ends, keys, cursors, orders } = batch;
    let maxCursor = result.maxCursor ?? -Infinity;
    let run = 0; // the first line of the lines to spool next
    const upTo = options.deliveredUpTo;
    for (let i = 0; i < ends.length; i++) {
      const hi = keys[i * 2]!;
      const lo = keys[i * 2 + 1]!;
      const old = upTo === undefined || cursors[i]! <= upTo; // NaN (no cursor): every line
      if (old) result.shouldBeKnown++;
      if (ledger.has(hi, lo)) {
        if (old) result.recognised++;
        result.alreadyDelivered++;
        if (i > run) result.spool.addLines(lines, ends, keys, cursors, run, i, orders);
        run = i + 1;
        continue;
      }
      if (cursors[i]! > maxCursor) maxCursor = cursors[i]!;
    }
    if (ends.length > run) result.spool.addLines(lines, ends, keys, cursors, run, ends.length, orders);
    if (maxCursor !== -Infinity) result.maxCursor = maxCursor;
    const { suspects } = batch;
    for (let i = 0; i < suspects.length; i += 2) duplicates.suspect(suspects[i]!, suspects[i + 1]!);
  };

  /** The header row: checks the mapping and the cursor against it, and opens the spool. */
  const start = (header: string[]): BatchFormatting<SalesBatch> => {
    const key = spec.delivery?.key ?? DEFAULT_KEY;
    const fields = new SalesLineWriter(spec, header, key).fields; // names the columns the mapping misses
    if (cursorColumn !== undefined && !header.includes(cursorColumn)) {
      throw new DataError(`the DataSet has no column ${cursorColumn} (spec.delivery.cursor); its columns are: ${header.join(', ')}`);
    }
    result.spool = new Spool(csvLine(fields.map((f) => f.name)), options.maxPartBytes, { distinctColumn: fields.findIndex((f) => f.name === 'order'), checksum: options.checksum });
    const keyFilter = new KeyFilter(options.expectedRows ?? UNKNOWN_SIZE_ROWS).memory;
    const config: SalesBatchConfig = { spec, header, key, windowStart: options.windowStart, windowEnd: options.windowEnd, cursorLimit: options.cursorLimit, keyEncoding: options.keyEncoding ?? KEY_ENCODING, keyFilter };
    return {
      inline: () => {
        const formatter = new SalesBatchFormatter(config);
        return (batch, spare) => formatter.format(batch, spare);
      },
      worker: { entry: siblingModule(import.meta.url, 'sales-batch-worker'), config, transferables },
    };
  };

  try {
    const started = await scanBatches(input, { start, add }, { workers: options.workers, batchBytes: options.batchBytes });
    if (!started) throw new DataError('the export was empty: not even a header row came back from Domo');
    result.spool.finish();
    // A later copy of a key was spooled too: it goes now, with the exact check only the flagged keys need.
    result.duplicateInExport = duplicates.removeFrom(result.spool);
  } catch (error) {
    result.dispose();
    throw storageError(error, `could not spool the export to ${tmpdir()}`);
  }
  return result;
}
