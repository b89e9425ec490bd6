/**
 * JSON Schema validation with errors rewritten for people. The schema is composed from the registered
 * destination modules (compose-schema.ts). Its validator is compiled by ajv at build time (`npm run build`
 * writes it as code beside the compiled modules: see precompile-schema.ts), since compiling it took 120 ms
 * and loading ajv 60 ms of every command's start. When there is no build, or the schema changed since (a
 * module registered at run time, an edited fragment), ajv compiles it here.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { ErrorObject, Options, ValidateFunction } from 'ajv';
import { destinations } from '../registry.ts';
import { composeDefinitionSchema, schemaText } from './compose-schema.ts';
import type { PathSegment } from './yaml-source.ts';

/** The definition schema as the registered modules compose it, as text (what schemas/writeback.schema.json holds). */
export const definitionSchemaText = (): string => schemaText(composeDefinitionSchema(destinations()));
/** Where the build writes the compiled validator. */
export const PRECOMPILED_URL = new URL('./writeback-schema-validator.cjs', import.meta.url);
export const AJV_OPTIONS: Options = { allErrors: true, strict: false, verbose: true };

export const schemaSha256 = (text: string) => createHash('sha256').update(text).digest('hex');

const require = createRequire(import.meta.url);
let compiled: { sha256: string; validate: ValidateFunction } | undefined;

/** The schema's validator as CommonJS code (what the build writes), stamped with the schema's hash. */
export function standaloneValidatorCode(schema: string): string {
  const { Ajv } = require('ajv') as typeof import('ajv');
  const standaloneCode = (require('ajv/dist/standalone') as typeof import('ajv/dist/standalone/index.js')).default;
  const ajv = new Ajv({ ...AJV_OPTIONS, code: { source: true } });
  const code = standaloneCode(ajv, ajv.compile(JSON.parse(schema)));
  return `${code}\nmodule.exports.schemaSha256 = ${JSON.stringify(schemaSha256(schema))};\n`;
}

function validator(): ValidateFunction {
  const schema = definitionSchemaText();
  const sha256 = schemaSha256(schema);
  if (compiled?.sha256 === sha256) return compiled.validate;
  if (existsSync(PRECOMPILED_URL)) {
    const built = require(fileURLToPath(PRECOMPILED_URL)) as { default: ValidateFunction; schemaSha256?: string };
    if (built.schemaSha256 === sha256) return (compiled = { sha256, validate: built.default }).validate;
  }
  const { Ajv } = require('ajv') as typeof import('ajv');
  return (compiled = { sha256, validate: new Ajv(AJV_OPTIONS).compile(JSON.parse(schema)) }).validate;
}

export interface SchemaProblem {
  path: PathSegment[];
  /** Show the problem on the mapping key rather than on its value. */
  onKey: boolean;
  message: string;
}

/** Friendlier words for the schema's patterns. */
const PATTERN_HINTS: Record<string, string> = {
  '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$':
    "must be lower-case letters, digits and '-', at most 63 characters, starting and ending with a letter or digit",
  '^[A-Za-z_][A-Za-z0-9_]*$': 'a secret name is letters, digits and _, not starting with a digit',
};

export function dotted(path: readonly PathSegment[]): string {
  return path.reduce<string>(
    (text, segment) => (typeof segment === 'number' ? `${text}[${segment}]` : text ? `${text}.${segment}` : segment),
    '',
  );
}

function pointerToPath(pointer: string): PathSegment[] {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return 'text';
  return `a ${typeof value}`;
}

function expectedType(type: unknown): string {
  const names: Record<string, string> = {
    string: 'text',
    object: 'a mapping',
    array: 'a list',
    boolean: 'true or false',
    number: 'a number',
    integer: 'a whole number',
  };
  const types = Array.isArray(type) ? type : [type];
  if (types.includes('string') && types.includes('object')) return 'text or a mapping such as { secret: NAME }';
  return types.map((t) => names[String(t)] ?? String(t)).join(' or ');
}

function describe(error: ErrorObject): SchemaProblem | undefined {
  const path = pointerToPath(error.instancePath);
  const here = dotted(path);
  const at = (p: PathSegment[]) => dotted(p) || '(top level)';
  switch (error.keyword) {
    case 'if':
      return undefined; // the `then` branch reports the real problem
    case 'required': {
      const missing = String(error.params.missingProperty);
      return { path, onKey: false, message: `${at([...path, missing])}: required` };
    }
    case 'additionalProperties': {
      const extra = String(error.params.additionalProperty);
      const known = Object.keys((error.parentSchema?.properties as object | undefined) ?? {});
      const hint = known.length ? `; expected one of: ${known.join(', ')}` : '';
      return { path: [...path, extra], onKey: true, message: `${at([...path, extra])}: unknown key${hint}` };
    }
    case 'type':
      return {
        path,
        onKey: false,
        message: `${at(path)}: must be ${expectedType(error.params.type)}, not ${typeName(error.data)}`,
      };
    case 'enum': {
      const allowed = (error.params.allowedValues as unknown[]).map(String);
      const what = path.length === 1 && (here === 'kind' || here === 'apiVersion') ? `known ${here} values` : 'allowed';
      return {
        path,
        onKey: false,
        message: `${here}: ${JSON.stringify(error.data)} is not supported; ${what}: ${allowed.join(', ')}`,
      };
    }
    case 'pattern': {
      const hint = PATTERN_HINTS[String(error.params.pattern)] ?? `must match ${String(error.params.pattern)}`;
      return { path, onKey: false, message: `${here}: ${JSON.stringify(error.data)} ${hint}` };
    }
    default:
      return { path, onKey: false, message: `${at(path)}: ${error.message ?? 'is not valid'}` };
  }
}

/** Every schema problem of one definition value, each once. */
export function schemaProblems(value: unknown): SchemaProblem[] {
  const validate = validator();
  if (validate(value)) return [];
  const seen = new Set<string>();
  const problems: SchemaProblem[] = [];
  for (const error of validate.errors ?? []) {
    const problem = describe(error);
    if (!problem || seen.has(problem.message)) continue;
    seen.add(problem.message);
    problems.push(problem);
  }
  return problems;
}
