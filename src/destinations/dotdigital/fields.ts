/** The data fields a Dotdigital job maps, checked against the account's fields; values formatted per type. */
import type { DotdigitalContactsSpec, DotdigitalFieldType } from './spec.ts';
import { formatNumber, Invalid, parseTimestamp } from '../../pipeline/values.ts';
import type { DataField } from './client.ts';

/** Dotdigital fields whose values are always personal (the file's Email column). */
export const PERSONAL_FIELDS = ['email'];

export interface MappedField {
  name: string;
  column: string;
  /** The type declared in the definition, if any. */
  declared?: DotdigitalFieldType;
  create: boolean;
}

export interface FieldResolution {
  /** Every mapped field with the type it has (or will have) in Dotdigital. */
  fields: (MappedField & { type: DotdigitalFieldType })[];
  toCreate: { name: string; type: DotdigitalFieldType }[];
  problems: string[];
}

export function mappedFields(spec: DotdigitalContactsSpec): MappedField[] {
  return Object.entries(spec.mapping.dataFields ?? {}).map(([name, value]) =>
    typeof value === 'string' ? { name, column: value, create: false } : { name, column: value.column, declared: value.type, create: value.create ?? false },
  );
}

/** Pure: which fields exist, which to create, which are problems (missing without create, type mismatch). */
/** The types a v2 import can write; v2's OpenAPI file also lists NotAvailableInThisVersion, a type v2 cannot express. */
const WRITABLE_TYPES: readonly string[] = ['String', 'Numeric', 'Date', 'Boolean'];

export function resolveFields(spec: DotdigitalContactsSpec, existing: DataField[]): FieldResolution {
  const byName = new Map(existing.map((f) => [f.name.toUpperCase(), f]));
  const result: FieldResolution = { fields: [], toCreate: [], problems: [] };
  for (const field of mappedFields(spec)) {
    const found = byName.get(field.name.toUpperCase());
    if (found) {
      if (!WRITABLE_TYPES.includes(found.type)) {
        result.problems.push(`data field ${field.name} has the type ${found.type} in Dotdigital, which its v2 API cannot write; map another field, or change this one's type in Dotdigital`);
        continue;
      }
      if (field.declared && found.type !== field.declared) {
        result.problems.push(`data field ${field.name} is ${found.type} in Dotdigital but the definition declares ${field.declared}; change the definition or the field`);
        continue;
      }
      result.fields.push({ ...field, name: found.name, type: found.type as DotdigitalFieldType });
    } else if (field.create) {
      const type = field.declared ?? 'String';
      result.toCreate.push({ name: field.name, type });
      result.fields.push({ ...field, type });
    } else {
      result.problems.push(`data field ${field.name} does not exist in Dotdigital; create it there, or write { column: ${field.column}, type: String, create: true } in spec.mapping.dataFields`);
    }
  }
  return result;
}

const TRUE = new Set(['true', 'yes', 'y', '1']);
const FALSE = new Set(['false', 'no', 'n', '0']);

/** Formats one value for a data field of `type`; '' stays '' (an empty cell leaves the field alone or clears it, per merge option). */
export function formatFieldValue(type: DotdigitalFieldType, text: string): string | Invalid {
  if (text === '') return '';
  switch (type) {
    case 'String':
      return text;
    case 'Numeric':
      return formatNumber(text);
    case 'Date': {
      const ms = parseTimestamp(text);
      if (ms instanceof Invalid) return ms;
      const year = new Date(ms).getUTCFullYear();
      if (year < 1000 || year > 9999) return new Invalid(`"${text}" needs a four-digit year`);
      return new Date(ms).toISOString().slice(0, 19); // Dotdigital dates: YYYY-MM-DDTHH:MM:SS
    }
    case 'Boolean': {
      const lower = text.trim().toLowerCase();
      if (TRUE.has(lower)) return 'true';
      if (FALSE.has(lower)) return 'false';
      return new Invalid(`"${text}" is not true or false (accepted: true/false, yes/no, 1/0)`);
    }
  }
}

