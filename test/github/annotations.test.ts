/** Workflow-command annotations: a title, a file GitHub finds (relative to the workspace), escaped properties. */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { annotationFile, errorAnnotation, noticeAnnotation, workflowSafe } from '../../src/github/annotations.ts';

const made: string[] = [];
afterAll(() => made.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** A checkout (the workspace) holding the repository in `sub/`, with one connector file. */
function checkout(): { workspace: string; root: string; file: string } {
  const workspace = mkdtempSync(join(tmpdir(), 'writeback-ws-'));
  made.push(workspace);
  const root = join(workspace, 'sub');
  mkdirSync(join(root, 'connectors'), { recursive: true });
  const file = join(root, 'connectors', 'sales.yaml');
  writeFileSync(file, 'kind: X\n');
  return { workspace, root, file };
}

const problem = { file: 'connectors/sales.yaml', line: 2, column: 7, message: 'kind: "X" is not supported' };

describe('annotations', () => {
  it('carry a title, by default the command that found the problem', () => {
    expect(errorAnnotation(problem)).toBe('::error file=connectors/sales.yaml,line=2,col=7,title=writeback validate::kind: "X" is not supported');
    expect(noticeAnnotation(problem)).toBe('::notice file=connectors/sales.yaml,line=2,col=7,title=writeback validate%3A note::kind: "X" is not supported');
    expect(errorAnnotation({ ...problem, title: 'Invalid lookback' })).toContain(',title=Invalid lookback::');
  });

  it('escape every property and the message per the workflow-command rules', () => {
    const line = errorAnnotation({ file: 'connectors/a,b:c%d.yaml', line: 1, column: 1, title: 'x, y: 100%\nz', message: 'a: b, 50%\r\nnext' });
    expect(line).toBe('::error file=connectors/a%2Cb%3Ac%25d.yaml,line=1,col=1,title=x%2C y%3A 100%25%0Az::a: b, 50%25%0D%0Anext');
    expect(line.split(/\r|\n/)).toHaveLength(1);
  });

  it('a file relative to --root is made relative to GITHUB_WORKSPACE when --root is a subdirectory of it', () => {
    const { workspace, root } = checkout();
    const place = { root, env: { GITHUB_WORKSPACE: workspace } };
    expect(errorAnnotation(problem, place)).toBe('::error file=sub/connectors/sales.yaml,line=2,col=7,title=writeback validate::kind: "X" is not supported');
    expect(annotationFile('./connectors/sales.yaml', place)).toBe('sub/connectors/sales.yaml');
  });

  it('without GITHUB_WORKSPACE, relative to --root', () => {
    const { root } = checkout();
    expect(annotationFile('connectors/sales.yaml', { root, env: {} })).toBe('connectors/sales.yaml');
  });

  it('an absolute file, or one relative to the working directory, becomes relative to the workspace', () => {
    const { workspace, root, file } = checkout();
    const env = { GITHUB_WORKSPACE: workspace };
    expect(annotationFile(file, { root, env })).toBe('sub/connectors/sales.yaml');
    // validate FILE with a file outside --root shows it relative to the working directory.
    writeFileSync(join(workspace, 'other.yaml'), 'kind: X\n');
    expect(annotationFile('other.yaml', { root, env, cwd: workspace })).toBe('other.yaml');
    expect(annotationFile('sub/connectors/sales.yaml', { root: join(root, 'connectors'), env, cwd: workspace })).toBe('sub/connectors/sales.yaml');
  });

  it('a workspace reached through a link still finds the file', () => {
    const { workspace, root } = checkout();
    const link = `${workspace}-link`;
    symlinkSync(workspace, link);
    made.push(link);
    expect(annotationFile('connectors/sales.yaml', { root: join(link, 'sub'), env: { GITHUB_WORKSPACE: workspace } })).toBe('sub/connectors/sales.yaml');
    expect(annotationFile('connectors/sales.yaml', { root, env: { GITHUB_WORKSPACE: link } })).toBe('sub/connectors/sales.yaml');
  });

  it('a file outside the workspace gets no file property: the message says where', () => {
    const { workspace, root } = checkout();
    const line = errorAnnotation({ ...problem, file: '/etc/hostname' }, { root, env: { GITHUB_WORKSPACE: workspace } });
    expect(line).toBe('::error title=writeback validate::/etc/hostname:2:7: kind: "X" is not supported');
  });

  it('line and column are whole numbers from 1', () => {
    expect(errorAnnotation({ ...problem, line: 0, column: Number.NaN })).toContain(',line=1,col=1,');
  });

  it('pass the output filter, which breaks every workflow command this process did not issue', () => {
    const { workspace, root } = checkout();
    const annotation = errorAnnotation({ ...problem, file: 'connectors/evil\\n::warning title=pwned::x.yaml' }, { root, env: { GITHUB_WORKSPACE: workspace } });
    expect(annotation.startsWith('::error file=sub/connectors/evil\\n%3A%3Awarning title=pwned%3A%3Ax.yaml,line=2,col=7,title=')).toBe(true);
    expect(workflowSafe(`${annotation}\n::warning::forged`)).toBe(`${annotation}\n:\u200b:warning::forged`);
  });
});

describe('writeback validate inside GitHub Actions', () => {
  it('annotates at the path from the checkout when --root is a subdirectory of GITHUB_WORKSPACE', async () => {
    const { runCli } = await import('../helpers/repo.ts');
    const { workspace, root } = checkout();
    const { stdout } = await runCli(['validate'], { root, env: { GITHUB_ACTIONS: 'true', GITHUB_WORKSPACE: workspace } });
    expect(stdout.split('\n').filter((l) => l.startsWith('::'))).toEqual(expect.arrayContaining([expect.stringMatching(/^::error file=sub\/connectors\/sales\.yaml,line=\d+,col=\d+,title=writeback validate::/)]));
  });
});
