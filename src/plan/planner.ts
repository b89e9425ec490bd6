/**
 * `writeback plan`: what a reconcile would do now, per job, without sending anything or changing state. Each
 * job runs the reconcile's own loop (jobs/skeleton.ts) in plan mode, which stops before delivering.
 */
import { describeError, RefusedError, WritebackError, type Problem } from '../errors/index.ts';
import { definitionHash } from '../definitions/hash.ts';
import { validateRepository } from '../definitions/validator.ts';
import { Redactor } from '../http/redact.ts';
import type { JobContext } from '../jobs/context.ts';
import { runJob } from '../jobs/skeleton.ts';
import { isDue } from '../reconcile/due.ts';
import { destinationFor, heldReason, loadState } from '../registry.ts';
import { newRunId, zeroRows, type RunReport } from '../reports/run-report.ts';
import { SecretResolver } from '../secrets.ts';
import type { JobState } from '../state/job-state.ts';
import { StateStore } from '../state/store.ts';
import type { JobPlan } from './job-plan.ts';

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
    const module = destinationFor(definition.kind)!;
    const store = new StateStore(root, name);
    const plan: JobPlan = {
      name,
      kind: definition.kind,
      unit: module.unit,
      due: true,
      suspended: Boolean(definition.spec.suspend),
      mode: 'online',
      checked: false,
      columns: module.columns(definition),
      actions: [],
      details: [],
      warnings: [],
    };
    plans.push(plan);
    let state: JobState;
    try {
      state = loadState(store, definition.kind);
    } catch (error) {
      plan.error = describeError(error); // this job's plan says so; the other jobs are planned as usual
      continue;
    }
    // Known without credentials: what a pull request changes is the definition.
    const hash = definitionHash(definition);
    if (state.definitionHash) plan.definition = state.definitionHash === hash ? 'same' : 'changed';
    else if (!state.lastRun) plan.definition = 'new';
    const due = isDue(definition.spec.schedule, state.lastRun?.startedAt, now);
    Object.assign(plan, { due: due.due, next: due.next?.toISOString(), held: heldReason(state) });
    if (due.warning) plan.warnings.push(due.warning);

    const redactor = new Redactor();
    const secrets = new SecretResolver(env, redactor);
    const missing = secrets.missing(definition.spec);
    if (missing.length) {
      plan.mode = 'offline';
      plan.missingSecrets = missing;
      plan.offlineReason = `${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not set: planned from the definition only, nothing was read from Domo or the destination`;
      continue;
    }
    plan.checked = true;
    const startedAt = new Date(now);
    const ctx: JobContext = { root, runId: newRunId(startedAt), definition, env, secrets, redactor, options: { dryRun: true, force: false }, log: () => {}, now: () => new Date() };
    const scratch: RunReport = { name, kind: definition.kind, runId: ctx.runId, startedAt: startedAt.toISOString(), finishedAt: startedAt.toISOString(), status: 'succeeded', rows: zeroRows(), message: '' };
    try {
      await runJob(module, ctx, store, state, scratch, plan);
    } catch (error) {
      plan.error = redactor.redact(error instanceof RefusedError ? `a reconcile would refuse to deliver: ${error.reason}` : describeError(error));
    }
  }
  return { problems, plans };
}
