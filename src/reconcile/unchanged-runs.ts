/**
 * Runs that changed nothing add no commit (WRITEBACK_COMMIT_UNCHANGED; default with a state branch): a job
 * checked every 15 minutes that finds nothing new would otherwise commit 96 times a day. Their reports still
 * go to the workflow's job summary.
 */
import { nextTick, parseCron } from '../definitions/cron.ts';
import type { FileChange } from '../github/git-files.ts';
import type { RunReport } from '../reports/run-report.ts';
import type { JobState } from '../state/job-state.ts';

/**
 * An uncommitted check leaves the previous last run in the state, so the job is due again at the next
 * workflow tick until its own schedule ticks: harmless for a job that ticks at least this often (the
 * workflow's own pace), a redundant export at every tick for a rarer one, which therefore records its check.
 */
const FREQUENT_MS = 16 * 60_000;
/** Even a quiet job records a check this often, so the committed dashboard never shows a live job as long gone. */
const HEARTBEAT_MS = 6 * 3_600_000;

export function commitUnchanged(env: NodeJS.ProcessEnv, stateBranch: boolean): boolean {
  const value = env.WRITEBACK_COMMIT_UNCHANGED?.trim().toLowerCase();
  if (value === 'true') return true;
  if (value === 'false') return false;
  return !stateBranch;
}

/** A state file's JSON, and the same without its last run; undefined when it is not JSON. */
const parsed = (text: string | undefined): { state: JobState; rest: string } | undefined => {
  if (text === undefined) return undefined;
  try {
    const state = JSON.parse(text) as JobState;
    const { lastRun: _lastRun, ...rest } = state;
    return { state, rest: JSON.stringify(rest) };
  } catch {
    return undefined;
  }
};

/**
 * Jobs whose run changed nothing: nothing sent or rejected, the outcome of the run before, the same state
 * apart from the last run's record, a schedule that runs them again soon (see FREQUENT_MS), and a recorded
 * check less than HEARTBEAT_MS old.
 * `previous(path)` reads a file as the commit's base holds it.
 */
export function unchangedJobs(
  reports: RunReport[],
  changes: FileChange[],
  previous: (path: string) => string | undefined,
  schedules: Map<string, string | undefined>,
  now: Date,
): Set<string> {
  const unchanged = new Set<string>();
  for (const report of reports) {
    const { name } = report;
    if (report.dryRun || report.rows.sent || report.rows.rejected || !schedules.has(name)) continue;
    const schedule = schedules.get(name);
    if (schedule) {
      const next = nextTick(parseCron(schedule), now);
      if (!next || next.getTime() - now.getTime() > FREQUENT_MS) continue;
    }
    if (changes.some((c) => c.path.startsWith(`state/${name}/`))) continue;
    const before = previous(`state/${name}.json`);
    const change = changes.find((c) => c.path === `state/${name}.json`);
    if (change && !change.content) continue; // deleted: a change
    const was = parsed(before);
    if (!was || was.rest !== (change ? parsed(change.content!.toString('utf8'))?.rest : was.rest)) continue;
    const { lastRun } = was.state;
    if (lastRun?.status !== report.status || !(now.getTime() - Date.parse(lastRun.startedAt) < HEARTBEAT_MS)) continue;
    unchanged.add(name);
  }
  return unchanged;
}

/** The changes without those of unchanged jobs; without the dashboard too when nothing else is left. */
export function dropUnchanged(changes: FileChange[], unchanged: Set<string>): FileChange[] {
  const mine = (path: string) => [...unchanged].some((name) => path === `state/${name}.json` || path.startsWith(`reports/${name}/`));
  const kept = changes.filter((c) => !mine(c.path));
  return kept.every((c) => c.path === 'reports/README.md') ? [] : kept;
}
