/** The GitHub side of a reconcile: the API client, the repository and the intent journal of one run. */
import type { Octokit } from '@octokit/rest';
import { insideActions } from '../github/annotations.ts';
import { githubFromEnv, type RepoTarget } from '../github/client.ts';
import { IntentJournal } from '../github/intent-branch.ts';

export interface GitHubSession {
  octokit: Octokit;
  target: RepoTarget;
  journal: IntentJournal;
}

/** Only inside Actions, and not for dry runs: they change nothing. `log` hears of GitHub's rate limits (standard error if none). */
export function githubSession(root: string, env: NodeJS.ProcessEnv, dryRun: boolean, log?: (line: string) => void): GitHubSession | undefined {
  if (!insideActions(env) || dryRun) return undefined;
  const { octokit, target } = githubFromEnv(env, log);
  return { octokit, target, journal: new IntentJournal(octokit, target, root) };
}
