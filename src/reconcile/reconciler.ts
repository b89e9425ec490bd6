/**
 * The reconcile loop: every valid definition that is due runs once; a failing job never stops the
 * others; each run leaves state and a report behind.
 */
import { reclaimBuffersWhileRunning } from '../pipeline/reclaim-buffers.ts';
import { definitionHash } from '../definitions/hash.ts';
import { describeError, JobLockedError, WritebackError, type Problem } from '../errors/index.ts';
import { validateRepository } from '../definitions/validator.ts';
import { Redactor } from '../http/redact.ts';
import type { JobContext, JobOptions } from '../jobs/context.ts';
import { runJob } from '../jobs/skeleton.ts';
import { destinationFor, loadState, type Definition } from '../registry.ts';
import { errorInfo, newRunId, sentence, zeroRows, type RunReport } from '../reports/run-report.ts';
import { writeReport } from '../reports/writer.ts';
import { maskEmails } from '../reports/personal-data.ts';
import { SecretResolver } from '../secrets.ts';
import type { JobState } from '../state/job-state.ts';
import { StateStore } from '../state/store.ts';
import type { HeldLock } from '../state/lock.ts';
import { lockStaleAfterMs } from '../settings.ts';
import { isDue } from './due.ts';
import { intentBranch as intentBranchName, type IntentJournal } from '../github/intent-branch.ts';

export interface ReconcileOptions extends JobOptions {
  root: string;
  /** Inside GitHub Actions: where delivery intents survive a cancelled run. */
  journal?: IntentJournal;
  env: NodeJS.ProcessEnv;
  only: string[];
  log(line: string): void;
  now?: () => Date;
  /** Aborted on SIGINT/SIGTERM: jobs not yet started are left for the next run, a running one stops between uploads. */
  signal?: AbortSignal;
}

export interface ReconcileResult {
  problems: Problem[];
  reports: RunReport[];
  /** Jobs that were not due, with when they are. */
  /** Jobs left for later: not due by their schedule, or suspended (never run unless named). */
  notDue: { name: string; next?: Date; suspended?: boolean }[];
}

/** The valid definitions a reconcile would run now, and those it would leave for later. */
export function selectDue(root: string, only: string[], force: boolean, now: Date, env: NodeJS.ProcessEnv = process.env) {
  const { definitions, problems } = validateRepository(root, undefined, env);
  const known = new Set(definitions.map((d) => d.definition.metadata.name));
  const unknown = only.filter((name) => !known.has(name));
  if (unknown.length) throw new WritebackError(`--only names no valid definition: ${unknown.join(', ')} (known: ${[...known].join(', ') || 'none'})`);
  const due: Definition[] = [];
  const notDue: ReconcileResult['notDue'] = [];
  const warnings = new Map<string, string>();
  for (const { definition } of definitions) {
    const name = definition.metadata.name;
    if (only.length && !only.includes(name)) continue;
    // A suspended job runs (to report itself suspended) only when named: at every tick it would start a
    // workflow job, write a report and make a commit for nothing.
    if (definition.spec.suspend && !only.includes(name)) {
      notDue.push({ name, suspended: true });
      continue;
    }
    let lastRun: string | undefined;
    try {
      lastRun = new StateStore(root, name).load(definition.kind).lastRun?.startedAt;
    } catch {
      // An unreadable state fails its own job when it runs, never the selection of the others.
      due.push(definition);
      continue;
    }
    // Held jobs report on their own schedule too, not at every tick.
    const decision = isDue(definition.spec.schedule, lastRun, now);
    if (decision.warning) warnings.set(name, decision.warning);
    if (force || decision.due) due.push(definition);
    else notDue.push({ name, next: decision.next });
  }
  return { problems, due, notDue, warnings };
}

export async function reconcile(options: ReconcileOptions): Promise<ReconcileResult> {
  const now = options.now ?? (() => new Date());
  const { problems, due, notDue, warnings } = selectDue(options.root, options.only, options.force, now(), options.env);
  const result: ReconcileResult = { problems, reports: [], notDue };
  for (const definition of due) {
    const name = definition.metadata.name;
    if (options.signal?.aborted) {
      options.log(`${name}: not started (stopped by ${String(options.signal.reason)}); the next run takes it`);
      continue;
    }
    const warning = warnings.get(name);
    if (warning) options.log(`${name}: warning: ${warning}`);
    result.reports.push(await runOne(definition, new StateStore(options.root, name), options, now, warning));
  }
  return result;
}

async function runOne(definition: Definition, store: StateStore, options: ReconcileOptions, now: () => Date, dueWarning?: string): Promise<RunReport> {
  const name = definition.metadata.name;
  const startedAt = now();
  const runId = newRunId(startedAt);
  const redactor = new Redactor();
  const report: RunReport = {
    name,
    kind: definition.kind,
    runId,
    startedAt: startedAt.toISOString(),
    finishedAt: startedAt.toISOString(),
    status: 'failed',
    rows: zeroRows(),
    message: '',
  };
  if (options.dryRun) report.dryRun = true;
  if (dueWarning) report.warnings = [dueWarning];
  const ctx: JobContext = {
    root: options.root,
    runId,
    definition,
    env: options.env,
    secrets: new SecretResolver(options.env, redactor, options.log),
    redactor,
    options: { dryRun: options.dryRun, force: options.force },
    log: (line) => options.log(redactor.redact(line)),
    now,
    journal: options.journal && !options.dryRun ? () => options.journal!.record(name) : undefined,
    signal: options.signal,
  };

  // What may be written where others read it (state, reports, issues, logs): never a secret, and unless the
  // job opts out, no email address.
  const shown = definition.spec.personalData?.mask === false ? (text: string) => redactor.redact(text) : (text: string) => maskEmails(redactor.redact(text));
  let lock: HeldLock | undefined;
  let state: JobState | undefined;
  try {
    lock = store.lock(runId, lockStaleAfterMs(options.env));
    if (lock.tookOver) {
      report.warnings = [...(report.warnings ?? []), lock.tookOver];
      ctx.log(`${name}: warning: ${lock.tookOver}`);
    }
    const module = destinationFor(definition.kind)!;
    const read = (raw: JobState) => module.readState?.(raw) ?? raw;
    const supersedes = module.supersedes && ((local: JobState, intended: JobState) => module.supersedes!(read(local), read(intended)));
    if (options.journal && !options.dryRun && (await options.journal.restore(name, supersedes))) {
      options.log(`${name}: restored the state of an earlier run that ended before its commit (from ${intentBranchName(name)})`);
    }
    state = loadState(store, definition.kind);
    const hash = definitionHash(definition);
    if (state.definitionHash && state.definitionHash !== hash) report.definitionChanged = true;
    if (definition.spec.suspend) {
      report.status = 'suspended';
      report.message = 'Suspended (spec.suspend: true); nothing was read or sent. Remove spec.suspend to resume.';
    } else {
      const stopReclaiming = reclaimBuffersWhileRunning();
      try {
        await runJob(module, ctx, store, state, report);
      } finally {
        stopReclaiming();
      }
    }
    if (!options.dryRun) {
      state.definitionHash = hash;
      if (report.status === 'held' && !state.held) state.held = { since: now().toISOString(), runId, reason: shown(report.message) };
    }
  } catch (error) {
    report.status = 'failed';
    report.error = errorInfo(error);
    report.message = report.rows.sent ? describeError(error) : `${sentence(describeError(error))} Nothing was sent.`;
    if (error instanceof JobLockedError) report.status = 'skipped';
  } finally {
    report.finishedAt = now().toISOString();
    if (state && !options.dryRun && lock) {
      if (state.held) state.held.reason = shown(state.held.reason);
      state.lastRun = { runId, startedAt: report.startedAt, finishedAt: report.finishedAt, status: report.status, rows: report.rows, message: shown(report.message) };
      try {
        store.save(state);
      } catch (error) {
        // The delivery's own records were written as it went; only this run's summary is missing.
        report.status = 'failed';
        report.message = `${report.message} Recording the run failed: ${describeError(error)}`;
      }
    }
    lock?.release();
  }
  report.message = shown(report.message);
  if (report.action) report.action = shown(report.action);
  if (report.error) report.error.message = shown(report.error.message);
  if (!options.dryRun) {
    try {
      writeReport(options.root, report, redactor, destinationFor(definition.kind));
    } catch (error) {
      options.log(`${name}: could not write its report: ${describeError(error)}`);
    }
  }
  return report;
}
