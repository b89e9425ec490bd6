/** The state branch is read from GitHub's tarball of a commit, which is `git archive` output: read real ones. */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { readTarball } from '../../src/github/tarball.ts';
import { scratchRepo } from '../helpers/repo.ts';

const longName = `reports/${'a-job-with-a-long-name-'.repeat(4)}/20261201T101500Z-abcd.json`;

function archive(files: Record<string, string | Buffer>, format: 'tar' | 'tar.gz'): Buffer {
  const root = scratchRepo(files);
  const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd: root });
  git('init', '-q', '-b', 'writeback-state');
  git('add', '-A');
  git('commit', '-qm', 'state');
  // GitHub's tarballs put everything under owner-repo-sha7/.
  return git('archive', `--format=${format}`, '--prefix=acme-writeback-jobs-1a2b3c4/', 'HEAD');
}

describe('reading a branch tarball', () => {
  it.each(['tar', 'tar.gz'] as const)('keeps the files under state/ and reports/ of a %s, long paths included, byte for byte', (format) => {
    const binary = Buffer.from([0, 1, 2, 255, 254]);
    const { files, others } = readTarball(archive({ 'state/sales.json': '{"v":1}\n', 'state/sales/ledger-1.bin': binary, [longName]: '{}', 'reports/README.md': '# d' }, format), ['state', 'reports']);
    expect([...files.keys()].sort()).toEqual(['reports/README.md', longName, 'state/sales.json', 'state/sales/ledger-1.bin'].sort());
    expect(files.get('state/sales.json')!.toString()).toBe('{"v":1}\n');
    expect(files.get('state/sales/ledger-1.bin')).toEqual(binary);
    expect(others).toEqual(new Set());
  });

  it('names what else the branch holds, and writes nothing outside the folders asked for', () => {
    const { files, others } = readTarball(archive({ 'connectors/x.yaml': 'kind: x', 'package.json': '{}', 'state/a.json': '{}' }, 'tar.gz'), ['state', 'reports']);
    expect([...files.keys()]).toEqual(['state/a.json']);
    expect([...others].sort()).toEqual(['connectors', 'package.json']);
  });
});
