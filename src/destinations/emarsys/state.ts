/**
 * What an Emarsys job keeps in `state/<name>.json` beside the fields every job has: the delivery cursor,
 * the ledger (segment files of delivered lines' fingerprints, and what they mean), the columns of its
 * files, and the intent of an upload whose answer is still to be recorded.
 */
import type { JobState } from '../../state/job-state.ts';
import type { KeyEncoding } from '../../state/key-hasher.ts';
import { CorruptStateError, restoreHint } from '../../state/store.ts';

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

export interface SalesState extends JobState {
  /** Latest delivered cursor value (UTC ISO 8601). */
  cursor?: string;
  segments: LedgerSegment[];
  ledger?: LedgerMeaning;
  /** The columns of the files delivered, in order: kept while spec.fieldOrder does not say otherwise. */
  fileHeader?: string[];
  pending?: PendingUpload;
}

/**
 * The job's state as an Emarsys job reads it: a fresh state gets an empty ledger, and intents written
 * by earlier versions lose the whole lines they quoted (customer ids, emails) at the next save.
 */
export function salesState(state: JobState): SalesState {
  const sales = state as SalesState;
  if (sales.segments !== undefined && !Array.isArray(sales.segments)) {
    const file = `state/${state.name}.json`;
    throw new CorruptStateError(`${file} is not a Writeback state file: its ledger ("segments") is not a list. ${restoreHint(file)}`);
  }
  sales.segments ??= [];
  if (sales.pending) for (const legacy of ['firstLine', 'lastLine']) delete (sales.pending as unknown as Record<string, unknown>)[legacy];
  return sales;
}
