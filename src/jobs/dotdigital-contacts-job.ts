/**
 * Runs one DotdigitalContactsWriteback: Domo export -> contacts formatted per data field type -> bulk
 * imports, polled to the end, with rejected contacts read back from the fault report. Contact imports are
 * idempotent upserts by email, so a retried import does no harm; changedOnly keeps unchanged contacts out,
 * and contacts refused for a lasting reason stay out while they are unchanged.
 */
import { describeError, WritebackError } from '../errors/index.ts';
import type { DotdigitalContactsDefinition } from '../definitions/types.ts';
import { connectDotdigital, type ImportStatus } from '../destinations/dotdigital/client.ts';
import { scanContactsExport, type ContactsScanResult } from '../destinations/dotdigital/contacts-export.ts';
import { assertNoProblems, resolveFields } from '../destinations/dotdigital/fields.ts';
import { ContactFingerprints } from '../destinations/dotdigital/fingerprints.ts';
import { V2FileImporter, type ContactImporter } from '../destinations/dotdigital/importer.ts';
import { lastingReason, RefusedContacts } from '../destinations/dotdigital/refused.ts';
import { backoffMs, sleep } from '../http/retry.ts';
import type { SpoolPart } from '../pipeline/spool.ts';
import { MAX_REJECTS_LISTED, type RunReport } from '../reports/run-report.ts';
import { describeRows, domoClientFor, exportWithRetries, sourceReport } from '../sources/domo/export.ts';
import { hashKey } from '../state/key-hash.ts';
import type { JobState } from '../state/job-state.ts';
import type { StateStore } from '../state/store.ts';
import type { JobContext } from './context.ts';
import { httpSettings } from '../settings.ts';
import { failOnTooManyRejects, writeDryRunFiles } from './job-steps.ts';
import { count as n } from '../reports/count.ts';
import { personalFields } from '../reports/personal-data.ts';
import { PERSONAL_FIELDS } from '../destinations/dotdigital/fields.ts';

const FAILED_STATUS: Partial<Record<ImportStatus, string>> = {
  RejectedByWatchdog: "Dotdigital's watchdog rejected the import (it looks like a purchased or low-quality list); contact Dotdigital support to review it",
  Failed: 'Dotdigital reports the import as failed',
  InvalidFileFormat: 'Dotdigital could not read the import file (InvalidFileFormat)',
  ExceedsAllowedContactLimit: "the import would exceed the account's contact limit (ExceedsAllowedContactLimit); raise the limit or import fewer contacts",
  Unknown: 'Dotdigital reports the import status as Unknown',
};

export async function runDotdigitalContactsJob(ctx: JobContext<DotdigitalContactsDefinition>, store: StateStore, _state: JobState, report: RunReport): Promise<void> {
  const { definition, env, secrets, redactor } = ctx;
  const { spec } = definition;
  const name = definition.metadata.name;
  const target = spec.destination.dotdigital;

  // Every secret resolves before any data moves.
  const domo = domoClientFor(spec.source, name, secrets, env, redactor);
  const { client: dd, endpoint } = await connectDotdigital(target, name, secrets, env, redactor);
  const importer: ContactImporter = new V2FileImporter(dd);
  report.destination = { endpoint: endpoint.url, how: endpoint.how };
  const settings = httpSettings(env);

  const resolution = resolveFields(spec, await dd.dataFields());
  assertNoProblems(resolution);
  const previous = spec.delivery?.changedOnly ? ContactFingerprints.load(store.dir) : undefined;
  const refused = RefusedContacts.load(store.dir);

  const datasetId = spec.source.domo.datasetId;
  const scan: ContactsScanResult = await exportWithRetries({
    domo,
    datasetId,
    onInfo: (info, expected) => {
      report.source = sourceReport(info, expected);
      ctx.log(`${name}: exporting "${info.name}" (${describeRows(expected)})`);
    },
    consume: (csv) => scanContactsExport(csv, { emailColumn: spec.mapping.email, fields: resolution.fields, previous, refused, personal: personalFields(spec.personalData, PERSONAL_FIELDS), maxPartBytes: settings.dotdigitalMaxFileBytes }),
    log: (line) => ctx.log(`${name}: ${line}`),
  });

  try {
    const parts = scan.spool.parts;
    const toSend = scan.spool.lines;
    report.rows = { read: scan.read, sent: 0, rejected: scan.rejected, skipped: scan.unchanged + scan.duplicateInExport };
    report.skipped = { alreadyDelivered: scan.unchanged, beforeWindow: 0, duplicateInExport: scan.duplicateInExport };
    report.rejects = scan.rejects;

    // Contacts refused before count as rejected, but they are Dotdigital's verdict, not bad data.
    if (failOnTooManyRejects(report, scan.rejected - scan.refusedBefore, scan.read - scan.refusedBefore, spec.rejects?.maxRatio)) return;
    if (ctx.options.dryRun) {
      const dir = writeDryRunFiles(ctx.root, name, ctx.runId, parts, report);
      report.message = `Dry run: would create ${resolution.toCreate.length} data field(s) and import ${n(toSend)} contacts in ${parts.length} file(s), written to ${dir}. No state changed.`;
      return;
    }

    for (const field of resolution.toCreate) {
      try {
        await dd.createDataField(field.name, field.type);
      } catch (error) {
        // Created meanwhile by someone else: the field is there, which is all we need.
        if ((error as { code?: string }).code !== 'ERROR_NON_UNIQUE_DATAFIELD') throw error;
      }
      ctx.log(`${name}: created data field ${field.name} (${field.type})`);
    }
    if (resolution.toCreate.length) report.fieldsCreated = resolution.toCreate.map((f) => f.name);

    report.imports = [];
    for (const part of parts) {
      if (ctx.signal?.aborted) {
        // Contacts of earlier imports are recorded below only for a finished run: the next run imports them again (an upsert).
        report.status = 'failed';
        report.message = `Stopped by ${String(ctx.signal.reason)} after ${part.index - 1} of ${parts.length} import(s); the next run imports the rest.`;
        return;
      }
      const outcome = await importPart(ctx, importer, part, report, refused);
      if (outcome.failure) {
        report.status = 'failed';
        report.message = `Import ${part.index} of ${parts.length} (${n(part.lines)} contacts) ended ${outcome.status}: ${outcome.failure}. ${n(report.rows.sent)} contacts were imported before it.`;
        report.action = outcome.status === 'RejectedByWatchdog' ? 'Ask Dotdigital support to review the import; the job retries it at its next run.' : undefined;
        return;
      }
      report.rows.sent += part.lines - outcome.faulted.size;
      report.rows.rejected += outcome.faulted.size;
      if (previous && outcome.faultsKnown) {
        const fingerprints = part.fingerprints();
        const extras = part.extras();
        for (let i = 0; i < part.lines; i++) {
          const hi = fingerprints[i * 2]!;
          const lo = fingerprints[i * 2 + 1]!;
          if (!outcome.faulted.has(`${hi}:${lo}`)) previous.set(hi, lo, extras[i * 2]!);
        }
      }
    }
    if (scan.present) {
      refused.retain(scan.present);
      if (previous) {
        previous.retain(scan.present);
        previous.save(store.dir);
      }
    }
    if (refused.changed) refused.save(store.dir);
    report.status = 'succeeded';
    const refusals = scan.refusedBefore ? `, ${n(scan.refusedBefore)} of them refused by Dotdigital before and not sent again` : '';
    report.message = toSend
      ? `Imported ${n(report.rows.sent)} contacts in ${parts.length} file(s) through ${endpoint.url}; ${n(report.rows.skipped)} unchanged or repeated, ${n(report.rows.rejected)} rejected${refusals}.`
      : `Nothing new to send: ${n(scan.read)} rows read, ${n(report.rows.skipped)} unchanged or repeated, ${n(scan.rejected)} rejected${refusals}.`;
  } finally {
    scan.dispose();
  }
}

interface PartOutcome {
  status: ImportStatus;
  failure?: string;
  /** Email fingerprints ("hi:lo") of contacts the fault report rejected. */
  faulted: Set<string>;
  faultsKnown: boolean;
}

async function importPart(ctx: JobContext, importer: ContactImporter, part: SpoolPart, report: RunReport, refused: RefusedContacts): Promise<PartOutcome> {
  const { definition, runId } = ctx;
  const target = (definition as DotdigitalContactsDefinition).spec.destination.dotdigital;
  const id = await importer.start({ path: part.path, name: `${definition.metadata.name}-${runId}-${part.index}.csv`, mergeOption: target.mergeOption ?? 'OnlyOverwriteIfNotEmpty', addressBookId: target.addressBookId });
  const record: NonNullable<RunReport['imports']>[number] = { part: part.index, id, lines: part.lines, status: 'NotFinished' };
  report.imports!.push(record);
  ctx.log(`${definition.metadata.name}: import ${part.index} (${n(part.lines)} contacts) started as ${id}`);

  const status = await waitForImport(importer, id, httpSettings(ctx.env));
  record.status = status;
  const failure = FAILED_STATUS[status] ?? (status === 'Finished' ? undefined : `unexpected status ${status}`);
  if (failure) return { status, failure, faulted: new Set(), faultsKnown: false };

  const counts = await importer.report(id).catch(() => undefined);
  if (counts) record.report = Object.fromEntries(Object.entries(counts).filter(([, v]) => typeof v === 'number')) as Record<string, number>;
  const faulted = new Set<string>();
  try {
    const faults = await importer.faults(id);
    const pair = new Uint32Array(2);
    const lines = faults.length ? linesByEmail(part.fingerprints()) : new Map<string, number>();
    const extras = faults.length ? part.extras() : new Uint32Array(0);
    for (const fault of faults) {
      hashKey(fault.email.toLowerCase(), pair);
      const [hi, lo] = [pair[0]!, pair[1]!];
      faulted.add(`${hi}:${lo}`);
      const line = lines.get(`${hi}:${lo}`) ?? -1;
      const lasting = lastingReason(fault.reason);
      if (lasting !== undefined && line >= 0) refused.set(hi, lo, extras[line * 2]!, lasting);
      const reason = `Dotdigital: ${fault.reason}${lasting === undefined ? '' : ' (lasting: not sent again while the contact is unchanged)'}`;
      if ((report.rejects ??= []).length < MAX_REJECTS_LISTED) report.rejects.push({ row: line >= 0 ? extras[line * 2 + 1]! : 0, field: 'contact', column: 'email', reason });
    }
    record.faults = faults.length;
    return { status, faulted, faultsKnown: true };
  } catch (error) {
    // Without the fault report it is unknown which contacts failed: none is marked delivered, so changed-only
    // runs import them again next time (an idempotent upsert).
    report.warnings = [...(report.warnings ?? []), `the fault report of import ${id} was unavailable (${describeError(error)}); its contacts will be imported again next run`];
    return { status, faulted, faultsKnown: false };
  }
}

/** A part's line numbers by email fingerprint ("hi:lo"), read once for all of an import's faults. */
function linesByEmail(fingerprints: Uint32Array): Map<string, number> {
  const lines = new Map<string, number>();
  for (let i = 0; i * 2 < fingerprints.length; i++) lines.set(`${fingerprints[i * 2]}:${fingerprints[i * 2 + 1]}`, i);
  return lines;
}

/** Polls with backoff until the import is no longer NotFinished. */
async function waitForImport(importer: ContactImporter, id: string, settings: ReturnType<typeof httpSettings>): Promise<ImportStatus> {
  const started = Date.now();
  for (let attempt = 1; ; attempt++) {
    const status = await importer.status(id);
    if (status !== 'NotFinished') return status;
    if (Date.now() - started > settings.dotdigitalImportTimeoutMs) {
      throw new WritebackError(`import ${id} was still NotFinished after ${Math.round(settings.dotdigitalImportTimeoutMs / 60_000)} minutes; the next run imports the contacts again`);
    }
    await sleep(Math.min(backoffMs(attempt, settings.retryBaseMs), 30_000));
  }
}
