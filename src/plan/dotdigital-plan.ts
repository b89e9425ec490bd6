/** Plans a DotdigitalContactsWriteback: columns, fields to create, contacts that would be imported now. */
import { readFileSync } from 'node:fs';
import type { DotdigitalContactsDefinition } from '../definitions/types.ts';
import { connectDotdigital } from '../destinations/dotdigital/client.ts';
import { scanContactsExport } from '../destinations/dotdigital/contacts-export.ts';
import { mappedFields, PERSONAL_FIELDS, resolveFields } from '../destinations/dotdigital/fields.ts';
import { personalFields, planSample } from '../reports/personal-data.ts';
import { csvFields } from '../pipeline/csv-records.ts';
import { csvLine } from '../pipeline/csv-line.ts';
import { ContactFingerprints } from '../destinations/dotdigital/fingerprints.ts';
import { RefusedContacts } from '../destinations/dotdigital/refused.ts';
import { httpSettings } from '../settings.ts';
import { domoClientFor, expectedRows, exportWithRetries } from '../sources/domo/export.ts';
import type { JobState } from '../state/job-state.ts';
import type { StateStore } from '../state/store.ts';
import { judgeColumn, type FieldNeed } from './column-types.ts';
import type { ColumnCheck, JobPlan } from './job-plan.ts';
import type { PlanContext } from './planner.ts';

const NEED: Record<string, FieldNeed> = { String: 'text', Numeric: 'number', Date: 'time', Boolean: 'boolean' };

export function dotdigitalColumns(definition: DotdigitalContactsDefinition): ColumnCheck[] {
  return [
    { field: 'email', column: definition.spec.mapping.email, verdict: 'unchecked' },
    ...mappedFields(definition.spec).map((f) => ({ field: f.name, column: f.column, verdict: 'unchecked' as const })),
  ];
}

export async function planDotdigital(definition: DotdigitalContactsDefinition, plan: JobPlan, ctx: PlanContext, store: StateStore, _state: JobState): Promise<void> {
  const { spec } = definition;
  const name = definition.metadata.name;
  const target = spec.destination.dotdigital;
  plan.columns = dotdigitalColumns(definition);
  const domo = domoClientFor(spec.source, name, ctx.secrets, ctx.env, ctx.redactor);
  const { client: dd } = await connectDotdigital(target, name, ctx.secrets, ctx.env, ctx.redactor);
  const settings = httpSettings(ctx.env);
  const resolution = resolveFields(spec, await dd.dataFields());
  plan.fieldsToCreate = resolution.toCreate;

  const info = await domo.dataset(spec.source.domo.datasetId);
  plan.dataset = { id: info.id, name: info.name, rows: info.rows, visibleRows: info.pdpEnabled ? (await expectedRows(domo, info)).rows : undefined };
  const types = new Map(info.schema.columns.map((c) => [c.name, c.type]));
  const fieldType = new Map(resolution.fields.map((f) => [f.name.toUpperCase(), f.type]));
  for (const check of plan.columns) {
    const type = types.get(check.column);
    if (!type) {
      Object.assign(check, { verdict: 'missing', note: 'not in the DataSet' });
      continue;
    }
    check.domoType = type;
    const need: FieldNeed = check.field === 'email' ? 'email' : NEED[fieldType.get(check.field.toUpperCase()) ?? 'String']!;
    Object.assign(check, judgeColumn(need, type));
  }
  const broken = plan.columns.filter((c) => c.verdict === 'missing' || c.verdict === 'incompatible');
  if (resolution.problems.length || broken.length) {
    plan.error = [...resolution.problems, ...(broken.length ? [`columns that cannot work: ${broken.map((c) => `${c.column} (${c.field}: ${c.note})`).join(', ')}`] : [])].join('; ');
    return;
  }
  const scan = await exportWithRetries({
    domo,
    datasetId: spec.source.domo.datasetId,
    onInfo: () => {},
    consume: (csv) =>
      scanContactsExport(csv, { emailColumn: spec.mapping.email, fields: resolution.fields, previous: spec.delivery?.changedOnly ? ContactFingerprints.load(store.dir) : undefined, refused: RefusedContacts.load(store.dir), personal: personalFields({ ...spec.personalData, mask: true }, PERSONAL_FIELDS), maxPartBytes: settings.dotdigitalMaxFileBytes }),
    log: () => {},
  });
  try {
    plan.rows = { read: scan.read, toSend: scan.spool.lines, rejected: scan.rejected, skipped: scan.unchanged + scan.duplicateInExport };
    plan.uploads = scan.spool.parts.length;
    plan.rejects = scan.rejects.slice(0, 5);
    // The sample goes into pull-request comments: personal values are masked unless the job says otherwise.
    if (scan.spool.parts[0]) plan.sample = planSample(readFileSync(scan.spool.parts[0].path, 'utf8').split('\n').slice(0, 6), spec.personalData, PERSONAL_FIELDS, csvFields, csvLine);
  } finally {
    scan.dispose();
  }
}
