/** Whether a job is due: its cron (UTC) has a tick after the last run, so a missed tick runs once. */
import { nextTick, parseCron } from '../definitions/cron.ts';

export interface DueDecision {
  due: boolean;
  /** When it is next due (after this run, or from now when not due). */
  next?: Date;
}

export function isDue(schedule: string | undefined, lastRunAt: string | undefined, now: Date): DueDecision {
  if (!schedule) return { due: true };
  const cron = parseCron(schedule);
  if (!lastRunAt) return { due: true, next: nextTick(cron, now) };
  const tick = nextTick(cron, new Date(lastRunAt));
  if (tick && tick.getTime() <= now.getTime()) return { due: true, next: nextTick(cron, now) };
  return { due: false, next: tick };
}
