/** The Emarsys sales file layout a definition describes: which fields, in which order, typed how. */
import { EMARSYS_FORMER_DEFAULT_ORDER, EMARSYS_STANDARD_FIELDS, type EmarsysSalesSpec } from './spec.ts';
import type { SalesState } from './state.ts';
import { personalFields } from '../../reports/personal-data.ts';
import { formatEmail, formatInteger, formatNumber, formatTimestamp, formatUtf8Text, Invalid } from '../../pipeline/values.ts';

type Formatter = (text: string) => string | Invalid;

/** Text without line breaks: Emarsys files may not contain them, even quoted (docs/vendors/emarsys-sales.md). */
export function formatText(text: string): string | Invalid {
  if (text.includes('\n') || text.includes('\r')) return new Invalid('contains a line break, which Emarsys files cannot carry');
  return formatUtf8Text(text);
}

export interface SalesField {
  name: string;
  column: string;
  required: boolean;
  format: Formatter;
  /** Text can hold a comma or a quote; formatted numbers and timestamps never do. */
  quotable: boolean;
  /** Its values are personal: masked where they are shown (reject reasons). */
  personal: boolean;
}

/** Emarsys fields whose values are always personal. */
export const PERSONAL_FIELDS = ['email', 'customer'];

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

/** fieldOrder as written, or Emarsys's documented order of the standard fields followed by custom fields as written. */
export function fieldOrder(spec: EmarsysSalesSpec, standardOrder: readonly string[] = EMARSYS_STANDARD_FIELDS): string[] {
  if (spec.fieldOrder) return spec.fieldOrder;
  const standard = standardOrder.filter((f) => (spec.mapping as Record<string, unknown>)[f] !== undefined);
  return [...standard, ...Object.keys(spec.mapping.custom ?? {})];
}

const sameFields = (a: readonly string[], b: readonly string[]) => a.length === b.length && [...a].sort().join() === [...b].sort().join();

/**
 * The columns of the files a job sends, in order. Emarsys reads a file's columns in the order agreed at
 * onboarding and fails the load of any other, after answering 200 (docs/vendors/emarsys-sales.md): so a
 * job that already delivered keeps its columns' order unless spec.fieldOrder says otherwise, and a change
 * is said out loud.
 */
export function resolveFieldOrder(spec: EmarsysSalesSpec, state: SalesState, delivered: boolean): { order: string[]; warning?: string } {
  const previous = state.fileHeader ?? (delivered ? fieldOrder({ ...spec, fieldOrder: undefined }, EMARSYS_FORMER_DEFAULT_ORDER) : undefined);
  if (spec.fieldOrder) {
    const changed = previous && sameFields(previous, spec.fieldOrder) && previous.join() !== spec.fieldOrder.join();
    return { order: spec.fieldOrder, warning: changed ? `the file's columns change from ${previous.join(',')} to ${spec.fieldOrder.join(',')}: Emarsys fails the load of files whose columns are not in the order agreed at onboarding (after answering 200), so change it only together with Emarsys` : undefined };
  }
  const order = fieldOrder(spec);
  if (!previous) return { order };
  if (sameFields(previous, order)) return { order: previous };
  // The mapping gained or lost a field: the columns that stay keep their places, new ones go last.
  const kept = previous.filter((f) => order.includes(f));
  const changed = [...kept, ...order.filter((f) => !kept.includes(f))];
  return { order: changed, warning: `the file's columns change from ${previous.join(',')} to ${changed.join(',')} because the mapping changed: Emarsys fails the load of files whose columns are not the ones agreed at onboarding (after answering 200), so agree the new columns with Emarsys and write their order as spec.fieldOrder` };
}

export function salesFields(spec: EmarsysSalesSpec): SalesField[] {
  const mapping = spec.mapping as unknown as Record<string, string>;
  const custom = spec.mapping.custom ?? {};
  const personal = personalFields(spec.personalData, PERSONAL_FIELDS);
  return fieldOrder(spec).map((name) => {
    const standard = STANDARD_FORMAT[name];
    const isPersonal = personal?.has(name.toLowerCase()) ?? false;
    if (standard) return { name, column: mapping[name]!, required: true, format: standard, quotable: standard === formatText || standard === formatEmail, personal: isPersonal };
    const format = CUSTOM_FORMAT[name[0]!]!;
    return { name, column: custom[name]!, required: false, format, quotable: format === formatText, personal: isPersonal };
  });
}

export interface RowError {
  field: string;
  column: string;
  reason: string;
}
