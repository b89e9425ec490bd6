/**
 * Commits the run's state and report files as ONE commit through the Git Data API (blobs, tree, commit,
 * fast-forward ref update). When the branch moved meanwhile, the same files are re-applied on the new
 * head and the update retried; nothing is force-pushed. 5xx answers and rate limits are retried per
 * request by the client (client.ts: Octokit's retry and throttling plugins), not here.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Octokit } from '@octokit/rest';
import { WritebackError } from '../errors/index.ts';
import { isRateLimit, type RepoTarget } from './client.ts';

export interface FileChange {
  path: string;
  /** undefined: the file was deleted. */
  content?: Buffer;
}

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

/** Tries in all when the branch keeps moving under the commit. */
const MAX_ATTEMPTS = 5;

export async function commitFiles(octokit: Octokit, target: RepoTarget, changes: FileChange[], message: string, log: (line: string) => void = () => {}): Promise<string | undefined> {
  if (!changes.length) return undefined;
  const { owner, repo, branch } = target;
  const blobs = new Map<string, string>();
  for (let attempt = 1; ; attempt++) {
    let updating = false;
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
      updating = true;
      await octokit.rest.git.updateRef({ owner, repo, ref: `heads/${branch}`, sha: commit.data.sha, force: false });
      log(`committed ${changes.length} file(s) to ${branch} as ${commit.data.sha.slice(0, 7)}`);
      return commit.data.sha;
    } catch (error) {
      const code = status(error);
      // Not a fast forward: the branch moved since getRef. The same update can never succeed; a new commit on the new head can.
      const moved = updating && (code === 422 || code === 409);
      if (!moved || attempt === MAX_ATTEMPTS) {
        const advice = isRateLimit(error)
          ? ''
          : moved
            ? ` The branch moved ${MAX_ATTEMPTS} times while committing; run again.`
            : ' Check that the workflow has permissions: contents: write and that branch protection lets github-actions push.';
        throw new WritebackError(`could not commit state and reports to ${branch} (${code ?? 'network'}: ${(error as Error).message}); the files are in the runner's working tree only.${advice}`);
      }
      log(`${branch} moved; retrying the commit (attempt ${attempt + 1})`);
    }
  }
}
