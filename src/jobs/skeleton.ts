/**
 * The loop every job runs, whatever its destination (the template; a module fills in its steps, see
 * destination.ts): held jobs stop first; every secret resolves before any data moves; the Domo export is
 * read and scanned into bounded files; rows are counted and the reject gate decides; then a dry run writes
 * the files, a delivery sends them. `plan` runs this same loop in plan mode up to the delivery, so a plan
 * is what a reconcile would do by construction.
 */
import { readFileSync } from 'node:fs';
import { RefusedError } from '../errors/index.ts';
import { checkColumns } from '../plan/column-types.ts';
import type { JobPlan } from '../plan/job-plan.ts';
import { csvFields } from '../pipeline/csv-records.ts';
import { csvLine } from '../pipeline/csv-line.ts';
import { count as n } from '../reports/count.ts';
import { maskEmails, planSample } from '../reports/personal-data.ts';
import { MAX_REJECTS_LISTED, type RunReport } from '../reports/run-report.ts';
import { formatWorkers } from '../settings.ts';
import { chooseRead, describeRead, describeRows, domoClientFor, expectedRows, exportWithRetries, sourceReport } from '../sources/domo/export.ts';
import { queryPageRows } from '../sources/domo/window-query.ts';
import type { JobState } from '../state/job-state.ts';
import type { StateStore } from '../state/store.ts';
import type { JobContext } from './context.ts';
import type { AnyDefinition, DestinationModule } from './destination.ts';
import { rejectGate, writeDryRunFiles } from './job-steps.ts';

/** A plan shows this many lines of the first file (after its header). */
const SAMPLE_LINES = 5;

/** A job held by a person's decision still to come: its state says why. */
function heldFor(state: JobState): { message: string; action: string } | undefined {
  if (!state.held) return undefined;
  return { message: `Held since ${state.held.since} (run ${state.held.runId}): ${state.held.reason}. Nothing was sent.`, action: `Check the destination, then run: npx writeback release ${state.name} --delivered (it arrived) or --not-delivered (it did not).` };
}

/**
 * Runs one job: delivers it, or with `plan` fills the plan instead and changes nothing. The report is
 * filled in either way (a plan's is thrown away).
 */
export async function runJob<D extends AnyDefinition>(module: DestinationModule<D>, ctx: JobContext<D>, store: StateStore, state: JobState, report: RunReport, plan?: JobPlan): Promise<void> {
  const { definition, env } = ctx;
  const name = definition.metadata.name;
  const { source } = definition.spec;
  if (!plan) {
    const held = module.hold?.held(state, name) ?? heldFor(state);
    if (held) {
      Object.assign(report, { status: 'held', message: held.message, action: held.action });
      return;
    }
  }

  // Every secret resolves before any data moves.
  const domo = domoClientFor(source, name, ctx.secrets, env, ctx.redactor);
  const session = await module.open(ctx, store, state, plan ? 'plan' : 'deliver');
  Object.assign(report, session.reportFields);
  for (const warning of session.warnings ?? []) {
    (report.warnings ??= []).push(warning);
    plan?.warnings.push(warning);
    if (!plan) ctx.log(`${name}: warning: ${warning}`);
  }
  if (session.refusal && !plan) throw new RefusedError(session.refusal);

  if (plan) {
    // The DataSet's columns first: a missing or incompatible one is an error without reading any row.
    const info = await domo.dataset(source.domo.datasetId);
    plan.dataset = { id: info.id, name: info.name, rows: info.rows, visibleRows: info.pdpEnabled ? (await expectedRows(domo, info)).rows : undefined };
    plan.columns = checkColumns(session.columns?.() ?? module.columns(definition), info);
    const broken = plan.columns.filter((c) => c.verdict === 'missing' || c.verdict === 'incompatible');
    const problems = [
      session.refusal ? `a reconcile would refuse to deliver: ${session.refusal}` : '',
      broken.length ? `columns that cannot work: ${broken.map((c) => `${c.column} (${c.field}: ${c.note})`).join(', ')}` : '',
    ].filter(Boolean);
    if (problems.length) {
      plan.error = problems.join('; ');
      session.describe?.(plan, undefined);
      return;
    }
  }

  let workers = 0;
  const columnsRead = (session.columns?.() ?? module.columns(definition)).map((c) => c.column);
  const scan = await exportWithRetries({
    domo,
    datasetId: source.domo.datasetId,
    choose: (info) => chooseRead(source.domo.read, info, columnsRead, session.window, session.keyColumns),
    pageRows: () => queryPageRows(env),
    onInfo: (info, expected, read) => {
      workers = module.formatsInWorkers ? formatWorkers(env, expected.rows) : 0;
      report.source = sourceReport(info, expected);
      if (plan) plan.read = describeRead(read);
      else ctx.log(`${name}: ${read.kind === 'query' ? 'querying' : 'exporting'} "${info.name}" (${describeRows(expected)}${workers ? `; formatting in ${workers} worker threads` : ''})`);
    },
    consume: (csv, _info, expected) => session.scan(csv, expected, workers),
    log: (line) => ctx.log(`${name}: ${line}`),
  });

  try {
    const skipped = Object.values(scan.skipped).reduce((sum, k) => sum + k, 0);
    report.rows = { read: scan.read, sent: 0, rejected: scan.rejected, skipped };
    report.skipped = scan.skipped;
    report.rejects = scan.rejects.slice(0, MAX_REJECTS_LISTED);
    if (scan.rejected > report.rejects.length) report.rejectsOmitted = scan.rejected - report.rejects.length;
    const gate = rejectGate(scan.gate.rejected, scan.gate.considered, definition.spec.rejects?.maxRatio);

    if (plan) {
      plan.rows = { read: scan.read, toSend: scan.toSend, rejected: scan.rejected, skipped };
      plan.uploads = scan.parts.length;
      // Rejects go into pull-request comments: no email shows there, whatever the definition says.
      plan.rejects = scan.rejects.slice(0, SAMPLE_LINES).map((r) => ({ ...r, reason: maskEmails(r.reason), ...(r.order === undefined ? {} : { order: maskEmails(r.order) }) }));
      if (scan.refusal) plan.error = `a reconcile would refuse to deliver: ${scan.refusal}`;
      if (gate) plan.warnings.push(`${gate}: a reconcile would fail and send nothing.`);
      // Only the first few lines are needed; a part is at most one upload in size.
      if (scan.parts[0]) plan.sample = planSample(readFileSync(scan.parts[0].path, 'utf8').split('\n').slice(0, SAMPLE_LINES + 1), definition.spec.personalData, module.personalFields, csvFields, csvLine);
      session.describe?.(plan, scan);
      return;
    }

    if (scan.refusal) throw new RefusedError(scan.refusal);
    if (gate) {
      Object.assign(report, { status: 'failed', message: `${gate}; nothing was sent.`, action: 'Fix the rows listed under "Rejected rows" in the DataSet, or raise spec.rejects.maxRatio if they may be skipped.' });
      return;
    }
    if (ctx.options.dryRun && scan.toSend === 0) {
      report.status = 'succeeded';
      report.message = `Nothing new to send: ${n(scan.read)} rows read, ${n(skipped)} skipped, ${n(scan.rejected)} rejected. No state changed.`;
      return;
    }
    if (ctx.options.dryRun) {
      const dir = writeDryRunFiles(ctx.root, name, ctx.runId, scan.parts, report);
      const also = session.dryRunNote?.();
      report.message = `Would ${also ? `${also} and ` : ''}send ${n(scan.toSend)} ${scan.toSend === 1 ? module.unit.one : module.unit.many} in ${scan.parts.length} file(s), written to ${dir}. No state changed.`;
      return;
    }
    await session.deliver(scan, report);
  } finally {
    scan.dispose();
  }
}
