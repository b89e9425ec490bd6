/**
 * One run of an Emarsys sales job (the skeleton's steps, see jobs/destination.ts): open checks the ledger
 * against the definition, the scan formats and deduplicates the export's lines within the window, and
 * deliver sends them exactly once, recording each upload before and after it leaves.
 */
import type { Readable } from 'node:stream';
import { parseDuration } from '../../definitions/duration.ts';
import { definitionHash } from '../../definitions/hash.ts';
import type { JobContext } from '../../jobs/context.ts';
import type { DestinationSession, RunMode, Scan } from '../../jobs/destination.ts';
import type { JobPlan } from '../../plan/job-plan.ts';
import { isoUtc } from '../../pipeline/values.ts';
import { count as n } from '../../reports/count.ts';
import { errorInfo } from '../../reports/run-report.ts';
import type { ExpectedRows } from '../../sources/domo/export.ts';
import type { StateStore } from '../../state/store.ts';
import { connectEmarsys, ledgerVerdict, maxUploadBytes } from './connect.ts';
import { deliverParts } from './delivery.ts';
import { salesColumns } from './columns.ts';
import { heldAction } from './held.ts';
import { LedgerFiles } from './ledger-files.ts';
import { DEFAULT_KEY, describeLedger, ledgerMisfit, pruneSegments, type LedgerCheck } from './ledger.ts';
import type { SalesReport } from './report.ts';
import { scanSalesExport, type ScanResult } from './sales-scanner.ts';
import type { EmarsysSalesDefinition } from './spec.ts';
import type { SalesState } from './state.ts';

interface SalesScan extends Scan {
  lines: ScanResult;
}

export async function openSales(ctx: JobContext<EmarsysSalesDefinition>, store: StateStore, state: SalesState, mode: RunMode): Promise<DestinationSession<SalesReport, SalesScan>> {
  const { definition, env } = ctx;
  const spec = definition.spec;
  const name = definition.metadata.name;
  const { client, merchantId } = connectEmarsys(spec, name, ctx.secrets, env, ctx.redactor);
  const check: LedgerCheck = ledgerVerdict(ctx.root, name, spec, state, merchantId, env, definitionHash(definition), ctx.now().getTime());
  const refusal = check.problems.length ? check.problems.join(' ') : undefined;
  const ledger = refusal ? undefined : new LedgerFiles(store).load(state.segments);
  // A plan's rejects go into pull-request comments: masked whatever the definition says (see planSample).
  const scanned = mode === 'plan' ? { ...spec, personalData: { ...spec.personalData, mask: true } } : spec;

  const cursor = spec.delivery?.cursor;
  return {
    warnings: check.warnings,
    refusal,
    reportFields: cursor ? { window: { cursor, previousCursor: state.cursor, readFrom: check.windowStart === undefined ? undefined : isoUtc(check.windowStart) } } : {},
    columns: () => salesColumns({ ...spec, fieldOrder: check.fieldOrder }),
    window: cursor && check.windowStart !== undefined ? { column: cursor, from: check.windowStart } : undefined,
    keyColumns: (spec.delivery?.key ?? DEFAULT_KEY).map((field) => (spec.mapping as Record<string, unknown>)[field] ?? spec.mapping.custom?.[field]).filter((c): c is string => typeof c === 'string'),

    async scan(csv: Readable, expected: ExpectedRows, workers: number): Promise<SalesScan> {
      const lines = await scanSalesExport(csv, {
        spec: { ...scanned, fieldOrder: check.fieldOrder },
        ledger: ledger!,
        windowStart: check.windowStart,
        cursorLimit: check.cursorLimit,
        keyEncoding: check.meaning.keyEncoding,
        deliveredUpTo: check.cursor,
        expectedRows: expected.rows,
        workers,
        maxPartBytes: maxUploadBytes(env),
        progress: mode === 'deliver' ? (rows) => ctx.log(`${name}:   ${n(rows)} rows read`) : undefined,
        // Only an upload names its part's SHA-256 (the ledger, the report); a plan, a baseline and a dry run upload nothing.
        checksum: mode === 'deliver' && !ctx.options.dryRun,
      });
      return {
        lines,
        read: lines.read,
        rejected: lines.rejected,
        rejects: lines.rejects,
        skipped: { alreadyDelivered: lines.alreadyDelivered, beforeWindow: lines.beforeWindow, duplicateInExport: lines.duplicateInExport },
        // Rows before the window were judged on an earlier run: the ratio is over the rows inside it.
        gate: { rejected: lines.rejected, considered: lines.read - lines.beforeWindow },
        parts: lines.spool.parts,
        toSend: lines.spool.lines,
        refusal: ledgerMisfit(name, state, lines),
        dispose: () => lines.dispose(),
      };
    },

    describe(plan: JobPlan): void {
      plan.details.push(`ledger: ${describeLedger(state, check)}`);
      plan.details.push(`file columns: ${check.fieldOrder.join(',')} (must be the order agreed with Emarsys at onboarding, or Emarsys fails the load after accepting the file)`);
    },

    async deliver(scan: SalesScan, report: SalesReport): Promise<void> {
      const { lines } = scan;
      // The meaning is recorded before the first upload: the intent written below carries it.
      state.ledger = check.meaning;
      state.fileHeader = check.fieldOrder;
      if (scan.toSend === 0) {
        report.status = 'succeeded';
        report.message = `Nothing new to send: ${n(scan.read)} rows read, ${n(report.rows.skipped)} skipped, ${n(scan.rejected)} rejected.`;
        return;
      }
      const parts = scan.parts;
      ctx.log(`${name}: sending ${n(scan.toSend)} lines in ${parts.length} upload(s)`);
      const outcome = await deliverParts({ runId: ctx.runId, parts, state, store, client, now: ctx.now, log: ctx.log, journal: ctx.journal, signal: ctx.signal, orderColumn: check.fieldOrder.indexOf('order') });
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
      const reached = Math.max(check.cursor ?? -Infinity, lines.maxCursor ?? -Infinity);
      if (Number.isFinite(reached)) state.cursor = isoUtc(reached);
      const files = new LedgerFiles(store);
      for (const file of pruneSegments(state, parseDuration(spec.delivery?.lookback ?? '') ?? 0)) files.deleteSegment(file);
      store.save(state);
      if (report.window) report.window.newCursor = state.cursor;
      report.status = 'succeeded';
      report.message = `Sent ${n(outcome.sent)} lines in ${parts.length} upload(s); ${n(report.rows.skipped)} rows skipped, ${n(scan.rejected)} rejected.`;
    },
  };
}

/** A person's decision about the held upload (`writeback release`): recorded as delivered, or forgotten. */
export function releaseSales(state: SalesState, store: StateStore, delivered: boolean): string[] {
  const pending = state.pending;
  const name = store.name;
  if (!pending) return [];
  state.pending = undefined;
  if (delivered) {
    pending.segment.acceptedAt = new Date().toISOString();
    state.segments.push(pending.segment);
    return [`${name}: recorded upload ${pending.part} (${n(pending.lines)} lines) as delivered; those lines will never be sent again`];
  }
  new LedgerFiles(store).deleteSegment(pending.segment.file);
  return [`${name}: recorded upload ${pending.part} (${n(pending.lines)} lines) as not delivered; the next run sends them`];
}

/** An intent branch's state must not roll back a local one holding segments it lacks (its deletion failed after a later commit). */
export function salesSupersedes(local: SalesState, intended: SalesState): boolean {
  const files = new Set(intended.segments.map((s) => s.file));
  return local.segments.some((s) => !files.has(s.file));
}
