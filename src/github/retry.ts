/** GitHub answers worth another try: 5xx and rate limits (primary and secondary). */
export const TRANSIENT = new Set([500, 502, 503, 504]);

/**
 * GitHub's primary and secondary rate limits (403 or 429 saying so): how long to wait, from retry-after
 * or x-ratelimit-reset (capped at 2 minutes), or undefined when the error is no rate limit.
 */
export function rateLimitWait(error: unknown): number | undefined {
  const e = error as { status?: number; message?: string; response?: { headers?: Record<string, string | undefined> } };
  if (e.status !== 403 && e.status !== 429) return undefined;
  const headers = e.response?.headers ?? {};
  if (e.status === 403 && !/rate limit/i.test(e.message ?? '') && headers['x-ratelimit-remaining'] !== '0') return undefined;
  const after = Number(headers['retry-after']);
  if (Number.isFinite(after) && headers['retry-after'] !== undefined) return Math.min(after * 1000, 120_000);
  const reset = Number(headers['x-ratelimit-reset']);
  if (Number.isFinite(reset) && headers['x-ratelimit-reset'] !== undefined) return Math.min(Math.max(0, reset * 1000 - Date.now()), 120_000);
  return 60_000;
}

const MAX_ATTEMPTS = 5;

/** Retries a GitHub API operation on 5xx answers and rate limits, 5 tries at most. */
export async function withGitHubRetry<T>(operation: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      const status = (error as { status?: number }).status ?? 0;
      const wait = rateLimitWait(error) ?? (TRANSIENT.has(status) ? 200 * attempt : undefined);
      if (wait === undefined || attempt === MAX_ATTEMPTS) throw error;
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}
