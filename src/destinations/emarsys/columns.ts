/** The Domo columns an Emarsys job reads, and what each needs of its values (plan checks them against the DataSet). */
import type { FieldNeed } from '../../plan/job-plan.ts';
import type { ColumnCheck } from '../../plan/job-plan.ts';
import { salesFields } from './fields.ts';
import type { EmarsysSalesSpec } from './spec.ts';

function need(field: string): FieldNeed {
  if (field === 'timestamp' || field.startsWith('t_')) return 'time';
  if (field === 'price' || field === 'quantity' || field.startsWith('f_')) return 'number';
  if (field.startsWith('i_')) return 'integer';
  if (field === 'email') return 'email';
  return 'text';
}

export function salesColumns(spec: EmarsysSalesSpec): ColumnCheck[] {
  const columns: ColumnCheck[] = salesFields(spec).map((f) => ({ field: f.name, column: f.column, need: need(f.name), verdict: 'unchecked' }));
  const cursor = spec.delivery?.cursor;
  if (cursor) columns.push({ field: 'delivery.cursor', column: cursor, need: 'time', verdict: 'unchecked' });
  return columns;
}
