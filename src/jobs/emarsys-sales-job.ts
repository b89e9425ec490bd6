/** Runs one EmarsysSalesWriteback: Domo export -> formatted, deduplicated lines -> Emarsys, exactly once. */
import { describeError, HttpError, WritebackError } from '../errors/index.ts';
import { definitionHash } from '../definitions/hash.ts';
import type { EmarsysSalesDefinition } from '../definitions/types.ts';
import { parseDuration } from '../definitions/duration.ts';
import { connectEmarsys, ledgerVerdict, scanSales } from '../destinations/emarsys/connect.ts';
import { deliverParts } from '../destinations/emarsys/delivery.ts';
import { ledgerMisfit, pruneSegments } from '../destinations/emarsys/ledger.ts';
import { isoUtc } from '../pipeline/values.ts';
import type { RunReport } from '../reports/run-report.ts';
import { describeRows, domoClientFor, sourceReport } from '../sources/domo/export.ts';
import type { JobState } from '../state/job-state.ts';
import type { StateStore } from '../state/store.ts';
import type { JobContext } from './context.ts';
import { heldAction, heldReport } from './held.ts';
import { failOnTooManyRejects, writeDryRunFiles } from './job-steps.ts';
import { count as n } from '../reports/count.ts';

/** The ledger cannot be trusted for this definition: nothing is read or sent until a person fixes it. */
export class LedgerMismatchError extends WritebackError {
  override name = 'LedgerMismatchError';
}

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
  const { client: emarsys, merchantId } = connectEmarsys(spec, name, secrets, env, redactor);

  const check = ledgerVerdict(ctx.root, name, spec, state, merchantId, env, definitionHash(definition), ctx.now().getTime());
  if (check.warnings.length) report.warnings = [...(report.warnings ?? []), ...check.warnings];
  for (const warning of check.warnings) ctx.log(`${name}: warning: ${warning}`);
  if (check.problems.length) throw new LedgerMismatchError(`Refused to deliver: ${check.problems.join(' ')}`);
  const datasetId = spec.source.domo.datasetId;
  if (spec.delivery?.cursor) {
    report.window = { cursor: spec.delivery.cursor, previousCursor: state.cursor, readFrom: check.windowStart === undefined ? undefined : isoUtc(check.windowStart) };
  }
  const ledger = store.loadLedger(state.segments);

  const scan = await scanSales({
    domo,
    spec,
    env,
    check,
    ledger,
    onInfo: (info, expected, workers) => {
      report.source = sourceReport(info, expected);
      ctx.log(`${name}: exporting "${info.name}" (${describeRows(expected)}${workers ? `; formatting in ${workers} worker threads` : ''})`);
    },
    log: (line) => ctx.log(`${name}: ${line}`),
  });

  const parts = scan.spool.parts;
  const toSend = scan.spool.lines;
  report.rows = { read: scan.read, sent: 0, rejected: scan.rejected, skipped: scan.alreadyDelivered + scan.beforeWindow + scan.duplicateInExport };
  report.skipped = { alreadyDelivered: scan.alreadyDelivered, beforeWindow: scan.beforeWindow, duplicateInExport: scan.duplicateInExport };
  report.rejects = scan.rejects;
  if (scan.rejected > scan.rejects.length) report.rejectsOmitted = scan.rejected - scan.rejects.length;

  try {
    const misfit = ledgerMisfit(name, state, scan);
    if (misfit) throw new LedgerMismatchError(`Refused to deliver: ${misfit}`);
    if (failOnTooManyRejects(report, scan.rejected, scan.read - scan.beforeWindow, spec.rejects?.maxRatio)) return;
    // The meaning is recorded before the first upload: the intent written below carries it.
    if (!ctx.options.dryRun) {
      state.ledger = check.meaning;
      state.fileHeader = check.fieldOrder;
    }
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
    const outcome = await deliverParts({ runId: ctx.runId, parts, state, store, client: emarsys, now: ctx.now, log: ctx.log, journal: ctx.journal, signal: ctx.signal, orderColumn: check.fieldOrder.indexOf('order') });
    report.uploads = outcome.uploads;
    report.rows.sent = outcome.sent;
    if (outcome.kind === 'unknown') {
      state.held = { since: ctx.now().toISOString(), runId: ctx.runId, reason: outcome.error.message };
      store.save(state);
      report.status = 'held';
      report.message = `Upload ${state.pending!.part} of ${parts.length} (${n(state.pending!.lines)} lines) has an unknown outcome: ${outcome.error.message}. ${n(outcome.sent)} lines were accepted before it. The job is held and sends nothing until a person decides.`;
      report.action = heldAction(state, name);
      return;
    }
    if (outcome.kind === 'rejected') {
      report.status = 'failed';
      report.error = errorInfo(outcome.error);
      report.message = `Emarsys refused upload ${outcome.uploads.length} of ${parts.length}: ${outcome.error.message}. ${n(outcome.sent)} lines were accepted before it; the rest will be sent by the next run.`;
      return;
    }
    if (outcome.kind === 'interrupted') {
      report.status = 'failed';
      report.message = `Stopped by ${outcome.signal} after ${outcome.uploads.length} of ${parts.length} upload(s): ${n(outcome.sent)} lines were accepted and recorded; the rest will be sent by the next run.`;
      return;
    }
    // Only a fully delivered run moves the cursor: lines of a failed part must stay inside the window.
    const cursor = Math.max(check.cursor ?? -Infinity, scan.maxCursor ?? -Infinity);
    if (Number.isFinite(cursor)) state.cursor = isoUtc(cursor);
    for (const file of pruneSegments(state, parseDuration(spec.delivery?.lookback ?? '') ?? 0)) store.deleteSegment(file);
    store.save(state);
    if (report.window) report.window.newCursor = state.cursor;
    report.status = 'succeeded';
    report.message = `Sent ${n(outcome.sent)} lines in ${parts.length} upload(s); ${n(report.rows.skipped)} rows skipped, ${n(scan.rejected)} rejected.`;
  } finally {
    scan.spool.dispose();
  }
}

export function errorInfo(error: unknown): RunReport['error'] {
  if (error instanceof HttpError) return { message: error.message, service: error.service, status: error.status, traceId: error.traceId };
  return { message: describeError(error) };
}
