/**
 * Value formatting shared by destinations. Each formatter returns the text to send, or an Invalid
 * with a reason a person can act on. They run once per field per row: no regex compilation, few allocations.
 */

export class Invalid {
  constructor(readonly reason: string) {}
}

const ISO_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/;

/** Milliseconds since the epoch for Domo's DATE and DATETIME text (no zone means UTC), or Invalid. */
export function parseTimestamp(text: string): number | Invalid {
  const m = ISO_DATE_TIME.exec(text);
  if (!m) return new Invalid(`"${clip(text)}" is not a date or time (expected YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS)`);
  const [, y, mo, d, h = '0', mi = '0', s = '0', zone] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  let ms = Date.UTC(year, month - 1, day, Number(h), Number(mi), Number(s));
  const check = new Date(ms);
  if (check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day || Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) {
    return new Invalid(`"${clip(text)}" is not a real date or time`);
  }
  if (zone && zone !== 'Z') {
    const sign = zone[0] === '-' ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    ms -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
  }
  return ms;
}

/** UTC ISO 8601 with `Z` and whole seconds, as Emarsys wants: 2016-06-06T14:02:00Z. */
export function isoUtc(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

export function formatTimestamp(text: string): string | Invalid {
  const ms = parseTimestamp(text);
  return ms instanceof Invalid ? ms : isoUtc(ms);
}

const PLAIN_NUMBER = /^-?\d+(\.\d+)?$/;
const LOOSE_NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** A decimal with `.` and no thousands separator; a plain one passes through unchanged (no float rounding). */
export function formatNumber(text: string): string | Invalid {
  if (PLAIN_NUMBER.test(text)) return text;
  const trimmed = text.trim();
  if (LOOSE_NUMBER.test(trimmed)) {
    const value = Number(trimmed);
    const out = String(value);
    if (Number.isFinite(value) && !out.includes('e')) return out;
  }
  return new Invalid(`"${clip(text)}" is not a number (write it with . as decimal separator, no thousands separator or currency)`);
}

export function formatInteger(text: string): string | Invalid {
  const number = formatNumber(text);
  if (number instanceof Invalid) return number;
  return /^-?\d+$/.test(number) ? number : new Invalid(`"${clip(text)}" is not a whole number`);
}

const EMAIL = /^[^\s@,;"]+@[^\s@,;"]+\.[^\s@,;"]+$/;
export function formatEmail(text: string): string | Invalid {
  const trimmed = text.trim();
  return EMAIL.test(trimmed) ? trimmed : new Invalid(`"${clip(text)}" is not an email address`);
}

/** Text without line breaks: Emarsys files may not contain them, even quoted. */
export function formatText(text: string): string | Invalid {
  if (text.includes('\n') || text.includes('\r')) return new Invalid('contains a line break, which Emarsys files cannot carry');
  return text;
}

/** Short, single-line excerpt of a bad value for messages. */
export function clip(text: string): string {
  const flat = text.replace(/[\r\n]+/g, ' ');
  return flat.length > 40 ? `${flat.slice(0, 40)}...` : flat;
}
