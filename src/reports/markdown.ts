/** The Markdown twin of a run report, for people reading the repository on GitHub. */
import { count as n } from './count.ts';
import { rejectedRowLabel, type RunReport } from './run-report.ts';

/**
 * Escapes text from vendors and data so it renders as text: no tables broken by `|`, no HTML, no links
 * or images, and a leading formula character is neutralised for anyone pasting into a spreadsheet.
 */
export function escapeMarkdown(text: string): string {
  const flat = text.replace(/\r?\n/g, ' ');
  // Formula-looking text (=cmd|..., @SUM, +A1, -A1) is neutralised; plain numbers such as -5 are left alone.
  const safe = /^[=@]|^[+-][^\d.\s]/.test(flat) ? `'${flat}` : flat;
  return safe.replace(/([\\`*_[\]<>|~])/g, '\\$1');
}

/** What a destination module adds to a report's Markdown (DestinationModule's skippedLabels and renderReport). */
export interface ReportWords {
  skippedLabels?: Readonly<Record<string, string>>;
  renderReport?(report: RunReport): string[];
}

export function renderReportMarkdown(report: RunReport, words: ReportWords = {}): string {
  const lines = [
    `# ${escapeMarkdown(report.name)}: ${report.status}${report.dryRun ? ' (dry run)' : ''}`,
    '',
    `Run \`${report.runId}\` of ${report.kind}, ${report.startedAt} to ${report.finishedAt}.`,
    '',
    escapeMarkdown(report.message),
    '',
  ];
  if (report.action) lines.push(`**What to do:** ${escapeMarkdown(report.action)}`, '');
  lines.push('| read | sent | rejected | skipped |', '|---:|---:|---:|---:|', `| ${n(report.rows.read)} | ${n(report.rows.sent)} | ${n(report.rows.rejected)} | ${n(report.rows.skipped)} |`, '');
  const skipped = Object.entries(report.skipped ?? {});
  if (skipped.length) lines.push(`Skipped: ${skipped.map(([reason, k]) => `${n(k)} ${words.skippedLabels?.[reason] ?? reason}`).join(', ')}.`, '');
  if (report.definitionChanged) lines.push('The definition changed since the previous run.', '');
  if (report.error) {
    const e = report.error;
    lines.push(`Error${e.traceId ? ` (trace id \`${escapeMarkdown(e.traceId)}\`)` : ''}: ${escapeMarkdown(e.message)}`, '');
  }
  lines.push(...(words.renderReport?.(report) ?? []));
  if (report.rejects?.length) {
    lines.push('## Rejected rows', '', '| row | field | column | reason |', '|---:|---|---|---|');
    for (const r of report.rejects) {
      lines.push(`| ${escapeMarkdown(rejectedRowLabel(r))} | ${escapeMarkdown(r.field)} | ${escapeMarkdown(r.column)} | ${escapeMarkdown(r.reason)} |`);
    }
    if (report.rejectsOmitted) lines.push('', `... and ${n(report.rejectsOmitted)} more rejected rows (counted, not listed).`);
    lines.push('');
  }
  return lines.join('\n');
}
