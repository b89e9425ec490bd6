import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { ValidateFunction } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { AJV_OPTIONS, definitionSchemaText, schemaSha256, standaloneValidatorCode } from '../src/definitions/schema-validator.ts';
import { validateRepository } from '../src/definitions/validator.ts';
import { runCli, scratchRepo } from './helpers/repo.ts';

const FIXTURES = join(import.meta.dirname, 'fixtures');
const VALID = join(FIXTURES, 'valid');
const INVALID = join(FIXTURES, 'invalid');
const INVALID_CONNECTORS = join(INVALID, 'connectors');
const fixture = (name: string) => readFileSync(join(VALID, 'connectors', `${name}.yaml`), 'utf8');

/** Every invalid fixture and exactly the problems it must produce, at their line and column. */
const EXPECTED: Record<string, [string, string][]> = {
  'name-mismatch': [['4:9', 'metadata.name "another-name" must equal the file name']],
  'both-customer-and-email': [['20:12', 'map either customer or email, not both']],
  // A missing key is shown on the key of the mapping that lacks it (mapping:), not on that mapping's first entry.
  'neither-customer-nor-email': [['16:3', 'map exactly one of customer (external id) or email']],
  'custom-without-prefix': [['24:7', 'spec.mapping.custom.channel: custom field names need a type prefix']],
  'custom-standard-name': [['24:7', '"Price" is a standard Emarsys field; map it as spec.mapping.price']],
  'field-order': [
    ['26:15', 'spec.fieldOrder: must name every mapped field; missing: customer, f_discount'],
    ['26:34', 'spec.fieldOrder[2]: "order" is listed twice'],
    ['26:41', 'spec.fieldOrder[3]: "sku" is not a mapped field'],
  ],
  'delivery-key': [['27:18', 'spec.delivery.key[1]: "sku" is not a mapped Emarsys field']],
  'cron-fields': [['6:13', 'needs 5 fields (minute hour day-of-month month day-of-week), found 4']],
  'cron-range': [['6:13', 'hour: 24 is outside 0-23']],
  'cron-step': [['6:13', 'minute: step "0" must be a positive number']],
  'cron-never': [['6:13', '"0 0 30 2 *" never fires']],
  'cron-backwards': [['6:13', 'hour: range 18-6 runs backwards']],
  'lookback-bad': [['28:15', '"3 days" is not a duration']],
  'lookback-without-cursor': [['27:15', 'lookback: needs spec.delivery.cursor']],
  'literal-token': [['15:14', 'spec.destination.emarsysSales.token: a credential must not be written in the definition']],
  'literal-client-secret': [['11:21', 'spec.source.domo.clientSecret: a credential must not be written']],
  'dotdigital-literal-password': [['14:17', 'spec.destination.dotdigital.password: a credential must not be written']],
  'dotdigital-field-names': [
    ['18:7', 'at most 20 characters (this one has 23)'],
    ['19:7', 'use only letters, digits, - and _'],
    ['20:7', '"Email" is reserved by Dotdigital'],
  ],
  'dotdigital-endpoint-http': [['15:17', 'endpoint: must use https']],
  'dotdigital-changed-only-query': [['11:13', 'spec.source.domo.read: query cannot be used with spec.delivery.changedOnly, which reads every contact from the export']],
  'wrong-types': [
    ['26:12', 'spec.suspend: must be true or false, not text'],
    ['27:15', 'spec.fieldOrder: must be a list, not text'],
    ['29:15', 'spec.rejects.maxRatio: must be <= 1'],
  ],
  'unknown-key': [['26:3', 'spec.retries: unknown key; expected one of: schedule, suspend, source']],
  'unknown-kind': [['2:7', 'kind: "EmarsysWriteback" is not supported; known kind values: EmarsysSalesWriteback, DotdigitalContactsWriteback']],
  'unknown-api-version': [['1:13', 'known apiVersion values: writeback/v1']],
  'missing-required': [['16:3', 'spec.mapping.price: required']],
};

describe('definition fixtures', () => {
  it('accepts every valid fixture (anchors, merge keys, a BOM, cron names and ranges, both kinds)', () => {
    const result = validateRepository(VALID);
    expect(result.problems).toEqual([]);
    expect(result.definitions.map((d) => d.definition.metadata.name).sort()).toEqual([
      'anchors-and-merge',
      'dotdigital-changed-only',
      'dotdigital-full',
      'dotdigital-query',
      'emarsys-email',
      'emarsys-full',
      'with-bom',
    ]);
  });

  it('merge keys bring their values into the definition', () => {
    const merged = validateRepository(VALID).definitions.find((d) => d.definition.metadata.name === 'anchors-and-merge');
    expect(merged?.definition.spec.mapping).toMatchObject({ order: 'order_id', item: 'sku', customer: 'customer_id' });
  });

  const { problems } = validateRepository(INVALID);
  for (const [name, expected] of Object.entries(EXPECTED)) {
    it(`reports ${name} at its line and column, and nothing else`, () => {
      const mine = problems.filter((p) => p.file.endsWith(`/${name}.yaml`));
      expect(mine.map((p) => `${p.line}:${p.column}`)).toEqual(expected.map(([at]) => at));
      mine.forEach((p, i) => expect(p.message).toContain(expected[i]![1]));
    });
  }

  it('reports every problem of every file in one run', () => {
    const files = new Set(problems.map((p) => p.file.replace(/^.*\//, '').replace('.yaml', '')));
    expect([...files].sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it('never echoes a literal credential', () => {
    const text = JSON.stringify(problems);
    for (const secret of ['c2VjcmV0LXRva2VuLXZhbHVl', 'dd8f2a0e9c', 'hunter2-secret']) expect(text).not.toContain(secret);
  });
});

describe('bad input', () => {
  const problemsOf = (content: string | Buffer, name = 'job') => {
    const root = scratchRepo({ [`connectors/${name}.yaml`]: content });
    return validateRepository(root).problems.map((p) => `${p.line}:${p.column}: ${p.message}`);
  };

  it('not YAML at all', () => {
    expect(problemsOf('{{{{')[0]).toMatch(/^1:5: not valid YAML: Flow map/);
  });
  it('a YAML scalar instead of a mapping', () => {
    expect(problemsOf('just some words\n')).toEqual(['1:1: a definition is a mapping with apiVersion, kind, metadata and spec']);
  });
  it('several documents in one file', () => {
    expect(problemsOf(`${fixture('emarsys-email')}---\nkind: x\n`, 'emarsys-email')).toEqual([
      '23:1: file holds 2 YAML documents; keep one definition per file (connectors/<name>.yaml).',
    ]);
  });
  it('duplicate keys', () => {
    expect(problemsOf('apiVersion: writeback/v1\nkind: A\nkind: B\n')).toEqual(['3:1: not valid YAML: Map keys must be unique']);
  });
  it('tabs used for indentation', () => {
    expect(problemsOf('metadata:\n\tname: job\n')).toEqual(['2:1: not valid YAML: Tabs are not allowed as indentation']);
  });
  it('an empty file', () => {
    expect(problemsOf('')).toEqual(['1:1: file is empty; a definition needs apiVersion, kind, metadata and spec.']);
    expect(problemsOf('# only a comment\n')[0]).toContain('1:1: file is empty');
  });
  it('a non-UTF-8 file', () => {
    expect(problemsOf(Buffer.from([0x6e, 0x61, 0x6d, 0x65, 0x3a, 0x20, 0xe9, 0x0a]))).toEqual(['1:1: file is not UTF-8 text; save it as UTF-8.']);
  });
  it('a 10 MB file is refused before parsing', () => {
    const big = `metadata:\n  description: "${'x'.repeat(10 * 1024 * 1024)}"\n`;
    expect(problemsOf(big)).toEqual([
      '1:1: file is 10.0 MB; a definition may be at most 1 MB. Keep data out of definitions: one small YAML file per job.',
    ]);
  });
  it('a "billion laughs" alias bomb is rejected within a second', () => {
    const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 10; i++) {
      const prev = String.fromCharCode(96 + i);
      const name = String.fromCharCode(97 + i);
      levels.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(',')}]`);
    }
    const started = performance.now();
    const result = problemsOf(`${levels.join('\n')}\n`);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(result).toEqual(['1:1: too many YAML alias expansions (over 100); write the values out instead of nesting aliases.']);
  });
  it('a definition outside connectors/', async () => {
    const root = scratchRepo({ 'elsewhere/emarsys-email.yaml': fixture('emarsys-email') });
    const { code, stdout } = await runCli(['validate', join(root, 'elsewhere/emarsys-email.yaml')], { root });
    expect(code).toBe(1);
    expect(stdout).toMatch(/emarsys-email\.yaml:1:1: definitions must live in .*connectors\/ .*move this file there/);
  });
  it('two files claiming the same job name', () => {
    const root = scratchRepo({
      'connectors/emarsys-email.yaml': fixture('emarsys-email'),
      'connectors/emarsys-email.yml': fixture('emarsys-email'),
    });
    const { problems } = validateRepository(root);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ line: 4, column: 9 });
    expect(problems[0]!.message).toMatch(/metadata.name "emarsys-email" is already used by .*emarsys-email\.yaml; job names must be unique/);
  });
});

describe('writeback validate', () => {
  const badRoot = () =>
    scratchRepo({
      'connectors/good.yaml': fixture('emarsys-email').replace('name: emarsys-email', 'name: good'),
      'connectors/bad.yaml': 'apiVersion: writeback/v1\nkind: Nope\nmetadata:\n  name: bad\nspec: {}\n',
    });

  it('prints file:line:col lines and exits 1 when a definition is invalid', async () => {
    const root = badRoot();
    const { code, stdout } = await runCli(['validate'], { root });
    expect(code).toBe(1);
    expect(stdout.split('\n')).toContain('connectors/bad.yaml:2:7: kind: "Nope" is not supported; known kind values: EmarsysSalesWriteback, DotdigitalContactsWriteback');
    expect(stdout).toMatch(/1 problem in 1 file$/);
  });

  it('exits 0 and says so when every definition is valid', async () => {
    const { code, stdout } = await runCli(['validate'], { root: VALID });
    expect(code).toBe(0);
    const lines = stdout.split('\n');
    expect(lines.at(-1)).toBe('7 definitions valid');
    // Emarsys definitions without fieldOrder are told which order their files get, and why it matters.
    expect(lines.slice(0, -1).every((l) => /^connectors\/[\w-]+\.yaml:\d+:\d+: note: spec\.fieldOrder is not set, so files are sent as item,price,order,timestamp,/.test(l)), stdout).toBe(true);
    expect(lines.length).toBeGreaterThan(1);
  });

  it('--json prints the contract shape', async () => {
    const { code, stdout } = await runCli(['validate', '--json'], { root: badRoot() });
    expect(code).toBe(1);
    expect(JSON.parse(stdout)).toEqual({
      valid: false,
      errors: [{ file: 'connectors/bad.yaml', line: 2, column: 7, message: expect.stringContaining('"Nope" is not supported') }],
      notes: [{ file: 'connectors/good.yaml', line: expect.any(Number), column: expect.any(Number), message: expect.stringContaining('spec.fieldOrder is not set') }],
    });
  });

  it('adds escaped ::error annotations inside GitHub Actions', async () => {
    const root = scratchRepo({ 'connectors/a,b.yaml': 'apiVersion: writeback/v1\nkind: X\n' });
    const { stdout } = await runCli(['validate'], { root, env: { GITHUB_ACTIONS: 'true' } });
    expect(stdout).toContain('::error file=connectors/a%2Cb.yaml,line=1,col=1,title=writeback validate::metadata: required');
    expect(stdout).toContain('::error file=connectors/a%2Cb.yaml,line=2,col=7,title=writeback validate::kind: "X" is not supported');
  });

  it('ships examples that validate', async () => {
    const { code, stdout } = await runCli(['validate'], { root: join(import.meta.dirname, '..') });
    expect(stdout).toMatch(/definitions? valid$/);
    expect(code).toBe(0);
  });
});

describe('the validator compiled at build time', () => {
  it('finds exactly the errors ajv finds compiling the schema at run time', async () => {
    const { Ajv } = await import('ajv');
    const schema = definitionSchemaText();
    // Beside node_modules, so the code's requires of ajv's runtime helpers resolve as they do in dist/.
    const dir = mkdtempSync(join(import.meta.dirname, '..', 'node_modules', '.cache-writeback-'));
    try {
      writeFileSync(join(dir, 'validator.cjs'), standaloneValidatorCode(schema));
      const built = createRequire(import.meta.url)(join(dir, 'validator.cjs')) as { default: ValidateFunction; schemaSha256: string };
      expect(built.schemaSha256).toBe(schemaSha256(schema));
      const runtime = new Ajv(AJV_OPTIONS).compile(JSON.parse(schema));
      const values = readdirSync(INVALID_CONNECTORS).map((file) => parse(readFileSync(join(INVALID_CONNECTORS, file), 'utf8')) as unknown);
      expect(values.length).toBeGreaterThan(5);
      let errors = 0;
      for (const value of values) {
        expect(built.default(value)).toBe(runtime(value));
        expect(built.default.errors).toEqual(runtime.errors);
        errors += runtime.errors?.length ?? 0;
      }
      expect(errors).toBeGreaterThanOrEqual(10); // the comparison covered real schema errors, not only valid values
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
