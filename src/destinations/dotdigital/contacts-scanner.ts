/**
 * One pass over the Domo export for a Dotdigital job: contacts formatted per data field type in batches
 * (in worker threads for large exports, contact-batch.ts), then, in export order, repeated emails, contacts
 * refused before and unchanged ones left out, and the rest spooled as import files.
 */
import { tmpdir } from 'node:os';
import type { Readable } from 'node:stream';
import { storageError } from '../../state/durable.ts';
import { DataError } from '../../errors/index.ts';
import { linesOf, siblingModule } from '../../pipeline/batch-workers.ts';
import { scanBatches, type BatchFormatting } from '../../pipeline/batch-scan.ts';
import { csvLine } from '../../pipeline/csv-line.ts';
import { CsvError } from '../../pipeline/csv-records.ts';
import { Spool } from '../../pipeline/spool.ts';
import { MAX_REJECTS_LISTED, type RejectedRow } from '../../reports/run-report.ts';
import { FingerprintSet, type FingerprintLookup } from '../../state/fingerprint-tables.ts';
import { ContactBatchFormatter, transferables, type ContactBatch, type ContactBatchConfig } from './contact-batch.ts';
import { ContactLineWriter } from './contact-line.ts';
import type { FieldResolution } from './fields.ts';
import { SEEN_BEFORE, type ContactFingerprints } from './fingerprints.ts';
import type { RefusedContacts } from './refused.ts';

export interface ContactsScanOptions {
  emailColumn: string;
  fields: FieldResolution['fields'];
  /**
   * Set with delivery.changedOnly: contacts whose values did not change are skipped. As a function, it is
   * called once the first batch is on its way to the worker threads, while they start (1M contacts take
   * 0.15-0.22 s to load, the threads about as long to start); what it throws is thrown as it is.
   */
  previous?: ContactFingerprints | (() => ContactFingerprints);
  /** Contacts Dotdigital refused for a lasting reason: rejected again while their values are unchanged. */
  refused?: RefusedContacts;
  /** Fields whose values are masked in reject reasons (lower case; undefined: none). */
  personal?: Set<string>;
  maxPartBytes: number;
  /** Rows the DataSet announces: sizes the table of emails seen. */
  expectedRows?: number;
  /** Worker threads that format batches; 0 (the default) formats in this thread. */
  workers?: number;
  /** Bytes of export per batch (default 512 KB). */
  batchBytes?: number;
}

export interface ContactsScanResult {
  spool: Spool;
  read: number;
  rejected: number;
  rejects: RejectedRow[];
  unchanged: number;
  duplicateInExport: number;
  /**
   * Every contact the export holds (to forget contacts that left the DataSet). With changed-only state it
   * reads `previous`'s marks: use it before that state changes (retainSeen, record), or it fails.
   */
  present?: FingerprintLookup;
  /** How many of the changed-only state's contacts the export still holds: all of them, and none has left. */
  previousPresent: number;
  /** Contacts not sent because Dotdigital refused them before (counted in rejected too). */
  refusedBefore: number;
  dispose(): void;
}

export async function scanContactsExport(input: Readable, options: ContactsScanOptions): Promise<ContactsScanResult> {
  const refused = options.refused?.size ? options.refused : undefined;
  let previous: ContactFingerprints | undefined;
  // Emails seen so far: the first row of an email is the one sent. They are also the export's list of
  // contacts: those the changed-only state holds are marked in its table, the others kept here (sized for
  // the rows the state lacks; an address book replaced whole grows it by doubling).
  let others: FingerprintSet | undefined;
  let loadFailure: { error: unknown } | undefined;
  /** Before the first batch is added (or, for an export without rows, after the scan): the state, and the set beside it. */
  const begin = (): FingerprintSet => {
    if (others) return others;
    try {
      previous = typeof options.previous === 'function' ? options.previous() : options.previous;
    } catch (error) {
      loadFailure = { error };
      throw error;
    }
    previous?.newExport();
    return (others = new FingerprintSet(previous ? Math.max(0, (options.expectedRows ?? 0) - previous.size) : options.expectedRows));
  };
  const present: FingerprintLookup = { has: (hi, lo) => (previous?.seen(hi, lo) ?? false) || others!.has(hi, lo) };
  const result: ContactsScanResult = {
    spool: undefined as unknown as Spool,
    read: 0,
    rejected: 0,
    rejects: [],
    unchanged: 0,
    duplicateInExport: 0,
    present: options.previous || refused ? present : undefined,
    previousPresent: 0,
    refusedBefore: 0,
    dispose: () => result.spool?.dispose(),
  };

  /** Adds a formatted batch, in export order: its rows get their numbers here. */
  const add = (batch: ContactBatch): void => {
    const others = begin();
    const firstRow = result.read + 1;
    if (batch.error) throw new CsvError(batch.error.code, firstRow + batch.error.row, batch.error.detail);
    result.read += batch.records;
    result.rejected += batch.rejected;
    // The batch's rejects and its contacts refused before, listed in row order.
    const rejects = batch.rejects.map((rejected) => ({ ...rejected, row: firstRow + rejected.row }));
    const refusals: RejectedRow[] = [];
    const lines = linesOf(batch.lines);
    const { ends, emails, extras } = batch;
    let run = 0; // the first line of the lines to spool next
    for (let i = 0; i < ends.length; i++) {
      const hi = emails[i * 2]!;
      const lo = emails[i * 2 + 1]!;
      const valueHash = extras[i * 2]!;
      const row = (extras[i * 2 + 1] = firstRow + extras[i * 2 + 1]!);
      let skip = false;
      const recorded = previous?.see(hi, lo);
      if (recorded === SEEN_BEFORE || (recorded === undefined && !others.add(hi, lo))) {
        result.duplicateInExport++;
        skip = true;
      } else {
        if (recorded !== undefined) result.previousPresent++;
        const refusedFor = refused?.reasonFor(hi, lo, valueHash);
        if (refusedFor) {
          result.refusedBefore++;
          result.rejected++;
          const reason = `Dotdigital refused this contact before (${refusedFor}); it is not sent again while its values stay the same`;
          if (refusals.length < MAX_REJECTS_LISTED) refusals.push({ row, field: 'email', column: options.emailColumn, reason });
          skip = true;
        } else if (recorded === valueHash) {
          result.unchanged++;
          skip = true;
        }
      }
      if (!skip) continue;
      if (i > run) result.spool.addLines(lines, ends, emails, undefined, run, i, undefined, extras);
      run = i + 1;
    }
    if (ends.length > run) result.spool.addLines(lines, ends, emails, undefined, run, ends.length, undefined, extras);
    const listed = refusals.length ? [...rejects, ...refusals].sort((a, b) => a.row - b.row) : rejects;
    for (const rejected of listed) if (result.rejects.length < MAX_REJECTS_LISTED) result.rejects.push(rejected);
  };

  /** The header row: checks the mapping against it, and opens the spool. */
  const start = (header: string[]): BatchFormatting<ContactBatch> => {
    const config: ContactBatchConfig = { emailColumn: options.emailColumn, fields: options.fields, header, personal: options.personal && [...options.personal] };
    const formatter = new ContactBatchFormatter(config); // names the columns the mapping misses
    result.spool = new Spool(csvLine(ContactLineWriter.header(options.fields)), options.maxPartBytes, { extras: true, checksum: false }); // imports are upserts by email: nothing keys them by content
    return {
      inline: () => (batch, spare) => formatter.format(batch, spare),
      worker: { entry: siblingModule(import.meta.url, 'contact-batch-worker'), config, transferables },
    };
  };

  try {
    const started = await scanBatches(input, { start, add, firstBatchSent: begin }, { workers: options.workers, batchBytes: options.batchBytes });
    if (!started) throw new DataError('the export was empty: not even a header row came back from Domo');
    begin();
    result.spool.finish();
  } catch (error) {
    result.dispose();
    throw loadFailure?.error === error ? error : storageError(error, `could not spool the export to ${tmpdir()}`);
  }
  return result;
}
