import { availableParallelism } from 'node:os';
import { parseDuration } from './definitions/duration.ts';

/** Tunables read from the environment (documented in the README under "Advanced settings"). */
export function httpSettings(env: NodeJS.ProcessEnv) {
  const number = (name: string, fallback: number) => {
    const value = Number(env[name]);
    return env[name] && Number.isFinite(value) && value > 0 ? value : fallback;
  };
  return {
    timeoutMs: number('WRITEBACK_HTTP_TIMEOUT_MS', 120_000),
    retryBaseMs: number('WRITEBACK_RETRY_BASE_MS', 1_000),
    // A vendor's rate limit may ask for a wait up to an hour (an hourly rate scheme): sit out up to this.
    maxRateLimitWaitMs: parseDuration(env.WRITEBACK_RATE_LIMIT_MAX_WAIT ?? '') ?? 15 * 60_000,
  };
}

/** Exports at least this large are formatted in worker threads; below, starting them costs more than they save. */
const WORKERS_FROM_ROWS = 100_000;

/**
 * Worker threads that format an export of `rows` rows: WRITEBACK_WORKERS when set (0: none), else 2 on
 * a machine with 2 processors or more. Measured on 2 processors (1M rows): 2 workers beat 1 by 5 to 10%,
 * as this thread mostly waits for them; a third would wait on this thread's ordered work (about 1 s per 1M rows).
 */
export function formatWorkers(env: NodeJS.ProcessEnv, rows: number | undefined, processors = availableParallelism()): number {
  const set = env.WRITEBACK_WORKERS === undefined || env.WRITEBACK_WORKERS === '' ? NaN : Number(env.WRITEBACK_WORKERS);
  if (Number.isInteger(set) && set >= 0) return Math.min(set, 16);
  if (rows === undefined || rows < WORKERS_FROM_ROWS || processors < 2) return 0;
  return 2;
}

/** How old a lock from another host must be before it is taken over (WRITEBACK_LOCK_STALE_AFTER; default 6h, GitHub's job limit). */
export function lockStaleAfterMs(env: NodeJS.ProcessEnv): number {
  return parseDuration(env.WRITEBACK_LOCK_STALE_AFTER ?? '') ?? 6 * 3_600_000;
}
