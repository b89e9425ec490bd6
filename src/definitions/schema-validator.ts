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
let compiled: { sha256: string; validate: ValidateFunction; schema: Record<string, unknown> } | undefined;

/** The schema's validator as CommonJS code (what the build writes), stamped with the schema's hash. */
export function standaloneValidatorCode(schema: string): string {
  const { Ajv } = require('ajv') as typeof import('ajv');
  const standaloneCode = (require('ajv/dist/standalone') as typeof import('ajv/dist/standalone/index.js')).default;
  const ajv = new Ajv({ ...AJV_OPTIONS, code: { source: true } });
  const code = standaloneCode(ajv, ajv.compile(JSON.parse(schema)));
  return `${code}\nmodule.exports.schemaSha256 = ${JSON.stringify(schemaSha256(schema))};\n`;
}

/** The validator of the composed schema, and that schema (to find the rule behind an error). */
function validator(): { sha256: string; validate: ValidateFunction; schema: Record<string, unknown> } {
  const text = definitionSchemaText();
  const sha256 = schemaSha256(text);
  if (compiled?.sha256 === sha256) return compiled;
  const schema = JSON.parse(text) as Record<string, unknown>;
  if (existsSync(PRECOMPILED_URL)) {
    const built = require(fileURLToPath(PRECOMPILED_URL)) as { default: ValidateFunction; schemaSha256?: string };
    if (built.schemaSha256 === sha256) return (compiled = { sha256, validate: built.default, schema });
  }
  const { Ajv } = require('ajv') as typeof import('ajv');
  return (compiled = { sha256, validate: new Ajv(AJV_OPTIONS).compile(schema), schema });
}

export interface SchemaProblem {
  path: PathSegment[];
  /** Show the problem on the mapping key rather than on its value. */
  onKey: boolean;
  message: string;
  /**
   * The failed rule is marked x-checked: a meaning check reports it with a more precise message, so the
   * validator drops this problem when a check reported one at the same path (validator.ts).
   */
  checked?: boolean;
}

export function dotted(path: readonly PathSegment[]): string {
  return path.reduce<string>(
    (text, segment) => (typeof segment === 'number' ? `${text}[${segment}]` : text ? `${text}.${segment}` : segment),
    '',
  );
}

const unescape = (segment: string) => segment.replace(/~1/g, '/').replace(/~0/g, '~');

function pointerToPath(pointer: string): PathSegment[] {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split('/')
    .map(unescape)
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return 'text';
  return `a ${typeof value}`;
}

type Schema = Record<string, unknown>;
const isSchema = (value: unknown): value is Schema => typeof value === 'object' && value !== null && !Array.isArray(value);

function expectedType(type: unknown, schema: Schema | undefined): string {
  const names: Record<string, string> = {
    string: 'text',
    object: 'a mapping',
    array: 'a list',
    boolean: 'true or false',
    number: 'a number',
    integer: 'a whole number',
  };
  const types = Array.isArray(type) ? type : [type];
  const secret = isSchema(schema?.properties) && 'secret' in schema.properties;
  if (secret && types.includes('string') && types.includes('object')) return 'text or a mapping such as { secret: NAME }';
  if (secret && types.includes('object')) return 'a mapping such as { secret: NAME }';
  return types.map((t) => names[String(t)] ?? String(t)).join(' or ');
}

/**
 * The schema object whose keyword failed. For `false` (a property a schema forbids, as in
 * `properties: { email: false }`), the schema holding that `properties`: ajv's schemaPath is relative to
 * the definition a $ref led to, so it is looked up in the root and in each definition.
 */
function failedSchema(error: ErrorObject, root: Schema): Schema | undefined {
  if (error.keyword !== 'false schema') return isSchema(error.parentSchema) ? error.parentSchema : undefined;
  // .../<holder>/properties/<name>/false schema
  const segments = error.schemaPath.replace(/^#\/?/, '').split('/').map((s) => unescape(decodeURIComponent(s)));
  const name = segments.at(-2);
  if (segments.at(-3) !== 'properties' || name === undefined) return undefined;
  const definitions = isSchema(root.definitions) ? Object.values(root.definitions) : [];
  for (const start of [root, ...definitions]) {
    let node: unknown = start;
    for (const segment of segments.slice(0, -3)) node = isSchema(node) || Array.isArray(node) ? (node as Schema)[segment] : undefined;
    if (isSchema(node) && isSchema(node.properties) && node.properties[name] === false) return node;
  }
  return undefined;
}

function describe(error: ErrorObject, schema: Schema | undefined): SchemaProblem | undefined {
  // A rule of propertyNames failed for one key: the problem is that key.
  const key = error.propertyName;
  const path = key === undefined ? pointerToPath(error.instancePath) : [...pointerToPath(error.instancePath), key];
  const onKey = key !== undefined;
  const here = dotted(path);
  const at = (p: PathSegment[]) => dotted(p) || '(top level)';
  // What editors show for this rule (envelope-schema.ts): used for the keywords that have no words here.
  const editorWords = typeof schema?.errorMessage === 'string' ? schema.errorMessage : undefined;
  switch (error.keyword) {
    case 'if':
    case 'anyOf':
    case 'propertyNames':
      return undefined; // the `then` branch, the alternatives or the name's rules report the real problem
    case 'required': {
      const missing = String(error.params.missingProperty);
      return { path, onKey: path.length > 0, message: `${at([...path, missing])}: required` };
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
        onKey,
        message: `${at(path)}: must be ${expectedType(error.params.type, schema)}, not ${typeName(error.data)}`,
      };
    case 'enum': {
      const allowed = (error.params.allowedValues as unknown[]).map(String);
      const what = path.length === 1 && (here === 'kind' || here === 'apiVersion') ? `known ${here} values` : 'allowed';
      return {
        path,
        onKey,
        message: `${here}: ${JSON.stringify(error.data)} is not supported; ${what}: ${allowed.join(', ')}`,
      };
    }
    case 'pattern': {
      const hint = typeof schema?.patternErrorMessage === 'string' ? schema.patternErrorMessage : `must match ${String(error.params.pattern)}`;
      return { path, onKey, message: `${here}: ${JSON.stringify(error.data)} ${hint}` };
    }
    case 'uniqueItems': {
      // ajv names the first repeated pair it finds; the later index is the repeat.
      const repeat = Math.max(Number(error.params.i), Number(error.params.j));
      const item = (error.data as unknown[])[repeat];
      return { path: [...path, repeat], onKey, message: `${at([...path, repeat])}: ${JSON.stringify(item)} is listed twice` };
    }
    case 'false schema':
      return { path, onKey: true, message: `${at(path)}: ${editorWords ?? 'not allowed here'}` };
    default:
      return { path, onKey, message: `${at(path)}: ${editorWords ?? error.message ?? 'is not valid'}` };
  }
}

/** Every schema problem of one definition value, each once. */
export function schemaProblems(value: unknown): SchemaProblem[] {
  const { validate, schema: root } = validator();
  if (validate(value)) return [];
  const seen = new Set<string>();
  const problems: SchemaProblem[] = [];
  const errors = validate.errors ?? [];
  // Items that fail a `contains` are not problems: the `contains` error (the array lacks one) is.
  const contains = errors.filter((e) => e.keyword === 'contains').map((e) => `${e.schemaPath}/`);
  for (const error of errors) {
    if (contains.some((prefix) => error.schemaPath.startsWith(prefix))) continue;
    const schema = failedSchema(error, root);
    const problem = describe(error, schema);
    if (!problem || seen.has(problem.message)) continue;
    seen.add(problem.message);
    problems.push(schema?.['x-checked'] === true ? { ...problem, checked: true } : problem);
  }
  return problems;
}
