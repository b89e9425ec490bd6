/**
 * Keeps the state branch at one commit: after a run's commit landed (a fast forward, as on any branch),
 * the branch is moved to a commit of the same files without parents, so git keeps only the latest state
 * and the retained reports, not every ledger ever written (bench/git-growth.ts measures it).
 * The move is a compare-and-swap: GitHub's GraphQL `updateRefs` with `beforeOid` (docs.github.com,
 * GraphQL reference, "Git" mutations: "RefUpdate.beforeOid specifies that the given reference needs to
 * point to the given value before performing any updates"; the REST ref update has no such condition). If
 * another job committed meanwhile, the swap is refused and that job's own swap takes its place: nothing it
 * wrote is lost. A refused or failed swap only leaves history in place; it never fails the run.
 */
import type { Octokit } from '@octokit/rest';
import { describeError } from '../errors/index.ts';
import type { RepoTarget } from './client.ts';

const UPDATE_REFS = `mutation ($input: UpdateRefsInput!) { updateRefs(input: $input) { clientMutationId } }`;

export class BranchSnapshots {
  private repository: { id: string; defaultBranch: string } | undefined;

  constructor(
    private readonly octokit: Octokit,
    private readonly target: RepoTarget,
  ) {}

  /** Replaces the branch's history by one commit of `commit`'s files if the branch still points at `commit`. */
  async squash(commit: string, message: string, log: (line: string) => void): Promise<string | undefined> {
    const { owner, repo, branch } = this.target;
    try {
      const { tree, parents } = (await this.octokit.rest.git.getCommit({ owner, repo, commit_sha: commit })).data;
      if (!parents.length) return commit; // the branch's first commit: nothing to shed
      if (!this.repository) {
        const { node_id, default_branch } = (await this.octokit.rest.repos.get({ owner, repo })).data;
        this.repository = { id: node_id, defaultBranch: default_branch };
      }
      // Checked again here, not only when the state was read: the branch may have been replaced since.
      const top = (await this.octokit.rest.git.getTree({ owner, repo, tree_sha: tree.sha })).data.tree.map((e) => e.path!.split('/')[0]!);
      if (branch === this.repository.defaultBranch || top.some((name) => name !== 'state' && name !== 'reports')) {
        log(`${branch} holds more than state/ and reports/ (or is the default branch): its history is kept`);
        return undefined;
      }
      const snapshot = (await this.octokit.rest.git.createCommit({ owner, repo, message, tree: tree.sha, parents: [] })).data.sha;
      await this.octokit.graphql(UPDATE_REFS, {
        input: { repositoryId: this.repository.id, refUpdates: [{ name: `refs/heads/${branch}`, beforeOid: commit, afterOid: snapshot, force: true }] },
      });
      return snapshot;
    } catch (error) {
      // A ruleset that blocks force pushes refuses it every time: then say what to change.
      const blocked = /protected|force|rule/i.test(describeError(error)) ? `; allow github-actions[bot] to force-push to ${branch} (README, "Setting up GitHub Actions"), or it keeps every run's files` : '; the next run sheds it';
      log(`${branch} keeps its history this time (${describeError(error)})${blocked}`);
      return undefined;
    }
  }
}
