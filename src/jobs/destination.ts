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

/**
 * A destination module, typed by its definition (D), what it keeps in the state (St) and what it adds to
 * a report (R). The engine holds modules as DestinationModule (the defaults) and hands each the state its
 * readState made and the report of its own run.
 */
export interface DestinationModule<D extends AnyDefinition = AnyDefinition, St extends JobState = JobState, R extends RunReport = RunReport> {
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
  /** Whether its scan formats in worker threads (it is then given a count of them; otherwise 0). */
  readonly formatsInWorkers?: boolean;

  /** The destination fields a (possibly ill-typed) spec maps: what spec.personalData.fields may name. */
  mappedFields(spec: Record<string, unknown>): string[];
  /** The Domo columns a definition reads, each with what its field needs (checked against the DataSet). */
  columns(definition: D): ColumnCheck[];
  /** Notes for validate about a valid definition. */
  notes?(definition: D): DefinitionNote[];
  /**
   * Its own fields of a loaded state: upgraded from earlier versions, checked (a CorruptStateError names
   * what is wrong). Every command that loads a state of this kind goes through it (registry.loadState).
   */
  readState?(state: JobState): St;
  /**
   * Opens a run: resolves the destination's secrets, connects, and reads what it keeps in the state. It
   * changes nothing (plans and dry runs open too); a reason not to deliver goes in the session's refusal.
   */
  open(ctx: JobContext<D>, store: StateStore, state: St, mode: RunMode): Promise<DestinationSession<R>>;
  /**
   * A job that must wait for a person before anything is read (an upload of unknown outcome): why, and
   * `release` records the person's decision (`writeback release`), returning the lines to print. Both or neither.
   */
  hold?: {
    held(state: St, name: string): { message: string; action: string } | undefined;
    release(state: St, store: StateStore, delivered: boolean): string[];
  };
  /** Whether the state records deliveries that must not be lost or resent (a rename refuses to drop them). Default: its last run sent something. */
  hasDeliveries?(state: St): boolean;
  /** `writeback baseline`: record what the destination already holds as delivered. */
  baseline?(io: CommandOutput, definition: D, options: { until?: string; yes: boolean }): Promise<number>;
  /** Whether `local` holds deliveries `intended` (from the intent branch) lacks: then it must not be rolled back. */
  supersedes?(local: St, intended: St): boolean;
  /** Lines it adds to a report's Markdown twin. */
  renderReport?(report: R): string[];
}

/** One run of one job, opened by its module; S is its own scan result. */
export interface DestinationSession<R extends RunReport = RunReport, S extends Scan = Scan> {
  /** What a person should know about this run before it reads anything (reported and logged). */
  warnings?: string[];
  /** Why this job must not deliver, known before reading (a ledger that does not fit the definition, say). */
  refusal?: string;
  /** Report fields known once connected (where it delivers, the window it reads), set before anything is read. */
  reportFields?: Partial<R>;
  /** The Domo columns it reads, with what each needs now it knows the destination (default: the module's). */
  columns?(): ColumnCheck[];
  /**
   * The rows this run needs, when it needs only some: those whose `column` (the cursor) is at or after `from`
   * (ms since the epoch). With it, `source.domo.read: auto` reads only them through Domo's query API.
   */
  window?: { column: string; from: number };
  /** The Domo columns delivered lines are known by (a ledger's key): a read must give them the text the export gives. */
  keyColumns?: string[];
  /**
   * Reads the export (a CSV byte stream with its header row) into the files to send. Reject reasons
   * that quote a personal value mask it (reports/personal-data.ts maskReason); in plan mode always.
   */
  scan(csv: Readable, expected: ExpectedRows, workers: number): Promise<S>;
  /** Fills in what only this destination knows about a plan (fields to create, its memory...). */
  describe?(plan: JobPlan, scan: S | undefined): void;
  /** What a dry run would also do, besides sending the files: "create 1 data field", say. */
  dryRunNote?(): string | undefined;
  /**
   * Delivers the scan (not in a dry run) and sets the report's status and message; adds to
   * report.rows.sent as the destination accepts. Stops between uploads when ctx.signal is aborted, and
   * calls ctx.journal around each upload that is not idempotent. The engine saves the state afterwards,
   * whatever the outcome: what must survive a crash mid-delivery is saved by the module as it goes.
   */
  deliver(scan: S, report: R): Promise<void>;
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
export type DefinitionOf<M> = M extends DestinationModule<infer D, infer _S, infer _R> ? D : never;
