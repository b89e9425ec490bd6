/**
 * One GitHub issue per job that failed or is held: opened once, commented on while it lasts, closed with
 * a comment when the job recovers.
 */
import type { Octokit } from '@octokit/rest';
import { escapeMarkdown } from '../reports/markdown.ts';
import type { RunReport } from '../reports/run-report.ts';
import type { RepoTarget } from './client.ts';
import { CREATE_ONCE, retryRelisting } from './create-once.ts';

export const ALERT_LABEL = 'writeback-alert';
const titlePrefix = (name: string) => `writeback: ${name} `;
const alertTitle = (report: RunReport) => `${titlePrefix(report.name)}${report.status === 'held' ? 'is held' : 'failed'}`;
/** Marks what one run wrote, so a retry after an answer that may have come after GitHub created it finds it. */
const runMarker = (report: RunReport) => `<!-- writeback-run ${report.runId} -->`;

export function alertBody(report: RunReport, runUrl?: string): string {
  return [
    `**${escapeMarkdown(report.name)}** ${report.status} in run \`${report.runId}\` (${report.finishedAt}).`,
    '',
    escapeMarkdown(report.message),
    '',
    report.action ? `**What to do:** ${escapeMarkdown(report.action)}` : '',
    report.error?.traceId ? `Vendor trace id: \`${escapeMarkdown(report.error.traceId)}\`` : '',
    `Rows: ${report.rows.read} read, ${report.rows.sent} sent, ${report.rows.rejected} rejected, ${report.rows.skipped} skipped.`,
    `Report: \`reports/${report.name}/${report.runId}.md\`${runUrl ? ` - [workflow run](${runUrl})` : ''}`,
  ]
    .filter((line, i, all) => line !== '' || all[i - 1] !== '')
    .join('\n');
}

/** Opens, updates or closes the job's alert issue (retried as a whole: see create-once.ts). */
export function syncAlert(octokit: Octokit, target: RepoTarget, report: RunReport, runUrl?: string): Promise<'opened' | 'updated' | 'closed' | 'none'> {
  return retryRelisting((again) => syncAlertOnce(octokit, target, report, runUrl, again));
}

async function syncAlertOnce(octokit: Octokit, target: RepoTarget, report: RunReport, runUrl: string | undefined, again: boolean): Promise<'opened' | 'updated' | 'closed' | 'none'> {
  const { owner, repo } = target;
  const marker = runMarker(report);
  const open = await octokit.paginate(octokit.rest.issues.listForRepo, { owner, repo, state: 'open', labels: ALERT_LABEL, per_page: 100 });
  const existing = open.find((issue) => issue.title.startsWith(titlePrefix(report.name)) && !issue.pull_request);
  const bad = report.status === 'failed' || report.status === 'held';
  /** On a retry: did an earlier try of this run already write to the issue (its body or a comment)? */
  const alreadyWritten = async (issue: { number: number; body?: string | null }) =>
    again &&
    (issue.body?.includes(marker) ||
      (await octokit.paginate(octokit.rest.issues.listComments, { owner, repo, issue_number: issue.number, per_page: 100 })).some((c) => c.body?.includes(marker)));
  const comment = async (issue: { number: number; body?: string | null }, body: string) => {
    if (!(await alreadyWritten(issue))) await octokit.rest.issues.createComment({ owner, repo, issue_number: issue.number, body: `${body}\n\n${marker}`, ...CREATE_ONCE });
  };
  if (bad && existing) {
    await comment(existing, alertBody(report, runUrl));
    if (existing.title !== alertTitle(report)) await octokit.rest.issues.update({ owner, repo, issue_number: existing.number, title: alertTitle(report) });
    return 'updated';
  }
  if (bad) {
    await octokit.rest.issues.create({ owner, repo, title: alertTitle(report), labels: [ALERT_LABEL], body: `${alertBody(report, runUrl)}\n\n${marker}`, ...CREATE_ONCE });
    return 'opened';
  }
  if (report.status === 'succeeded' && existing) {
    await comment(existing, `Recovered: run \`${report.runId}\` succeeded (${report.rows.sent} lines sent). Closing.`);
    await octokit.rest.issues.update({ owner, repo, issue_number: existing.number, state: 'closed', state_reason: 'completed' });
    return 'closed';
  }
  return 'none';
}
