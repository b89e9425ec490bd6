/**
 * What `state/<name>.json` holds for every kind of job (README, "State and reports"): its identity, the definition's
 * hash at the last run, whether a person must decide something, and the last run. Each destination
 * module keeps its own fields beside these (a cursor and a ledger of deliveries, say), in the same file.
 */

export type RunStatus = 'succeeded' | 'failed' | 'skipped' | 'held' | 'suspended';

export interface RowCounts {
  read: number;
  sent: number;
  rejected: number;
  skipped: number;
}

export interface HeldState {
  since: string;
  runId: string;
  reason: string;
}

export interface JobState {
  version: 1;
  name: string;
  kind: string;
  definitionHash?: string;
  held?: HeldState;
  lastRun?: { runId: string; startedAt: string; finishedAt: string; status: RunStatus; rows: RowCounts; message?: string };
}

export function emptyState(name: string, kind: string): JobState {
  return { version: 1, name, kind };
}
