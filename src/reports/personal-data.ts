/**
 * Personal values where everyone with read access sees them (pull-request comments, reports committed to
 * git, alert issues, logs): masked by default, keeping enough to recognise a row (j***@example.com, C***).
 */
import type { PersonalData } from '../definitions/types.ts';
import { clip } from '../pipeline/values.ts';

/** A value as shown: the first character and, for an email, its domain. */
export function maskValue(value: string): string {
  const at = value.lastIndexOf('@');
  if (at > 0) return `${value[0]}***${value.slice(at)}`;
  return value.length <= 1 ? '***' : `${value[0]}***`;
}

/** The fields of a job whose values are personal: the destination's own (`always`), plus those the definition names. */
export function personalFields(personal: PersonalData | undefined, always: readonly string[]): Set<string> | undefined {
  if (personal?.mask === false) return undefined;
  return new Set([...always, ...(personal?.fields ?? [])].map((f) => f.toLowerCase()));
}

/** A reject's reason with the value it quotes masked (reasons quote values as "<value>", cut by clip). */
export function maskReason(reason: string, raw: string): string {
  const quoted = `"${clip(raw)}"`;
  return raw && reason.includes(quoted) ? reason.replace(quoted, `"${maskValue(raw)}"`) : reason;
}

/** CSV sample lines (a header, then records) with the personal columns masked. */
export function maskSample(lines: string[], personal: Set<string> | undefined, parse: (line: string) => string[], format: (fields: string[]) => string): string[] {
  if (!personal || !lines.length) return lines;
  const header = parse(lines[0]!);
  const masked = header.map((name) => personal.has(name.toLowerCase()));
  if (!masked.includes(true)) return lines;
  return [lines[0]!, ...lines.slice(1).map((line) => (line ? format(parse(line).map((v, i) => (masked[i] && v ? maskValue(v) : v))).trimEnd() : line))];
}

const EMAIL = /[A-Za-z0-9._%+-]+@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,}/g;

/** Free text (a vendor's error, a message) with every email address in it masked. */
export function maskEmails(text: string): string {
  return text.replace(EMAIL, maskValue);
}

/**
 * A plan's sample of the file to send, as a pull-request comment shows it: personal columns masked and any
 * email address elsewhere too, whatever the definition says (its author could set mask: false to read
 * customer data out of the comment).
 */
export function planSample(lines: string[], personal: PersonalData | undefined, always: readonly string[], parse: (line: string) => string[], format: (fields: string[]) => string): string[] {
  return maskSample(lines, personalFields({ ...personal, mask: true }, always), parse, format).map(maskEmails);
}
