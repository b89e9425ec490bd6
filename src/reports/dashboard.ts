/** `reports/README.md`: every job's status at a glance, and a Mermaid chart of rows sent per run. */
import { count as n } from './count.ts';
import type { JobState } from '../state/job-state.ts';
import { escapeMarkdown } from './markdown.ts';
import type { RunReport } from './run-report.ts';

export interface JobSummary {
  name: string;
  kind: string;
  suspended: boolean;
  state?: JobState;
  /** Why state/<name>.json could not be read (the job fails until it is restored). */
  stateProblem?: string;
  /** A person must decide something before the job runs again (its module says so). */
  held: boolean;
  /** Recent reports, oldest first. */
  history: RunReport[];
  dueNow: boolean;
  next?: Date;
}

const LABEL: Record<string, string> = {
  succeeded: 'Succeeded',
  failed: 'FAILED',
  skipped: 'Skipped',
  held: 'HELD: needs a person',
  suspended: 'Suspended',
};
const TREND_RUNS = 20;
const shortTime = (iso: string | undefined) => (iso ? `${iso.slice(0, 16).replace('T', ' ')} UTC` : 'never');

export function statusLabel(job: JobSummary): string {
  if (job.stateProblem) return 'FAILED: state unreadable';
  if (job.suspended) return LABEL.suspended!;
  if (job.held) return LABEL.held!;
  const status = job.state?.lastRun?.status ?? job.history.at(-1)?.status;
  return status ? LABEL[status]! : 'Never run';
}

export function summaryRow(job: JobSummary): string[] {
  const last = job.history.at(-1) ?? job.state?.lastRun;
  const rows = last?.rows;
  return [
    job.name,
    statusLabel(job),
    shortTime(last?.startedAt),
    rows ? n(rows.read) : '-',
    rows ? n(rows.sent) : '-',
    rows ? n(rows.rejected) : '-',
    nextDue(job),
  ];
}

function nextDue(job: JobSummary): string {
  if (job.suspended) return '-';
  if (job.held) return 'after release';
  if (job.dueNow) return 'now';
  return job.next ? shortTime(job.next.toISOString()) : 'never';
}

export const SUMMARY_HEADER = ['job', 'status', 'last run', 'read', 'sent', 'rejected', 'next due'];

export function renderDashboard(jobs: JobSummary[], now: Date): string {
  const lines = ['# Writeback dashboard', '', `Updated ${shortTime(now.toISOString())}. One row per job; each job's reports are in its folder.`, ''];
  if (!jobs.length) return [...lines, 'No jobs yet: add a definition to `connectors/`.', ''].join('\n');
  lines.push(`| ${SUMMARY_HEADER.join(' | ')} |`, `|${SUMMARY_HEADER.map((h, i) => (i >= 3 && i <= 5 ? '---:' : '---')).join('|')}|`);
  for (const job of jobs) {
    const cells = summaryRow(job).map((c) => escapeMarkdown(c));
    cells[0] = `[${escapeMarkdown(job.name)}](${encodeURIComponent(job.name)}/)`;
    lines.push(`| ${cells.join(' | ')} |`);
  }
  lines.push('', '## Rows sent per run', '');
  for (const job of jobs) {
    const runs = job.history.slice(-TREND_RUNS);
    if (!runs.length) continue;
    const sent = runs.map((r) => r.rows.sent);
    lines.push(
      `### ${escapeMarkdown(job.name)}`,
      '',
      '```mermaid',
      'xychart-beta',
      `  title "${job.name}: rows sent, last ${runs.length} runs"`,
      `  x-axis [${runs.map((r) => `"${r.startedAt.slice(5, 16).replace('T', ' ')}"`).join(', ')}]`,
      `  y-axis "rows sent" 0 --> ${Math.max(1, ...sent)}`,
      `  bar [${sent.join(', ')}]`,
      '```',
      '',
    );
  }
  return lines.join('\n');
}
