/**
 * Bulk contact import behind one small interface, so the v2 file import can be swapped for v3's JSON
 * import (PUT /contacts/v3/import, docs/vendors/dotdigital.md) without touching the job: what changes with
 * v3 is only here (JSON contacts instead of a CSV file, `overwrite | overwriteIfNotEmpty | overwriteIfEmpty`
 * instead of the v2 merge options, failures in the status answer instead of a fault report, and a null
 * data field value clearing the field).
 */
import { parse } from 'csv-parse/sync';
import type { DotdigitalClient, ImportReport, ImportStatus } from './client.ts';

export interface ImportFile {
  /** A CSV file with an Email column and one column per data field, `bytes` long. */
  path: string;
  bytes: number;
  /** The file name Dotdigital shows for the import. */
  name: string;
  mergeOption: 'Overwrite' | 'OnlyOverwriteIfNotEmpty' | 'OnlyOverwriteIfContactDataNotPopulated';
  addressBookId?: number;
}

export interface StartOptions {
  /** False: a busy account's refusal is thrown at once. */
  waitWhileBusy?: boolean;
  /** Once aborted, a busy account's refusal is thrown rather than waited out. */
  signal?: AbortSignal;
}

/** A contact the import refused, with Dotdigital's reason ("Hard bounced", "Invalid Entries"...). */
export interface ImportFault {
  email: string;
  reason: string;
}

export interface ContactImporter {
  /**
   * Starts an import; returns its id. While the account has 25 active imports it waits, unless told not to
   * or stopped: then it throws the refusal (code ERROR_IMPORT_TOOMANYACTIVEIMPORTS).
   */
  start(file: ImportFile, options?: StartOptions): Promise<string>;
  status(id: string): Promise<ImportStatus>;
  /** The import's counts (new, updated, suppressed...), when Dotdigital gives them. */
  report(id: string): Promise<ImportReport>;
  /** The contacts the import refused. Throws when the fault report cannot be read. */
  faults(id: string): Promise<ImportFault[]>;
}

/** API v2: a CSV file posted as JSON file media (`{fileName, data: base64}`), its fault report read as CSV. */
export class V2FileImporter implements ContactImporter {
  constructor(private readonly client: DotdigitalClient) {}

  async start(file: ImportFile, options: StartOptions = {}): Promise<string> {
    const { id } = await this.client.startImport({ path: file.path, bytes: file.bytes }, file.name, file.mergeOption, file.addressBookId, options.waitWhileBusy === false ? 0 : undefined, options.signal);
    return id;
  }

  async status(id: string): Promise<ImportStatus> {
    return (await this.client.importStatus(id)).status;
  }

  report(id: string): Promise<ImportReport> {
    return this.client.importReport(id);
  }

  /**
   * The fault report: a CSV file that starts with a byte-order mark, with the columns Reason, email, then
   * those of the imported file (Oro's DotmailerBundle fixture importFaults.csv; Dotdigital's Magento
   * extension, ImporterReportHandler.php, strips the BOM). Column names are matched in any case.
   */
  async faults(id: string): Promise<ImportFault[]> {
    const rows = parse(await this.client.importFaults(id), { columns: true, skip_empty_lines: true, bom: true }) as Record<string, string>[];
    const column = (row: Record<string, string>, name: string) => Object.entries(row).find(([k]) => k.toLowerCase() === name)?.[1];
    return rows.map((row) => ({ email: (column(row, 'email') ?? '').trim(), reason: column(row, 'reason') ?? 'rejected by Dotdigital' }));
  }
}
