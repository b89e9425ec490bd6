/** Whether a job is due: its cron (UTC) has a tick after the last run, so a missed tick runs once. */
import { nextTick, parseCron } from '../definitions/cron.ts';

export interface DueDecision {
  due: boolean;
  /** When it is next due (after this run, or from now when not due). */
  next?: Date;
  /** Why the decision did not follow the last run's time (a clock skew, an unreadable time). */
  warning?: string;
}

/** A last run this far ahead of now is a clock problem, not a run that just finished. */
const CLOCK_SKEW_MS = 5 * 60_000;

export function isDue(schedule: string | undefined, lastRunAt: string | undefined, now: Date): DueDecision {
  if (!schedule) return { due: true };
  const cron = parseCron(schedule);
  if (!lastRunAt) return { due: true, next: nextTick(cron, now) };
  const last = Date.parse(lastRunAt);
  // A time in the future would make the job wait until then (maybe forever): run it, and say why.
  if (!Number.isFinite(last)) return { due: true, next: nextTick(cron, now), warning: `the last run's time "${lastRunAt}" in the state is not a time; treated as due` };
  if (last > now.getTime() + CLOCK_SKEW_MS) {
    return { due: true, next: nextTick(cron, now), warning: `the last run's time ${lastRunAt} lies in the future (a clock was wrong); treated as due` };
  }
  const tick = nextTick(cron, new Date(last));
  if (tick && tick.getTime() <= now.getTime()) return { due: true, next: nextTick(cron, now) };
  return { due: false, next: tick };
}
