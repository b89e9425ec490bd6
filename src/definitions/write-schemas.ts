/**
 * `npm run schemas`: writes schemas/writeback.schema.json and schemas/report.schema.json from the shared
 * parts and the registered modules' fragments (a test fails when the committed files differ).
 */
import { writeFileSync } from 'node:fs';
import { destinations } from '../registry.ts';
import { composeDefinitionSchema, composeReportSchema, schemaText } from './compose-schema.ts';

const schemas = new URL('../../schemas/', import.meta.url);
writeFileSync(new URL('writeback.schema.json', schemas), schemaText(composeDefinitionSchema(destinations())));
writeFileSync(new URL('report.schema.json', schemas), schemaText(composeReportSchema(destinations())));
