/**
 * Five-field cron expressions (minute hour day-of-month month day-of-week), evaluated in UTC.
 * Supports `*`, numbers, names (JAN-DEC, SUN-SAT), ranges `a-b`, steps `x/n`, and lists `a,b`.
 * As in Vixie cron, when both day fields are restricted a day matching either is due.
 */
import { anyCase } from './patterns.ts';

interface FieldSpec {
  label: string;
  min: number;
  max: number;
  names?: string[];
  /** The numbers min-max as a regular expression (leading zeros allowed, as Number() reads them). */
  numbers: string;
}

const FIELDS: FieldSpec[] = [
  { label: 'minute', min: 0, max: 59, numbers: '0*[1-5]?[0-9]' },
  { label: 'hour', min: 0, max: 23, numbers: '0*(?:1?[0-9]|2[0-3])' },
  { label: 'day of month', min: 1, max: 31, numbers: '0*(?:[1-9]|[12][0-9]|3[01])' },
  { label: 'month', min: 1, max: 12, names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'], numbers: '0*(?:[1-9]|1[0-2])' },
  { label: 'day of week', min: 0, max: 7, names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'], numbers: '0*[0-7]' },
];

/**
 * What parseCron accepts, as a JSON Schema pattern (the definition schema's `schedule`, so editors flag a
 * bad expression as it is typed): 5 fields of `*`, values, ranges, steps and lists, each value in its
 * field's range. Only what a pattern cannot see is left to parseCron and nextTick: ranges that run
 * backwards (5-3) and expressions that never fire (0 0 30 2 *). test/definitions/schema-rules.test.ts
 * holds the two to the same verdicts.
 */
export const CRON_PATTERN = (() => {
  const field = (spec: FieldSpec) => {
    const value = `(?:${[spec.numbers, ...(spec.names ?? []).map(anyCase)].join('|')})`;
    const item = `(?:\\*|${value}(?:-${value})?)(?:/0*[1-9][0-9]*)?`;
    return `${item}(?:,${item})*`;
  };
  return `^\\s*${FIELDS.map(field).join('\\s+')}\\s*$`;
})();

export interface Cron {
  minutes: Set<number>;
  hours: Set<number>;
  days: Set<number>;
  months: Set<number>;
  weekdays: Set<number>;
  daysRestricted: boolean;
  weekdaysRestricted: boolean;
}

export class CronError extends Error {}

function parseValue(text: string, spec: FieldSpec): number {
  // Names are ASCII letters in any case (toUpperCase alone would also read "frı" as FRI).
  const named = /^[A-Za-z]+$/.test(text) ? (spec.names?.indexOf(text.toUpperCase()) ?? -1) : -1;
  if (named >= 0) return named + (spec.label === 'month' ? 1 : 0);
  if (!/^\d+$/.test(text)) throw new CronError(`${spec.label}: "${text}" is not a number`);
  const value = Number(text);
  if (value < spec.min || value > spec.max) {
    throw new CronError(`${spec.label}: ${value} is outside ${spec.min}-${spec.max}`);
  }
  return value;
}

function parseField(text: string, spec: FieldSpec): Set<number> {
  const values = new Set<number>();
  for (const part of text.split(',')) {
    if (part === '') throw new CronError(`${spec.label}: empty list item in "${text}"`);
    const [range, stepText, extra] = part.split('/');
    if (extra !== undefined) throw new CronError(`${spec.label}: "${part}" has more than one step`);
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText) || Number(stepText) === 0) {
        throw new CronError(`${spec.label}: step "${stepText}" must be a positive number`);
      }
      step = Number(stepText);
    }
    let low: number;
    let high: number;
    if (range === '*') {
      low = spec.min;
      high = spec.max;
    } else if (range!.includes('-')) {
      const [a, b, more] = range!.split('-');
      if (more !== undefined || !a || !b) throw new CronError(`${spec.label}: "${range}" is not a range`);
      low = parseValue(a, spec);
      high = parseValue(b, spec);
      if (low > high) throw new CronError(`${spec.label}: range ${range} runs backwards`);
    } else {
      low = parseValue(range!, spec);
      high = stepText === undefined ? low : spec.max;
    }
    for (let v = low; v <= high; v += step) values.add(v);
  }
  return values;
}

export function parseCron(expression: string): Cron {
  const parts = expression.trim().split(/\s+/);
  if (parts.length !== 5) {
    throw new CronError(
      `needs 5 fields (minute hour day-of-month month day-of-week), found ${parts.length}: "${expression}"`,
    );
  }
  const [minutes, hours, days, months, weekdays] = parts.map((p, i) => parseField(p, FIELDS[i]!)) as [
    Set<number>,
    Set<number>,
    Set<number>,
    Set<number>,
    Set<number>,
  ];
  if (weekdays.has(7)) weekdays.add(0); // 7 is Sunday too
  return {
    minutes,
    hours,
    days,
    months,
    weekdays,
    daysRestricted: !parts[2]!.startsWith('*'),
    weekdaysRestricted: !parts[4]!.startsWith('*'),
  };
}

function dayMatches(cron: Cron, date: Date): boolean {
  if (!cron.months.has(date.getUTCMonth() + 1)) return false;
  const dom = cron.days.has(date.getUTCDate());
  const dow = cron.weekdays.has(date.getUTCDay());
  if (cron.daysRestricted && cron.weekdaysRestricted) return dom || dow;
  if (cron.daysRestricted) return dom;
  if (cron.weekdaysRestricted) return dow;
  return true;
}

const MINUTE = 60_000;
const DAY = 86_400_000;
/** Far enough for any valid expression (Feb 29 on a given weekday recurs within 28 years). */
const HORIZON_DAYS = 366 * 29;

/** The first tick strictly after `after`, or undefined if the expression never fires (e.g. Feb 30). */
export function nextTick(cron: Cron, after: Date): Date | undefined {
  let t = Math.floor(after.getTime() / MINUTE) * MINUTE + MINUTE;
  const lastDay = t + HORIZON_DAYS * DAY;
  while (t < lastDay) {
    const date = new Date(t);
    if (dayMatches(cron, date)) {
      for (let h = date.getUTCHours(); h < 24; h++) {
        if (!cron.hours.has(h)) continue;
        const startMinute = h === date.getUTCHours() ? date.getUTCMinutes() : 0;
        for (let m = startMinute; m < 60; m++) {
          if (cron.minutes.has(m)) {
            return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate(), h, m));
          }
        }
      }
    }
    t = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate() + 1);
  }
  return undefined;
}
