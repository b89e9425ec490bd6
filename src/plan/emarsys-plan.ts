/** Plans an EmarsysSalesWriteback: checks the DataSet's columns and the ledger, and computes what would be sent now. */
import { readFileSync } from 'node:fs';
import type { EmarsysSalesDefinition } from '../definitions/types.ts';
import { definitionHash } from '../definitions/hash.ts';
import { ledgerVerdict, scanSales } from '../destinations/emarsys/connect.ts';
import { PERSONAL_FIELDS, salesFields } from '../destinations/emarsys/fields.ts';
import { planSample } from '../reports/personal-data.ts';
import { csvFields } from '../pipeline/csv-records.ts';
import { csvLine } from '../pipeline/csv-line.ts';
import { describeLedger, ledgerMisfit } from '../destinations/emarsys/ledger.ts';
import { MissingSecretError } from '../errors/index.ts';
import type { DataSetInfo } from '../sources/domo/client.ts';
import { domoClientFor, expectedRows } from '../sources/domo/export.ts';
import type { JobState } from '../state/job-state.ts';
import type { StateStore } from '../state/store.ts';
import { judgeColumn, type FieldNeed } from './column-types.ts';
import type { ColumnCheck, JobPlan } from './job-plan.ts';
import type { PlanContext } from './planner.ts';

const SAMPLE_LINES = 5;

function need(field: string): FieldNeed {
  if (field === 'timestamp' || field.startsWith('t_')) return 'time';
  if (field === 'price' || field === 'quantity' || field.startsWith('f_')) return 'number';
  if (field.startsWith('i_')) return 'integer';
  if (field === 'email') return 'email';
  return 'text';
}

export function emarsysColumns(definition: EmarsysSalesDefinition): ColumnCheck[] {
  const columns: ColumnCheck[] = salesFields(definition.spec).map((f) => ({ field: f.name, column: f.column, verdict: 'unchecked' }));
  const cursor = definition.spec.delivery?.cursor;
  if (cursor) columns.push({ field: 'delivery.cursor', column: cursor, verdict: 'unchecked' });
  return columns;
}

function checkColumns(columns: ColumnCheck[], info: DataSetInfo): void {
  const types = new Map(info.schema.columns.map((c) => [c.name, c.type]));
  for (const check of columns) {
    const type = types.get(check.column);
    if (!type) {
      Object.assign(check, { verdict: 'missing', note: 'not in the DataSet' });
      continue;
    }
    check.domoType = type;
    Object.assign(check, judgeColumn(check.field === 'delivery.cursor' ? 'time' : need(check.field), type));
  }
}

export async function planEmarsys(definition: EmarsysSalesDefinition, plan: JobPlan, ctx: PlanContext, store: StateStore, state: JobState): Promise<void> {
  const { spec } = definition;
  const name = definition.metadata.name;
  plan.columns = emarsysColumns(definition);
  plan.dataset = { id: spec.source.domo.datasetId };
  const domo = domoClientFor(spec.source, name, ctx.secrets, ctx.env, ctx.redactor);
  let merchantId: string | undefined;
  for (const [what, value] of [['merchant', spec.destination.emarsysSales.merchantId], ['token', spec.destination.emarsysSales.token]] as const) {
    try {
      const resolved = ctx.secrets.resolve(name, value);
      if (what === 'merchant') merchantId = resolved;
    } catch (error) {
      if (!(error instanceof MissingSecretError)) throw error;
      plan.warnings.push(`${error.message} A reconcile would fail.`);
    }
  }
  const check = ledgerVerdict(ctx.root, name, spec, state, merchantId, ctx.env, definitionHash(definition));
  plan.warnings.push(...check.warnings);
  plan.ledger = describeLedger(state, check);
  plan.fileColumns = check.fieldOrder;
  plan.columns = emarsysColumns({ ...definition, spec: { ...spec, fieldOrder: check.fieldOrder } });
  if (check.problems.length) {
    plan.error = `a reconcile would refuse to deliver: ${check.problems.join(' ')}`;
    return;
  }
  const info = await domo.dataset(spec.source.domo.datasetId);
  plan.dataset = { id: info.id, name: info.name, rows: info.rows, visibleRows: info.pdpEnabled ? (await expectedRows(domo, info)).rows : undefined };
  checkColumns(plan.columns, info);
  const broken = plan.columns.filter((c) => c.verdict === 'missing' || c.verdict === 'incompatible');
  if (broken.length) {
    plan.error = `columns that cannot work: ${broken.map((c) => `${c.column} (${c.field}: ${c.note})`).join(', ')}`;
    return;
  }
  // A plan's rejects go into pull-request comments: masked whatever the definition says (see planSample).
  const scan = await scanSales({ domo, spec: { ...spec, personalData: { ...spec.personalData, mask: true } }, env: ctx.env, check, ledger: store.loadLedger(state.segments) });
  try {
    const misfit = ledgerMisfit(name, state, scan);
    if (misfit) plan.error = `a reconcile would refuse to deliver: ${misfit}`;
    const parts = scan.spool.parts;
    plan.rows = { read: scan.read, toSend: scan.spool.lines, rejected: scan.rejected, skipped: scan.alreadyDelivered + scan.beforeWindow + scan.duplicateInExport };
    plan.uploads = parts.length;
    plan.rejects = scan.rejects.slice(0, SAMPLE_LINES);
    const considered = scan.read - scan.beforeWindow;
    const maxRatio = spec.rejects?.maxRatio ?? 0;
    if (scan.rejected > 0 && scan.rejected / considered > maxRatio) {
      plan.warnings.push(`${scan.rejected} of ${considered} rows are invalid, more than rejects.maxRatio allows: a reconcile would fail and send nothing.`);
    }
    if (parts[0]) {
      // Only the first few lines are needed; the part is at most one upload in size.
      // The sample goes into pull-request comments: personal values are masked unless the job says otherwise.
      plan.sample = planSample(readFileSync(parts[0].path, 'utf8').split('\n').slice(0, SAMPLE_LINES + 1), spec.personalData, PERSONAL_FIELDS, csvFields, csvLine);
    }
  } finally {
    scan.dispose();
  }
}
