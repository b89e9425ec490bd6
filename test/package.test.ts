/**
 * The package a team installs: `npm pack`'s tarball, unpacked as npm installs it (no tsx, no sources), runs
 * the compiled build, and `init`, `validate`, `--version`, help and the exports map work from it. npm test
 * builds first; the tarball is packed without scripts so it holds that build.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const REPO = join(import.meta.dirname, '..');
const PKG = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  dependencies: Record<string, string>;
  overrides: Record<string, string>;
};

let team: string;
let files: string[];
const writeback = (...args: string[]) => spawnSync(process.execPath, [join(team, 'node_modules', PKG.name, 'bin', 'writeback.js'), ...args], { cwd: team, encoding: 'utf8', env: { PATH: process.env.PATH } });

beforeAll(() => {
  const out = mkdtempSync(join(tmpdir(), 'writeback-pack-'));
  const [packed] = JSON.parse(execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', out], { cwd: REPO, encoding: 'utf8' })) as { filename: string; files: { path: string }[] }[];
  files = packed!.files.map((f) => f.path);
  // A team's repository with the package installed: unpacked into node_modules, its other dependencies beside it.
  team = mkdtempSync(join(tmpdir(), 'writeback-team-'));
  mkdirSync(join(team, '.git'));
  const installed = join(team, 'node_modules', PKG.name);
  mkdirSync(installed, { recursive: true });
  execFileSync('tar', ['xzf', join(out, packed!.filename), '-C', installed, '--strip-components=1']);
  for (const dependency of Object.keys(PKG.dependencies)) {
    mkdirSync(join(team, 'node_modules', dependency, '..'), { recursive: true });
    symlinkSync(join(REPO, 'node_modules', dependency), join(team, 'node_modules', dependency));
  }
}, 120_000);

describe('the packed package', () => {
  it('holds the build, the schema and the templates, and no sources, tests or dependencies', () => {
    expect(files).toEqual(expect.arrayContaining(['bin/writeback.js', 'dist/cli.js', 'dist/index.d.ts', 'dist/build-stamp.txt', 'schemas/writeback.schema.json', 'templates/workflows/writeback-reconcile.yml']));
    // The command line runs bundled, its worker threads and precompiled schema validator beside it; the bundler's script stays home.
    expect(files).toEqual(expect.arrayContaining(['dist/bundle/cli.js', 'dist/bundle/sales-batch-worker.js', 'dist/bundle/contact-batch-worker.js', 'dist/bundle/writeback-schema-validator.cjs']));
    expect(files).not.toContain('bin/bundle.js');
    expect(files.filter((f) => f.startsWith('node_modules/'))).toEqual([]);
    expect(files.filter((f) => /^(src|test|bench)\//.test(f))).toEqual([]);
    expect(existsSync(join(team, 'node_modules', 'tsx'))).toBe(false);
  });

  it('bundles only yaml and commander: Octokit, ajv and undici load from node_modules, where npm audit fix reaches them', () => {
    const bundle = join(REPO, 'dist', 'bundle');
    const code = readdirSync(bundle).filter((f) => f.endsWith('.js')).map((f) => readFileSync(join(bundle, f), 'utf8')).join('\n');
    for (const name of ['@octokit/rest', '@octokit/plugin-retry', '@octokit/plugin-throttling', 'bottleneck']) expect(code).toContain(`from "${name}"`);
    expect(code).toContain('import("undici")');
    expect(code).not.toMatch(/from "(yaml|commander)"/);
  });

  it('pins, as its own exact dependencies, the Octokit releases that support Node 20 (an install places them, and Octokit reuses them)', () => {
    // Octokit's newest releases pull in content-type 3, which declares Node >= 22 (EBADENGINE on Node 20).
    for (const [name, version] of Object.entries(PKG.overrides)) expect(PKG.dependencies[name], name).toBe(version);
    const request = JSON.parse(readFileSync(join(REPO, 'node_modules', '@octokit', 'request', 'package.json'), 'utf8')) as { version: string; dependencies: Record<string, string> };
    expect(request.version).toBe(PKG.dependencies['@octokit/request']);
    expect(request.dependencies['content-type']).toMatch(/^\^2\./);
  });

  it('runs from its build: --version, help, init, then validate passes', () => {
    expect(writeback('--version')).toMatchObject({ status: 0, stdout: `${PKG.version}\n` });
    expect(writeback('validate', '--help').stdout).toContain('Usage: writeback validate [options] [file...]');
    const init = writeback('init');
    expect(init.status).toBe(0);
    expect(init.stdout).toContain('wrote     .github/workflows/writeback-reconcile.yml');
    expect(writeback('validate')).toMatchObject({ status: 0, stdout: '2 definitions valid\n', stderr: '' });
    // The examples' modeline and the editor settings point at a schema that is there.
    expect(existsSync(join(team, 'node_modules', PKG.name, 'schemas', 'writeback.schema.json'))).toBe(true);
  }, 60_000);

  it("validates with the validator compiled at build time, and without Octokit: neither ajv's compiler nor Octokit loads (each costs every command about 0.1 s)", () => {
    writeback('init'); // the examples to validate (kept as they are when an earlier test wrote them)
    // Every module the command loaded, written to a file: ES modules as a loader hook sees them, CommonJS ones
    // (require() does not pass through that hook on Node 20) from require.cache as it exits.
    const [probe, seen] = [join(team, 'load-probe.mjs'), join(team, 'loaded.txt')];
    rmSync(seen, { force: true });
    const hook = `import { appendFileSync } from 'node:fs'; export async function load(url, context, next) { appendFileSync(${JSON.stringify(seen)}, url + '\\n'); return next(url, context); }`;
    writeFileSync(
      probe,
      [
        `import { appendFileSync } from 'node:fs'; import { createRequire, register } from 'node:module';`,
        `register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hook)}`)});`,
        `process.on('exit', () => appendFileSync(${JSON.stringify(seen)}, Object.keys(createRequire(import.meta.url).cache).join('\\n') + '\\n'));`,
      ].join('\n'),
    );
    const run = spawnSync(process.execPath, ['--import', pathToFileURL(probe).href, join(team, 'node_modules', PKG.name, 'bin', 'writeback.js'), 'validate', '--root', team], { cwd: team, encoding: 'utf8', env: { PATH: process.env.PATH } });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const loaded = readFileSync(seen, 'utf8').split('\n');
    expect(loaded.filter((url) => url.startsWith('file:') && url.endsWith('/dist/bundle/cli.js'))).toHaveLength(1); // the hook saw the ES modules
    expect(loaded.filter((url) => url.endsWith('/dist/bundle/writeback-schema-validator.cjs'))).toHaveLength(1);
    const packages = loaded.filter((url) => url.includes('/node_modules/')).map((url) => url.slice(url.lastIndexOf('/node_modules/') + '/node_modules/'.length));
    expect(packages.filter((file) => file.startsWith('ajv/') && !file.startsWith('ajv/dist/runtime/'))).toEqual([]);
    expect(packages.filter((file) => /^(@octokit|bottleneck)\//.test(file))).toEqual([]);
  });

  it('runs the demo from its bundle, formatting in worker threads for both destinations', () => {
    const demo = spawnSync(process.execPath, [join(team, 'node_modules', PKG.name, 'bin', 'writeback.js'), 'demo'], { cwd: team, encoding: 'utf8', env: { PATH: process.env.PATH, WRITEBACK_WORKERS: '2' } });
    expect(demo.stderr).toBe('');
    expect(demo.stdout).toContain('webshop-sales sent 6,000, then 0, then 25 lines; loyalty-contacts sent 2,000, then 0, then 40 contacts.');
    expect(demo.status).toBe(0);
  }, 60_000);

  it('exports its interface and the schema by their documented names', () => {
    const script = `
      const api = await import(${JSON.stringify(PKG.name)});
      const schema = import.meta.resolve(${JSON.stringify(`${PKG.name}/schemas/writeback.schema.json`)});
      console.log(JSON.stringify({ register: typeof api.registerDestination, validate: typeof api.validateRepository, error: typeof api.WritebackError, schema: schema.endsWith('/schemas/writeback.schema.json') }));`;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: team, encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual({ register: 'function', validate: 'function', error: 'function', schema: true });
  });
});
