/**
 * Octokit for the repository the workflow runs in, from the standard Actions variables, with Octokit's own
 * retry plugin (5xx and network failures) and throttling plugin (rate limits, pacing of writes).
 * Loading Octokit takes 80-120 ms, so commands import this module only when they talk to GitHub
 * (github-session.ts, plan.ts): the rest, and a run outside Actions, never load it.
 */
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { Octokit } from '@octokit/rest';
import Bottleneck from 'bottleneck';
import type { Dispatcher, fetch as undiciFetch } from 'undici';
import { WritebackError } from '../errors/index.ts';
import { httpSettings } from '../settings.ts';
import { insideActions, workflowSafe } from './annotations.ts';
import { explainRateLimit, isRateLimit, RATE_LIMIT_MAX_WAIT_S, RATE_LIMIT_RETRIES } from './rate-limit.ts';

export interface RepoTarget {
  owner: string;
  repo: string;
  branch: string;
}

const GitHub = Octokit.plugin(retry, throttling);

/**
 * Answers another try cannot change, for the retry plugin: Octokit's own list (400 401 403 404 410 422 451),
 * plus 409 (a conflict stays one) and 429 (a rate limit: the throttling plugin waits it out as GitHub
 * asks, where an immediate retry would only prolong it). Any other failure (5xx, a network failure, which
 * Octokit reports as 500) is tried 3 more times.
 */
const DO_NOT_RETRY = [400, 401, 403, 404, 409, 410, 422, 429, 451];
/**
 * Writes (POST, PATCH, PUT, DELETE) go one at a time, at least 400 ms apart: GitHub's secondary limit allows
 * 900 points a minute, a write costs 5, so this keeps the runner at 150 writes (750 points) a minute with
 * room for the reads between them. Measured for a 20-file commit (23 writes) at 300 ms a request: 10 s, against
 * 23 s with Octokit's default of 1 s and 8 s unpaced.
 */
const WRITE_GAP_MS = 400;
/** Writes that notify people (issues, comments): 3 s apart, Octokit's default (GitHub: 80 a minute at most). */
const NOTIFICATION_GAP_MS = 3_000;

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
  let dispatcher: Dispatcher | undefined;
  // undici loads at the first call, as for the vendor calls (src/http/client.ts).
  return (async (input: Parameters<typeof undiciFetch>[0], init?: Parameters<typeof undiciFetch>[1]) => {
    const { EnvHttpProxyAgent, fetch } = await import('undici');
    dispatcher ??= new EnvHttpProxyAgent({ httpProxy, httpsProxy, noProxy: proxyVariable(env, 'NO_PROXY') });
    return fetch(input, { ...init, dispatcher });
  }) as unknown as typeof fetch;
}

export interface GitHubClientOptions {
  token: string;
  baseUrl?: string;
  /** Proxy variables, and WRITEBACK_RETRY_BASE_MS (tests set it low: below 1000 it shortens every wait in proportion). */
  env?: NodeJS.ProcessEnv;
  /** The runner's log: rate-limit waits are told here. */
  log?: (line: string) => void;
}

export function githubClient({ token, baseUrl = 'https://api.github.com', env = {}, log = () => {} }: GitHubClientOptions): Octokit {
  const base = httpSettings(env).retryBaseMs;
  // A wait GitHub names (retry-after, a reset time) or a pace it asks for: never stretched, only shortened for tests.
  const scale = Math.min(base, 1000) / 1000;
  const onLimit = (kind: string) => (retryAfter: number, options: { method?: string; url?: string }, _octokit: unknown, retryCount: number) => {
    const call = `${options.method ?? 'GET'} ${options.url ?? ''}`.trim();
    if (retryAfter <= RATE_LIMIT_MAX_WAIT_S && retryCount < RATE_LIMIT_RETRIES) {
      log(`GitHub ${kind} on ${call}; waiting ${retryAfter}s, then retrying (${retryCount + 1} of ${RATE_LIMIT_RETRIES})`);
      return true;
    }
    const why = retryAfter > RATE_LIMIT_MAX_WAIT_S ? `it asks for ${retryAfter}s, longer than the ${RATE_LIMIT_MAX_WAIT_S}s the runner waits` : `still limited after ${RATE_LIMIT_RETRIES} waits`;
    log(`GitHub ${kind} on ${call}: ${why}; giving up`);
    return false;
  };
  const octokit = new GitHub({
    auth: token,
    baseUrl: baseUrl.replace(/\/+$/, ''),
    userAgent: 'writeback',
    request: { fetch: githubFetch(env) },
    // 5xx and network failures: 3 more tries, after 1, 4 and 9 times the base (1 s).
    retry: { doNotRetry: DO_NOT_RETRY, retryAfterBaseValue: base },
    throttle: {
      onRateLimit: onLimit('rate limit'),
      onSecondaryRateLimit: onLimit('secondary rate limit'),
      retryAfterBaseValue: 1000 * scale,
      // Per client, not Octokit's process-wide groups: one run's pace is its own.
      write: new Bottleneck.Group({ maxConcurrent: 1, minTime: WRITE_GAP_MS * scale }),
      notifications: new Bottleneck.Group({ maxConcurrent: 1, minTime: NOTIFICATION_GAP_MS * scale }),
    },
    // Failures are reported by the runner in its own words; Octokit's request log would only repeat them.
    log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
  });
  // Outermost, after both plugins: a rate limit that reaches here was given up on; say so in the error.
  octokit.hook.error('request', (error) => {
    if (isRateLimit(error)) explainRateLimit(error as Error);
    throw error;
  });
  return octokit;
}

/** The runner's log when the command passes none: standard error, safe inside Actions. */
const stderrLog = (env: NodeJS.ProcessEnv) => (line: string) => process.stderr.write(`${insideActions(env) ? workflowSafe(line) : line}\n`);

export function githubFromEnv(env: NodeJS.ProcessEnv, log: (line: string) => void = stderrLog(env), branch = env.GITHUB_HEAD_REF || env.GITHUB_REF_NAME): { octokit: Octokit; target: RepoTarget } {
  const [owner, repo] = (env.GITHUB_REPOSITORY ?? '').split('/');
  if (!env.GITHUB_TOKEN || !owner || !repo || !branch) {
    throw new WritebackError('inside GitHub Actions the runner needs GITHUB_TOKEN, GITHUB_REPOSITORY and GITHUB_REF_NAME to commit state; pass GITHUB_TOKEN: ${{ github.token }} in env');
  }
  const octokit = githubClient({ token: env.GITHUB_TOKEN, baseUrl: env.GITHUB_API_URL || undefined, env, log });
  return { octokit, target: { owner, repo, branch } };
}
