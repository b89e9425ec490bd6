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
  /**
   * Whether the plan was checked against Domo and the destination (the DataSet, its columns, the rows to
   * send). false when planned offline: then nothing is known about what a reconcile would send.
   */
  checked: boolean;
  /** Offline: the secrets this job refers to that are not set, each once. */
  missingSecrets?: string[];
  offlineReason?: string;
  /**
   * The definition against the one of the job's last run (state/<name>.json): `new` (the job never ran),
   * `changed` or `same`; absent when the state does not say. Known without credentials.
   */
  definition?: 'new' | 'changed' | 'same';
  dataset?: { id: string; name?: string; rows?: number; /** Under row policies (PDP): what this client reads. */ visibleRows?: number };
  columns: ColumnCheck[];
  /** How the DataSet is read: the whole export, or the window through the query API, and why. */
  read?: string;
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

/** The plan could not be checked (no credentials): what a reconcile would send now is unknown. */
export const unchecked = (plan: JobPlan): boolean => !plan.error && !plan.checked;

/**
 * The job would send or change something if reconciled now. A plan that could not be checked has changes
 * when its definition is new or changed since the job's last run (a pull request shows them); one whose
 * definition is the same is not known to have changes, but is not "unchanged" either (see `unchecked`).
 */
export const hasChanges = (plan: JobPlan): boolean => {
  if (plan.error || !plan.due || plan.suspended || plan.held) return false;
  if (!plan.checked) return plan.definition === 'new' || plan.definition === 'changed';
  return (plan.rows?.toSend ?? 0) > 0 || plan.actions.length > 0;
};

/** Every secret the unchecked plans miss, each once, in the order the jobs name them. */
export const missingSecrets = (plans: JobPlan[]): string[] => [...new Set(plans.flatMap((p) => (p.checked ? [] : (p.missingSecrets ?? []))))];

/**
 * The exit code of `writeback plan`: 1 on a problem or a job's error, else 0; with --detailed-exitcode
 * (Terraform's convention) 2 when changes are pending or when any plan could not be checked: a plan
 * without credentials never claims that nothing would change.
 */
export function planExitCode(result: { problems: readonly unknown[]; plans: JobPlan[] }, detailed = false): 0 | 1 | 2 {
  if (result.problems.length || result.plans.some((p) => p.error)) return 1;
  if (!detailed) return 0;
  return result.plans.some((p) => hasChanges(p) || unchecked(p)) ? 2 : 0;
}
