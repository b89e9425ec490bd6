/** Runs one EmarsysSalesWriteback: Domo export -> formatted, deduplicated lines -> Emarsys, exactly once. */
import { describeError, HttpError } from '../errors/index.ts';
import type { EmarsysSalesDefinition } from '../definitions/types.ts';
import { parseDuration } from '../definitions/duration.ts';
import { EMARSYS_DEFAULT_URL, EmarsysSalesClient } from '../destinations/emarsys/client.ts';
import { deliverParts } from '../destinations/emarsys/delivery.ts';
import { scanSalesExport } from '../destinations/emarsys/sales-export.ts';
import { HttpClient } from '../http/client.ts';
import { isoUtc } from '../pipeline/values.ts';
import type { RunReport } from '../reports/run-report.ts';
import { domoClientFor, exportWithRetries } from '../sources/domo/export.ts';
import type { JobState } from '../state/job-state.ts';
import type { StateStore } from '../state/store.ts';
import type { JobContext } from './context.ts';
import { formatWorkers, httpSettings } from '../settings.ts';
import { heldAction, heldReport } from './held.ts';
import { failOnTooManyRejects, writeDryRunFiles } from './job-steps.ts';
import { count as n } from '../reports/count.ts';


export async function runEmarsysSalesJob(
  ctx: JobContext<EmarsysSalesDefinition>,
  store: StateStore,
  state: JobState,
  report: RunReport,
): Promise<void> {
  const { definition, env, secrets, redactor } = ctx;
  const spec = definition.spec;
  const name = definition.metadata.name;
  if (state.pending || state.held) return heldReport(report, state, name);

  // Every secret resolves before any data moves.
  const domo = domoClientFor(spec.source, name, secrets, env, redactor);
  const merchantId = secrets.resolve(name, spec.destination.emarsysSales.merchantId);
  const token = secrets.resolve(name, spec.destination.emarsysSales.token);

  const settings = httpSettings(env);
  const emarsys = new EmarsysSalesClient(
    new HttpClient({ service: 'Emarsys', baseUrl: env.EMARSYS_SALES_API_URL || EMARSYS_DEFAULT_URL, redactor, ...settings }),
    merchantId,
    token,
  );

  const datasetId = spec.source.domo.datasetId;
  const lookbackMs = spec.delivery?.lookback ? parseDuration(spec.delivery.lookback)! : 0;
  const windowStart = spec.delivery?.cursor && state.cursor ? Date.parse(state.cursor) - lookbackMs : undefined;
  if (spec.delivery?.cursor) {
    report.window = { cursor: spec.delivery.cursor, previousCursor: state.cursor, readFrom: windowStart === undefined ? undefined : isoUtc(windowStart) };
  }
  const ledger = store.loadLedger(state.segments);

  let workers = 0;
  const scan = await exportWithRetries({
    domo,
    datasetId,
    onInfo: (info) => {
      report.source = { datasetId, datasetName: info.name, rowsAnnounced: info.rows, updatedAt: info.updatedAt };
      workers = formatWorkers(env, info.rows);
      ctx.log(`${name}: exporting "${info.name}" (${n(info.rows)} rows announced${workers ? `; formatting in ${workers} worker threads` : ''})`);
    },
    consume: (csv, info) => scanSalesExport(csv, { spec, ledger, windowStart, expectedRows: info.rows, workers, maxPartBytes: settings.emarsysMaxUploadBytes, progress: (rows) => ctx.log(`${name}:   ${n(rows)} rows read`) }),
    log: (line) => ctx.log(`${name}: ${line}`),
  });

  const parts = scan.spool.parts;
  const toSend = scan.spool.lines;
  report.rows = { read: scan.read, sent: 0, rejected: scan.rejected, skipped: scan.alreadyDelivered + scan.beforeWindow + scan.duplicateInExport };
  report.skipped = { alreadyDelivered: scan.alreadyDelivered, beforeWindow: scan.beforeWindow, duplicateInExport: scan.duplicateInExport };
  report.rejects = scan.rejects;
  if (scan.rejected > scan.rejects.length) report.rejectsOmitted = scan.rejected - scan.rejects.length;

  try {
    if (failOnTooManyRejects(report, scan.rejected, scan.read - scan.beforeWindow, spec.rejects?.maxRatio)) return;
    if (toSend === 0) {
      report.status = 'succeeded';
      report.message = `Nothing new to send: ${n(scan.read)} rows read, ${n(report.rows.skipped)} skipped, ${n(scan.rejected)} rejected.`;
      return;
    }
    if (ctx.options.dryRun) {
      const dir = writeDryRunFiles(ctx.root, name, ctx.runId, parts, report);
      report.message = `Dry run: would send ${n(toSend)} lines in ${parts.length} upload(s); files written to ${dir}. No state changed.`;
      return;
    }

    ctx.log(`${name}: sending ${n(toSend)} lines in ${parts.length} upload(s)`);
    const outcome = await deliverParts({ runId: ctx.runId, parts, state, store, client: emarsys, now: ctx.now, log: ctx.log, journal: ctx.journal });
    report.uploads = outcome.uploads;
    report.rows.sent = outcome.sent;
    if (outcome.kind === 'unknown') {
      state.held = { since: ctx.now().toISOString(), runId: ctx.runId, reason: outcome.error.message };
      store.save(state);
      report.status = 'held';
      report.message = `Upload ${state.pending!.part} of ${parts.length} (${n(state.pending!.lines)} lines) got no answer: ${outcome.error.message}. ${n(outcome.sent)} lines were accepted before it. The job is held and sends nothing until a person decides.`;
      report.action = heldAction(state, name);
      return;
    }
    if (outcome.kind === 'rejected') {
      report.status = 'failed';
      report.error = errorInfo(outcome.error);
      report.message = `Emarsys refused upload ${outcome.uploads.length} of ${parts.length}: ${outcome.error.message}. ${n(outcome.sent)} lines were accepted before it; the rest will be sent by the next run.`;
      return;
    }
    // Only a fully delivered run moves the cursor: lines of a failed part must stay inside the window.
    if (scan.maxCursor !== undefined && (!state.cursor || scan.maxCursor > Date.parse(state.cursor))) state.cursor = isoUtc(scan.maxCursor);
    pruneLedger(store, state, lookbackMs, Boolean(spec.delivery?.cursor));
    store.save(state);
    if (report.window) report.window.newCursor = state.cursor;
    report.status = 'succeeded';
    report.message = `Sent ${n(outcome.sent)} lines in ${parts.length} upload(s); ${n(report.rows.skipped)} rows skipped, ${n(scan.rejected)} rejected.`;
  } finally {
    scan.spool.dispose();
  }
}

/** Drops ledger segments whose lines are all older than the window: those rows are never read again. */
function pruneLedger(store: StateStore, state: JobState, lookbackMs: number, hasCursor: boolean): void {
  if (!hasCursor || !state.cursor) return;
  const windowStart = Date.parse(state.cursor) - lookbackMs;
  state.segments = state.segments.filter((segment) => {
    const keep = segment.maxCursor === undefined || Date.parse(segment.maxCursor) >= windowStart;
    if (!keep) store.deleteSegment(segment.file);
    return keep;
  });
}

export function errorInfo(error: unknown): RunReport['error'] {
  if (error instanceof HttpError) return { message: error.message, service: error.service, status: error.status, traceId: error.traceId };
  return { message: describeError(error) };
}

