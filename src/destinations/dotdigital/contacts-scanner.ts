/** One pass over the Domo export for a Dotdigital job: contacts formatted per data field type, spooled as import files. */
import { tmpdir } from 'node:os';
import type { Readable } from 'node:stream';
import { storageError } from '../../state/durable.ts';
import { DataError } from '../../errors/index.ts';
import { csvLine } from '../../pipeline/csv-line.ts';
import { readCsvRecords } from '../../pipeline/record-batches.ts';
import type { CsvRecord } from '../../pipeline/csv-records.ts';
import { Spool } from '../../pipeline/spool.ts';
import { formatEmail, Invalid } from '../../pipeline/values.ts';
import { MAX_REJECTS_LISTED, type RejectedRow } from '../../reports/run-report.ts';
import { hashKey } from '../../state/key-hasher.ts';
import { FingerprintSet } from '../../state/fingerprint-tables.ts';
import type { FieldResolution } from './fields.ts';
import { formatFieldValue } from './fields.ts';
import type { ContactFingerprints } from './fingerprints.ts';
import type { RefusedContacts } from './refused.ts';
import { maskReason } from '../../reports/personal-data.ts';

export interface ContactsScanOptions {
  emailColumn: string;
  fields: FieldResolution['fields'];
  /** Set with delivery.changedOnly: contacts whose values did not change are skipped. */
  previous?: ContactFingerprints;
  /** Contacts Dotdigital refused for a lasting reason: rejected again while their values are unchanged. */
  refused?: RefusedContacts;
  /** Fields whose values are masked in reject reasons (lower case; undefined: none). */
  personal?: Set<string>;
  maxPartBytes: number;
}

export interface ContactsScanResult {
  spool: Spool;
  read: number;
  rejected: number;
  rejects: RejectedRow[];
  unchanged: number;
  duplicateInExport: number;
  /** Every contact the export holds (to forget contacts that left the DataSet). */
  present?: FingerprintSet;
  /** Contacts not sent because Dotdigital refused them before (counted in rejected too). */
  refusedBefore: number;
  dispose(): void;
}

const SEPARATOR = '\u001f';

export async function scanContactsExport(input: Readable, options: ContactsScanOptions): Promise<ContactsScanResult> {
  const result: ContactsScanResult = {
    spool: undefined as unknown as Spool,
    read: 0,
    rejected: 0,
    rejects: [],
    unchanged: 0,
    duplicateInExport: 0,
    present: options.previous || options.refused?.size ? new FingerprintSet() : undefined,
    refusedBefore: 0,
    dispose: () => result.spool?.dispose(),
  };
  const seen = new FingerprintSet();
  const pair = new Uint32Array(2);
  const values = new Array<string>(options.fields.length + 1);
  let indexes: number[] | undefined;
  let row = 0;
  const reject = (field: string, column: string, reason: string) => {
    result.rejected++;
    if (result.rejects.length < MAX_REJECTS_LISTED) result.rejects.push({ row, field, column, reason });
  };

  try {
    const handle = (csv: CsvRecord): void => {
      // Domo's null (an unquoted \N) is no value: the email is then missing, a data field is sent empty
      // (and the import's merge option decides whether empty clears the field).
      const record: (string | null)[] = csv.texts();
      if (indexes) for (const i of indexes) if (csv.isNull(i)) record[i] = null;
      if (!indexes) {
        const columns = [options.emailColumn, ...options.fields.map((f) => f.column)];
        const missing = columns.filter((c) => !record.includes(c));
        if (missing.length) throw new DataError(`the DataSet has no column ${missing.join(', ')}; its columns are: ${record.join(', ')}. Fix spec.mapping.`);
        indexes = columns.map((c) => record.indexOf(c));
        result.spool = new Spool(csvLine(['Email', ...options.fields.map((f) => f.name)]), options.maxPartBytes, true);
        return;
      }
      row++;
      result.read++;
      const rawEmail = record[indexes[0]!] as string | null;
      const email = rawEmail === null ? new Invalid('is null but required') : formatEmail(rawEmail);
      if (email instanceof Invalid) {
        const reason = rawEmail === '' ? 'is empty but required' : options.personal?.has('email') && rawEmail ? maskReason(email.reason, rawEmail) : email.reason;
        reject('email', options.emailColumn, reason);
        return;
      }
      values[0] = email.toLowerCase(); // Dotdigital lowercases emails: so do fingerprints
      let bad = false;
      for (let i = 0; i < options.fields.length; i++) {
        const field = options.fields[i]!;
        const raw = record[indexes[i + 1]!] as string | null;
        const out = raw === null ? '' : formatFieldValue(field.type, raw);
        if (out instanceof Invalid) {
          reject(field.name, field.column, options.personal?.has(field.name.toLowerCase()) && raw ? maskReason(out.reason, raw) : out.reason);
          bad = true;
          break;
        }
        values[i + 1] = out;
      }
      if (bad) return;
      hashKey(values[0], pair);
      const hi = pair[0]!;
      const lo = pair[1]!;
      if (!seen.add(hi, lo)) {
        result.duplicateInExport++;
        return;
      }
      result.present?.add(hi, lo);
      hashKey(values.join(SEPARATOR), pair);
      const valueHash = pair[0]!;
      const refusedFor = options.refused?.reasonFor(hi, lo, valueHash);
      if (refusedFor) {
        result.refusedBefore++;
        reject('email', options.emailColumn, `Dotdigital refused this contact before (${refusedFor}); it is not sent again while its values stay the same`);
        return;
      }
      if (options.previous?.unchanged(hi, lo, valueHash)) {
        result.unchanged++;
        return;
      }
      result.spool.add(csvLine(values), hi, lo, undefined, valueHash, row);
    };
    await readCsvRecords(input, handle);
    if (!indexes) throw new DataError('the export was empty: not even a header row came back from Domo');
    result.spool.finish();
  } catch (error) {
    result.dispose();
    throw storageError(error, `could not spool the export to ${tmpdir()}`);
  }
  return result;
}
