/** Reports for a held job: what is unknown, what to check, and the command that releases it. */
import { count } from '../reports/count.ts';
import type { RunReport } from '../reports/run-report.ts';
import type { JobState } from '../state/job-state.ts';

export function heldAction(state: JobState, name: string): string {
  const p = state.pending;
  const what = p
    ? `Check in Emarsys (Admin > Data Sources > Sales Data) whether an upload of ${count(p.lines)} lines (first line "${p.firstLine}", last line "${p.lastLine}", sha256 ${p.sha256.slice(0, 16)}) arrived around ${p.startedAt}. `
    : '';
  return (
    `${what}If it arrived, run: npx writeback release ${name} --delivered. ` +
    `If it did not, run: npx writeback release ${name} --not-delivered (those lines are then sent by the next run). Commit the state change.`
  );
}

export function heldReport(report: RunReport, state: JobState, name: string): void {
  report.status = 'held';
  report.message = state.held
    ? `Held since ${state.held.since} (run ${state.held.runId}): ${state.held.reason}. Nothing was sent.`
    : `A previous run (${state.pending!.runId}) stopped during upload ${state.pending!.part}; whether Emarsys received it is unknown. Nothing was sent.`;
  report.action = heldAction(state, name);
}
