/** What `writeback plan` says about one job. */
import type { RejectedRow } from '../reports/run-report.ts';

/** What a destination field needs of a Domo column's values (column-types.ts judges the column's type). */
export type FieldNeed = 'text' | 'email' | 'time' | 'number' | 'integer' | 'boolean';

export type ColumnVerdict = 'ok' | 'warning' | 'incompatible' | 'missing' | 'unchecked';

export interface ColumnCheck {
  field: string;
  column: string;
  /** What the destination field needs of the column's values. */
  need?: FieldNeed;
  domoType?: string;
  verdict: ColumnVerdict;
  note?: string;
}

export interface JobPlan {
  name: string;
  kind: string;
  /** What the job delivers, counted ({ one: 'line', many: 'lines' }). */
  unit: { one: string; many: string };
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
  /** What a reconcile would change besides sending rows ("create data field X (String)"), and in a few words. */
  actions: string[];
  actionsSummary?: string;
  /** Lines only the destination knows to say (its memory of deliveries, the columns of its files...). */
  details: string[];
  warnings: string[];
  error?: string;
}

/** The job would send something if reconciled now. */
export const hasChanges = (plan: JobPlan): boolean =>
  !plan.error && plan.due && !plan.suspended && !plan.held && ((plan.rows?.toSend ?? 0) > 0 || plan.actions.length > 0);
