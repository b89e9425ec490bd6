/** GitHub's rate limits as the runner meets them: without Octokit, so modules that only read an error need not load it. */
/** The longest wait a rate limit may ask for that the runner sits out (seconds), and how often it does. */
export const RATE_LIMIT_MAX_WAIT_S = 120;
export const RATE_LIMIT_RETRIES = 2;

type Headers = Record<string, string | number | undefined>;
const failure = (error: unknown) => error as { status?: number; message?: string; response?: { headers?: Headers } };

/** A primary or secondary rate limit (403 or 429 saying so), as GitHub signals them. */
export function isRateLimit(error: unknown): boolean {
  const { status, message, response } = failure(error);
  if (status !== 403 && status !== 429) return false;
  return String(response?.headers?.['x-ratelimit-remaining']) === '0' || /rate limit/i.test(message ?? '');
}

/** GitHub's words for a rate limit the runner gave up on, prefixed with until when it holds and why the runner stopped. */
export function explainRateLimit(error: Error & { response?: { headers?: Headers } }): void {
  const headers = error.response?.headers ?? {};
  const after = Number(headers['retry-after']);
  const reset = Number(headers['x-ratelimit-reset']);
  const until = headers['retry-after'] !== undefined && after >= 0 ? Date.now() + after * 1000 : reset > 0 ? reset * 1000 : undefined;
  const when = until === undefined ? '' : ` until ${new Date(until).toISOString().replace(/\.\d+Z$/, 'Z')} (in ${Math.max(1, Math.round((until - Date.now()) / 60_000))} min)`;
  error.message = `GitHub's rate limit holds${when}; the runner waits for one ${RATE_LIMIT_MAX_WAIT_S / 60} minutes at most, ${RATE_LIMIT_RETRIES} times. GitHub said: ${error.message}`;
}
