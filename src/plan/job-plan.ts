/** What `writeback plan` says about one job. */
import type { RejectedRow } from '../reports/run-report.ts';

export type ColumnVerdict = 'ok' | 'warning' | 'incompatible' | 'missing' | 'unchecked';

export interface ColumnCheck {
  field: string;
  column: string;
  domoType?: string;
  verdict: ColumnVerdict;
  note?: string;
}

export interface JobPlan {
  name: string;
  kind: string;
  due: boolean;
  next?: string;
  suspended: boolean;
  held?: string;
  /** offline: planned from the definition only (no credentials, e.g. a pull request from a fork). */
  mode: 'online' | 'offline';
  offlineReason?: string;
  dataset?: { id: string; name?: string; rows?: number; /** Under row policies (PDP): what this client reads. */ visibleRows?: number };
  columns: ColumnCheck[];
  rows?: { read: number; toSend: number; rejected: number; skipped: number };
  uploads?: number;
  /** A header line and up to five transformed lines, as they would be sent. */
  sample?: string[];
  rejects?: RejectedRow[];
  fieldsToCreate?: { name: string; type: string }[];
  /** What the job's delivery memory holds and means (Emarsys ledger). */
  ledger?: string;
  /** The header of the files it sends (Emarsys), which must be the order agreed with the account. */
  fileColumns?: string[];
  warnings: string[];
  error?: string;
}

/** The job would send something if reconciled now. */
export const hasChanges = (plan: JobPlan): boolean =>
  !plan.error && plan.due && !plan.suspended && !plan.held && ((plan.rows?.toSend ?? 0) > 0 || (plan.fieldsToCreate?.length ?? 0) > 0);
