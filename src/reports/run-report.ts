/**
 * A run report (schemas/report.schema.json): what one run of one job did, in words a person acts on. Each
 * destination module adds fields of its own (its reportSchema), such as its uploads.
 */
import { describeError, HttpError } from '../errors/index.ts';
import type { RowCounts, RunStatus } from '../state/job-state.ts';

export interface RejectedRow {
  /** Data row of the export, counting from 1 (the header row is not counted); of a query read, in the order it read them. */
  row: number;
  /** The row's order id as the DataSet holds it (an Emarsys job's; masked when personal), to find the row by in Domo. */
  order?: string;
  field: string;
  column: string;
  reason: string;
}

export interface RunReport {
  name: string;
  kind: string;
  runId: string;
  startedAt: string;
  finishedAt: string;
  status: RunStatus;
  rows: RowCounts;
  /** One or two sentences: what happened. */
  message: string;
  /** What a person must do now, when anything. */
  action?: string;
  dryRun?: boolean;
  definitionChanged?: boolean;
  source?: { datasetId: string; datasetName?: string; rowsAnnounced?: number; updatedAt?: string; rowPolicies?: { visibleRows: number; allRows: number }; read?: 'export' | 'query'; rowsInWindow?: number; windowFrom?: string };
  /** Rows read but not sent, by reason (the reasons are the destination module's skippedLabels). */
  skipped?: Record<string, number>;
  rejects?: RejectedRow[];
  rejectsOmitted?: number;
  dryRunFiles?: string[];
  warnings?: string[];
  error?: { message: string; service?: string; status?: number; traceId?: string };
}

/** A report's `error`: the message, and for a vendor's answer its service, status and trace id. */
export function errorInfo(error: unknown): RunReport['error'] {
  if (error instanceof HttpError) return { message: error.message, service: error.service, status: error.status, traceId: error.traceId };
  return { message: describeError(error) };
}

/** A message ending as a sentence does, so another can follow it ("... sign in". Nothing was sent.). */
export const sentence = (text: string) => (/[.!?]["')]?$/.test(text) ? text : `${text}.`);

/** A rejected row's number as messages show it, with its order id when it has one: "8 (order O-5)". */
export const rejectedRowLabel = (r: RejectedRow) => `${r.row}${r.order === undefined ? '' : ` (order ${r.order})`}`;

/** Reports keep the first rejects in full; the rest are counted. */
export const MAX_REJECTS_LISTED = 100;

/** Sortable by time to the millisecond (runs in one second keep their order), then 3 random characters. */
export function newRunId(now = new Date()): string {
  const iso = now.toISOString();
  const stamp = iso.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${iso.slice(20, 23)}${Math.random().toString(36).slice(2, 5).padEnd(3, '0')}`;
}

export const zeroRows = (): RowCounts => ({ read: 0, sent: 0, rejected: 0, skipped: 0 });
