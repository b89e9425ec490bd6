/** Every valid job with its state, recent reports and next due time: the data behind status and the dashboard. */
import { validateRepository } from '../definitions/validator.ts';
import type { JobSummary } from '../reports/dashboard.ts';
import { readReports } from '../reports/history.ts';
import { StateStore } from '../state/store.ts';
import { heldReason, loadState } from '../registry.ts';
import type { JobState } from '../state/job-state.ts';
import { describeError } from '../errors/index.ts';
import { isDue } from './due.ts';

const HISTORY_RUNS = 20;

/** `validation`: the repository's definitions, when the caller has validated them already. */
export function jobSummaries(root: string, now: Date, env: NodeJS.ProcessEnv = process.env, validation = validateRepository(root, undefined, env)): JobSummary[] {
  return validation.definitions.map(({ definition }) => {
    const name = definition.metadata.name;
    const store = new StateStore(root, name);
    let state: JobState | undefined;
    let stateProblem: string | undefined;
    try {
      state = store.exists() ? loadState(store, definition.kind) : undefined;
    } catch (error) {
      stateProblem = describeError(error); // this job's row says so; the others are unaffected
    }
    const due = isDue(definition.spec.schedule, state?.lastRun?.startedAt, now);
    return {
      name,
      kind: definition.kind,
      suspended: Boolean(definition.spec.suspend),
      state,
      stateProblem,
      held: Boolean(state && heldReason(state)),
      history: readReports(root, name, HISTORY_RUNS),
      dueNow: due.due,
      next: due.next,
    };
  });
}

/**
 * When the state and reports last changed: the newest run any job recorded (the time of now when none did).
 * The committed dashboard is dated by it, so that rendering it again from the same files gives the same bytes.
 */
export function dataTime(root: string, validation = validateRepository(root, undefined, process.env), fallback = new Date()): Date {
  let newest = Number.NEGATIVE_INFINITY;
  for (const { definition } of validation.definitions) {
    const store = new StateStore(root, definition.metadata.name);
    try {
      const finished = Date.parse(store.exists() ? (loadState(store, definition.kind).lastRun?.finishedAt ?? '') : '');
      if (finished > newest) newest = finished;
    } catch {
      // an unreadable state dates nothing
    }
  }
  return Number.isFinite(newest) ? new Date(newest) : fallback;
}
