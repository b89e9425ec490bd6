/**
 * Creating an issue or a comment is not idempotent: GitHub can answer 502 after it created it, and Octokit's
 * retry plugin would then create a second one. Such calls go out once (`CREATE_ONCE`), and the operation
 * around them is retried as a whole (`retryRelisting`), so it lists what exists again before creating anything.
 */
export const CREATE_ONCE = { request: { retries: 0 } } as const;

const TRIES = 3;

const transient = (error: unknown) => {
  const status = (error as { status?: number }).status;
  return status === undefined || status >= 500; // Octokit reports a network failure as 500
};

export async function retryRelisting<T>(operation: () => Promise<T>, pauseMs = 500): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      if (attempt === TRIES || !transient(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, pauseMs * attempt));
    }
  }
}
