/** The Emarsys sales file layout a definition describes: which fields, in which order, typed how. */
import { DataError } from '../../errors/index.ts';
import { EMARSYS_STANDARD_FIELDS, type EmarsysSalesSpec } from '../../definitions/types.ts';
import { formatEmail, formatInteger, formatNumber, formatText, formatTimestamp, Invalid } from '../../pipeline/values.ts';

type Formatter = (text: string) => string | Invalid;

export interface SalesField {
  name: string;
  column: string;
  required: boolean;
  format: Formatter;
  /** Text can hold a comma or a quote; formatted numbers and timestamps never do. */
  quotable: boolean;
}

const STANDARD_FORMAT: Record<string, Formatter> = {
  order: formatText,
  timestamp: formatTimestamp,
  customer: formatText,
  email: formatEmail,
  item: formatText,
  price: formatNumber,
  quantity: formatNumber,
};
const CUSTOM_FORMAT: Record<string, Formatter> = { s: formatText, i: formatInteger, f: formatNumber, t: formatTimestamp };

/** fieldOrder as written, or the vendor table's order followed by custom fields as written. */
export function fieldOrder(spec: EmarsysSalesSpec): string[] {
  if (spec.fieldOrder) return spec.fieldOrder;
  const standard = EMARSYS_STANDARD_FIELDS.filter((f) => spec.mapping[f] !== undefined);
  return [...standard, ...Object.keys(spec.mapping.custom ?? {})];
}

export function salesFields(spec: EmarsysSalesSpec): SalesField[] {
  const mapping = spec.mapping as unknown as Record<string, string>;
  const custom = spec.mapping.custom ?? {};
  return fieldOrder(spec).map((name) => {
    const standard = STANDARD_FORMAT[name];
    if (standard) return { name, column: mapping[name]!, required: true, format: standard, quotable: standard === formatText || standard === formatEmail };
    const format = CUSTOM_FORMAT[name[0]!]!;
    return { name, column: custom[name]!, required: false, format, quotable: format === formatText };
  });
}

export interface RowError {
  field: string;
  column: string;
  reason: string;
}

/** Formats export rows into Emarsys field values, given the export's header. */
export class SalesRowFormatter {
  readonly fields: SalesField[];
  private readonly indexes: number[];
  readonly values: string[];

  constructor(spec: EmarsysSalesSpec, header: readonly string[]) {
    this.fields = salesFields(spec);
    const missing = this.fields.filter((f) => !header.includes(f.column)).map((f) => `${f.column} (for ${f.name})`);
    if (missing.length) {
      throw new DataError(`the DataSet has no column ${missing.join(', ')}; its columns are: ${header.join(', ')}. Fix spec.mapping.`);
    }
    this.indexes = this.fields.map((f) => header.indexOf(f.column));
    this.values = new Array<string>(this.fields.length);
  }

  /** The CSV line (with its newline) for the values of the last formatted row. */
  line(): string {
    let line = '';
    for (let i = 0; i < this.fields.length; i++) {
      const value = this.values[i]!;
      if (i > 0) line += ',';
      line += this.fields[i]!.quotable && (value.includes(',') || value.includes('"')) ? `"${value.replace(/"/g, '""')}"` : value;
    }
    return `${line}\n`;
  }

  /** Fills `this.values` (reused between rows) and returns undefined, or the first problem of the row. */
  format(row: readonly string[]): RowError | undefined {
    for (let i = 0; i < this.fields.length; i++) {
      const field = this.fields[i]!;
      const raw = row[this.indexes[i]!] ?? '';
      if (raw === '') {
        if (field.required) return { field: field.name, column: field.column, reason: 'is empty but required' };
        this.values[i] = '';
        continue;
      }
      const out = field.format(raw);
      if (out instanceof Invalid) return { field: field.name, column: field.column, reason: out.reason };
      this.values[i] = out;
    }
    return undefined;
  }
}
