/** Writes a run report as `reports/<name>/<runId>.json` and its Markdown twin, redacted. */
import { join } from 'node:path';
import type { Redactor } from '../http/redact.ts';
import { writeDurably } from '../state/durable.ts';
import { renderReportMarkdown, type ReportWords } from './markdown.ts';
import type { RunReport } from './run-report.ts';

export function writeReport(root: string, report: RunReport, redactor: Redactor, words?: ReportWords): { json: string; markdown: string } {
  const dir = join(root, 'reports', report.name);
  const json = join(dir, `${report.runId}.json`);
  const markdown = join(dir, `${report.runId}.md`);
  writeDurably(json, `${redactor.redact(JSON.stringify(report, null, 2))}\n`);
  writeDurably(markdown, `${redactor.redact(renderReportMarkdown(report, words))}\n`);
  return { json, markdown };
}
