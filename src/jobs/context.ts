/** What a job gets from the reconcile loop (and from plan, which runs the same loop without delivering). */
import type { AnyDefinition } from '../definitions/types.ts';
import type { Redactor } from '../http/redact.ts';
import type { SecretResolver } from '../secrets.ts';

export interface JobOptions {
  dryRun: boolean;
  force: boolean;
}

export interface JobContext<D extends AnyDefinition = AnyDefinition> {
  root: string;
  runId: string;
  definition: D;
  env: NodeJS.ProcessEnv;
  secrets: SecretResolver;
  redactor: Redactor;
  options: JobOptions;
  log(line: string): void;
  now(): Date;
  /** Pushes the job's state beyond this machine before and after each upload (inside GitHub Actions). */
  journal?: () => Promise<void>;
  /** Aborted when SIGINT or SIGTERM asks the run to stop: no new upload or import starts. */
  signal?: AbortSignal;
}
