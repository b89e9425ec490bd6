/**
 * Validates definition files in one pass and collects every problem of every file (renovate's
 * config-validator style), so a pull request shows all its mistakes at once.
 */
import { existsSync, lstatSync, readdirSync } from 'node:fs';
import { basename, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { Problem } from '../errors/index.ts';
import { runChecks } from './checks.ts';
import { schemaProblems } from './schema-validator.ts';
import type { Definition, LoadedDefinition } from './types.ts';
import { fieldOrder } from '../destinations/emarsys/fields.ts';
import { YamlSource } from './yaml-source.ts';

export interface ValidationResult {
  definitions: LoadedDefinition[];
  problems: Problem[];
  /** Things a valid definition's author should know (not errors). */
  notes: Problem[];
}

export const CONNECTORS_DIR = 'connectors';
const DEFINITION_FILE = /\.ya?ml$/;

/**
 * How a file is named in messages: relative to the repository root (as GitHub annotations expect),
 * else to the working directory, else absolute.
 */
export function displayPath(path: string, root = process.cwd()): string {
  for (const base of [root, process.cwd()]) {
    const rel = relative(base, path);
    if (rel && !rel.startsWith('..') && !isAbsolute(rel)) return visible(rel.split(sep).join('/'));
  }
  return visible(path);
}

/** Control characters written out (a line break as \n): a file name must not be able to start a new line of output. */
const visible = (text: string) => text.replace(/[\x00-\x1f\x7f]/g, (c) => (c === '\n' ? '\\n' : c === '\r' ? '\\r' : c === '\t' ? '\\t' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`));
const CONTROL = /[\x00-\x1f\x7f]/;

/** Whether a directory entry exists, links that lead nowhere included (their error is clearer than "not found"). */
function entryExists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** The definition files of a repository, sorted for stable output. */
export function listDefinitionFiles(root: string): string[] {
  const dir = join(root, CONNECTORS_DIR);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => DEFINITION_FILE.test(f))
    .sort()
    .map((f) => join(dir, f));
}

export function validateFile(path: string, root?: string, env: NodeJS.ProcessEnv = process.env): { definition?: Definition; source?: YamlSource; problems: Problem[] } {
  const file = displayPath(path, root);
  const problems: Problem[] = [];
  if (CONTROL.test(basename(path))) {
    return { problems: [{ file, line: 1, column: 1, message: 'the file name holds a control character (a line break, say): rename the file to <metadata.name>.yaml' }] };
  }
  const source = YamlSource.read(path, file, root);
  for (const p of source.problems) problems.push({ file, ...p });
  if (problems.length) return { problems: unique(problems) };
  if (typeof source.value !== 'object' || source.value === null || Array.isArray(source.value)) {
    problems.push({ file, line: 1, column: 1, message: 'a definition is a mapping with apiVersion, kind, metadata and spec' });
    return { problems };
  }
  const report = (path: (string | number)[], message: string, onKey = false) => {
    problems.push({ file, ...source.locate(path, onKey), message });
  };
  for (const p of schemaProblems(source.value)) report(p.path, p.message, p.onKey);
  runChecks({ file, value: source.value as Record<string, unknown>, report, env });
  problems.sort((a, b) => a.line - b.line || a.column - b.column);
  return problems.length ? { problems: unique(problems) } : { definition: source.value as Definition, source, problems };
}

/** The YAML parser can report one mistake several times at one place. */
function unique(problems: Problem[]): Problem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.line}:${p.column}:${p.message}`;
    return seen.has(key) ? false : (seen.add(key), true);
  });
}

/**
 * Validates the given files (default: every file in `connectors/`), plus repository-wide rules:
 * definitions live in `connectors/`, and job names are unique.
 */
export function validateRepository(root: string, files?: string[], env: NodeJS.ProcessEnv = process.env): ValidationResult {
  const connectorsDir = resolve(root, CONNECTORS_DIR);
  const targets = files?.length ? files.map((f) => resolve(f)) : listDefinitionFiles(root);
  const problems: Problem[] = [];
  const definitions: LoadedDefinition[] = [];
  const names = new Map<string, string>();

  for (const path of targets) {
    const file = displayPath(path, root);
    if (!entryExists(path)) {
      problems.push({ file, line: 1, column: 1, message: 'file not found' });
      continue;
    }
    if (relative(connectorsDir, resolve(path, '..')) !== '') {
      problems.push({
        file,
        line: 1,
        column: 1,
        message: `definitions must live in ${displayPath(connectorsDir, root)}/ (one file per job, named after metadata.name); move this file there`,
      });
      continue;
    }
    const result = validateFile(path, root, env);
    problems.push(...result.problems);
    if (result.definition) definitions.push({ file, path, definition: result.definition, source: result.source });
  }

  // Names equal file stems, so a clash means twins such as x.yaml and x.yml, or a misnamed copy.
  for (const loaded of definitions) {
    const name = loaded.definition.metadata.name;
    const other = names.get(name);
    if (other) {
      const at = loaded.source?.locate(['metadata', 'name']) ?? { line: 1, column: 1 };
      problems.push({ file: loaded.file, ...at, message: `metadata.name "${name}" is already used by ${other}; job names must be unique` });
    }
    names.set(name, loaded.file);
  }
  const invalid = new Set(problems.map((p) => p.file));
  const valid = definitions.filter((d) => !invalid.has(d.file));
  return { definitions: valid, problems, notes: valid.flatMap(definitionNotes) };
}

/**
 * Emarsys reads a file's columns in the order agreed at onboarding and fails the load of any other, after
 * answering 200 (docs/vendors/emarsys-sales.md): a definition without fieldOrder gets the default said out loud.
 */
function definitionNotes(loaded: LoadedDefinition): Problem[] {
  const { definition } = loaded;
  if (definition.kind !== 'EmarsysSalesWriteback' || definition.spec.fieldOrder) return [];
  const at = loaded.source?.locate(['spec', 'mapping'], true) ?? { line: 1, column: 1 };
  const order = fieldOrder(definition.spec);
  return [{ file: loaded.file, ...at, message: `spec.fieldOrder is not set, so files are sent as ${order.join(',')} (Emarsys's documented order); the columns must be in the order agreed with Emarsys at onboarding, or Emarsys fails the load after accepting the file: write that order as spec.fieldOrder` }];
}
