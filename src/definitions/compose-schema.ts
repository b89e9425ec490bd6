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
    addOnce(definitions, specDefinitionName(module.kind), withSecretRefs(module), module.kind);
    for (const [name, schema] of Object.entries(module.schema.definitions ?? {})) addOnce(definitions, name, schema, module.kind);
  }
  return {
    ...ENVELOPE,
    properties: {
      ...properties,
      kind: {
        title: 'Kind',
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

/**
 * A module's spec schema with every credential path (DestinationModule.credentialPaths) as
 * #/definitions/secretRef, so editors refuse a literal credential as `validate` does, whatever the
 * fragment wrote there (a plain string, stringOrSecret). The fragment's title and description stay.
 */
function withSecretRefs(module: DestinationModule): JsonSchema {
  const spec = structuredClone(module.schema.spec);
  for (const path of module.credentialPaths) {
    let node = spec;
    path.forEach((key, i) => {
      const properties = node.properties as Record<string, JsonSchema> | undefined;
      const child = properties?.[key];
      if (!properties || !child) throw new Error(`${module.kind}: the credential path spec.${path.join('.')} is not in its spec schema (properties all the way down)`);
      if (i < path.length - 1) node = child;
      else properties[key] = { ...(child.title ? { title: child.title } : {}), ...(child.description ? { description: child.description } : {}), $ref: '#/definitions/secretRef' };
    });
  }
  return spec;
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
