/** RFC 4180 quoting for one record: quote a field holding a comma, a quote or a line break, doubling the quotes. */
const NEEDS_QUOTES = /[,"\r\n]/;

export function csvLine(fields: readonly string[]): string {
  let line = '';
  for (let i = 0; i < fields.length; i++) {
    if (i > 0) line += ',';
    line += csvQuoted(fields[i]!);
  }
  return `${line}\n`;
}

/** One field, quoted when it holds a comma, a quote or a line break. */
export const csvQuoted = (field: string): string => (NEEDS_QUOTES.test(field) ? `"${field.replace(/"/g, '""')}"` : field);
