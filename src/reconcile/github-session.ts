/**
 * The GitHub side of a command: the API client, where state and reports are committed (the run's branch,
 * or WRITEBACK_STATE_BRANCH), and the intent journal of a reconcile.
 */
import type { Octokit } from '@octokit/rest';
import { WritebackError } from '../errors/index.ts';
import { insideActions } from '../github/annotations.ts';
import type { RepoTarget } from '../github/client.ts';
import { IntentJournal } from '../github/intent-branch.ts';
import { BranchSnapshots } from '../github/snapshot.ts';
import { StateBranch } from '../github/state-branch.ts';

export interface GitHubSession {
  octokit: Octokit;
  /** Where state and reports are committed. */
  target: RepoTarget;
  journal: IntentJournal;
  /** With WRITEBACK_STATE_BRANCH: the branch state is read from and committed to, and what keeps it at one commit. */
  stateBranch?: StateBranch;
  snapshots?: BranchSnapshots;
}

/** The state branch the workflows `init` writes name. */
export const DEFAULT_STATE_BRANCH = 'writeback-state';

/** WRITEBACK_STATE_BRANCH, without a refs/heads/ prefix; undefined when unset. */
export function stateBranchName(env: NodeJS.ProcessEnv): string | undefined {
  return env.WRITEBACK_STATE_BRANCH?.trim().replace(/^refs\/heads\//, '') || undefined;
}

/**
 * Inside Actions; and anywhere with a state branch and a token (an operator's `release` from a laptop with
 * GITHUB_TOKEN and GITHUB_REPOSITORY). `log` hears of GitHub's rate limits (standard error if none).
 */
export async function githubSession(root: string, env: NodeJS.ProcessEnv, log?: (line: string) => void): Promise<GitHubSession | undefined> {
  const stateBranch = stateBranchName(env);
  if (!insideActions(env) && !(stateBranch && env.GITHUB_TOKEN && env.GITHUB_REPOSITORY)) return undefined;
  const { githubFromEnv } = await import('../github/client.ts'); // Octokit loads only for a session
  const { octokit, target } = githubFromEnv(env, log, stateBranch);
  if (stateBranch && stateBranch === (env.GITHUB_HEAD_REF || env.GITHUB_REF_NAME) && insideActions(env)) {
    throw new WritebackError(`WRITEBACK_STATE_BRANCH names ${stateBranch}, the branch this workflow runs on: it must be a branch of its own (the definitions' branch stays protected), such as writeback-state`);
  }
  if (!stateBranch) return { octokit, target, journal: new IntentJournal(octokit, target, root) };
  const branch = new StateBranch(octokit, target);
  return { octokit, target, journal: new IntentJournal(octokit, target, root, branch), stateBranch: branch, snapshots: new BranchSnapshots(octokit, target) };
}

/** State must come from the state branch: without a token, local state/ could be stale and a delivery would resend. */
export function missingStateBranchAccess(env: NodeJS.ProcessEnv): string | undefined {
  const name = stateBranchName(env);
  if (!name || (env.GITHUB_TOKEN && env.GITHUB_REPOSITORY)) return undefined;
  return `WRITEBACK_STATE_BRANCH is ${name}, so state lives on that branch, but GITHUB_TOKEN and GITHUB_REPOSITORY are not both set to read it`;
}
