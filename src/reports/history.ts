/** Reading past reports back: the latest per job, and the trend of rows sent. */
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { RunReport } from './run-report.ts';

/** Report JSON files of a job, oldest first (run ids sort by time). */
export function reportFiles(root: string, name: string): string[] {
  const dir = join(root, 'reports', name);
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => f.endsWith('.json')).sort().map((f) => join(dir, f));
}

export function readReports(root: string, name: string, last = Infinity): RunReport[] {
  const files = reportFiles(root, name);
  return files.slice(Math.max(0, files.length - last)).flatMap((file) => {
    try {
      return [JSON.parse(readFileSync(file, 'utf8')) as RunReport];
    } catch {
      return [];
    }
  });
}

export const DEFAULT_REPORTS_KEPT = 100;

/** Keeps the newest `keep` runs of a job (JSON and Markdown), deleting older ones. */
export function pruneReports(root: string, name: string, keep: number): number {
  const files = reportFiles(root, name);
  const old = files.slice(0, Math.max(0, files.length - keep));
  for (const file of old) {
    rmSync(file, { force: true });
    rmSync(file.replace(/\.json$/, '.md'), { force: true });
  }
  return old.length;
}
