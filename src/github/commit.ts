/**
 * Commits the run's state and report files as ONE commit through the Git Data API (blobs, tree, commit,
 * fast-forward ref update). When the branch moved meanwhile, the same files are re-applied on the new
 * head and the update retried; nothing is force-pushed. A branch that does not exist yet is created when
 * the caller says with what (`create`). 5xx answers and rate limits are retried per request by the client
 * (client.ts: Octokit's retry and throttling plugins), not here.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Octokit } from '@octokit/rest';
import { WritebackError } from '../errors/index.ts';
import type { RepoTarget } from './client.ts';
import { isRateLimit } from './rate-limit.ts';
import { gitBlobSha, isLocalOnly, type FileChange } from './git-files.ts';

export type { FileChange };

/** State and report files that differ from the checked-out commit (git status), lock and temp files excluded. */
export function changedFiles(root: string, dirs = ['state', 'reports']): FileChange[] {
  const out = execFileSync('git', ['status', '--porcelain=v1', '-z', '--untracked-files=all', '--', ...dirs], { cwd: root, encoding: 'utf8' });
  return out
    .split('\0')
    .filter((entry) => entry.length > 3)
    .map((entry) => entry.slice(3))
    .filter((path) => !isLocalOnly(path))
    .sort()
    .map((path) => (existsSync(join(root, path)) ? { path, content: readFileSync(join(root, path)) } : { path }));
}

const status = (error: unknown) => (error as { status?: number }).status;

/** Tries in all when the branch keeps moving under the commit. */
const MAX_ATTEMPTS = 5;

export interface CommitOptions {
  log?: (line: string) => void;
  /** When the branch does not exist: every file of its first commit (it is created with them). */
  create?: () => FileChange[];
  /** Blob shas the repository holds already: files with these contents are not uploaded again. */
  knownBlobs?: Set<string>;
  /**
   * What the changes were made from (the head and the blob shas of the files, as pulled). When the branch has
   * moved past it, a file someone else changed since is not overwritten: the commit fails instead (the intent
   * journal holds any delivery until a run commits). Files in `derived` are rewritten from the rest and may be.
   */
  base?: { head?: string; shas: Map<string, string>; derived?: Set<string> };
}

/** The changes that still apply on a head whose tree is `treeSha`, or why they cannot (a file changed there since the base). */
async function rebase(octokit: Octokit, { owner, repo, branch }: RepoTarget, treeSha: string, changes: FileChange[], base: NonNullable<CommitOptions['base']>): Promise<FileChange[]> {
  const tree = (await octokit.rest.git.getTree({ owner, repo, tree_sha: treeSha, recursive: 'true' })).data.tree;
  const now = new Map(tree.filter((e) => e.type === 'blob').map((e) => [e.path!, e.sha!]));
  const kept: FileChange[] = [];
  for (const change of changes) {
    const there = now.get(change.path);
    if (change.content ? there === gitBlobSha(change.content) : there === undefined) continue; // already so (GitHub refuses to delete a missing file)
    if (there !== base.shas.get(change.path) && !base.derived?.has(change.path)) {
      throw new WritebackError(`${change.path} changed on ${branch} since this run read it (another run, or an operator's release or baseline): it is not overwritten. The run's deliveries stay recorded in its intent branch; run again.`);
    }
    kept.push(change);
  }
  return kept;
}

export async function commitFiles(octokit: Octokit, target: RepoTarget, changes: FileChange[], message: string, options: CommitOptions = {}): Promise<string | undefined> {
  if (!changes.length) return undefined;
  const { owner, repo, branch } = target;
  const log = options.log ?? (() => {});
  const blobs = new Map<string, string>();
  const upload = async (files: FileChange[]) => {
    for (const file of files) {
      if (!file.content || blobs.has(file.path)) continue;
      const known = options.knownBlobs && gitBlobSha(file.content);
      if (known && options.knownBlobs!.has(known)) blobs.set(file.path, known);
      else blobs.set(file.path, (await octokit.rest.git.createBlob({ owner, repo, content: file.content.toString('base64'), encoding: 'base64' })).data.sha);
    }
  };
  const entries = (files: FileChange[]) => files.map((c) => ({ path: c.path, mode: '100644' as const, type: 'blob' as const, sha: c.content ? blobs.get(c.path)! : null }));
  for (let attempt = 1; ; attempt++) {
    let updating: string | undefined;
    try {
      const head = await headOf(octokit, target);
      if (head === undefined && options.create) {
        const files = options.create().filter((f) => f.content);
        await upload(files);
        const tree = await octokit.rest.git.createTree({ owner, repo, tree: entries(files) });
        const commit = await octokit.rest.git.createCommit({ owner, repo, message, tree: tree.data.sha, parents: [] });
        try {
          await octokit.rest.git.createRef({ owner, repo, ref: `refs/heads/${branch}`, sha: commit.data.sha });
        } catch (error) {
          // Created meanwhile (another matrix job's first commit): commit on top of it instead.
          if (status(error) !== 422 || attempt === MAX_ATTEMPTS) throw error;
          log(`${branch} was created meanwhile; committing on top of it`);
          continue;
        }
        log(`created ${branch} with ${files.length} file(s) as ${commit.data.sha.slice(0, 7)}`);
        return commit.data.sha;
      }
      if (head === undefined) throw new WritebackError(`could not commit state and reports to ${branch} (404: no such branch); the files are in the runner's working tree only`);
      const baseTree = (await octokit.rest.git.getCommit({ owner, repo, commit_sha: head })).data.tree.sha;
      const applied = options.base && head !== options.base.head ? await rebase(octokit, target, baseTree, changes, options.base) : changes;
      if (!applied.length) return head;
      await upload(applied);
      const tree = await octokit.rest.git.createTree({ owner, repo, base_tree: baseTree, tree: entries(applied) });
      const commit = await octokit.rest.git.createCommit({ owner, repo, message, tree: tree.data.sha, parents: [head] });
      updating = head;
      await octokit.rest.git.updateRef({ owner, repo, ref: `heads/${branch}`, sha: commit.data.sha, force: false });
      log(`committed ${applied.length} file(s) to ${branch} as ${commit.data.sha.slice(0, 7)}`);
      return commit.data.sha;
    } catch (error) {
      if (error instanceof WritebackError) throw error;
      const code = status(error);
      // Not a fast forward: the branch moved since getRef, or GitHub refuses the branch to this token (a
      // protected branch answers 422 too). Which one, its head says: a new commit on a new head can succeed.
      let moved = false;
      if (updating && (code === 422 || code === 409)) moved = (await headOf(octokit, target).catch(() => undefined)) !== updating;
      if (!moved || attempt === MAX_ATTEMPTS) {
        const refused = updating && (code === 422 || code === 409) && !moved;
        const advice = isRateLimit(error)
          ? ''
          : moved
            ? ` The branch moved ${MAX_ATTEMPTS} times while committing; run again.`
            : refused
              ? ` GitHub refused to update ${branch} although nobody else had: a protected branch takes changes only through pull requests. Set WRITEBACK_STATE_BRANCH (README, "Setting up GitHub Actions") so that state and reports go to a branch of their own.`
              : ' Check that the workflow has permissions: contents: write and that branch protection lets github-actions push.';
        throw new WritebackError(`could not commit state and reports to ${branch} (${code ?? 'network'}: ${(error as Error).message}); the files are in the runner's working tree only.${advice}`);
      }
      log(`${branch} moved; retrying the commit (attempt ${attempt + 1})`);
    }
  }
}

/** The branch's head commit; undefined when there is no such branch. */
export async function headOf(octokit: Octokit, { owner, repo, branch }: RepoTarget): Promise<string | undefined> {
  try {
    return (await octokit.rest.git.getRef({ owner, repo, ref: `heads/${branch}` })).data.object.sha;
  } catch (error) {
    if (status(error) === 404) return undefined;
    throw error;
  }
}
