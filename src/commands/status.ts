/**
 * `writeback status [--check]`: one line per job: status, last run, rows, next due. With --check, exit 1 when
 * something needs a person (an invalid definition, a failed or held job, an unreadable state), for monitoring.
 */
import { validateRepository } from '../definitions/validator.ts';
import { SUMMARY_HEADER, summaryRow, type JobSummary } from '../reports/dashboard.ts';
import { jobSummaries } from '../reconcile/job-summaries.ts';
import type { CommandIO } from './io.ts';

const lastStatus = (job: JobSummary) => job.state?.lastRun?.status ?? job.history.at(-1)?.status;
const needsAttention = (job: JobSummary) => Boolean(job.stateProblem) || (!job.suspended && (job.held || lastStatus(job) === 'failed'));

export function statusCommand(io: CommandIO, options: { json: boolean; check?: boolean }): number {
  const validation = validateRepository(io.root, undefined, io.env);
  const jobs = jobSummaries(io.root, new Date(), io.env, validation);
  const code = () => {
    if (!options.check) return 0;
    const invalid = validation.problems;
    const attention = jobs.filter(needsAttention).map((job) => job.name);
    if (invalid.length) io.err(`writeback status: ${invalid.length} problem(s) in the definitions (see: npx writeback validate)`);
    if (attention.length) io.err(`writeback status: needs attention: ${attention.join(', ')}`);
    return invalid.length || attention.length ? 1 : 0;
  };
  if (options.json) {
    io.out(JSON.stringify(jobs.map((job) => Object.fromEntries(SUMMARY_HEADER.map((h, i) => [h, summaryRow(job)[i]]))), null, 2));
    return code();
  }
  if (!jobs.length) {
    io.out('no valid definitions in connectors/ (see: npx writeback validate)');
    return code();
  }
  const rows = [SUMMARY_HEADER, ...jobs.map(summaryRow)];
  const widths = SUMMARY_HEADER.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const row of rows) io.out(row.map((cell, i) => (i >= 3 && i <= 5 ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ').trimEnd());
  return code();
}
