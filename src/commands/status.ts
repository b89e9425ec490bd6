/** `writeback status`: one line per job: status, last run, rows, next due. */
import { SUMMARY_HEADER, summaryRow } from '../reports/dashboard.ts';
import { jobSummaries } from '../reconcile/job-summaries.ts';
import type { CommandIO } from './io.ts';

export function statusCommand(io: CommandIO, options: { json: boolean }): number {
  const jobs = jobSummaries(io.root, new Date(), io.env);
  if (options.json) {
    io.out(JSON.stringify(jobs.map((job) => Object.fromEntries(SUMMARY_HEADER.map((h, i) => [h, summaryRow(job)[i]]))), null, 2));
    return 0;
  }
  if (!jobs.length) {
    io.out('no valid definitions in connectors/ (see: npx writeback validate)');
    return 0;
  }
  const rows = [SUMMARY_HEADER, ...jobs.map(summaryRow)];
  const widths = SUMMARY_HEADER.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const row of rows) io.out(row.map((cell, i) => (i >= 3 && i <= 5 ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ').trimEnd());
  return 0;
}
