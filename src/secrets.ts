/**
 * `{ secret: NAME }` resolution (README, "Secrets"): inside GitHub Actions only from the JSON object in
 * WRITEBACK_SECRETS (what the workflow passes as `${{ toJSON(secrets) }}`); elsewhere from the environment
 * variable NAME first, then WRITEBACK_SECRETS. The runner's own variables never resolve: a definition from
 * a pull request must not be able to send the workflow's token (GITHUB_TOKEN) to a vendor. Every resolved
 * value is registered for redaction.
 */
import { CredentialError, MissingSecretError, WritebackError } from './errors/index.ts';
import { addMask, insideActions } from './github/annotations.ts';
import type { StringOrSecret } from './definitions/types.ts';
import type { Redactor } from './http/redact.ts';

/**
 * Names that belong to the runner, not to the team's secrets: GitHub's own variables and secrets
 * (GitHub refuses secrets named GITHUB_*), the Actions runtime, the runner, action inputs, Writeback's settings.
 */
const RESERVED = /^(GITHUB|ACTIONS|RUNNER|INPUT|WRITEBACK)_/i;

/** Why NAME may not be used as a secret, or undefined when it may. */
export function reservedSecretName(name: string): string | undefined {
  return RESERVED.test(name) ? `${name} belongs to the runner (names starting with GITHUB_, ACTIONS_, RUNNER_, INPUT_ or WRITEBACK_ never resolve: a definition must not be able to send the workflow's own credentials to a vendor)` : undefined;
}

export class SecretResolver {
  private bundle: Record<string, unknown> | undefined;

  constructor(
    private readonly env: NodeJS.ProcessEnv,
    private readonly redactor: Redactor,
    private readonly print: (line: string) => void = () => {},
  ) {}

  private fromBundle(name: string): string | undefined {
    if (this.bundle === undefined) {
      const raw = this.env.WRITEBACK_SECRETS;
      try {
        this.bundle = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
      } catch {
        // Never quote the variable: it is full of secrets.
        throw new WritebackError('WRITEBACK_SECRETS is set but is not a JSON object; pass ${{ toJSON(secrets) }}');
      }
    }
    const value = this.bundle[name];
    return typeof value === 'string' ? value : undefined;
  }

  /** Whether a secret can be resolved here (without registering or returning its value). */
  private available(name: string): boolean {
    if (reservedSecretName(name)) return true; // not missing: refused with its own message when resolved
    return Boolean((insideActions(this.env) ? undefined : this.env[name]) || this.fromBundle(name));
  }

  /** The names of every secret a value (a spec, say) refers to that cannot be resolved, each once. */
  missing(value: unknown): string[] {
    const names = new Set<string>();
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(walk);
      else if (typeof node === 'object' && node !== null) {
        const ref = node as { secret?: unknown };
        if (typeof ref.secret === 'string' && Object.keys(node).length === 1) {
          if (!this.available(ref.secret)) names.add(ref.secret);
        } else Object.values(node).forEach(walk);
      }
    };
    walk(value);
    return [...names];
  }

  resolve(job: string, value: StringOrSecret): string {
    if (typeof value === 'string') return value;
    const reserved = reservedSecretName(value.secret);
    if (reserved) throw new WritebackError(`${job}: secret ${reserved}; name a secret of your own`);
    // Inside Actions every variable of the job is the runner's or the workflow's: only the bundle holds the team's secrets.
    const resolved = (insideActions(this.env) ? undefined : this.env[value.secret]) || this.fromBundle(value.secret);
    if (!resolved) throw new MissingSecretError(job, value.secret);
    this.redactor.add(resolved);
    const problem = headerProblem(resolved);
    if (problem) throw new CredentialError(job, value.secret, problem);
    if (insideActions(this.env)) this.print(addMask(resolved));
    return resolved;
  }
}

/**
 * Why a value cannot travel in an HTTP header, if it cannot: every credential does (Basic or Bearer
 * auth), and RFC 9110 5.5 allows no control characters in a field value. Names the problem, never the value.
 */
function headerProblem(value: string): string | undefined {
  if (/[\r\n]+$/.test(value)) return 'ends with a line break';
  if (/[\x00-\x1f\x7f]/.test(value)) return 'contains a control character (a line break or tab, say)';
  return undefined;
}
