/**
 * Formats one batch of whole export records into import-file lines with their fingerprints: the per-row
 * work of a contacts scan, which needs nothing from the rows before it, so batches may be formatted in
 * worker threads. What depends on order (repeated emails, changed-only, refused contacts, the spool) stays with the scan.
 */
import { batchLineBuffer, grown, perLine, perLineCapacity } from '../../pipeline/batch-workers.ts';
import { CsvRecord, readDataBatch, type BatchCsvError } from '../../pipeline/csv-records.ts';
import { MAX_REJECTS_LISTED, type RejectedRow } from '../../reports/run-report.ts';
import { ContactLineWriter, type ContactField } from './contact-line.ts';

/** What a formatter needs to know, sent once to each worker. */
export interface ContactBatchConfig {
  emailColumn: string;
  fields: ContactField[];
  /** The export's header fields. */
  header: string[];
  /** Fields whose values are masked in reject reasons (lower case). */
  personal?: string[];
}

/** A formatted batch. Row numbers count from 0 at the batch's first record; the scan makes them the export's. */
export interface ContactBatch {
  /** Records read (every data row, kept or not). */
  records: number;
  /** The lines, back to back; line i ends at ends[i] (exclusive) and starts where line i - 1 ends. */
  lines: Buffer;
  ends: Uint32Array;
  /** Line i's email fingerprint: emails[2i], emails[2i + 1]. */
  emails: Uint32Array;
  /** Line i's fingerprint of every value sent, then its row: extras[2i], extras[2i + 1] (the spool's per-line numbers). */
  extras: Uint32Array;
  rejected: number;
  /** The first MAX_REJECTS_LISTED rejected rows. */
  rejects: RejectedRow[];
  /** A batch that is not CSV stops the scan. */
  error?: BatchCsvError;
}

/** The buffers a batch can hand to another thread without copying. */
export const transferables = (batch: ContactBatch): ArrayBuffer[] => [batch.lines.buffer, batch.ends.buffer, batch.emails.buffer, batch.extras.buffer] as ArrayBuffer[];

export class ContactBatchFormatter {
  private readonly writer: ContactLineWriter;
  private readonly record = new CsvRecord();

  constructor(private readonly config: ContactBatchConfig) {
    this.writer = new ContactLineWriter(config.emailColumn, config.fields, config.header, config.personal && new Set(config.personal));
  }

  /** Formats `bytes`, writing into the buffers of `spare` (a batch already used) where they are large enough. */
  format(bytes: Buffer, spare?: ContactBatch): ContactBatch {
    const { writer, record } = this;
    const out = batchLineBuffer(bytes, spare?.lines);
    const first = perLineCapacity(bytes, spare?.ends);
    let capacity = first.capacity;
    const used = first.reuse ? spare : undefined;
    let ends = perLine(Uint32Array, capacity, used?.ends);
    let emails = perLine(Uint32Array, capacity * 2, used?.emails);
    let extras = perLine(Uint32Array, capacity * 2, used?.extras);
    const batch: ContactBatch = { records: 0, lines: out.bytes, ends, emails, extras, rejected: 0, rejects: [] };
    let count = 0;

    const onRecord = (record: CsvRecord): void => {
      batch.records++;
      const problem = writer.write(record, out);
      if (problem) {
        batch.rejected++;
        if (batch.rejects.length < MAX_REJECTS_LISTED) batch.rejects.push({ row: record.row, ...problem });
        return;
      }
      if (count === capacity) {
        capacity *= 2;
        ends = grown(ends, capacity);
        emails = grown(emails, capacity * 2);
        extras = grown(extras, capacity * 2);
      }
      writer.fingerprint(emails, count * 2, extras, count * 2);
      extras[count * 2 + 1] = record.row;
      out.start += out.length;
      out.length = 0;
      ends[count] = out.start;
      count++;
    };

    batch.error = readDataBatch(bytes, record, this.config.header.length, onRecord);
    return Object.assign(batch, { lines: out.bytes.subarray(0, out.start), ends: ends.subarray(0, count), emails: emails.subarray(0, count * 2), extras: extras.subarray(0, count * 2) });
  }
}
