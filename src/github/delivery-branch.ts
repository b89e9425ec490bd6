/**
 * Deliveries come from one branch: the repository's default branch, or WRITEBACK_DELIVERY_BRANCH. A
 * reconcile started on another branch (workflow_dispatch can start on any) reads that branch's state,
 * which may be older than the deliveries since, and would send lines again: there it runs as a dry run.
 * Only inside Actions: a run on a laptop works on the state its checkout holds, as the operator chose.
 */
import { readFileSync } from 'node:fs';
import { insideActions } from './annotations.ts';

/**
 * The repository's default branch, from the event that started the workflow: workflow_dispatch and push
 * events carry `repository.default_branch`; schedule events do not, but GitHub runs schedules only on the
 * default branch, so a run without it is let through.
 */
function defaultBranch(env: NodeJS.ProcessEnv): string | undefined {
  if (!env.GITHUB_EVENT_PATH) return undefined;
  try {
    const event = JSON.parse(readFileSync(env.GITHUB_EVENT_PATH, 'utf8')) as { repository?: { default_branch?: unknown } };
    return typeof event.repository?.default_branch === 'string' ? event.repository.default_branch : undefined;
  } catch {
    return undefined;
  }
}

/** Why this run may not deliver (it then runs as a dry run), or undefined when it may. */
export function deliveryBranchRefusal(env: NodeJS.ProcessEnv): string | undefined {
  if (!insideActions(env)) return undefined;
  const branch = env.GITHUB_HEAD_REF || env.GITHUB_REF_NAME;
  const named = env.WRITEBACK_DELIVERY_BRANCH?.trim().replace(/^refs\/heads\//, '');
  const allowed = named || defaultBranch(env);
  if (!branch || !allowed || branch === allowed) return undefined;
  const which = named ? 'WRITEBACK_DELIVERY_BRANCH' : "the repository's default branch";
  return `this run is on branch ${branch}, and deliveries come only from ${allowed} (${which}): the state on ${branch} may be older than what was delivered since, so sending from it could send lines again`;
}
