/** Retries a GitHub API operation on 5xx answers and rate limits (primary and secondary), 5 tries at most. */
import { rateLimitWait } from './commit.ts';

const TRANSIENT = new Set([500, 502, 503, 504]);
const MAX_ATTEMPTS = 5;

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
