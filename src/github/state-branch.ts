/**
 * WRITEBACK_STATE_BRANCH: state and reports live on a branch of their own, so the definitions' branch can
 * stay protected. A run reads that branch's latest files into its working tree (pull), works on them, and
 * commits what it changed (changes) on top of whatever the branch holds then: two matrix jobs each commit
 * only the files they changed, so neither undoes the other. Before the branch exists, the checked-out
 * state/ and reports/ are its first content (a repository moving to a state branch keeps its history).
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Octokit } from '@octokit/rest';
import { WritebackError } from '../errors/index.ts';
import type { RepoTarget } from './client.ts';
import { headOf } from './commit.ts';
import { gitBlobSha, localFiles, STATE_DIRS, type FileChange } from './git-files.ts';
import { BrokenTarballError, readTarball } from './tarball.ts';

export class StateBranch {
  /** Blob sha of every state and report file at the pull: the branch's, or the checkout's before the branch exists. */
  readonly base = new Map<string, string>();
  /** The branch's head at the pull; undefined when the branch did not exist yet. */
  head: string | undefined;
  private root = '';
  /** The job state files (state/<name>.json) as pulled, to tell a run that changed nothing. */
  private readonly stateFiles = new Map<string, string>();

  constructor(
    private readonly octokit: Octokit,
    readonly target: RepoTarget,
  ) {}

  get branch(): string {
    return this.target.branch;
  }

  /**
   * Replaces the working tree's state/ and reports/ with the branch's (one tarball request). Returns false
   * when the branch does not exist yet: the checked-out files stay, and the first commit creates it from them.
   */
  async pull(root: string): Promise<boolean> {
    this.root = root;
    const { owner, repo, branch } = this.target;
    this.base.clear();
    this.stateFiles.clear();
    try {
      this.head = await headOf(this.octokit, this.target);
    } catch (error) {
      const code = (error as { status?: number }).status;
      throw new WritebackError(`could not read the state branch ${branch} (${code ?? 'network'}: ${(error as Error).message}); nothing was run. Check that the workflow has permissions: contents: read (write to reconcile).`);
    }
    if (!this.head) {
      // Changes are what this run adds to the checkout's files, should another job create the branch first.
      for (const [path, content] of localFiles(root)) this.remember(path, content);
      return false;
    }
    const files = await this.download(this.head);
    for (const path of localFiles(root).keys()) rmSync(join(root, path), { force: true });
    for (const [path, content] of files) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), content);
      this.remember(path, content);
    }
    return true;
  }

  /**
   * The state and report files of `commit`: from its tarball (one request), checked file by file against
   * its tree (one more), so a cut-off or altered download can never stand in for the state. Octokit reads a
   * body that broke off as an empty one without an error; an empty state would send everything again.
   */
  private async download(commit: string): Promise<Map<string, Buffer>> {
    const { owner, repo, branch } = this.target;
    const { tree: treeRef } = (await this.octokit.rest.git.getCommit({ owner, repo, commit_sha: commit })).data;
    const listing = (await this.octokit.rest.git.getTree({ owner, repo, tree_sha: treeRef.sha, recursive: 'true' })).data;
    if (listing.truncated) throw new WritebackError(`the state branch ${branch} holds more files than GitHub lists in one tree; lower WRITEBACK_REPORTS_KEPT`);
    const others = [...new Set(listing.tree.map((e) => e.path!.split('/')[0]!).filter((top) => !STATE_DIRS.includes(top)))];
    if (others.length) {
      // Its history is replaced at every commit (snapshot.ts): it must hold nothing else.
      throw new WritebackError(`WRITEBACK_STATE_BRANCH names ${branch}, which holds more than state/ and reports/ (${others.sort().slice(0, 5).join(', ')}): name a branch of its own that does not exist yet (such as writeback-state); Writeback creates it at the first run`);
    }
    const expected = new Map(listing.tree.filter((e) => e.type === 'blob').map((e) => [e.path!, e.sha!]));
    let problem = '';
    for (let attempt = 1; attempt <= 3; attempt++) {
      try {
        // By commit, not by name: the archive of a name may be served from a cache a moment behind the branch.
        const archive = Buffer.from((await this.octokit.rest.repos.downloadTarballArchive({ owner, repo, ref: commit })).data as ArrayBuffer);
        const { files } = readTarball(archive, STATE_DIRS);
        const wrong = [...expected].filter(([path, sha]) => !files.has(path) || gitBlobSha(files.get(path)!) !== sha).map(([path]) => path);
        const extra = [...files.keys()].filter((path) => !expected.has(path));
        if (!wrong.length && !extra.length) return files;
        problem = `${[...wrong, ...extra].slice(0, 3).join(', ')} differ from the branch's tree`;
      } catch (error) {
        if (!(error instanceof BrokenTarballError)) throw error;
        problem = error.message;
      }
    }
    throw new WritebackError(`could not read the state branch ${branch} whole: ${problem} (3 downloads); nothing was run`);
  }

  private remember(path: string, content: Buffer): void {
    this.base.set(path, gitBlobSha(content));
    if (/^state\/[^/]+\.json$/.test(path)) this.stateFiles.set(path, content.toString('utf8'));
  }

  /** A job's state file as the pull found it. */
  previous(path: string): string | undefined {
    return this.stateFiles.get(path);
  }

  /** What the working tree changed since the pull: files added or modified, and files deleted (pruned reports). */
  changes(root = this.root): FileChange[] {
    const local = localFiles(root);
    const out: FileChange[] = [];
    for (const [path, content] of local) if (this.base.get(path) !== gitBlobSha(content)) out.push({ path, content });
    for (const path of this.base.keys()) if (!local.has(path)) out.push({ path });
    return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  /** The first commit of a branch that does not exist yet: every state and report file of the working tree. */
  everything(root = this.root): FileChange[] {
    return [...localFiles(root)].map(([path, content]) => ({ path, content }));
  }

  /** What this run's changes were made from, for a commit on a branch that moved meanwhile (commit.ts). */
  commitBase(): { head?: string; shas: Map<string, string>; derived: Set<string> } {
    return { head: this.head, shas: this.base, derived: new Set(['reports/README.md']) };
  }

  /** Blob shas the branch held at the pull: a commit reuses them instead of uploading the same bytes again. */
  knownBlobs(): Set<string> {
    return this.head ? new Set(this.base.values()) : new Set();
  }
}
