/**
 * The file side of job state: `state/<name>.json` written atomically, ledger segments under
 * `state/<name>/`, and a lock file so two runs on one working tree never deliver the same job at once.
 */
import { closeSync, existsSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { JobLockedError, WritebackError } from '../errors/index.ts';
import { FingerprintSet } from './key-hash.ts';
import { emptyState, type JobState, type LedgerSegment } from './job-state.ts';

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
    try {
      return JSON.parse(readFileSync(this.file, 'utf8')) as JobState;
    } catch (error) {
      throw new WritebackError(`state/${this.name}.json is not valid JSON (${(error as Error).message}); restore it from git history`);
    }
  }

  save(state: JobState): void {
    writeDurably(this.file, `${JSON.stringify(state, null, 2)}\n`);
  }

  /** Writes a segment file of fingerprints (little-endian uint32 pairs), given in chunks, and returns its name. */
  writeSegment(runId: string, part: number, chunks: Iterable<Uint32Array>): string {
    mkdirSync(this.dir, { recursive: true });
    const file = `ledger-${runId}-${String(part).padStart(3, '0')}.bin`;
    let buffer = Buffer.alloc(0);
    writeDurably(join(this.dir, file), function* () {
      for (const pairs of chunks) {
        if (buffer.length < pairs.length * 4) buffer = Buffer.alloc(pairs.length * 4);
        for (let i = 0; i < pairs.length; i++) buffer.writeUInt32LE(pairs[i]!, i * 4);
        yield buffer.subarray(0, pairs.length * 4);
      }
    }());
    return file;
  }

  readSegment(file: string): Uint32Array {
    const buffer = readFileSync(join(this.dir, file));
    const pairs = new Uint32Array(buffer.length / 4);
    for (let i = 0; i < pairs.length; i++) pairs[i] = buffer.readUInt32LE(i * 4);
    return pairs;
  }

  deleteSegment(file: string): void {
    rmSync(join(this.dir, file), { force: true });
  }

  /** Every delivered fingerprint, from the segments the state lists. */
  loadLedger(segments: LedgerSegment[]): FingerprintSet {
    const total = segments.reduce((n, s) => n + s.lines, 0);
    const set = new FingerprintSet(total);
    for (const segment of segments) {
      if (!existsSync(join(this.dir, segment.file))) {
        throw new WritebackError(
          `state/${this.name}/${segment.file} is missing, so it is unknown which lines were delivered; restore it from git history before running ${this.name} again`,
        );
      }
      set.addAll(this.readSegment(segment.file));
    }
    return set;
  }

  /**
   * Takes the job's lock, or explains who holds it. The lock file appears whole or not at all (written
   * aside, then linked into place, which fails when it exists): a run killed while taking it once left an
   * empty lock that made every later run skip. A lock left by a dead process on this host is taken over,
   * also when its process id now belongs to another process (ids are reused: 32,768 of them here), and
   * so is an unreadable one older than a minute (left by an earlier version).
   */
  lock(runId: string): () => void {
    mkdirSync(join(this.root, 'state'), { recursive: true });
    const mine = `${this.lockFile}.tmp-${process.pid}`; // named as writeDurably names its own: never committed
    writeFileSync(mine, JSON.stringify({ runId, pid: process.pid, started: processStart(process.pid), host: hostname(), since: new Date().toISOString() }));
    try {
      for (let tries = 0; tries < 2; tries++) {
        try {
          linkSync(mine, this.lockFile);
          return () => rmSync(this.lockFile, { force: true });
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
          const holder = readLock(this.lockFile);
          const stale = holder ? holder.host === hostname() && !alive(holder.pid, holder.started) : ageMs(this.lockFile) > UNREADABLE_LOCK_STALE_MS;
          if (stale) {
            rmSync(this.lockFile, { force: true });
            continue;
          }
          throw new JobLockedError(
            `${this.name} is being delivered by another run (${holder?.runId ?? 'unknown'} on ${holder?.host ?? 'unknown host'} since ${holder?.since ?? '?'}); skipped to avoid sending lines twice`,
          );
        }
      }
      throw new WritebackError(`could not take the lock state/${this.name}.lock`);
    } finally {
      rmSync(mine, { force: true });
    }
  }
}

const UNREADABLE_LOCK_STALE_MS = 60_000;

function ageMs(file: string): number {
  try {
    return Date.now() - statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

function readLock(file: string): { runId: string; pid: number; started?: string; host: string; since: string } | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
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

/** Write to a temp file, fsync, rename: a crash leaves the old or the new content, never half. */
export function writeDurably(path: string, content: string | Buffer | Iterable<Buffer>): void {
  mkdirSync(join(path, '..'), { recursive: true });
  const temp = `${path}.tmp-${process.pid}`;
  const fd = openSync(temp, 'w');
  try {
    if (typeof content === 'string' || Buffer.isBuffer(content)) writeSync(fd, typeof content === 'string' ? Buffer.from(content) : content);
    else for (const chunk of content) writeSync(fd, chunk);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path);
}
