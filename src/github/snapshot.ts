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
  private repositoryId: string | undefined;

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
      this.repositoryId ??= (await this.octokit.rest.repos.get({ owner, repo })).data.node_id;
      const snapshot = (await this.octokit.rest.git.createCommit({ owner, repo, message, tree: tree.sha, parents: [] })).data.sha;
      await this.octokit.graphql(UPDATE_REFS, {
        input: { repositoryId: this.repositoryId, refUpdates: [{ name: `refs/heads/${branch}`, beforeOid: commit, afterOid: snapshot, force: true }] },
      });
      return snapshot;
    } catch (error) {
      log(`${branch} keeps its history this time (${describeError(error)}); the next run sheds it`);
      return undefined;
    }
  }
}
