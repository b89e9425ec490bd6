/** What `state/<name>.json` holds (DESIGN.md, "State and reports"). */

export type RunStatus = 'succeeded' | 'failed' | 'skipped' | 'held' | 'suspended';

export interface RowCounts {
  read: number;
  sent: number;
  rejected: number;
  skipped: number;
}

/** Fingerprints of lines Emarsys accepted, in one file under state/<name>/. */
export interface LedgerSegment {
  file: string;
  lines: number;
  /** Latest cursor value among the segment's lines; once it falls out of the window the segment can go. */
  maxCursor?: string;
  runId: string;
  acceptedAt: string;
}

/** Written before an upload starts, cleared after the answer: if it survives, the outcome is unknown. */
export interface PendingUpload {
  runId: string;
  part: number;
  parts: number;
  lines: number;
  bytes: number;
  sha256: string;
  /** The segment holding the upload's line fingerprints (not yet part of the ledger). */
  segment: LedgerSegment;
  startedAt: string;
  firstLine: string;
  lastLine: string;
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
  /** Latest delivered cursor value (UTC ISO 8601). */
  cursor?: string;
  segments: LedgerSegment[];
  pending?: PendingUpload;
  held?: HeldState;
  lastRun?: { runId: string; startedAt: string; finishedAt: string; status: RunStatus; rows: RowCounts; message?: string };
}

export function emptyState(name: string, kind: string): JobState {
  return { version: 1, name, kind, segments: [] };
}
