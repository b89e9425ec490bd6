/**
 * The file side of job state: `state/<name>.json` written durably, the ledger's segment files under
 * `state/<name>/` checked against the sizes and checksums the state records, and the job's lock.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { WritebackError } from '../errors/index.ts';
import { storageError, writeDurably } from './durable.ts';
import { emptyState, type JobState, type LedgerSegment } from './job-state.ts';
import { FingerprintSet } from './key-hash.ts';
import { takeLock, type HeldLock } from './lock.ts';

/** A state file or ledger segment that cannot be trusted; the job stops before anything is sent. */
export class CorruptStateError extends WritebackError {
  override name = 'CorruptStateError';
}

const restoreHint = (path: string) => `Restore it from git history (git log --oneline -- ${path}, then git checkout <commit> -- ${path}) and run again.`;

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
    if (typeof state !== 'object' || state === null || Array.isArray(state) || (state.segments !== undefined && !Array.isArray(state.segments))) {
      throw new CorruptStateError(`state/${this.name}.json is not a Writeback state file. ${restoreHint(`state/${this.name}.json`)}`);
    }
    state.segments ??= [];
    // Intents of earlier versions quoted whole lines (customer ids, emails): they leave the state at its next save.
    if (state.pending) for (const legacy of ['firstLine', 'lastLine']) delete (state.pending as unknown as Record<string, unknown>)[legacy];
    return state;
  }

  save(state: JobState): void {
    writeDurably(this.file, `${JSON.stringify(state, null, 2)}\n`, `state/${this.name}.json`);
  }

  /** Writes a segment file of fingerprints (little-endian uint32 pairs), given in chunks: its name, size and sha256. */
  writeSegment(runId: string, part: number, chunks: Iterable<Uint32Array>): { file: string; bytes: number; sha256: string } {
    const file = `ledger-${runId}-${String(part).padStart(3, '0')}.bin`;
    const hash = createHash('sha256');
    let bytes = 0;
    let buffer = Buffer.alloc(0);
    writeDurably(
      join(this.dir, file),
      (function* () {
        for (const pairs of chunks) {
          if (buffer.length < pairs.length * 4) buffer = Buffer.alloc(pairs.length * 4);
          for (let i = 0; i < pairs.length; i++) buffer.writeUInt32LE(pairs[i]!, i * 4);
          const chunk = buffer.subarray(0, pairs.length * 4);
          hash.update(chunk);
          bytes += chunk.length;
          yield chunk;
        }
      })(),
      `state/${this.name}/${file}`,
    );
    return { file, bytes, sha256: hash.digest('hex') };
  }

  /** A segment's fingerprints, after checking the file is the one the state describes. */
  readSegment(segment: LedgerSegment): Uint32Array {
    const where = `state/${this.name}/${segment.file}`;
    const path = join(this.dir, segment.file);
    if (!existsSync(path)) {
      throw new CorruptStateError(`${where} is missing, so it is unknown which lines were delivered; nothing was sent. ${restoreHint(where)}`);
    }
    let buffer: Buffer;
    try {
      buffer = readFileSync(path);
    } catch (error) {
      throw storageError(error, `could not read ${where}`);
    }
    const bytes = segment.bytes ?? segment.lines * 8; // segments written before checksums: at least the size
    const sha256 = segment.sha256 === undefined ? undefined : createHash('sha256').update(buffer).digest('hex');
    if (buffer.length !== bytes || buffer.length !== segment.lines * 8 || sha256 !== segment.sha256) {
      throw new CorruptStateError(
        `${where} does not match state/${this.name}.json (${bytes} bytes${segment.sha256 ? `, sha256 ${segment.sha256.slice(0, 12)}` : ''} expected; ` +
          `found ${buffer.length} bytes${sha256 ? `, sha256 ${sha256.slice(0, 12)}` : ''}): it was truncated or edited, so it is unknown which lines were delivered. Nothing was sent. ${restoreHint(where)}`,
      );
    }
    // A segment of an earlier version, its size right: its checksum is recorded from now on (saved with the state).
    if (segment.sha256 === undefined) Object.assign(segment, { bytes: buffer.length, sha256: createHash('sha256').update(buffer).digest('hex') });
    const pairs = new Uint32Array(buffer.length / 4);
    for (let i = 0; i < pairs.length; i++) pairs[i] = buffer.readUInt32LE(i * 4);
    return pairs;
  }

  deleteSegment(file: string): void {
    rmSync(join(this.dir, file), { force: true });
  }

  /** Every delivered fingerprint, from the segments the state lists, each checked. */
  loadLedger(segments: LedgerSegment[]): FingerprintSet {
    const total = segments.reduce((n, s) => n + s.lines, 0);
    const set = new FingerprintSet(total);
    for (const segment of segments) set.addAll(this.readSegment(segment));
    return set;
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
