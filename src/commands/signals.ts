/**
 * SIGINT and SIGTERM (Ctrl-C, a cancelled workflow: GitHub sends SIGINT, then SIGTERM 7.5 s later) end a
 * run cleanly. The first signal stops the run between uploads: no new job, upload or import starts, the
 * upload on the wire may finish and be recorded. After WRITEBACK_STOP_GRACE_MS (default 5 s), or at a
 * second signal, the process exits at once: its locks and spool files are removed, and the state on disk
 * is consistent as it always is (an upload without a recorded answer holds the job, never resends).
 */
import { releaseHeldLocks } from '../state/lock.ts';
import { removeLiveSpools } from '../pipeline/spool.ts';

const EXIT_CODES: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };

export interface StopSignal {
  signal: AbortSignal;
  /** 130 or 143 once a signal arrived, else undefined. */
  exitCode(): number | undefined;
  dispose(): void;
}

export function stopOnSignals(env: NodeJS.ProcessEnv, err: (line: string) => void): StopSignal {
  const controller = new AbortController();
  const grace = Number(env.WRITEBACK_STOP_GRACE_MS) > 0 ? Number(env.WRITEBACK_STOP_GRACE_MS) : 5000;
  const exitNow = (name: string) => {
    releaseHeldLocks();
    removeLiveSpools();
    process.exit(EXIT_CODES[name] ?? 1);
  };
  const onSignal = (name: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      err(`writeback: ${name} again: stopping now`);
      return exitNow(name);
    }
    controller.abort(name);
    err(`writeback: ${name}: stopping after the upload in progress (at most ${grace / 1000} s); nothing new starts`);
    setTimeout(() => {
      err(`writeback: still running ${grace / 1000} s after ${name}: stopping now; an upload without a recorded answer holds its job`);
      exitNow(name);
    }, grace).unref();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    exitCode: () => (controller.signal.aborted ? EXIT_CODES[String(controller.signal.reason)] : undefined),
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

/** For a command that serves until stopped (`emulate`): the first SIGINT or SIGTERM ends it, quietly. */
export function untilSignal(): StopSignal {
  const controller = new AbortController();
  const onSignal = (name: NodeJS.Signals) => controller.abort(name);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    exitCode: () => undefined,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
