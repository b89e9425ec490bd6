/** Octokit for the repository the workflow runs in, from the standard Actions variables. */
import { Octokit } from '@octokit/rest';
import { EnvHttpProxyAgent, fetch as undiciFetch } from 'undici';
import { WritebackError } from '../errors/index.ts';

export interface RepoTarget {
  owner: string;
  repo: string;
  branch: string;
}

const proxyVariable = (env: NodeJS.ProcessEnv, name: string) => env[name] ?? env[name.toLowerCase()];

/**
 * The fetch Octokit uses: through HTTPS_PROXY / HTTP_PROXY (honouring NO_PROXY) when the environment names
 * a proxy, as the vendor calls do (self-hosted runners and GitHub Enterprise Server often sit behind one);
 * the platform's own fetch otherwise.
 */
function githubFetch(env: NodeJS.ProcessEnv): typeof fetch | undefined {
  const httpsProxy = proxyVariable(env, 'HTTPS_PROXY');
  const httpProxy = proxyVariable(env, 'HTTP_PROXY');
  if (!httpsProxy && !httpProxy) return undefined;
  const dispatcher = new EnvHttpProxyAgent({ httpProxy, httpsProxy, noProxy: proxyVariable(env, 'NO_PROXY') });
  return ((input: Parameters<typeof undiciFetch>[0], init?: Parameters<typeof undiciFetch>[1]) => undiciFetch(input, { ...init, dispatcher })) as unknown as typeof fetch;
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
    request: { fetch: githubFetch(env) },
    // Failures are reported by the runner in its own words; Octokit's request log would only repeat them.
    log: { debug: quiet, info: quiet, warn: quiet, error: quiet },
  });
  return { octokit, target: { owner, repo, branch } };
}
