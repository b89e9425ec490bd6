/**
 * The definition and report schemas, composed from the shared parts and each registered destination
 * module's fragments. `npm run schemas` writes them to schemas/ (where editors find them); a test holds
 * the committed files equal to what this composes, and the validator compiles the composed schema.
 */
import type { DestinationModule, JsonSchema } from '../jobs/destination.ts';
import { BASE_REPORT_SCHEMA } from '../reports/report-schema.ts';
import { ENVELOPE, SHARED_DEFINITIONS } from './envelope-schema.ts';

/** Where a module's spec sits among the definitions: AcmeContactsWriteback -> acmeContactsSpec. */
export const specDefinitionName = (kind: string) => `${kind[0]!.toLowerCase()}${kind.slice(1).replace(/Writeback$/, '')}Spec`;

export function composeDefinitionSchema(modules: readonly DestinationModule[]): JsonSchema {
  const properties = ENVELOPE.properties as Record<string, JsonSchema>;
  const definitions: Record<string, JsonSchema> = { ...SHARED_DEFINITIONS };
  for (const module of modules) {
    addOnce(definitions, specDefinitionName(module.kind), module.schema.spec, module.kind);
    for (const [name, schema] of Object.entries(module.schema.definitions ?? {})) addOnce(definitions, name, schema, module.kind);
  }
  return {
    ...ENVELOPE,
    properties: {
      ...properties,
      kind: {
        description: `What the job delivers: ${modules.map((m) => `${m.kind} (${m.delivers})`).join(' or ')}.`,
        type: 'string',
        enum: modules.map((m) => m.kind),
      },
    },
    // One branch per kind: its spec is checked against its own schema, so errors stay precise.
    allOf: modules.map((m) => ({ if: { properties: { kind: { const: m.kind } }, required: ['kind'] }, then: { properties: { spec: { $ref: `#/definitions/${specDefinitionName(m.kind)}` } } } })),
    definitions,
  };
}

export function composeReportSchema(modules: readonly DestinationModule[]): JsonSchema {
  const properties = { ...(BASE_REPORT_SCHEMA.properties as Record<string, JsonSchema>) };
  for (const module of modules) for (const [name, schema] of Object.entries(module.reportSchema ?? {})) addOnce(properties, name, schema, module.kind);
  return { ...BASE_REPORT_SCHEMA, properties };
}

/** Modules may share a report field or a definition only when they describe it the same way. */
function addOnce(into: Record<string, JsonSchema>, name: string, schema: JsonSchema, kind: string): void {
  if (name in into && JSON.stringify(into[name]) !== JSON.stringify(schema)) {
    throw new Error(`${kind} describes "${name}" differently from a shared part or another destination; give it a name of its own`);
  }
  into[name] = schema;
}

/** A schema as the files in schemas/ hold it. */
export const schemaText = (schema: JsonSchema) => `${JSON.stringify(schema, null, 2)}\n`;
