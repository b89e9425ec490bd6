/** What a Dotdigital job adds to its run reports: where it reached Dotdigital, its imports, the fields it created. */
import type { RunReport } from '../../reports/run-report.ts';

export interface ContactsReport extends RunReport {
  /** Where the destination was reached, and how that was decided. */
  destination?: { endpoint: string; how: string };
  /** Dotdigital imports: one per file. */
  imports?: { part: number; id: string; lines: number; status: string; faults?: number; report?: Record<string, number> }[];
  fieldsCreated?: string[];
}
