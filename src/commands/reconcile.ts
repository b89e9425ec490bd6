import { runWarning } from '../github/annotations.ts';
import { headOf } from '../github/commit.ts';
import { deliveryBranchRefusal } from '../github/delivery-branch.ts';
import { DEFAULT_STATE_BRANCH, githubSession, type GitHubSession } from '../reconcile/github-session.ts';
import { publish } from '../reconcile/publish.ts';
import { reconcile } from '../reconcile/reconciler.ts';
import type { CommandIO } from './io.ts';

export interface ReconcileCommandOptions {
  only: string[];
  force: boolean;
  dryRun: boolean;
  signal?: AbortSignal;
}

/** The state branch `init`'s workflows name, when it exists although this run does not use one. */
async function abandonedStateBranch({ octokit, target }: GitHubSession): Promise<string | undefined> {
  return (await headOf(octokit, { ...target, branch: DEFAULT_STATE_BRANCH })) ? DEFAULT_STATE_BRANCH : undefined;
}

/** `writeback reconcile`: exit 0 when every job succeeded or was skipped, 1 otherwise. */
/** `session`: GitHub as the CLI opened it (with the state branch already pulled); opened here when absent. */
export async function reconcileCommand(io: CommandIO, options: ReconcileCommandOptions, session?: GitHubSession): Promise<number> {
  const refusal = options.dryRun ? undefined : deliveryBranchRefusal(io.env);
  if (refusal) {
    const message = `${refusal}. Running as a dry run: nothing is sent and no state changes. Start it on that branch to deliver.`;
    io.out(`writeback reconcile: ${message}`);
    io.out(runWarning('writeback reconcile: dry run', message)); // a green run must not look like a delivery
    options = { ...options, dryRun: true };
  }
  let github = options.dryRun ? undefined : (session ?? (await githubSession(io.root, io.env, io.out)));
  const abandoned = github && !github.stateBranch ? await abandonedStateBranch(github) : undefined;
  if (abandoned) {
    const message = `the branch ${abandoned} holds this repository's state (a state branch), but WRITEBACK_STATE_BRANCH is not set, so this run would deliver from the older state/ of ${github!.target.branch} and send lines again. Running as a dry run. Set WRITEBACK_STATE_BRANCH: ${abandoned} in the workflow (or, to go back, copy its state/ and reports/ to ${github!.target.branch} and delete it).`;
    io.out(`writeback reconcile: ${message}`);
    io.out(runWarning('writeback reconcile: dry run', message));
    options = { ...options, dryRun: true };
    github = undefined;
  }
  const result = await reconcile({ root: io.root, env: io.env, ...options, journal: github?.journal, log: io.out });
  for (const p of result.problems) io.err(`${p.file}:${p.line}:${p.column}: ${p.message}`);
  if (result.problems.length) io.err(`invalid definitions are not run; fix them (see: npx writeback validate)`);
  for (const job of result.notDue) io.out(job.suspended ? `${job.name}: suspended (spec.suspend: true); not run` : `${job.name}: not due${job.next ? ` (next ${job.next.toISOString()})` : ''}; use --force to run now`);
  for (const r of result.reports) {
    // Some messages already start with the job's name (a missing secret names its job): say it once.
    const message = r.message.startsWith(`${r.name}: `) ? r.message.slice(r.name.length + 2) : r.message;
    io.out(`${r.name}: ${r.status}${r.dryRun ? ' (dry run)' : ''}: ${message}`);
    if (r.action) io.out(`  what to do: ${r.action}`);
    if (!r.dryRun) io.out(`  report: reports/${r.name}/${r.runId}.md`);
  }
  let published = true;
  if (!options.dryRun) {
    const { problems } = await publish(io.root, io.env, result.reports, io.out, github);
    for (const problem of problems) io.err(`writeback reconcile: ${problem}`);
    published = problems.length === 0;
  }
  const ok = result.reports.every((r) => r.status === 'succeeded' || r.status === 'skipped' || r.status === 'suspended');
  return ok && published && !result.problems.length ? 0 : 1;
}
