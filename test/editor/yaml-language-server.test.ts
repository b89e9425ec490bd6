/**
 * What an editor shows while a definition is typed: yaml-language-server (the devDependency VS Code's YAML
 * extension runs) driven over LSP with the shipped schema. Every problem `writeback validate` finds whose
 * rule JSON Schema can express must be flagged by the editor on the same line; the rules it cannot express
 * are listed below, each with the reason. The editor must flag nothing in a valid definition, and nothing
 * on a line where validate finds nothing.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Problem } from '../../src/errors/index.ts';
import { validateRepository } from '../../src/definitions/validator.ts';
import { startYamlLanguageServer, type Diagnostic, type LspClient } from '../helpers/lsp-client.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const FIXTURES = join(ROOT, 'test/fixtures');
const SCHEMA_URL = pathToFileURL(join(ROOT, 'schemas/writeback.schema.json')).href;
const fileUrl = (path: string) => pathToFileURL(path).href;

/**
 * The problems JSON Schema cannot express, so only `writeback validate` reports them (matched on the
 * message). Keep this list short: a rule that moves into the schema leaves it.
 */
const VALIDATE_ONLY: { message: RegExp; why: string; noFixture?: true }[] = [
  { message: /must equal the file name/, why: 'the file name is not part of the document a schema sees' },
  { message: /is already used by/, why: 'unique names span every file of the repository', noFixture: true },
  { message: /never fires/, why: 'calendar reasoning (February 30th) beyond a pattern' },
  { message: /runs backwards/, why: 'comparing the two numbers of a range: a pattern would have to list every pair' },
  { message: /personalData\.fields\[\d+\]: .* is not a mapped field/, why: 'cross-field: the allowed names are the fields the mapping maps' },
  {
    message: /spec\.(fieldOrder|delivery\.key)\[\d+\]: "(order|timestamp|customer|email|item|price|quantity|[sift]_\w+)" is not a mapped/,
    why: 'cross-field: a possible Emarsys field that the mapping does not map (impossible names are flagged)',
  },
  {
    message: /spec\.fieldOrder: must name every mapped field; missing: [sift]_\w+(, [sift]_\w+)*$/,
    why: 'cross-field: custom field names are whatever the mapping names (missing standard fields are flagged)',
    noFixture: true,
  },
  { message: /spec\.destination\.dotdigital\.endpoint: /, why: "depends on the operator's environment (WRITEBACK_ALLOWED_HOSTS, DOTDIGITAL_API_URL), which the schema cannot see" },
];

/** The broken fixtures must keep producing this many problems, so the comparison stays meaningful. */
const BROKEN_PROBLEMS = { 'broken-sales': 18, 'broken-contacts': 11 };
/** What the editor must flag at least: the schema's reach, measured by this test (before issue 17: 7 of 28). */
const BROKEN_FLAGGED = 24;

let server: LspClient;
const used = new Set<string>();

/** Errors and warnings (the server reports schema problems as errors); information such as "Unused anchor" is no problem. */
const problemsOf = (diagnostics: Diagnostic[]) => diagnostics.filter((d) => (d.severity ?? 1) <= 2);

beforeAll(async () => {
  server = await startYamlLanguageServer({ validate: true, schemas: { [SCHEMA_URL]: ['*.yaml'] }, schemaStore: { enable: false } }, fileUrl(ROOT));
  // The server pulls its settings after didChangeConfiguration: wait until a broken document is flagged.
  const probe = 'apiVersion: writeback/v1\nkind: Nope\n';
  for (let tries = 0; tries < 50 && (await server.diagnose(fileUrl(join(ROOT, 'probe.yaml')), probe)).length === 0; tries++) {
    await new Promise((r) => setTimeout(r, 100));
  }
}, 20_000);

afterAll(async () => {
  await server?.shutdown();
});

interface Compared {
  problem: Problem;
  flagged: boolean;
  validateOnly?: string;
}

interface Comparison {
  file: string;
  problems: Compared[];
  /** Diagnostics on lines where validate finds nothing: the editor must not complain about what validate accepts. */
  unexpected: Diagnostic[];
}

/**
 * Validates one file both ways. Each problem takes its own diagnostic on its line (one covering its column
 * first), expressible problems before validate-only ones, so one diagnostic never counts for two problems.
 */
async function compare(root: string, path: string): Promise<Comparison> {
  const problems = validateRepository(root, [path]).problems;
  const diagnostics = problemsOf(await server.diagnose(fileUrl(path), readFileSync(path, 'utf8')));
  const compared: Compared[] = problems.map((problem) => ({ problem, flagged: false, validateOnly: VALIDATE_ONLY.find((v) => v.message.test(problem.message))?.why }));
  for (const c of compared) if (c.validateOnly) used.add(c.validateOnly);
  const free = [...diagnostics];
  const width = (d: Diagnostic) => (d.range.end.line - d.range.start.line) * 10_000 + d.range.end.character - d.range.start.character;
  const covers = (d: Diagnostic, p: Problem) => d.range.start.character <= p.column - 1 && (d.range.end.line > d.range.start.line || p.column - 1 < d.range.end.character);
  const ordered = [...compared].sort((a, b) => Number(Boolean(a.validateOnly)) - Number(Boolean(b.validateOnly)));
  for (const exact of [true, false]) {
    for (const c of ordered.filter((c) => !c.flagged)) {
      const candidates = free.filter((d) => d.range.start.line + 1 === c.problem.line && (!exact || covers(d, c.problem))).sort((a, b) => width(a) - width(b));
      if (candidates[0]) {
        free.splice(free.indexOf(candidates[0]), 1);
        c.flagged = true;
      }
    }
  }
  return {
    file: path.slice(ROOT.length + 1),
    problems: compared,
    unexpected: diagnostics.filter((d) => !problems.some((p) => p.line === d.range.start.line + 1)),
  };
}

const missed = (c: Comparison) => c.problems.filter((p) => !p.validateOnly && !p.flagged).map((p) => `${c.file}:${p.problem.line}:${p.problem.column}: ${p.problem.message}`);
const unexpected = (c: Comparison) => c.unexpected.map((d) => `${c.file}:${d.range.start.line + 1}: ${d.message}`);

function report(what: string, comparisons: Comparison[]): number {
  const all = comparisons.flatMap((c) => c.problems);
  const flagged = all.filter((p) => p.flagged).length;
  const lines = [`editor flags ${flagged} of ${all.length} problems validate finds in ${what} (${all.filter((p) => p.validateOnly).length} validate-only)`];
  for (const c of comparisons) {
    for (const p of c.problems.filter((p) => !p.flagged)) lines.push(`  not flagged${p.validateOnly ? ` (validate-only: ${p.validateOnly})` : ''}: ${c.file}:${p.problem.line}: ${p.problem.message}`);
  }
  console.log(lines.join('\n'));
  return flagged;
}

describe('yaml-language-server with schemas/writeback.schema.json', () => {
  it('flags nothing in a valid definition (every valid fixture and shipped connector)', async () => {
    const paths = [
      ...readdirSync(join(FIXTURES, 'valid/connectors')).map((f) => join(FIXTURES, 'valid/connectors', f)),
      ...readdirSync(join(ROOT, 'connectors')).map((f) => join(ROOT, 'connectors', f)),
    ];
    const diagnostics = await Promise.all(paths.map(async (path) => problemsOf(await server.diagnose(fileUrl(path), readFileSync(path, 'utf8')))));
    paths.forEach((path, i) => expect(diagnostics[i]!.map((d) => `${d.range.start.line + 1}: ${d.message}`), path).toEqual([]));
  });

  it('flags every problem of the broken definitions that the schema can express, on its line', async () => {
    const root = join(FIXTURES, 'editor');
    const comparisons: Comparison[] = [];
    for (const [name, count] of Object.entries(BROKEN_PROBLEMS)) {
      const comparison = await compare(root, join(root, 'connectors', `${name}.yaml`));
      expect(comparison.problems, comparison.file).toHaveLength(count);
      comparisons.push(comparison);
    }
    const flagged = report('the broken definitions', comparisons);
    expect(comparisons.flatMap(missed)).toEqual([]);
    expect(comparisons.flatMap(unexpected)).toEqual([]);
    expect(flagged).toBeGreaterThanOrEqual(BROKEN_FLAGGED);
  });

  it('flags every expressible problem of every invalid fixture, on its line', async () => {
    const root = join(FIXTURES, 'invalid');
    const comparisons = await Promise.all(readdirSync(join(root, 'connectors')).sort().map((file) => compare(root, join(root, 'connectors', file))));
    report('test/fixtures/invalid', comparisons);
    expect(comparisons.flatMap(missed)).toEqual([]);
    expect(comparisons.flatMap(unexpected)).toEqual([]);
  });

  it('lists only validate-only rules that some fixture shows', () => {
    expect(VALIDATE_ONLY.filter((v) => !v.noFixture && !used.has(v.why)).map((v) => v.why)).toEqual([]);
  });

  it('offers { secret: NAME } wherever a credential goes, and titles each field on hover', async () => {
    const connectors = [
      ['webshop-sales.yaml', ['clientId', 'clientSecret', 'merchantId', 'token']],
      ['loyalty-contacts.yaml', ['username', 'password']],
    ] as const;
    for (const [file, keys] of connectors) {
      const text = readFileSync(join(ROOT, 'connectors', file), 'utf8');
      for (const key of keys) {
        const lines = text.split('\n');
        const line = lines.findIndex((l) => l.trimStart().startsWith(`${key}: `));
        const at = lines[line]!.indexOf(`${key}: `) + key.length + 2;
        lines[line] = lines[line]!.slice(0, at);
        const uri = fileUrl(join(ROOT, 'connectors', `completion-${file}`));
        const completion = await server.ask<{ items: { label: string }[] }>('textDocument/completion', uri, lines.join('\n'), { line, character: at });
        expect(completion.items.map((i) => i.label), `${file} ${key}`).toContain('{ secret: NAME }');
      }
    }
    const sales = readFileSync(join(ROOT, 'connectors/webshop-sales.yaml'), 'utf8');
    const line = sales.split('\n').findIndex((l) => l.includes('lookback:'));
    const hover = await server.ask<{ contents: { value: string } }>('textDocument/hover', fileUrl(join(ROOT, 'connectors/hover.yaml')), sales, { line, character: 6 });
    expect(hover.contents.value).toMatch(/^#### Lookback\n\nWindow for late rows/);
  });

  it('follows the "# yaml-language-server: $schema=" modeline of the shipped connectors', async () => {
    const sales = readFileSync(join(ROOT, 'connectors/webshop-sales.yaml'), 'utf8');
    expect(sales.split('\n')[0]).toBe('# yaml-language-server: $schema=../schemas/writeback.schema.json');
    // A .yml document is outside the settings' '*.yaml' association: only the modeline brings the schema.
    const uri = fileUrl(join(ROOT, 'connectors/modeline-check.yml'));
    const broken = sales.replace('lookback: 3d', 'lookback: 3 days');
    expect(problemsOf(await server.diagnose(uri, broken.split('\n').slice(1).join('\n')))).toEqual([]);
    const diagnostics = problemsOf(await server.diagnose(uri, broken));
    expect(diagnostics.map((d) => d.range.start.line + 1)).toEqual([broken.split('\n').findIndex((l) => l.includes('3 days')) + 1]);
    expect(problemsOf(await server.diagnose(uri, sales))).toEqual([]);
  });
});
