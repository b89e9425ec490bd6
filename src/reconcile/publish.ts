/**
 * After the jobs ran: prune old reports, write the dashboard, and inside GitHub Actions commit everything
 * as one commit, sync alert issues and write the job summary.
 */
import { join } from 'node:path';
import { describeError } from '../errors/index.ts';
import { insideActions } from '../github/annotations.ts';
import { syncAlert } from '../github/alerts.ts';
import { changedFiles, commitFiles } from '../github/commit.ts';
import { writeStepSummary } from '../github/step-summary.ts';
import { renderDashboard } from '../reports/dashboard.ts';
import { DEFAULT_REPORTS_KEPT, pruneReports } from '../reports/history.ts';
import type { RunReport } from '../reports/run-report.ts';
import { writeDurably } from '../state/durable.ts';
import type { GitHubSession } from './github-session.ts';
import { jobSummaries } from './job-summaries.ts';

export interface PublishResult {
  commit?: string;
  problems: string[];
}

export async function publish(
  root: string,
  env: NodeJS.ProcessEnv,
  reports: RunReport[],
  log: (line: string) => void,
  github?: GitHubSession,
  now = new Date(),
  options: { commitAlways?: boolean } = {},
): Promise<PublishResult> {
  const keep = Number(env.WRITEBACK_REPORTS_KEPT) > 0 ? Number(env.WRITEBACK_REPORTS_KEPT) : DEFAULT_REPORTS_KEPT;
  for (const name of new Set(reports.map((r) => r.name))) pruneReports(root, name, keep);
  const dashboard = renderDashboard(jobSummaries(root, now, env), now);
  writeDurably(join(root, 'reports', 'README.md'), `${dashboard}\n`);

  const result: PublishResult = { problems: [] };
  if (!insideActions(env)) return result;
  writeStepSummary(env, `${dashboard}\n`);
  if ((!reports.length && !options.commitAlways) || !github) return result;
  const { octokit, target, journal } = github;
  const runUrl = env.GITHUB_RUN_ID ? `${env.GITHUB_SERVER_URL ?? 'https://github.com'}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}` : undefined;
  const statuses = reports.map((r) => `${r.name} ${r.status}`).join(', ');
  try {
    result.commit = await commitFiles(octokit, target, changedFiles(root), reports.length ? `writeback: reconcile (${statuses})` : 'writeback: dashboard', log);
    // The branch now holds what the intent branches held.
    for (const name of new Set(reports.map((r) => r.name))) await journal.clear(name);
  } catch (error) {
    result.problems.push(describeError(error));
  }
  for (const report of reports) {
    try {
      await syncAlert(octokit, target, report, runUrl);
    } catch (error) {
      result.problems.push(`could not update the alert issue for ${report.name}: ${describeError(error)}`);
    }
  }
  return result;
}
