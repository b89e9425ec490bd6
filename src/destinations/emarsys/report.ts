/** What an Emarsys job adds to its run reports: the delivery window and the uploads (report-schema.ts describes them). */
import { count as n } from '../../reports/count.ts';
import { escapeMarkdown } from '../../reports/markdown.ts';
import type { RunReport } from '../../reports/run-report.ts';

export interface UploadRecord {
  part: number;
  lines: number;
  bytes: number;
  sha256: string;
  outcome: 'accepted' | 'rejected' | 'unknown';
}

export interface SalesReport extends RunReport {
  window?: { cursor: string; previousCursor?: string; readFrom?: string; newCursor?: string };
  uploads?: UploadRecord[];
}

/** The report's Markdown lines about the window and the uploads. */
export function renderSalesReport(report: SalesReport): string[] {
  const lines: string[] = [];
  if (report.window) {
    const w = report.window;
    lines.push(`Cursor column ${escapeMarkdown(w.cursor)}: read from ${w.readFrom ?? 'the beginning'}; cursor ${w.previousCursor ?? 'unset'} -> ${w.newCursor ?? w.previousCursor ?? 'unset'}.`, '');
  }
  if (report.uploads?.length) {
    lines.push('| upload | lines | bytes | outcome | sha256 |', '|---:|---:|---:|---|---|');
    for (const u of report.uploads) lines.push(`| ${u.part} | ${n(u.lines)} | ${n(u.bytes)} | ${u.outcome} | \`${u.sha256.slice(0, 16)}\` |`);
    lines.push('');
  }
  return lines;
}
