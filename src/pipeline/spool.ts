/**
 * Spools transformed lines to bounded part files on disk, so nothing is sent before the whole export
 * was read and judged, while memory stays flat whatever the DataSet's size.
 */
import { createHash, type Hash } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SpoolPart {
  index: number;
  path: string;
  lines: number;
  bytes: number;
  sha256: string;
  /** Per line: the key fingerprint as [hi, lo] pairs, kept on disk beside the part until asked for. */
  fingerprints(): Uint32Array;
  /** Per line: a destination-specific 32-bit value and the export row number (flat pairs). */
  extras(): Uint32Array;
  /** Latest cursor value (ms) among the part's lines. */
  maxCursor?: number;
  firstLine: string;
  lastLine: string;
}

const FLUSH_CHARS = 256 * 1024;

/** Pairs of uint32 appended to a file through a small buffer: memory stays flat however many lines a run has. */
class PairFile {
  private readonly buffer = new Uint32Array(16 * 1024);
  private used = 0;
  private fd: number;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'w');
  }

  push(a: number, b: number): void {
    if (this.used + 2 > this.buffer.length) this.flush();
    this.buffer[this.used++] = a;
    this.buffer[this.used++] = b;
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
    this.fd = -1;
  }

  private flush(): void {
    if (this.used) writeSync(this.fd, this.buffer, 0, this.used * 4);
    this.used = 0;
  }
}

/** Reads a PairFile back (copied: a Buffer may not sit on a 4-byte boundary). */
function readPairs(path: string | undefined): Uint32Array {
  if (!path) return new Uint32Array(0);
  const bytes = readFileSync(path);
  const pairs = new Uint32Array(bytes.length / 4);
  new Uint8Array(pairs.buffer).set(bytes);
  return pairs;
}

export class Spool {
  readonly dir: string;
  readonly parts: SpoolPart[] = [];
  private fd = -1;
  private buffer = '';
  private current: { path: string; lines: number; bytes: number; hash: Hash; keys: PairFile; extras?: PairFile; maxCursor?: number; firstLine: string; lastLine: string } | undefined;

  private readonly flushChars: number;

  constructor(
    private readonly header: string,
    private readonly maxPartBytes: number,
    /** Keep the two per-line numbers of add() (Dotdigital needs them; Emarsys does not). */
    private readonly withExtras = false,
  ) {
    this.flushChars = Math.max(1, Math.min(FLUSH_CHARS, Math.floor(maxPartBytes / 4)));
    this.dir = mkdtempSync(join(tmpdir(), 'writeback-spool-'));
  }

  get lines(): number {
    return this.parts.reduce((n, p) => n + p.lines, 0) + (this.current?.lines ?? 0);
  }

  /**
   * Appends one CSV line (with its newline), its fingerprint, its cursor value and two per-line numbers.
   * Sizes are counted when the buffer is flushed, not per line: a part closes once its bytes on disk
   * come within one flush (at most 3 bytes a character) of the limit.
   */
  add(line: string, hi: number, lo: number, cursor: number | undefined, extra = 0, row = 0): void {
    if (!this.current) this.openPart(line);
    const part = this.current!;
    this.buffer += line;
    part.lines++;
    part.keys.push(hi, lo);
    part.extras?.push(extra, row);
    part.lastLine = line;
    if (cursor !== undefined && (part.maxCursor === undefined || cursor > part.maxCursor)) part.maxCursor = cursor;
    if (this.buffer.length >= this.flushChars) {
      this.flush();
      if (part.bytes + this.flushChars * 3 > this.maxPartBytes) this.closePart();
    }
  }

  /** Closes the last part; returns every part. */
  finish(): SpoolPart[] {
    if (this.current) this.closePart();
    return this.parts;
  }

  dispose(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
    rmSync(this.dir, { recursive: true, force: true });
  }

  private openPart(firstLine: string): void {
    const path = join(this.dir, `part-${String(this.parts.length + 1).padStart(4, '0')}.csv`);
    this.fd = openSync(path, 'w');
    const hash = createHash('sha256');
    this.current = {
      path,
      lines: 0,
      bytes: 0,
      hash,
      keys: new PairFile(`${path}.keys`),
      extras: this.withExtras ? new PairFile(`${path}.extras`) : undefined,
      firstLine,
      lastLine: firstLine,
    };
    this.buffer = this.header;
  }

  private flush(): void {
    if (!this.buffer) return;
    const chunk = Buffer.from(this.buffer);
    writeSync(this.fd, chunk);
    this.current!.hash.update(chunk);
    this.current!.bytes += chunk.length;
    this.buffer = '';
  }

  private closePart(): void {
    this.flush();
    closeSync(this.fd);
    this.fd = -1;
    const c = this.current!;
    c.keys.close();
    c.extras?.close();
    const keysPath = c.keys.path;
    const extrasPath = c.extras?.path;
    this.parts.push({
      index: this.parts.length + 1,
      path: c.path,
      lines: c.lines,
      bytes: c.bytes,
      sha256: c.hash.digest('hex'),
      fingerprints: () => readPairs(keysPath),
      extras: () => readPairs(extrasPath),
      maxCursor: c.maxCursor,
      firstLine: c.firstLine.trimEnd(),
      lastLine: c.lastLine.trimEnd(),
    });
    this.current = undefined;
  }
}
