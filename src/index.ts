/**
 * The package's programmatic interface (`import ... from '@writeback/cli'`): run the CLI, validate, plan and
 * reconcile a repository, and register a destination of your own (docs/adding-a-destination.md).
 */
export { main } from './cli.ts';
export { validateRepository, type ValidationResult } from './definitions/validator.ts';
export { planJobs, type PlanResult } from './plan/planner.ts';
export { reconcile, type ReconcileOptions, type ReconcileResult } from './reconcile/reconciler.ts';
export { destinations, destinationFor, registerDestination } from './registry.ts';
export type { DestinationModule, DestinationSession, Scan, JsonSchema, RunMode } from './jobs/destination.ts';
export type { BaseSpec, Envelope, StringOrSecret } from './definitions/types.ts';
export { get, type Check } from './definitions/check.ts';
export { HttpClient } from './http/client.ts';
export { csvLine } from './pipeline/csv-line.ts';
export { readCsvRecords } from './pipeline/record-batches.ts';
export type { CsvRecord } from './pipeline/csv-records.ts';
export * from './errors/index.ts';
