/**
 * After the jobs ran: prune old reports, write the dashboard, and inside GitHub Actions (or with a state
 * branch) commit everything as one commit, sync alert issues and write the job summary.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateRepository } from '../definitions/validator.ts';
import { describeError } from '../errors/index.ts';
import { insideActions, runWarning } from '../github/annotations.ts';
import { syncAlert } from '../github/alerts.ts';
import { changedFiles, commitFiles } from '../github/commit.ts';
import { writeStepSummary } from '../github/step-summary.ts';
import { renderDashboard } from '../reports/dashboard.ts';
import { DEFAULT_REPORTS_KEPT, pruneReports } from '../reports/history.ts';
import type { RunReport } from '../reports/run-report.ts';
import { writeDurably } from '../state/durable.ts';
import type { GitHubSession } from './github-session.ts';
import { dataTime, jobSummaries } from './job-summaries.ts';
import { commitUnchanged, dropUnchanged, unchangedJobs } from './unchanged-runs.ts';

export interface PublishResult {
  commit?: string;
  /** Jobs whose run changed nothing, and so were not committed. */
  unchanged: string[];
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
  const validation = validateRepository(root, undefined, env);
  // The committed dashboard is a function of the state and reports alone (dated by their newest run), so it
  // changes only when they do: rewriting it at every run would be a commit for nothing.
  const updated = dataTime(root, validation);
  writeDurably(join(root, 'reports', 'README.md'), `${renderDashboard(jobSummaries(root, updated, env, validation), updated)}\n`);

  const result: PublishResult = { problems: [], unchanged: [] };
  const stateBranch = github?.stateBranch;
  if (!insideActions(env) && !stateBranch) return result;
  if ((!reports.length && !options.commitAlways) || !github) {
    writeStepSummary(env, stepSummary(root, env, reports, now, validation, github));
    return result;
  }
  const { octokit, target, journal } = github;
  const runUrl = env.GITHUB_RUN_ID ? `${env.GITHUB_SERVER_URL ?? 'https://github.com'}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}` : undefined;
  let changes = stateBranch ? stateBranch.changes() : changedFiles(root);
  if (reports.length && !commitUnchanged(env, Boolean(stateBranch))) {
    const schedules = new Map(validation.definitions.map(({ definition }) => [definition.metadata.name, definition.spec.schedule]));
    const previous = stateBranch ? (path: string) => stateBranch.previous(path) : (path: string) => committedFile(root, path);
    const unchanged = unchangedJobs(reports, changes, previous, schedules, now);
    if (unchanged.size) {
      changes = dropUnchanged(changes, unchanged);
      result.unchanged = [...unchanged];
      log(`${result.unchanged.join(', ')}: nothing changed; not committed (WRITEBACK_COMMIT_UNCHANGED=true commits such runs too)`);
    }
  }
  const statuses = reports.map((r) => `${r.name} ${r.status}`).join(', ');
  const message = reports.length ? `writeback: reconcile (${statuses})` : 'writeback: dashboard';
  // Only a reconcile in the workflow creates the state branch: a laptop command or the dashboard job finding
  // none is a typo or a deleted branch, and a branch made from the checkout's state/ would send lines again.
  const creates = Boolean(stateBranch && !stateBranch.head && reports.length && insideActions(env));
  try {
    result.commit = await commitFiles(octokit, target, changes, message, {
      log,
      create: creates ? () => stateBranch!.everything() : undefined,
      knownBlobs: stateBranch?.knownBlobs(),
      base: stateBranch?.commitBase(),
    });
    if (creates && result.commit) log(runWarning(`writeback: created ${target.branch}`, `the state branch ${target.branch} did not exist, so it was created from this checkout's state/ and reports/. If it existed before (deleted, or WRITEBACK_STATE_BRANCH misspelt), restore it: deliveries since then may be sent again.`));
    if (result.commit && github.snapshots) await github.snapshots.squash(result.commit, `${message}\n\nState and reports only: this branch keeps no history (reports/ keeps the last ${keep} runs of each job).`, log);
    // The branch now holds what the intent branches held.
    for (const name of new Set(reports.map((r) => r.name))) await journal.clear(name);
  } catch (error) {
    result.problems.push(describeError(error));
  }
  writeStepSummary(env, stepSummary(root, env, reports, now, validation, github));
  for (const report of reports) {
    try {
      await syncAlert(octokit, target, report, runUrl);
    } catch (error) {
      result.problems.push(`could not update the alert issue for ${report.name}: ${describeError(error)}`);
    }
  }
  return result;
}

/** A file as the checked-out commit holds it (git show HEAD:path); undefined when it has none. */
function committedFile(root: string, path: string): string | undefined {
  try {
    return execFileSync('git', ['show', `HEAD:${path}`], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return undefined;
  }
}

/** The workflow run's summary: where the dashboard lives, every job as of this run, and this run's reports. */
function stepSummary(root: string, env: NodeJS.ProcessEnv, reports: RunReport[], now: Date, validation: ReturnType<typeof validateRepository>, github?: GitHubSession): string {
  const parts: string[] = [];
  if (github && env.GITHUB_REPOSITORY) {
    const url = `${env.GITHUB_SERVER_URL ?? 'https://github.com'}/${env.GITHUB_REPOSITORY}/blob/${encodeURI(github.target.branch)}/reports/README.md`;
    parts.push(`Dashboard: [reports/README.md on ${github.target.branch}](${url})`, '');
  }
  parts.push(renderDashboard(jobSummaries(root, now, env, validation), now));
  for (const report of reports) {
    const file = join(root, 'reports', report.name, `${report.runId}.md`);
    if (existsSync(file)) parts.push('', readFileSync(file, 'utf8'));
  }
  return `${parts.join('\n')}\n`;
}
