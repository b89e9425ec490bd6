/**
 * One run at a time per job on one working tree: `state/<name>.lock`. The lock file appears whole or not
 * at all (written aside, then linked into place, which fails when it exists). A lock whose holder is gone
 * is taken over, and the take-over is atomic: only the run that creates the take-over marker for that very
 * lock file may remove it, so two runs that both find it stale cannot both end up delivering.
 *
 * When a lock counts as stale:
 * - its process is dead, or its process id now belongs to another process (same host);
 * - it cannot be read and is older than a minute (a run killed while writing it, before locks were whole);
 * - it comes from another host (a shared disk, or a lock file committed by mistake) and was taken longer
 *   ago than WRITEBACK_LOCK_STALE_AFTER (default 6h, the longest a GitHub-hosted job may run): taken over
 *   with a warning.
 * A live process on this host is never robbed of its lock; one that holds it longer than the limit fails
 * the job loudly instead of being skipped in silence.
 */
import { closeSync, linkSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { JobLockedError, WritebackError } from '../errors/index.ts';

export interface LockHolder {
  runId: string;
  pid: number;
  started?: string;
  host: string;
  since: string;
}

export interface HeldLock {
  release(): void;
  /** Set when a stale lock was taken over: what it was, for the run's warnings. */
  tookOver?: string;
}

export const DEFAULT_STALE_AFTER_MS = 6 * 3_600_000;
const UNREADABLE_STALE_MS = 60_000;

/** Lock files this process holds: released on SIGINT/SIGTERM before it exits. */
const held = new Set<string>();

/** Removes every lock this process holds (synchronously: a signal handler calls it just before exiting). */
export function releaseHeldLocks(): void {
  for (const file of held) {
    if (readHolder(file)?.pid === process.pid) rmSync(file, { force: true });
    held.delete(file);
  }
}

export function takeLock(lockFile: string, runId: string, job: string, staleAfterMs = DEFAULT_STALE_AFTER_MS): HeldLock {
  mkdirSync(dirname(lockFile), { recursive: true });
  const me: LockHolder = { runId, pid: process.pid, started: processStart(process.pid), host: hostname(), since: new Date().toISOString() };
  const mine = `${lockFile}.tmp-${process.pid}`; // named as durable writes name theirs: never committed
  writeFileSync(mine, JSON.stringify(me));
  let tookOver: string | undefined;
  try {
    for (let tries = 0; tries < 5; tries++) {
      try {
        linkSync(mine, lockFile);
        held.add(lockFile);
        removeDeadMarkers(lockFile);
        return {
          tookOver,
          release: () => {
            held.delete(lockFile);
            if (readHolder(lockFile)?.runId === runId) rmSync(lockFile, { force: true });
          },
        };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const id = identity(lockFile);
      if (!id) continue; // released meanwhile: try again
      const holder = readHolder(lockFile);
      const verdict = judge(holder, lockFile, staleAfterMs);
      if (!verdict.stale) {
        if (verdict.failure) throw new WritebackError(`${job}: ${verdict.failure}`);
        throw new JobLockedError(`${job} is being delivered by another run (${describe(holder)}); skipped to avoid sending lines twice${verdict.warning ? `. ${verdict.warning}` : ''}`);
      }
      if (takeOver(lockFile, id)) tookOver = `took over the lock of ${describe(holder)}: ${verdict.reason}`;
      else if (!identity(lockFile)) continue;
      else throw new JobLockedError(`${job}: another run is taking over the stale lock state/${basename(lockFile)} right now; skipped to avoid sending lines twice`);
    }
    throw new WritebackError(`${job}: could not take the lock state/${basename(lockFile)} (other runs kept taking it)`);
  } finally {
    rmSync(mine, { force: true });
  }
}

function describe(holder: LockHolder | undefined): string {
  return holder ? `run ${holder.runId}, process ${holder.pid} on ${holder.host}, since ${holder.since}` : 'an unreadable lock file';
}

/** The lock file as one instance (inode and change time): a new lock in its place is another instance. */
function identity(file: string): string | undefined {
  try {
    const stat = statSync(file, { bigint: true });
    return `${stat.ino}-${stat.mtimeNs}`;
  } catch {
    return undefined;
  }
}

/**
 * Removes the stale lock instance `id`, if this process wins the right to: it must create a marker
 * file for that instance (exclusively), then find the same instance still in place. A marker whose
 * writer died is passed over for the next generation of marker. Returns whether the lock was removed.
 */
function takeOver(lockFile: string, id: string): boolean {
  for (let generation = 1; generation <= 5; generation++) {
    const marker = `${lockFile}.takeover-${id}-${generation}`;
    let fd: number;
    try {
      fd = openSync(marker, 'wx');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const writer = readHolder(marker);
      // Its writer died mid-take-over (even before writing the marker whole): the next generation may go.
      const dead = writer ? writer.host === hostname() && !alive(writer.pid, writer.started) : ageMs(marker) > UNREADABLE_STALE_MS;
      if (dead) continue;
      return false; // someone is taking it over now
    }
    try {
      writeSync(fd, JSON.stringify({ runId: 'takeover', pid: process.pid, started: processStart(process.pid), host: hostname(), since: new Date().toISOString() }));
    } finally {
      closeSync(fd);
    }
    try {
      if (identity(lockFile) !== id) return false;
      rmSync(lockFile, { force: true });
      return true;
    } finally {
      rmSync(marker, { force: true });
    }
  }
  return false;
}

/** Markers left by take-overs whose writers died (harmless, but they would pile up). */
function removeDeadMarkers(lockFile: string): void {
  const prefix = `${basename(lockFile)}.takeover-`;
  for (const entry of readdirSync(dirname(lockFile))) {
    if (!entry.startsWith(prefix)) continue;
    const path = join(dirname(lockFile), entry);
    const writer = readHolder(path);
    const dead = writer ? writer.host === hostname() && !alive(writer.pid, writer.started) : ageMs(path) > UNREADABLE_STALE_MS;
    if (dead) rmSync(path, { force: true });
  }
}

interface Verdict {
  stale: boolean;
  reason?: string;
  /** Not stale, but a person should know (a lock from another host). */
  warning?: string;
  /** Not stale and not to be waited for in silence: the job fails with this. */
  failure?: string;
}

function judge(holder: LockHolder | undefined, file: string, staleAfterMs: number): Verdict {
  if (!holder) return ageMs(file) > UNREADABLE_STALE_MS ? { stale: true, reason: 'the lock file was unreadable for over a minute' } : { stale: false };
  const age = Date.now() - Date.parse(holder.since);
  const hours = (ms: number) => `${(ms / 3_600_000).toFixed(1)} h`;
  if (holder.host === hostname()) {
    if (!alive(holder.pid, holder.started)) return { stale: true, reason: 'its process is gone' };
    if (age > staleAfterMs) {
      return { stale: false, failure: `the lock state/${basename(file)} is held by process ${holder.pid} (run ${holder.runId}) since ${holder.since}, ${hours(age)}, longer than any run should take (WRITEBACK_LOCK_STALE_AFTER ${hours(staleAfterMs)}): if that process is stuck, stop it; its lock goes with it` };
    }
    return { stale: false };
  }
  if (!(age <= staleAfterMs)) return { stale: true, reason: `it comes from another host and is older than WRITEBACK_LOCK_STALE_AFTER (${hours(staleAfterMs)}); a lock file must never be committed to git` };
  return { stale: false, warning: `The lock comes from another host (${holder.host}): it is taken over once older than ${hours(staleAfterMs)}. If no run there is active, delete state/${basename(file)}; lock files must never be committed to git` };
}

function ageMs(file: string): number {
  try {
    return Date.now() - statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

export function readHolder(file: string): LockHolder | undefined {
  try {
    const holder = JSON.parse(readFileSync(file, 'utf8')) as LockHolder;
    if (typeof holder.pid !== 'number' || typeof holder.host !== 'string') return undefined;
    // Without a readable time of its own, the lock is as old as its file (never older than anything).
    if (typeof holder.since !== 'string' || Number.isNaN(Date.parse(holder.since))) holder.since = new Date(statSync(file).mtimeMs).toISOString();
    return holder;
  } catch {
    return undefined;
  }
}

/**
 * When the process started, as Linux counts it (clock ticks since boot, /proc/PID/stat field 22): with
 * its id, it names one process. Undefined where there is no /proc.
 */
function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]; // after "pid (name) ", field 3 is index 0
  } catch {
    return undefined;
  }
}

/** Whether the process that wrote a lock still runs: its id is in use, by a process that started when it did. */
function alive(pid: number, started: string | undefined): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const now = processStart(pid);
  return started === undefined || now === undefined || now === started;
}
