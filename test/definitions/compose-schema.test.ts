/** The schemas editors and report readers use are the ones the modules compose (run `npm run schemas` after changing a fragment). */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { composeDefinitionSchema, composeReportSchema, schemaText } from '../../src/definitions/compose-schema.ts';
import type { DestinationModule, JsonSchema } from '../../src/jobs/destination.ts';
import { destinations } from '../../src/registry.ts';

const committed = (file: string) => readFileSync(new URL(`../../schemas/${file}`, import.meta.url), 'utf8');

describe('the committed schemas', () => {
  it('schemas/writeback.schema.json is what the registered modules compose', () => {
    expect(committed('writeback.schema.json'), 'run npm run schemas').toBe(schemaText(composeDefinitionSchema(destinations())));
  });

  it('schemas/report.schema.json is what the registered modules compose', () => {
    expect(committed('report.schema.json'), 'run npm run schemas').toBe(schemaText(composeReportSchema(destinations())));
  });

  it('offers every registered kind, each checked against its own spec', () => {
    const schema = composeDefinitionSchema(destinations()) as { properties: { kind: { enum: string[] } }; allOf: unknown[] };
    expect(schema.properties.kind.enum).toEqual(['EmarsysSalesWriteback', 'DotdigitalContactsWriteback']);
    expect(schema.allOf).toHaveLength(2);
  });
});

describe('composing', () => {
  const [first] = destinations();
  const clash = (reportSchema: Record<string, JsonSchema>): DestinationModule => ({ ...first!, kind: 'OtherWriteback', reportSchema });

  it('refuses two modules that describe one report field differently', () => {
    const field = Object.keys(first!.reportSchema ?? {})[0]!;
    expect(() => composeReportSchema([first!, clash({ [field]: { type: 'string' } })])).toThrow(`OtherWriteback describes "${field}" differently`);
  });

  it('lets two modules share a report field they describe alike', () => {
    const field = Object.keys(first!.reportSchema ?? {})[0]!;
    expect(() => composeReportSchema([first!, clash({ [field]: first!.reportSchema![field]! })])).not.toThrow();
  });
});

describe('credential paths', () => {
  const [first] = destinations();
  const module = (credentialPaths: string[][], token: JsonSchema): DestinationModule => ({
    ...first!,
    kind: 'OtherWriteback',
    credentialPaths,
    schema: { spec: { type: 'object', properties: { destination: { type: 'object', properties: { other: { type: 'object', properties: { token } } } } } } },
  });
  const specOf = (m: DestinationModule) => (composeDefinitionSchema([m]) as { definitions: Record<string, any> }).definitions.otherSpec;

  it('are { secret: NAME } in the composed schema, whatever the fragment wrote, keeping its words', () => {
    const spec = specOf(module([['destination', 'other', 'token']], { title: 'Token', description: 'The API token.', $ref: '#/definitions/stringOrSecret' }));
    expect(spec.properties.destination.properties.other.properties.token).toEqual({ title: 'Token', description: 'The API token.', $ref: '#/definitions/secretRef' });
  });

  it('must be in the fragment', () => {
    expect(() => specOf(module([['destination', 'other', 'password']], { type: 'string' }))).toThrow('OtherWriteback: the credential path spec.destination.other.password is not in its spec schema');
  });
});
