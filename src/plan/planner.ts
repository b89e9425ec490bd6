/** `writeback plan`: what a reconcile would do now, per job, without sending anything or changing state. */
import { MissingSecretError, WritebackError, describeError } from '../errors/index.ts';
import type { Definition } from '../definitions/types.ts';
import { dotdigitalColumns, planDotdigital } from './dotdigital-plan.ts';
import { validateRepository } from '../definitions/validator.ts';
import { Redactor } from '../http/redact.ts';
import { isDue } from '../reconcile/due.ts';
import { SecretResolver } from '../secrets.ts';
import type { JobState } from '../state/job-state.ts';
import { StateStore } from '../state/store.ts';
import { emarsysColumns, planEmarsys } from './emarsys-plan.ts';
import type { ColumnCheck, JobPlan } from './job-plan.ts';
import type { Problem } from '../errors/index.ts';

export interface PlanContext {
  root: string;
  env: NodeJS.ProcessEnv;
  secrets: SecretResolver;
  redactor: Redactor;
}

type KindPlanner = (definition: never, plan: JobPlan, ctx: PlanContext, store: StateStore, state: JobState) => Promise<void>;

/** Per kind: the columns it reads (offline) and the full planner (online). */
const PLANNERS: Record<Definition['kind'], { columns: (d: never) => ColumnCheck[]; plan: KindPlanner }> = {
  EmarsysSalesWriteback: { columns: emarsysColumns as (d: never) => ColumnCheck[], plan: planEmarsys as KindPlanner },
  DotdigitalContactsWriteback: { columns: dotdigitalColumns as (d: never) => ColumnCheck[], plan: planDotdigital as KindPlanner },
};

export interface PlanResult {
  problems: Problem[];
  plans: JobPlan[];
}

export async function planJobs(root: string, env: NodeJS.ProcessEnv, only: string[], now = new Date()): Promise<PlanResult> {
  const { definitions, problems } = validateRepository(root, undefined, env);
  const known = new Set(definitions.map((d) => d.definition.metadata.name));
  const unknown = only.filter((n) => !known.has(n));
  if (unknown.length) throw new WritebackError(`--only names no valid definition: ${unknown.join(', ')}`);
  const plans: JobPlan[] = [];
  for (const { definition } of definitions) {
    const name = definition.metadata.name;
    if (only.length && !only.includes(name)) continue;
    const store = new StateStore(root, name);
    const planner = PLANNERS[definition.kind];
    let state: JobState;
    try {
      state = store.load(definition.kind);
    } catch (error) {
      // This job's plan says so; the other jobs are planned as usual.
      plans.push({ name, kind: definition.kind, due: true, suspended: Boolean(definition.spec.suspend), mode: 'online', columns: planner.columns(definition as never), warnings: [], error: describeError(error) });
      continue;
    }
    const due = isDue(definition.spec.schedule, state.lastRun?.startedAt, now);
    const plan: JobPlan = {
      name,
      kind: definition.kind,
      due: due.due,
      next: due.next?.toISOString(),
      suspended: Boolean(definition.spec.suspend),
      held: state.held?.reason ?? (state.pending ? `upload ${state.pending.part} of run ${state.pending.runId} has an unknown outcome` : undefined),
      mode: 'online',
      columns: planner.columns(definition as never),
      warnings: due.warning ? [due.warning] : [],
    };
    const redactor = new Redactor();
    try {
      await planner.plan(definition as never, plan, { root, env, redactor, secrets: new SecretResolver(env, redactor) }, store, state);
    } catch (error) {
      if (error instanceof MissingSecretError) {
        plan.mode = 'offline';
        plan.offlineReason = `credentials are not available (${error.secret} is not set; a pull request from a fork gets no secrets): planned from the definition only`;
      } else {
        plan.error = redactor.redact(describeError(error));
      }
    }
    plans.push(plan);
  }
  return { problems, plans };
}

