/**
 * Value formatting shared by destinations. Each formatter returns the text to send, or an Invalid
 * with a reason a person can act on. They run once per field per row: no regex compilation, few allocations.
 */

export class Invalid {
  constructor(readonly reason: string) {}
}

const ISO_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/;

/** The instants a four-digit UTC year can write: 0001-01-01T00:00:00Z up to 9999-12-31T23:59:59Z. */
const FIRST_MS = -62135596800000;
const LAST_MS = 253402300799000;

/**
 * Milliseconds since the epoch for Domo's DATE and DATETIME text (no zone means UTC), or Invalid. Years
 * are taken as written (Date.UTC would read 0099 as 1999), and an offset that moves the instant out of
 * years 0001-9999 is refused: the destinations read four-digit years only.
 */
export function parseTimestamp(text: string): number | Invalid {
  const m = ISO_DATE_TIME.exec(text);
  if (!m) return new Invalid(`"${clip(text)}" is not a date or time (expected YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS)`);
  const [, y, mo, d, h = '0', mi = '0', s = '0', zone] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const [hour, minute, second] = [Number(h), Number(mi), Number(s)];
  const outside = new Invalid(`"${clip(text)}" is outside the years 0001 to 9999 in UTC`);
  if (year === 0) return outside;
  if (!isRealDate(year, month, day) || !isRealTime(hour, minute, second)) return new Invalid(`"${clip(text)}" is not a real date or time`);
  let ms = civilMs(year, month, day, hour, minute, second);
  if (zone && zone !== 'Z') {
    const sign = zone[0] === '-' ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    ms -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
  }
  if (ms < FIRST_MS || ms > LAST_MS) return outside;
  return ms;
}

/** UTC ISO 8601 with `Z` and whole seconds: 2016-06-06T14:02:00Z. */
export function isoUtc(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isRealDate(year: number, month: number, day: number): boolean {
  if (year < 1 || month < 1 || month > 12 || day < 1) return false;
  const leap = month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 1 : 0;
  return day <= DAYS_IN_MONTH[month - 1]! + leap;
}

const isRealTime = (hour: number, minute: number, second: number) => hour >= 0 && hour <= 23 && minute >= 0 && minute <= 59 && second >= 0 && second <= 59;

/** Milliseconds since the epoch of a UTC civil time (Howard Hinnant's days-from-civil: integer math, no Date). */
function civilMs(year: number, month: number, day: number, hour: number, minute: number, second: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return (era * 146097 + doe - 719468) * 86_400_000 + hour * 3_600_000 + minute * 60_000 + second * 1000;
}

/** Two ASCII digits at `at` as a number, or -1. */
function digits2(text: string, at: number): number {
  const a = text.charCodeAt(at) - 48;
  const b = text.charCodeAt(at + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

/** The same on bytes. */
function byteDigits2(bytes: Uint8Array, at: number): number {
  const a = bytes[at]! - 48;
  const b = bytes[at + 1]! - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

/** Whether text is one of Domo's own shapes, `YYYY-MM-DD` or `YYYY-MM-DD[T ]HH:MM:SS` (no zone: UTC), and real. */
function isDomoTimestamp(text: string): boolean {
  const length = text.length;
  if ((length !== 10 && length !== 19) || text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45) return false;
  const century = digits2(text, 0);
  const yy = digits2(text, 2);
  if (century < 0 || yy < 0 || !isRealDate(century * 100 + yy, digits2(text, 5), digits2(text, 8))) return false;
  if (length === 10) return true;
  const sep = text.charCodeAt(10);
  if ((sep !== 84 && sep !== 32) || text.charCodeAt(13) !== 58 || text.charCodeAt(16) !== 58) return false;
  return isRealTime(digits2(text, 11), digits2(text, 14), digits2(text, 17));
}

/**
 * The hot path on bytes: Domo's own shapes at [start, end), checked by byte values. Returns the
 * milliseconds, or NaN when the bytes are anything else (the caller then uses the general parser).
 */
export function domoTimestampMs(bytes: Uint8Array, start: number, end: number): number {
  const length = end - start;
  if ((length !== 10 && length !== 19) || bytes[start + 4] !== 45 || bytes[start + 7] !== 45) return NaN;
  const century = byteDigits2(bytes, start);
  const yy = byteDigits2(bytes, start + 2);
  const year = century * 100 + yy;
  const month = byteDigits2(bytes, start + 5);
  const day = byteDigits2(bytes, start + 8);
  if (century < 0 || yy < 0 || !isRealDate(year, month, day)) return NaN;
  if (length === 10) return civilMs(year, month, day, 0, 0, 0);
  const sep = bytes[start + 10];
  if ((sep !== 84 && sep !== 32) || bytes[start + 13] !== 58 || bytes[start + 16] !== 58) return NaN;
  const hour = byteDigits2(bytes, start + 11);
  const minute = byteDigits2(bytes, start + 14);
  const second = byteDigits2(bytes, start + 17);
  return isRealTime(hour, minute, second) ? civilMs(year, month, day, hour, minute, second) : NaN;
}

export function formatTimestamp(text: string): string | Invalid {
  if (isDomoTimestamp(text)) {
    if (text.length === 10) return `${text}T00:00:00Z`;
    return text.charCodeAt(10) === 84 ? `${text}Z` : `${text.slice(0, 10)}T${text.slice(11)}Z`;
  }
  const ms = parseTimestamp(text);
  return ms instanceof Invalid ? ms : isoUtc(ms);
}

/** Milliseconds for a cursor value, without a Date or a string on the hot path for Domo's own shapes. */
export function cursorMs(text: string): number | Invalid {
  if (!isDomoTimestamp(text)) return parseTimestamp(text);
  const time = text.length === 19 ? [digits2(text, 11), digits2(text, 14), digits2(text, 17)] : [0, 0, 0];
  return civilMs(digits2(text, 0) * 100 + digits2(text, 2), digits2(text, 5), digits2(text, 8), time[0]!, time[1]!, time[2]!);
}

const PLAIN_NUMBER = /^-?\d+(\.\d+)?$/;
/** Every number formatNumber reads besides plain ones: sign, digits before and after the point, exponent. */
const NUMBER_TEXT = /^([+-]?)(?:(\d+)\.?(\d*)|\.(\d+))(?:[eE]([+-]?\d+))?$/;
/** Digits a number written out of exponent notation may take on each side of its point: more is no price or quantity. */
const MAX_PLAIN_LENGTH = 100;

/**
 * A number in exponent notation as plain digits, every digit kept (Java writes a double below 0.001 as
 * 5.551115123125783E-17, a BigDecimal below 0.000001 as 1.0E-7), from NUMBER_TEXT's match. Undefined for one of
 * more than MAX_PLAIN_LENGTH digits on a side of its point.
 */
function plainNumber([, sign, whole = '', afterPoint = '', onlyFraction = '', exponent = '0']: RegExpExecArray): string | undefined {
  const digits = whole + afterPoint + onlyFraction;
  const point = whole.length + Number(exponent); // where the decimal point falls among the digits
  if (point > MAX_PLAIN_LENGTH || digits.length - point > MAX_PLAIN_LENGTH) return undefined;
  const int = point <= 0 ? '0' : digits.slice(0, point).padEnd(point, '0').replace(/^0+(?=\d)/, '');
  const decimals = point <= 0 ? '0'.repeat(-point) + digits : digits.slice(point);
  return `${sign === '-' ? '-' : ''}${int}${decimals ? `.${decimals}` : ''}`;
}

/** A decimal with `.` and no thousands separator; a plain one passes through unchanged (no float rounding). */
export function formatNumber(text: string): string | Invalid {
  if (PLAIN_NUMBER.test(text)) return text;
  const match = NUMBER_TEXT.exec(text.trim());
  const value = match ? Number(match[0]) : NaN;
  // +3, .5, 1e2 become what they always became: a delivery key may hold the text, and delivered lines must keep theirs.
  if (Number.isFinite(value) && !String(value).includes('e')) return String(value);
  // What String() writes with an exponent (and was refused before), written out; beyond a double's range, refused.
  const plain = match && Number.isFinite(value) ? plainNumber(match) : undefined;
  return plain ?? new Invalid(`"${clip(text)}" is not a number (write it with . as decimal separator, no thousands separator or currency)`);
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

/** Text as decoded: a replacement character means the export held bytes that were not UTF-8. */
export function formatUtf8Text(text: string): string | Invalid {
  if (text.includes('\uFFFD')) return new Invalid(`"${clip(text)}" is not valid UTF-8: the export holds text in another encoding; fix the DataSet's source`);
  return text;
}

/** Short, single-line excerpt of a bad value for messages. */
export function clip(text: string): string {
  const flat = text.replace(/[\r\n]+/g, ' ');
  return flat.length > 40 ? `${flat.slice(0, 40)}...` : flat;
}
