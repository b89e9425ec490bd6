/** Whether a Domo column type fits what a destination field needs, for every column a job reads. */
import type { DataSetInfo } from '../sources/domo/client.ts';
import type { ColumnCheck, ColumnVerdict, FieldNeed } from './job-plan.ts';

const NUMERIC = ['DECIMAL', 'DOUBLE', 'LONG'];
const TIME = ['DATE', 'DATETIME'];

export function judgeColumn(need: FieldNeed, domoType: string): { verdict: ColumnVerdict; note?: string } {
  const type = domoType.toUpperCase();
  switch (need) {
    case 'text':
      return { verdict: 'ok' };
    case 'email':
      return type === 'STRING' ? { verdict: 'ok' } : { verdict: 'incompatible', note: 'an email address needs a STRING column' };
    case 'time':
      if (TIME.includes(type)) return { verdict: 'ok' };
      if (type === 'STRING') return { verdict: 'warning', note: 'text: every value must be a date or time, others are rejected' };
      return { verdict: 'incompatible', note: 'needs a DATE or DATETIME column' };
    case 'number':
      if (NUMERIC.includes(type)) return { verdict: 'ok' };
      if (type === 'STRING') return { verdict: 'warning', note: 'text: every value must be a number, others are rejected' };
      return { verdict: 'incompatible', note: 'needs a numeric column' };
    case 'integer':
      if (type === 'LONG') return { verdict: 'ok' };
      if (NUMERIC.includes(type) || type === 'STRING') return { verdict: 'warning', note: 'values with fractions are rejected' };
      return { verdict: 'incompatible', note: 'needs a LONG column' };
    case 'boolean':
      return type === 'STRING' || type === 'LONG' ? { verdict: 'warning', note: 'values must read true/false, yes/no or 1/0' } : { verdict: 'incompatible', note: 'needs a STRING or LONG column' };
  }
}

/** Each column checked against the DataSet's schema: missing, or judged by what its field needs. */
export function checkColumns(columns: ColumnCheck[], info: DataSetInfo): ColumnCheck[] {
  const types = new Map(info.schema.columns.map((c) => [c.name, c.type]));
  return columns.map((check) => {
    const type = types.get(check.column);
    if (!type) return { ...check, verdict: 'missing', note: 'not in the DataSet' };
    return { ...check, domoType: type, ...judgeColumn(check.need ?? 'text', type) };
  });
}
