/**
 * One run of a Dotdigital contacts job (the skeleton's steps, see jobs/destination.ts): open connects and
 * resolves the data fields, the scan formats contacts per field type (leaving out unchanged ones and those
 * refused for a lasting reason), and deliver creates missing fields and imports the files, reading back
 * what each import refused. Contact imports are idempotent upserts by email: a retried import does no harm.
 */
import type { Readable } from 'node:stream';
import { describeError, WritebackError } from '../../errors/index.ts';
import { backoffMs, sleep } from '../../http/retry.ts';
import type { JobContext } from '../../jobs/context.ts';
import type { DestinationSession, RunMode, Scan } from '../../jobs/destination.ts';
import type { ColumnCheck, FieldNeed, JobPlan } from '../../plan/job-plan.ts';
import type { SpoolPart } from '../../pipeline/spool.ts';
import { count as n } from '../../reports/count.ts';
import { personalFields } from '../../reports/personal-data.ts';
import { errorInfo, MAX_REJECTS_LISTED, sentence } from '../../reports/run-report.ts';
import { httpSettings } from '../../settings.ts';
import type { JobState } from '../../state/job-state.ts';
import { hashKey } from '../../state/key-hasher.ts';
import { FingerprintSet } from '../../state/fingerprint-tables.ts';
import type { StateStore } from '../../state/store.ts';
import { connectDotdigital, type ImportStatus } from './client.ts';
import { contactColumns } from './columns.ts';
import { scanContactsExport, type ContactsScanResult } from './contacts-scanner.ts';
import { PERSONAL_FIELDS, resolveFields, type FieldResolution } from './fields.ts';
import { CONTACTS_FILE, ContactFingerprints, contactsFileWarning } from './fingerprints.ts';
import { ImportUploads } from './import-uploads.ts';
import { V2FileImporter, type ContactImporter } from './importer.ts';
import { lastingReason, RefusedContacts } from './refused.ts';
import type { ContactsReport } from './report.ts';
import type { ExpectedRows } from '../../sources/domo/export.ts';
import type { DotdigitalContactsDefinition } from './spec.ts';

const FAILED_STATUS: Partial<Record<ImportStatus, string>> = {
  RejectedByWatchdog: "Dotdigital's watchdog rejected the import (it looks like a purchased or low-quality list); contact Dotdigital support to review it",
  Failed: 'Dotdigital reports the import as failed',
  InvalidFileFormat: 'Dotdigital could not read the import file (InvalidFileFormat)',
  ExceedsAllowedContactLimit: "the import would exceed the account's contact limit (ExceedsAllowedContactLimit); raise the limit or import fewer contacts",
  Unknown: 'Dotdigital reports the import status as Unknown',
};

/** The largest import file (CSV bytes): 50 MB per request at Dotdigital, and base64 adds a third, so 35 MB stays under it. */
const maxFileBytes = (env: NodeJS.ProcessEnv) => positive(env.WRITEBACK_DOTDIGITAL_MAX_FILE_BYTES) ?? 35 * 1024 * 1024;
/** How long an import may stay NotFinished before the run fails. */
const importTimeoutMs = (env: NodeJS.ProcessEnv) => positive(env.WRITEBACK_DOTDIGITAL_IMPORT_TIMEOUT_MS) ?? 60 * 60_000;
const positive = (text: string | undefined) => (Number(text) > 0 ? Number(text) : undefined);

/** A failed or stopped run saves no changed-only state. */
const NOTHING_RECORDED = 'Nothing is recorded: the next run imports every contact again, an upsert that does no harm.';

const NEED: Record<string, FieldNeed> = { String: 'text', Numeric: 'number', Date: 'time', Boolean: 'boolean' };

interface ContactsScan extends Scan {
  contacts: ContactsScanResult;
}

export async function openContacts(ctx: JobContext<DotdigitalContactsDefinition>, store: StateStore, _state: JobState, mode: RunMode): Promise<DestinationSession<ContactsReport, ContactsScan>> {
  const { definition, env } = ctx;
  const { spec } = definition;
  const name = definition.metadata.name;
  const target = spec.destination.dotdigital;
  const { client: dd, endpoint } = await connectDotdigital(target, name, ctx.secrets, env, ctx.redactor);
  const importer: ContactImporter = new V2FileImporter(dd);
  const resolution: FieldResolution = resolveFields(spec, await dd.dataFields());
  // Loaded by the scan while its worker threads start, rather than before the export is asked for.
  let loaded: ContactFingerprints | undefined;
  const loadPrevious = spec.delivery?.changedOnly ? () => (loaded ??= ContactFingerprints.load(store.dir)) : undefined;
  const refused = RefusedContacts.load(store.dir);
  // A plan's rejects go into pull-request comments: masked whatever the definition says.
  const personal = personalFields(mode === 'plan' ? { ...spec.personalData, mask: true } : spec.personalData, PERSONAL_FIELDS);
  const types = new Map(resolution.fields.map((f) => [f.name.toUpperCase(), f.type]));

  const damaged = loadPrevious && contactsFileWarning(store.dir, `state/${name}/${CONTACTS_FILE}`);
  return {
    warnings: damaged ? [damaged] : undefined,
    refusal: resolution.problems.length ? `${resolution.problems.join('; ')}.` : undefined,
    reportFields: { destination: { endpoint: endpoint.url, how: endpoint.how } },
    columns: (): ColumnCheck[] => contactColumns(definition).map((c) => (c.field === 'email' ? c : { ...c, need: NEED[types.get(c.field.toUpperCase()) ?? 'String'] })),

    async scan(csv: Readable, expected: ExpectedRows, workers: number): Promise<ContactsScan> {
      const contacts = await scanContactsExport(csv, { emailColumn: spec.mapping.email, fields: resolution.fields, previous: loadPrevious, refused, personal, maxPartBytes: maxFileBytes(env), expectedRows: expected.rows, workers });
      return {
        contacts,
        read: contacts.read,
        rejected: contacts.rejected,
        rejects: contacts.rejects,
        skipped: { unchanged: contacts.unchanged, duplicateInExport: contacts.duplicateInExport },
        // Contacts refused before count as rejected, but they are Dotdigital's verdict, not bad data.
        gate: { rejected: contacts.rejected - contacts.refusedBefore, considered: contacts.read - contacts.refusedBefore },
        parts: contacts.spool.parts,
        toSend: contacts.spool.lines,
        dispose: () => contacts.dispose(),
      };
    },

    describe(plan: JobPlan): void {
      plan.actions.push(...resolution.toCreate.map((f) => `create data field ${f.name} (${f.type})`));
      if (resolution.toCreate.length) plan.actionsSummary = `${resolution.toCreate.length} data field${resolution.toCreate.length === 1 ? '' : 's'} to create`;
    },

    dryRunNote: () => (resolution.toCreate.length ? `create ${resolution.toCreate.length} data field(s)` : undefined),

    async deliver(scan: ContactsScan, report: ContactsReport): Promise<void> {
      const { contacts } = scan;
      const previous = loadPrevious?.(); // loaded by the scan already
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

      // Contacts that left the DataSet are forgotten now, before this run's are recorded (they are all in it):
      // the export's table of contacts the state did not hold (11 MB for 1M) can then go before the state makes room for them.
      if (contacts.present) {
        refused.retain(contacts.present);
        // When the export still holds every contact of the state (most runs), there is nothing to forget: no lookup per contact.
        if (previous && contacts.previousPresent < previous.size) previous.retainSeen();
        contacts.present = undefined;
      }
      const parts = scan.parts;
      previous?.expectRecords(scan.toSend);
      report.imports = [];
      const uploads = new ImportUploads(parts.length, (k, ahead) => startImport(ctx, importer, parts[k]!, report, ahead), ctx.signal);
      try {
        for (const [k, part] of parts.entries()) {
          const started = await uploads.take(k);
          if (!started) {
            // The state is saved only for a finished run: the next run imports every contact again (an upsert).
            const meanwhile = (await uploads.uploadedMeanwhile()) ? ` Import ${part.index} was uploaded meanwhile.` : '';
            report.status = 'failed';
            report.message = `Stopped by ${String(ctx.signal?.reason)} after ${k} of ${parts.length} import(s).${meanwhile} ${NOTHING_RECORDED}`;
            return;
          }
          const outcome = await finishImport(importer, started, ctx.env, report, refused);
          if (outcome.failure) {
            report.status = 'failed';
            report.message = `Import ${part.index} of ${parts.length} (${n(part.lines)} contacts) ended ${outcome.status}: ${outcome.failure}. ${n(report.rows.sent)} contacts were imported before it.${(await uploads.uploadedMeanwhile()) ? ` Import ${part.index + 1} had started meanwhile; it is an upsert, so importing its contacts again next run does no harm.` : ''}`;
            report.action = outcome.status === 'RejectedByWatchdog' ? 'Ask Dotdigital support to review the import; the job retries it at its next run.' : undefined;
            return;
          }
          report.rows.sent += part.lines - outcome.faulted.size;
          report.rows.rejected += outcome.faulted.size;
          // Read in chunks: a part's two arrays whole are 9 MB at 586,000 contacts, at the run's peak.
          if (previous && outcome.faultsKnown) {
            const extraChunks = part.extraChunks()[Symbol.iterator]();
            try {
              for (const fingerprints of part.fingerprintChunks()) {
                const extras = extraChunks.next().value as Uint32Array | undefined; // as many lines as the fingerprints' chunk
                if (extras?.length !== fingerprints.length) throw new Error(`the spool of import ${part.index} has fewer values than contacts: ${part.path}`);
                for (let i = 0; i < fingerprints.length; i += 2) {
                  const hi = fingerprints[i]!;
                  const lo = fingerprints[i + 1]!;
                  if (!outcome.faulted.has(hi, lo)) previous.record(hi, lo, extras[i]!);
                }
              }
            } finally {
              extraChunks.return?.(); // closes its file
            }
          }
          uploads.finished(k);
        }
      } catch (error) {
        await uploads.settle();
        const unfollowed = report.imports.filter((i) => i.status === 'NotFinished').map((i) => i.part);
        // No import taken and left unfollowed (an upload that failed is not listed: the engine's message stands).
        if (!unfollowed.length) throw error;
        report.status = 'failed';
        report.error = errorInfo(error);
        const files = unfollowed.length === 1 ? `Import ${unfollowed[0]} was uploaded and its outcome is unknown` : `Imports ${unfollowed.join(', ')} were uploaded and their outcome is unknown`;
        report.message = `${sentence(describeError(error))} ${files}; ${n(report.rows.sent)} contacts were imported before. ${NOTHING_RECORDED}`;
        return;
      } finally {
        await uploads.settle();
      }
      previous?.saveIfChanged(store.dir);
      if (refused.changed) refused.save(store.dir);
      report.status = 'succeeded';
      const refusals = contacts.refusedBefore ? `, ${n(contacts.refusedBefore)} of them refused by Dotdigital before and not sent again` : '';
      report.message = scan.toSend
        ? `Imported ${n(report.rows.sent)} contacts in ${parts.length} file(s) through ${endpoint.url}; ${n(report.rows.skipped)} unchanged or repeated, ${n(report.rows.rejected)} rejected${refusals}.`
        : `Nothing new to send: ${n(scan.read)} rows read, ${n(report.rows.skipped)} unchanged or repeated, ${n(scan.rejected)} rejected${refusals}.`;
    },
  };
}

interface PartOutcome {
  status: ImportStatus;
  failure?: string;
  /** Email fingerprints of contacts the fault report rejected. */
  faulted: FingerprintSet;
  faultsKnown: boolean;
}

interface StartedImport {
  id: string;
  part: SpoolPart;
  record: NonNullable<ContactsReport['imports']>[number];
}

/** Uploads a part as an import (ahead of its turn: without waiting while the account is busy); it is listed in the report once Dotdigital took it. */
async function startImport(ctx: JobContext<DotdigitalContactsDefinition>, importer: ContactImporter, part: SpoolPart, report: ContactsReport, ahead: boolean): Promise<StartedImport> {
  const { definition, runId } = ctx;
  const target = definition.spec.destination.dotdigital;
  const id = await importer.start({ path: part.path, bytes: part.bytes, name: `${definition.metadata.name}-${runId}-${part.index}.csv`, mergeOption: target.mergeOption ?? 'OnlyOverwriteIfNotEmpty', addressBookId: target.addressBookId }, { waitWhileBusy: !ahead, signal: ctx.signal });
  const record: NonNullable<ContactsReport['imports']>[number] = { part: part.index, id, lines: part.lines, status: 'NotFinished' };
  report.imports!.push(record);
  ctx.log(`${definition.metadata.name}: import ${part.index} (${n(part.lines)} contacts) started as ${id}`);
  return { id, part, record };
}

/** Waits for an import to end and reads what it refused. */
async function finishImport(importer: ContactImporter, { id, part, record }: StartedImport, env: NodeJS.ProcessEnv, report: ContactsReport, refused: RefusedContacts): Promise<PartOutcome> {
  const status = await waitForImport(importer, id, env);
  record.status = status;
  const failure = FAILED_STATUS[status] ?? (status === 'Finished' ? undefined : `unexpected status ${status}`);
  if (failure) return { status, failure, faulted: new FingerprintSet(), faultsKnown: false };

  const counts = await importer.report(id).catch(() => undefined);
  if (counts) record.report = Object.fromEntries(Object.entries(counts).filter(([, v]) => typeof v === 'number')) as Record<string, number>;
  const faulted = new FingerprintSet();
  try {
    const faults = await importer.faults(id);
    const pair = new Uint32Array(2);
    const lines = faults.length ? linesByEmail(part.fingerprints()) : new Map<string, number>();
    const extras = faults.length ? part.extras() : new Uint32Array(0);
    for (const fault of faults) {
      hashKey(fault.email.toLowerCase(), pair);
      const [hi, lo] = [pair[0]!, pair[1]!];
      faulted.add(hi, lo);
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
async function waitForImport(importer: ContactImporter, id: string, env: NodeJS.ProcessEnv): Promise<ImportStatus> {
  const started = Date.now();
  const timeout = importTimeoutMs(env);
  const { retryBaseMs } = httpSettings(env);
  for (let attempt = 1; ; attempt++) {
    const status = await importer.status(id);
    if (status !== 'NotFinished') return status;
    if (Date.now() - started > timeout) {
      throw new WritebackError(`import ${id} was still NotFinished after ${Math.round(timeout / 60_000)} minutes; the next run imports the contacts again`);
    }
    await sleep(Math.min(backoffMs(attempt, retryBaseMs), 30_000));
  }
}
