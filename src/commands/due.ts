/** `writeback due [--only NAME...] [--force] --json`: the jobs a reconcile would run now, for a workflow matrix. */
import { selectDue } from '../reconcile/reconciler.ts';
import type { CommandIO } from './io.ts';

export function dueCommand(io: CommandIO, options: { only: string[]; force: boolean; json: boolean }): number {
  const { problems, due, notDue } = selectDue(io.root, options.only, options.force, new Date(), io.env);
  for (const p of problems) io.err(`${p.file}:${p.line}:${p.column}: ${p.message}`);
  const names = due.map((d) => d.metadata.name);
  if (options.json) io.out(JSON.stringify(names));
  else {
    for (const name of names) io.out(`${name}: due`);
    for (const job of notDue) io.out(`${job.name}: not due${job.next ? ` (next ${job.next.toISOString()})` : ''}`);
  }
  return problems.length ? 1 : 0;
}
