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

/**
 * One x-axis label per run, each different: Mermaid's xychart puts bars of equal labels on one band, so two
 * runs in one minute would show as one bar. A label is the run's start to the minute (with the year when
 * the runs span years), to the second when another run shares its minute, then numbered: "11-22 05:17 (2)".
 */
export function runLabels(startedAt: string[]): string[] {
  // Only what a quoted Mermaid label can hold: a report's startedAt is read back from the repository.
  const clean = startedAt.map((iso) => String(iso).replace(/[^0-9A-Za-z:.-]/g, ''));
  const withYear = new Set(clean.map((iso) => iso.slice(0, 4))).size > 1;
  const minute = (iso: string) => iso.slice(withYear ? 0 : 5, 16).replace('T', ' ');
  const perMinute = new Map<string, number>();
  for (const iso of clean) perMinute.set(minute(iso), (perMinute.get(minute(iso)) ?? 0) + 1);
  const used = new Set<string>();
  return clean.map((iso) => {
    const base = perMinute.get(minute(iso))! > 1 ? iso.slice(withYear ? 0 : 5, 19).replace('T', ' ') : minute(iso);
    let label = base || 'run';
    for (let k = 2; used.has(label); k++) label = `${base || 'run'} (${k})`;
    used.add(label);
    return label;
  });
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
      `  x-axis [${runLabels(runs.map((r) => r.startedAt)).map((label) => `"${label}"`).join(', ')}]`,
      `  y-axis "rows sent" 0 --> ${Math.max(1, ...sent)}`,
      `  bar [${sent.join(', ')}]`,
      '```',
      '',
    );
  }
  return lines.join('\n');
}
