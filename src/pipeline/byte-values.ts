/**
 * The byte paths of the line writers: the common values of an export (clean text, plain decimals, Domo's
 * timestamps) checked and copied byte by byte into the line, without a string. Each returns the position
 * after what it wrote, or SLOW: the caller then takes the field's text formatter, which defines the result
 * and writes over whatever the byte path had begun (a byte path only takes values whose output it knows to
 * be identical). The caller makes room first: the value's bytes and BYTE_PATH_ROOM more.
 */
import { ESCAPED, QUOTED } from './csv-records.ts';
import { domoTimestampMs } from './values.ts';

export const SLOW = -1;
/** What a byte path may write beyond the value's own bytes: two quotes, or a timestamp's time and zone. */
export const BYTE_PATH_ROOM = 12;
const COMMA = 44;
const QUOTE = 34;

/** Where the value a byte path wrote sits (its text, without quotes), and whether those bytes are ASCII text. */
export class WrittenValue {
  start = 0;
  end = 0;
  ascii = false;
}

/**
 * Text copied as is. A comma needs quotes; a field written with doubled quotes is quoted again exactly as it
 * came (its quotes are all doubled); a lone quote, CR or LF goes to the text path. `kind` is the CSV field's.
 */
export function writeTextBytes(src: Uint8Array, start: number, end: number, kind: number, out: Uint8Array, at: number, value: WrittenValue): number {
  let quoted = kind === ESCAPED;
  if (kind === QUOTED) for (let k = start; k < end && !quoted; k++) quoted = src[k] === COMMA; // a plain field cannot hold one
  if (quoted) out[at++] = QUOTE;
  value.start = at;
  let high = 0;
  for (let k = start; k < end; k++) {
    const c = src[k]!;
    // One comparison for most bytes: quote, CR and LF are all below '#'.
    if (c <= QUOTE && ((c === QUOTE && kind !== ESCAPED) || c === 10 || c === 13)) return SLOW;
    high |= c;
    out[at++] = c;
  }
  value.end = at;
  value.ascii = high < 0x80 && kind !== ESCAPED;
  if (quoted) out[at++] = QUOTE;
  return at;
}

/** A plain decimal, `-?\d+(\.\d+)?` (without the fraction when `integer`), passes through unchanged. */
export function writeDecimalBytes(src: Uint8Array, start: number, end: number, kind: number, integer: boolean, out: Uint8Array, at: number, value: WrittenValue): number {
  if (kind === ESCAPED) return SLOW;
  let k = start;
  if (src[k] === 45) k++;
  const digitsFrom = k;
  while (k < end && src[k]! >= 48 && src[k]! <= 57) k++;
  if (k === digitsFrom) return SLOW;
  if (k < end && !integer && src[k] === 46) {
    const fraction = ++k;
    while (k < end && src[k]! >= 48 && src[k]! <= 57) k++;
    if (k === fraction) return SLOW;
  }
  if (k !== end) return SLOW;
  value.start = at;
  for (k = start; k < end; k++) out[at++] = src[k]!;
  value.end = at;
  value.ascii = true;
  return at;
}

/**
 * Domo's `YYYY-MM-DD` or `YYYY-MM-DD[T ]HH:MM:SS` (no zone: UTC) as `YYYY-MM-DDTHH:MM:SS` and `suffix` ("Z" or
 * nothing). `checked`: the caller already found the bytes to be one (the cursor's column). Years before
 * `minYear` take the text path, which says why they are refused.
 */
export function writeTimestampBytes(src: Uint8Array, start: number, end: number, kind: number, checked: boolean, suffix: number | undefined, minYear: number, out: Uint8Array, at: number, value: WrittenValue): number {
  if (!checked && (kind === ESCAPED || Number.isNaN(domoTimestampMs(src, start, end)))) return SLOW;
  if (minYear > 1 && (src[start]! - 48) * 1000 + (src[start + 1]! - 48) * 100 + (src[start + 2]! - 48) * 10 + (src[start + 3]! - 48) < minYear) return SLOW;
  value.start = at;
  for (let k = start; k < start + 10; k++) out[at++] = src[k]!;
  out[at++] = 84; // T
  if (end - start === 10) for (const c of MIDNIGHT) out[at++] = c;
  else for (let k = start + 11; k < end; k++) out[at++] = src[k]!;
  if (suffix !== undefined) out[at++] = suffix;
  value.end = at;
  value.ascii = true;
  return at;
}

const MIDNIGHT = Buffer.from('00:00:00');
