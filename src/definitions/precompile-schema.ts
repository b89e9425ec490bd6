/**
 * Run by `npm run build` after tsc: compiles the definition schema's validator into code beside the
 * compiled modules, so commands start without compiling it (see schema-validator.ts).
 */
import { writeFileSync } from 'node:fs';
import { definitionSchemaText, PRECOMPILED_URL, standaloneValidatorCode } from './schema-validator.ts';

writeFileSync(PRECOMPILED_URL, standaloneValidatorCode(definitionSchemaText()));
