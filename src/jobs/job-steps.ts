/** Steps every job shares: the reject-ratio gate and dry-run files. */
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { SpoolPart } from '../pipeline/spool.ts';
import { count } from '../reports/count.ts';
import type { RunReport } from '../reports/run-report.ts';

const pct = (ratio: number) => `${(ratio * 100).toFixed(ratio < 0.001 && ratio > 0 ? 3 : 1)}%`;

/**
 * Why the run must not send anything, when more than `maxRatio` of the rows considered are invalid:
 * "3 of 4 rows are invalid (75.0%), more than rejects.maxRatio 50.0% allows"; else undefined.
 */
export function rejectGate(rejected: number, considered: number, maxRatio = 0): string | undefined {
  if (rejected === 0 || rejected / considered <= maxRatio) return undefined;
  return `${count(rejected)} of ${count(considered)} rows are invalid (${pct(rejected / considered)}), more than rejects.maxRatio ${pct(maxRatio)} allows`;
}

/** Copies the files a run would send to .writeback/dry-run/<name>/ and returns that folder. */
export function writeDryRunFiles(root: string, name: string, runId: string, parts: SpoolPart[], report: RunReport): string {
  const dir = join(root, '.writeback', 'dry-run', name);
  mkdirSync(dir, { recursive: true });
  report.dryRunFiles = parts.map((p) => {
    const file = join(dir, `${runId}-part-${p.index}.csv`);
    copyFileSync(p.path, file);
    return file;
  });
  report.status = 'succeeded';
  return dir;
}
