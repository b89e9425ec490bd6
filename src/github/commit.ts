/**
 * Commits the run's state and report files as ONE commit through the Git Data API (blobs, tree, commit,
 * fast-forward ref update). When the branch moved meanwhile, the same files are re-applied on the new
 * head and the update retried; nothing is force-pushed.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Octokit } from '@octokit/rest';
import { WritebackError } from '../errors/index.ts';
import type { RepoTarget } from './client.ts';
import { rateLimitWait, TRANSIENT } from './retry.ts';

export interface FileChange {
  path: string;
  /** undefined: the file was deleted. */
  content?: Buffer;
}

const MAX_ATTEMPTS = 5;

/** State and report files that differ from the checked-out commit (git status), lock and temp files excluded. */
export function changedFiles(root: string, dirs = ['state', 'reports']): FileChange[] {
  const out = execFileSync('git', ['status', '--porcelain=v1', '-z', '--untracked-files=all', '--', ...dirs], { cwd: root, encoding: 'utf8' });
  return out
    .split('\0')
    .filter((entry) => entry.length > 3)
    .map((entry) => entry.slice(3))
    .filter((path) => !/\.lock(\.|$)/.test(path) && !/\.tmp-\d+$/.test(path)) // locks, their take-over markers and temp files
    .sort()
    .map((path) => (existsSync(join(root, path)) ? { path, content: readFileSync(join(root, path)) } : { path }));
}

const status = (error: unknown) => (error as { status?: number }).status;


export async function commitFiles(octokit: Octokit, target: RepoTarget, changes: FileChange[], message: string, log: (line: string) => void = () => {}): Promise<string | undefined> {
  if (!changes.length) return undefined;
  const { owner, repo, branch } = target;
  const blobs = new Map<string, string>();
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    try {
      const head = (await octokit.rest.git.getRef({ owner, repo, ref: `heads/${branch}` })).data.object.sha;
      const baseTree = (await octokit.rest.git.getCommit({ owner, repo, commit_sha: head })).data.tree.sha;
      for (const change of changes) {
        if (change.content && !blobs.has(change.path)) {
          const blob = await octokit.rest.git.createBlob({ owner, repo, content: change.content.toString('base64'), encoding: 'base64' });
          blobs.set(change.path, blob.data.sha);
        }
      }
      const tree = await octokit.rest.git.createTree({
        owner,
        repo,
        base_tree: baseTree,
        tree: changes.map((c) => ({ path: c.path, mode: '100644' as const, type: 'blob' as const, sha: c.content ? blobs.get(c.path)! : null })),
      });
      const commit = await octokit.rest.git.createCommit({ owner, repo, message, tree: tree.data.sha, parents: [head] });
      await octokit.rest.git.updateRef({ owner, repo, ref: `heads/${branch}`, sha: commit.data.sha, force: false });
      log(`committed ${changes.length} file(s) to ${branch} as ${commit.data.sha.slice(0, 7)}`);
      return commit.data.sha;
    } catch (error) {
      const code = status(error);
      const moved = code === 422 || code === 409;
      const limited = rateLimitWait(error);
      if ((!moved && !TRANSIENT.has(code ?? 0) && limited === undefined) || attempt === MAX_ATTEMPTS) {
        throw new WritebackError(
          `could not commit state and reports to ${branch} (${code ?? 'network'}: ${(error as Error).message}); the files are in the runner's working tree only. ` +
            'Check that the workflow has permissions: contents: write and that branch protection lets github-actions push.',
        );
      }
      log(`${moved ? `${branch} moved` : limited !== undefined ? 'GitHub rate limit' : `GitHub answered ${code}`}; retrying the commit (attempt ${attempt + 1})`);
      await new Promise((resolve) => setTimeout(resolve, limited ?? 200 * attempt));
    }
  }
  return undefined;
}
