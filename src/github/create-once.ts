/**
 * Creating an issue or a comment is not idempotent: GitHub can answer 502 after it created it, and Octokit's
 * retry plugin would then create a second one. Such calls go out once (`CREATE_ONCE`), and the operation
 * around them is retried as a whole (`retryRelisting`), so it lists what exists again before creating anything.
 */
import { MAX_TRIES, sleep } from '../http/retry.ts';

export const CREATE_ONCE = { request: { retries: 0 } } as const;

/** A GitHub answer of 5xx (Octokit reports a network failure as 500); not a bug of ours, not a refusal. */
const transient = (error: unknown) => {
  const { name, status } = error as { name?: string; status?: number };
  return name === 'HttpError' && typeof status === 'number' && status >= 500;
};

/** `again` is true on a retry: the operation then checks what an earlier try may have written. */
export async function retryRelisting<T>(operation: (again: boolean) => Promise<T>, pauseMs = 500): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation(attempt > 1);
    } catch (error) {
      if (attempt === MAX_TRIES || !transient(error)) throw error;
      await sleep(pauseMs * attempt);
    }
  }
}
