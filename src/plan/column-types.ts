/** Whether a Domo column type fits what a destination field needs. */
import type { ColumnVerdict } from './job-plan.ts';

export type FieldNeed = 'text' | 'email' | 'time' | 'number' | 'integer' | 'boolean';

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
