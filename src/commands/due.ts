/**
 * `writeback due [NAME...] [--force] [--json]`: the jobs a reconcile would run now, for a workflow matrix. Exit 1
 * when a definition does not load: the valid jobs are still listed, so they run while the workflow fails visibly.
 */
import { errorAnnotation, insideActions } from '../github/annotations.ts';
import { selectDue } from '../reconcile/reconciler.ts';
import type { CommandIO } from './io.ts';

export function dueCommand(io: CommandIO, options: { only: string[]; force: boolean; json: boolean }): number {
  const { problems, due, notDue } = selectDue(io.root, options.only, options.force, new Date(), io.env);
  for (const p of problems) io.err(`${p.file}:${p.line}:${p.column}: ${p.message}`);
  // Inside Actions the scheduled run fails on this job, annotated at the line that keeps a definition from loading.
  if (insideActions(io.env)) for (const p of problems) io.err(errorAnnotation({ ...p, title: 'writeback due: definition not loaded' }, io));
  const names = due.map((d) => d.metadata.name);
  if (options.json) io.out(JSON.stringify(names));
  else {
    for (const name of names) io.out(`${name}: due`);
    for (const job of notDue) io.out(job.suspended ? `${job.name}: suspended (spec.suspend: true); not run` : `${job.name}: not due${job.next ? ` (next ${job.next.toISOString()})` : ''}`);
  }
  return problems.length ? 1 : 0;
}
