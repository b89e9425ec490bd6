/**
 * Delivery intents that survive a cancelled or killed workflow run. The state is committed to the
 * branch once, at the end of a reconcile; if the run dies after the destination accepted an upload but
 * before that commit, the working tree (and its record of the delivery) is gone with the runner. So before each upload,
 * and after each answer, the job's state files are pushed to a side branch `writeback-intent/<name>`.
 * The next run restores them from there (and is held if an upload was pending); the side branch is
 * deleted once the reconcile commit holds the same state. With a state branch (WRITEBACK_STATE_BRANCH) an
 * intent holds every state file of the job, with no parent and no other file: it does not depend on which
 * branch a run checked out, and files whose bytes the state branch holds already are not uploaded again.
 * 5xx answers and rate limits are retried per request by the client (client.ts).
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Octokit } from '@octokit/rest';
import type { JobState } from '../state/job-state.ts';
import type { RepoTarget } from './client.ts';
import { changedFiles } from './commit.ts';
import { gitBlobSha, localFiles, type FileChange } from './git-files.ts';
import type { StateBranch } from './state-branch.ts';

export const intentBranch = (name: string) => `writeback-intent/${name}`;
const status = (error: unknown) => (error as { status?: number }).status;

export class IntentJournal {
  constructor(
    private readonly octokit: Octokit,
    private readonly target: RepoTarget,
    private readonly root: string,
    private readonly stateBranch?: StateBranch,
  ) {}

  /** Blobs this journal uploaded, so the next record of the same bytes reuses them. */
  private readonly uploaded = new Set<string>();

  private paths(name: string): string[] {
    return [`state/${name}.json`, `state/${name}`];
  }

  /** Pushes the job's state files as one commit on its intent branch. */
  async record(name: string): Promise<void> {
    const { owner, repo, branch } = this.target;
    let parents: string[] = [];
    let baseTree: string | undefined;
    let changes: FileChange[];
    if (this.stateBranch) {
      changes = [...localFiles(this.root, this.paths(name))].map(([path, content]) => ({ path, content }));
    } else {
      // On the run's branch: its head plus what this run changed.
      changes = changedFiles(this.root, this.paths(name));
      const head = (await this.octokit.rest.git.getRef({ owner, repo, ref: `heads/${branch}` })).data.object.sha;
      baseTree = (await this.octokit.rest.git.getCommit({ owner, repo, commit_sha: head })).data.tree.sha;
      parents = [head];
    }
    if (!changes.length) return;
    const known = this.stateBranch?.knownBlobs() ?? new Set<string>();
    const tree = [];
    for (const change of changes) {
      let sha: string | null = null;
      if (change.content) {
        const id = gitBlobSha(change.content);
        sha = known.has(id) || this.uploaded.has(id) ? id : (await this.octokit.rest.git.createBlob({ owner, repo, content: change.content.toString('base64'), encoding: 'base64' })).data.sha;
        this.uploaded.add(sha);
      }
      tree.push({ path: change.path, mode: '100644' as const, type: 'blob' as const, sha });
    }
    const newTree = await this.octokit.rest.git.createTree({ owner, repo, ...(baseTree ? { base_tree: baseTree } : {}), tree });
    const commit = await this.octokit.rest.git.createCommit({ owner, repo, message: `writeback: delivery intent of ${name}`, tree: newTree.data.sha, parents });
    const ref = `heads/${intentBranch(name)}`;
    const update = () => this.octokit.rest.git.updateRef({ owner, repo, ref, sha: commit.data.sha, force: true });
    try {
      await update();
    } catch (error) {
      if (status(error) !== 422 && status(error) !== 404) throw error;
      try {
        await this.octokit.rest.git.createRef({ owner, repo, ref: `refs/${ref}`, sha: commit.data.sha });
      } catch (again) {
        // "Reference already exists": a retried createRef whose first try went through. It is ours; move it.
        if (status(again) !== 422) throw again;
        await update();
      }
    }
  }

  /**
   * Brings a previous run's unfinished intent back into the working tree. Returns whether there was one.
   * `supersedes(local, intended)` (the job's module) says when the local state holds deliveries the
   * intent lacks: a stale intent (its deletion failed after a later commit) must never roll them back.
   */
  async restore(name: string, supersedes?: (local: JobState, intended: JobState) => boolean): Promise<boolean> {
    const { owner, repo } = this.target;
    let sha: string;
    try {
      sha = (await this.octokit.rest.git.getRef({ owner, repo, ref: `heads/${intentBranch(name)}` })).data.object.sha;
    } catch (error) {
      if (status(error) === 404) return false;
      throw error;
    }
    const treeSha = (await this.octokit.rest.git.getCommit({ owner, repo, commit_sha: sha })).data.tree.sha;
    const tree = (await this.octokit.rest.git.getTree({ owner, repo, tree_sha: treeSha, recursive: 'true' })).data.tree;
    const mine = tree.filter((e) => e.type === 'blob' && e.path && (e.path === `state/${name}.json` || e.path.startsWith(`state/${name}/`)));
    const stateEntry = mine.find((e) => e.path === `state/${name}.json`);
    if (!stateEntry) return false;
    const read = async (fileSha: string) => Buffer.from((await this.octokit.rest.git.getBlob({ owner, repo, file_sha: fileSha })).data.content, 'base64');
    const intended = JSON.parse((await read(stateEntry.sha!)).toString('utf8')) as JobState;
    const local = existsSync(join(this.root, 'state', `${name}.json`)) ? (JSON.parse(readFileSync(join(this.root, 'state', `${name}.json`), 'utf8')) as JobState) : undefined;
    if (local && supersedes?.(local, intended)) {
      await this.clear(name);
      return false;
    }
    rmSync(join(this.root, 'state', name), { recursive: true, force: true });
    for (const entry of mine) {
      const target = join(this.root, entry.path!);
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, await read(entry.sha!));
    }
    return true;
  }

  async clear(name: string): Promise<void> {
    const { owner, repo } = this.target;
    try {
      await this.octokit.rest.git.deleteRef({ owner, repo, ref: `heads/${intentBranch(name)}` });
    } catch (error) {
      if (status(error) !== 404 && status(error) !== 422) throw error;
    }
  }
}
