/**
 * `writeback plan`: exit 0 when the plan was made, 1 on an error; with --detailed-exitcode 0 nothing to send,
 * 2 changes pending, 1 error (Terraform's convention).
 */
import { describeError } from '../errors/index.ts';
import { insideActions } from '../github/annotations.ts';
import { commentAuthor, pullRequestNumber, upsertComment } from '../github/pr-comment.ts';
import { writeStepSummary } from '../github/step-summary.ts';
import { planExitCode } from '../plan/job-plan.ts';
import { planJobs } from '../plan/planner.ts';
import { PLAN_MARKER, planJson, renderPlanMarkdown, renderPlanText } from '../plan/render.ts';
import type { CommandIO } from './io.ts';

export interface PlanOptions {
  only: string[];
  json: boolean;
  markdown: boolean;
  /** Inside Actions on a pull request: post (or update) the plan comment. */
  comment: boolean;
  detailedExitcode?: boolean;
}

export async function planCommand(io: CommandIO, options: PlanOptions): Promise<number> {
  const { plans, problems } = await planJobs(io.root, io.env, options.only);
  for (const p of problems) io.err(`${p.file}:${p.line}:${p.column}: ${p.message}`);
  const markdown = renderPlanMarkdown(plans);
  if (options.json) io.out(planJson({ problems, plans }));
  else if (options.markdown) io.out(markdown);
  else io.out(renderPlanText(plans));

  if (insideActions(io.env)) writeStepSummary(io.env, `${markdown}\n`);
  if (options.comment) {
    const number = pullRequestNumber(io.env);
    if (!insideActions(io.env) || !number) {
      io.err('writeback plan: --comment works inside GitHub Actions on a pull_request event; no comment posted');
    } else {
      try {
        const { githubFromEnv } = await import('../github/client.ts'); // Octokit loads only to comment
        const { octokit, target } = githubFromEnv(io.env, io.err);
        const how = await upsertComment(octokit, target, number, PLAN_MARKER, markdown, commentAuthor(io.env));
        io.err(`writeback plan: ${how} the plan comment on pull request #${number}`);
      } catch (error) {
        // A fork's pull request gets a read-only token: the plan still shows in the job summary.
        io.err(`writeback plan: could not comment on pull request #${number} (${describeError(error)}); the plan is in the job summary`);
      }
    }
  }
  return planExitCode({ problems, plans }, options.detailedExitcode ?? false);
}
