/** Octokit for the repository the workflow runs in, from the standard Actions variables. */
import { Octokit } from '@octokit/rest';
import { WritebackError } from '../errors/index.ts';

export interface RepoTarget {
  owner: string;
  repo: string;
  branch: string;
}

export function githubFromEnv(env: NodeJS.ProcessEnv): { octokit: Octokit; target: RepoTarget } {
  const [owner, repo] = (env.GITHUB_REPOSITORY ?? '').split('/');
  const branch = env.GITHUB_HEAD_REF || env.GITHUB_REF_NAME;
  if (!env.GITHUB_TOKEN || !owner || !repo || !branch) {
    throw new WritebackError('inside GitHub Actions the runner needs GITHUB_TOKEN, GITHUB_REPOSITORY and GITHUB_REF_NAME to commit state; pass GITHUB_TOKEN: ${{ github.token }} in env');
  }
  const quiet = () => {};
  const octokit = new Octokit({
    auth: env.GITHUB_TOKEN,
    baseUrl: (env.GITHUB_API_URL || 'https://api.github.com').replace(/\/+$/, ''),
    userAgent: 'writeback',
    // Failures are reported by the runner in its own words; Octokit's request log would only repeat them.
    log: { debug: quiet, info: quiet, warn: quiet, error: quiet },
  });
  return { octokit, target: { owner, repo, branch } };
}
