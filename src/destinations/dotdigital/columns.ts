/** The Domo columns a Dotdigital job reads (plan checks them against the DataSet, with the field types once known). */
import type { ColumnCheck } from '../../plan/job-plan.ts';
import { mappedFields } from './fields.ts';
import type { DotdigitalContactsDefinition } from './spec.ts';

export function contactColumns(definition: DotdigitalContactsDefinition): ColumnCheck[] {
  return [
    { field: 'email', column: definition.spec.mapping.email, need: 'email', verdict: 'unchecked' },
    ...mappedFields(definition.spec).map((f) => ({ field: f.name, column: f.column, need: 'text' as const, verdict: 'unchecked' as const })),
  ];
}
