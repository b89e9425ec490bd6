/**
 * Validates definition files in one pass and collects every problem of every file (renovate's
 * config-validator style), so a pull request shows all its mistakes at once.
 */
import { basename, relative, resolve } from 'node:path';
import type { Problem } from '../errors/index.ts';
import { destinationFor, type Definition } from '../registry.ts';
import { runChecks } from './checks.ts';
import { CONNECTORS_DIR, displayPath, entryExists, listDefinitionFiles } from './files.ts';
import { schemaProblems } from './schema-validator.ts';
import type { LoadedDefinition } from './types.ts';
import { YamlSource } from './yaml-source.ts';

export { CONNECTORS_DIR, displayPath, listDefinitionFiles };

const CONTROL = /[\x00-\x1f\x7f]/;

export interface ValidationResult {
  definitions: LoadedDefinition<Definition>[];
  problems: Problem[];
  /** Things a valid definition's author should know (not errors). */
  notes: Problem[];
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
  const checked = new Set<string>();
  const report = (path: (string | number)[], message: string, onKey = false) => {
    checked.add(JSON.stringify(path));
    problems.push({ file, ...source.locate(path, onKey), message });
  };
  const value = source.value as Record<string, unknown>;
  runChecks({ file, value, report, env }, typeof value.kind === 'string' ? destinationFor(value.kind) : undefined);
  // A rule both the schema (for editors) and a meaning check enforce is said once, in the check's words.
  for (const p of schemaProblems(source.value)) {
    if (!(p.checked && checked.has(JSON.stringify(p.path)))) problems.push({ file, ...source.locate(p.path, p.onKey), message: p.message });
  }
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
  const definitions: LoadedDefinition<Definition>[] = [];
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

/** What the definition's module has to say about a valid definition (validate prints these as notes). */
function definitionNotes(loaded: LoadedDefinition<Definition>): Problem[] {
  const notes = destinationFor(loaded.definition.kind)?.notes?.(loaded.definition) ?? [];
  return notes.map((note) => ({ file: loaded.file, ...(loaded.source?.locate(note.path, note.onKey) ?? { line: 1, column: 1 }), message: note.message }));
}
