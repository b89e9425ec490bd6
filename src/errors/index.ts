/** Typed errors. Every error a user can meet carries a message meant for a person, never a stack. */

export class WritebackError extends Error {
  override name = 'WritebackError';
}

/**
 * The command line asked for something that cannot be (an unknown job name, a missing connectors/): exit 2,
 * as for unknown options, so 1 keeps meaning "the work failed".
 */
export class UsageError extends WritebackError {
  override name = 'UsageError';
}

/** One problem found in a definition file, located at its line and column. */
export interface Problem {
  file: string;
  line: number;
  column: number;
  message: string;
}

/** Every problem found in one pass over the definitions (changesets' style: one error listing all). */
export class ValidationError extends WritebackError {
  override name = 'ValidationError';
  constructor(readonly problems: Problem[]) {
    super(problems.map((p) => `${p.file}:${p.line}:${p.column}: ${p.message}`).join('\n'));
  }
}

/** A `{ secret: NAME }` that resolves nowhere; raised before any data moves. */
export class MissingSecretError extends WritebackError {
  override name = 'MissingSecretError';
  constructor(
    readonly job: string,
    readonly secret: string,
  ) {
    super(
      `${job}: secret ${secret} is not set. Set the environment variable ${secret}, ` +
        `or add it to the repository's Actions secrets (it reaches the runner through WRITEBACK_SECRETS).`,
    );
  }
}

/** A credential that cannot be sent as it is (a line break at its end, say); raised before any data moves. */
export class CredentialError extends WritebackError {
  override name = 'CredentialError';
  constructor(
    readonly job: string,
    readonly secret: string,
    problem: string,
  ) {
    super(`${job}: secret ${secret} ${problem}, which an HTTP header cannot carry, so nothing was sent. Store the secret again without it (for example: printf '%s' VALUE | gh secret set ${secret}).`);
  }
}

/** An HTTP exchange that failed with an answer from the server (or none at all). */
export class HttpError extends WritebackError {
  override name = 'HttpError';
  constructor(
    message: string,
    readonly service: string,
    readonly status: number | undefined,
    readonly body: string | undefined,
    /** Vendor trace id (Domo's `toe`), which vendor support asks for. */
    readonly traceId?: string,
  ) {
    super(message);
  }
}

/**
 * The job's state does not fit its definition (a ledger read with another meaning, a field that does not
 * exist): nothing is read or sent until a person fixes it. `reason` says what and how.
 */
export class RefusedError extends WritebackError {
  override name = 'RefusedError';
  constructor(readonly reason: string) {
    super(`Refused to deliver: ${reason}`);
  }
}

/** Delivery may or may not have reached the destination: a person must decide. */
export class UnknownOutcomeError extends WritebackError {
  override name = 'UnknownOutcomeError';
}

/** The source data is unusable as a whole (truncated export, missing column, too many bad rows). */
export class DataError extends WritebackError {
  override name = 'DataError';
}

/** The export came back shorter than the DataSet announced: worth reading again. */
export class TruncatedExportError extends DataError {
  override name = 'TruncatedExportError';
}

/** Another run holds the job's lock: this run skips the job rather than risk sending lines twice. */
export class JobLockedError extends WritebackError {
  override name = 'JobLockedError';
}

/** Message for any thrown value, without a stack trace. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
