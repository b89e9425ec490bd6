/** RFC 4180 quoting for one record: quote a field holding a comma, a quote or a line break, doubling the quotes. */
const NEEDS_QUOTES = /[,"\r\n]/;

export function csvLine(fields: readonly string[]): string {
  let line = '';
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i]!;
    if (i > 0) line += ',';
    line += NEEDS_QUOTES.test(field) ? `"${field.replace(/"/g, '""')}"` : field;
  }
  return `${line}\n`;
}
