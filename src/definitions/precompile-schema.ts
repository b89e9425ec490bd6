/**
 * Run by `npm run build` after tsc: compiles the definition schema's validator into code beside the
 * compiled modules, so commands start without compiling it (see schema-validator.ts).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { PRECOMPILED_URL, SCHEMA_URL, standaloneValidatorCode } from './schema-validator.ts';

writeFileSync(PRECOMPILED_URL, standaloneValidatorCode(readFileSync(SCHEMA_URL, 'utf8')));
