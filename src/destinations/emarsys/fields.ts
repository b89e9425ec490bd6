/** The Emarsys sales file layout a definition describes: which fields, in which order, typed how. */
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
