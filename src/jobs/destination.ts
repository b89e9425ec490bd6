/**
 * The contract a destination module fulfils (src/destinations/<name>/index.ts exports one) and the
 * registry lists: everything the engine needs to validate, plan and deliver one kind of job. The engine
 * owns the loop (jobs/skeleton.ts): secrets, export, scan, reject gate, dry run, delivery, report; a
 * module fills in what only it knows. docs/adding-a-destination.md walks through writing one.
 */
import type { Readable } from 'node:stream';
import type { Check } from '../definitions/check.ts';
import type { AnyDefinition } from '../definitions/types.ts';
import type { PathSegment } from '../definitions/yaml-source.ts';
import type { ColumnCheck, JobPlan } from '../plan/job-plan.ts';
import type { SpoolPart } from '../pipeline/spool.ts';
import type { RejectedRow, RunReport } from '../reports/run-report.ts';
import type { ExpectedRows } from '../sources/domo/export.ts';
import type { JobState } from '../state/job-state.ts';
import type { StateStore } from '../state/store.ts';
import type { JobContext } from './context.ts';

/** A JSON Schema (draft-07) as a plain object. */
export type JsonSchema = Record<string, unknown>;

export type { AnyDefinition, Check };

/** Where a command prints, and what it works on (a command's io). */
export interface CommandOutput {
  root: string;
  env: NodeJS.ProcessEnv;
  out(line: string): void;
}

/** Something a valid definition's author should know (validate prints it as a note, not an error). */
export interface DefinitionNote {
  path: PathSegment[];
  onKey?: boolean;
  message: string;
}

export type RunMode = 'deliver' | 'plan';

export interface DestinationModule<D extends AnyDefinition = AnyDefinition> {
  /** The definition's `kind`. */
  readonly kind: D['kind'];
  /** What a job of this kind does, for the schema's description of `kind`: "contacts to Acme CRM". */
  readonly delivers: string;
  /**
   * The JSON Schema of `spec` (draft-07), and the definitions it refers to as #/definitions/<name>: the
   * definition schema (schemas/writeback.schema.json) is composed from these. Shared parts are in
   * definitions/envelope-schema.ts (#/definitions/domoSource, stringOrSecret, rejects...).
   */
  readonly schema: { spec: JsonSchema; definitions?: Record<string, JsonSchema> };
  /** Fields it adds to a run report (JSON Schema properties, composed into schemas/report.schema.json). */
  readonly reportSchema?: Record<string, JsonSchema>;
  /** Meaning checks beyond what the schema expresses. */
  readonly checks: readonly Check[];
  /** Paths under `spec` whose values are credentials: a literal there is an error. */
  readonly credentialPaths: readonly (readonly string[])[];
  /** What it delivers, counted: { one: 'line', many: 'lines' }. */
  readonly unit: { readonly one: string; readonly many: string };
  /** Destination fields whose values are always personal (masked where they are shown). */
  readonly personalFields: readonly string[];
  /** The words for the reasons it counts in report.skipped ({ alreadyDelivered: 'already delivered' }). */
  readonly skippedLabels: Readonly<Record<string, string>>;

  /** The destination fields a (possibly ill-typed) spec maps: what spec.personalData.fields may name. */
  mappedFields(spec: Record<string, unknown>): string[];
  /** The Domo columns a definition reads, each with what its field needs (checked against the DataSet). */
  columns(definition: D): ColumnCheck[];
  /** Notes for validate about a valid definition. */
  notes?(definition: D): DefinitionNote[];
  /** Opens a run: resolves the destination's secrets, connects, and reads what it keeps in the state. */
  open(ctx: JobContext<D>, store: StateStore, state: JobState, mode: RunMode): Promise<DestinationSession>;
  /** Why a job must wait for a person before anything is read (an upload of unknown outcome), if it must. */
  held?(state: JobState, name: string): { message: string; action: string } | undefined;
  /** Whether the state records deliveries (a rename must not drop them). Default: it has run once. */
  hasDeliveries?(state: JobState): boolean;
  /** A person's decision about a held job (`writeback release`): the lines to print. */
  release?(state: JobState, store: StateStore, delivered: boolean): string[];
  /** `writeback baseline`: record what the destination already holds as delivered. */
  baseline?(io: CommandOutput, definition: D, options: { until?: string; yes: boolean }): Promise<number>;
  /** Whether `local` holds deliveries `intended` (from the intent branch) lacks: then it must not be rolled back. */
  supersedes?(local: JobState, intended: JobState): boolean;
  /** Lines it adds to a report's Markdown twin. */
  renderReport?(report: RunReport): string[];
}

/** One run of one job, opened by its module. */
export interface DestinationSession {
  /** What a person should know about this run before it reads anything (reported and logged). */
  warnings?: string[];
  /** The Domo columns it reads, with what each needs now it knows the destination (default: the module's). */
  columns?(): ColumnCheck[];
  /** Reads the export (a CSV byte stream with its header row) into the files to send. */
  scan(csv: Readable, expected: ExpectedRows, workers: number): Promise<Scan>;
  /** Fills in what only this destination knows about a plan (fields to create, its memory...). */
  describe?(plan: JobPlan, scan: Scan | undefined): void;
  /** What a dry run would also do, besides sending the files: "create 1 data field", say. */
  dryRunNote?(): string | undefined;
  /** Delivers the scan (not in a dry run): sets the report's status and message. */
  deliver(scan: Scan, report: RunReport): Promise<void>;
}

/** What a scan of the export found: the engine reports it, gates on it, and hands it back to deliver. */
export interface Scan {
  read: number;
  rejected: number;
  /** The first rejected rows, with their reasons. */
  rejects: RejectedRow[];
  /** Rows not sent, by reason (keys of the module's skippedLabels). */
  skipped: Record<string, number>;
  /** The rows rejects.maxRatio weighs, and the rejected ones among them. */
  gate: { rejected: number; considered: number };
  /** The files to send, bounded in size. */
  parts: SpoolPart[];
  /** Lines (contacts...) the parts hold. */
  toSend: number;
  /** Why the job must not deliver, found while reading (a ledger that fits no delivered line, say). */
  refusal?: string;
  /** Removes the scan's files. */
  dispose(): void;
}

/** The definition type of a module. */
export type DefinitionOf<M> = M extends DestinationModule<infer D> ? D : never;
