/**
 * Meaning checks of an EmarsysSalesWriteback (run after the shared ones): what JSON Schema cannot express
 * (fields the mapping maps), and precise messages for the rules schema.ts marks x-checked.
 */
import { get, isRecord, type Check } from '../../definitions/check.ts';
import { parseDuration } from '../../definitions/duration.ts';
import { EMARSYS_STANDARD_FIELDS } from './spec.ts';

/** A custom field's name: its type prefix, then letters, digits or _ (also the schema's propertyNames pattern). */
export const CUSTOM_FIELD_PATTERN = '^[sift]_[A-Za-z0-9_]+$';
const CUSTOM_PREFIX = new RegExp(CUSTOM_FIELD_PATTERN);

/** The Emarsys fields a (possibly ill-typed) mapping maps: the standard ones set, then the custom ones. */
export function mappedSalesFields(mapping: Record<string, unknown>): string[] {
  const standard = EMARSYS_STANDARD_FIELDS.filter((f) => typeof mapping[f] === 'string');
  const custom = isRecord(mapping.custom) ? Object.keys(mapping.custom) : [];
  return [...standard, ...custom];
}

const emarsysCustomerOrEmail: Check = ({ value, report }) => {
  const mapping = get(value, 'spec', 'mapping');
  if (!isRecord(mapping)) return;
  const has = (k: string) => mapping[k] !== undefined;
  if (has('customer') && has('email')) {
    report(['spec', 'mapping', 'email'], 'spec.mapping: map either customer or email, not both (Emarsys identifies a buyer by one of them)');
  } else if (!has('customer') && !has('email')) {
    report(['spec', 'mapping'], 'spec.mapping: map exactly one of customer (external id) or email', true);
  }
};

const emarsysCustomFieldNames: Check = ({ value, report }) => {
  const custom = get(value, 'spec', 'mapping', 'custom');
  if (!isRecord(custom)) return;
  for (const name of Object.keys(custom)) {
    const path = ['spec', 'mapping', 'custom', name];
    if ((EMARSYS_STANDARD_FIELDS as readonly string[]).includes(name.toLowerCase())) {
      report(path, `spec.mapping.custom.${name}: "${name}" is a standard Emarsys field; map it as spec.mapping.${name.toLowerCase()}`, true);
    } else if (!CUSTOM_PREFIX.test(name)) {
      report(
        path,
        `spec.mapping.custom.${name}: custom field names need a type prefix: s_ (string), i_ (integer), f_ (float) or t_ (timestamp), then letters, digits or _, e.g. s_${name.replace(/[^A-Za-z0-9_]/g, '_')}`,
        true,
      );
    }
  }
};

const emarsysFieldOrder: Check = ({ value, report }) => {
  const mapping = get(value, 'spec', 'mapping');
  const order = get(value, 'spec', 'fieldOrder');
  if (!isRecord(mapping) || !Array.isArray(order)) return;
  const mapped = mappedSalesFields(mapping);
  const seen = new Set<string>();
  order.forEach((field, i) => {
    if (typeof field !== 'string') return;
    if (seen.has(field)) report(['spec', 'fieldOrder', i], `spec.fieldOrder[${i}]: "${field}" is listed twice`);
    else if (!mapped.includes(field)) {
      report(['spec', 'fieldOrder', i], `spec.fieldOrder[${i}]: "${field}" is not a mapped field; mapped fields: ${mapped.join(', ')}`);
    }
    seen.add(field);
  });
  const missing = mapped.filter((f) => !seen.has(f));
  if (missing.length) {
    report(['spec', 'fieldOrder'], `spec.fieldOrder: must name every mapped field; missing: ${missing.join(', ')}`);
  }
};

const emarsysDelivery: Check = ({ value, report }) => {
  const mapping = get(value, 'spec', 'mapping');
  const delivery = get(value, 'spec', 'delivery');
  if (!isRecord(delivery)) return;
  const key = delivery.key;
  if (Array.isArray(key) && isRecord(mapping)) {
    const mapped = mappedSalesFields(mapping);
    key.forEach((field, i) => {
      if (typeof field === 'string' && !mapped.includes(field)) {
        report(['spec', 'delivery', 'key', i], `spec.delivery.key[${i}]: "${field}" is not a mapped Emarsys field; mapped fields: ${mapped.join(', ')}`);
      }
    });
  }
  const lookback = delivery.lookback;
  if (typeof lookback === 'string') {
    if (parseDuration(lookback) === undefined) {
      report(['spec', 'delivery', 'lookback'], `spec.delivery.lookback: "${lookback}" is not a duration; write a number and a unit s, m, h or d, such as 3d or 1d12h`);
    } else if (delivery.cursor === undefined) {
      report(['spec', 'delivery', 'lookback'], 'spec.delivery.lookback: needs spec.delivery.cursor (the date column the window is measured on)');
    }
  }
};

export const SALES_CHECKS: Check[] = [emarsysCustomerOrEmail, emarsysCustomFieldNames, emarsysFieldOrder, emarsysDelivery];
