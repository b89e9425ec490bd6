/** What `state/<name>.json` holds (DESIGN.md, "State and reports"). */
import type { KeyEncoding } from './key-hash.ts';

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
  /** The file's size and sha256, checked at every load: a truncated or edited ledger would resend its lines. */
  bytes?: number;
  sha256?: string;
}

/**
 * What the ledger's fingerprints mean and how far back they reach. A ledger read with another meaning
 * (another key, account or cursor column) would make delivered lines look new, so a mismatch stops delivery.
 */
export interface LedgerMeaning {
  kind: string;
  /** The destination fields a fingerprint is made of, in order. */
  key: string[];
  keyEncoding: KeyEncoding;
  /** The destination account the lines were delivered to: the first 16 hex digits of its id's sha256. */
  account: string;
  /** The DataSet read: recognises this state when its job was renamed. */
  dataset: string;
  /** The column the cursor, the window and the horizon are measured on. */
  cursor?: string;
  /** The ledger remembers every delivered line whose cursor is at or after this; older entries were pruned. */
  horizon?: string;
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
  /** What a person compares in Emarsys: order ids and counts, never whole lines (they hold customer ids and emails). */
  orders?: number;
  firstOrder?: string;
  lastOrder?: string;
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
  ledger?: LedgerMeaning;
  /** The columns of the files delivered (Emarsys), in order: kept while spec.fieldOrder does not say otherwise. */
  fileHeader?: string[];
  pending?: PendingUpload;
  held?: HeldState;
  lastRun?: { runId: string; startedAt: string; finishedAt: string; status: RunStatus; rows: RowCounts; message?: string };
}

export function emptyState(name: string, kind: string): JobState {
  return { version: 1, name, kind, segments: [] };
}
