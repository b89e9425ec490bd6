/**
 * The file side of job state: `state/<name>.json` written durably, the folder `state/<name>/` where a
 * destination keeps more (a ledger of deliveries, fingerprints of contacts), and the job's lock.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WritebackError } from '../errors/index.ts';
import { writeDurably } from './durable.ts';
import { emptyState, type JobState } from './job-state.ts';
import { takeLock, type HeldLock } from './lock.ts';

/** A state file or ledger segment that cannot be trusted; the job stops before anything is sent. */
export class CorruptStateError extends WritebackError {
  override name = 'CorruptStateError';
}

export const restoreHint = (path: string) => `Restore it from git history (git log --oneline -- ${path}, then git checkout <commit> -- ${path}) and run again.`;

export class StateStore {
  readonly dir: string;
  readonly file: string;
  private readonly lockFile: string;

  constructor(
    readonly root: string,
    readonly name: string,
  ) {
    this.dir = join(root, 'state', name);
    this.file = join(root, 'state', `${name}.json`);
    this.lockFile = join(root, 'state', `${name}.lock`);
  }

  exists(): boolean {
    return existsSync(this.file);
  }

  load(kind: string): JobState {
    if (!existsSync(this.file)) return emptyState(this.name, kind);
    let state: JobState;
    try {
      state = JSON.parse(readFileSync(this.file, 'utf8')) as JobState;
    } catch (error) {
      throw new CorruptStateError(`state/${this.name}.json is not valid JSON (${(error as Error).message}). ${restoreHint(`state/${this.name}.json`)}`);
    }
    if (typeof state !== 'object' || state === null || Array.isArray(state) || typeof state.version !== 'number') {
      throw new CorruptStateError(`state/${this.name}.json is not a Writeback state file. ${restoreHint(`state/${this.name}.json`)}`);
    }
    return state;
  }

  save(state: JobState): void {
    writeDurably(this.file, `${JSON.stringify(state, null, 2)}\n`, `state/${this.name}.json`);
  }

  /** Takes the job's lock (see lock.ts for when a lock counts as stale). */
  lock(runId: string, staleAfterMs?: number): HeldLock {
    mkdirSync(join(this.root, 'state'), { recursive: true });
    return takeLock(this.lockFile, runId, this.name, staleAfterMs);
  }
}

/** States in state/ whose job is not among `names` (a renamed or deleted job left them), unreadable ones skipped. */
export function orphanStates(root: string, names: Set<string>): { name: string; state: JobState }[] {
  const dir = join(root, 'state');
  if (!existsSync(dir)) return [];
  const orphans: { name: string; state: JobState }[] = [];
  for (const entry of readdirSync(dir)) {
    const name = entry.endsWith('.json') ? entry.slice(0, -5) : undefined;
    if (!name || names.has(name)) continue;
    try {
      orphans.push({ name, state: new StateStore(root, name).load('') });
    } catch {
      // an unreadable stray file says nothing about deliveries
    }
  }
  return orphans;
}
