/**
 * Spools transformed lines to bounded part files on disk, so nothing is sent before the whole export
 * was read and judged, while memory stays flat whatever the DataSet's size.
 */
import { createHash, type Hash } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LineBuffer, growLine } from './line-buffer.ts';
import { filterPairs, pairChunks, PairFile, readPairs } from './pair-file.ts';
import { CsvRecord, readRecord } from './csv-records.ts';
import { KeyHasher } from '../state/key-hasher.ts';
import { FingerprintSet } from '../state/fingerprint-tables.ts';

export interface SpoolPart {
  index: number;
  path: string;
  lines: number;
  bytes: number;
  /** The file's SHA-256 (hex), in a spool made with `checksum` (the default). */
  sha256?: string;
  /** Per line: the key fingerprint as [hi, lo] pairs, kept on disk beside the part until asked for. */
  fingerprints(): Uint32Array;
  /** The same, read in chunks through one small array. */
  fingerprintChunks(): Iterable<Uint32Array>;
  /** Per line: a destination-specific 32-bit value and the export row number (flat pairs). */
  extras(): Uint32Array;
  /** The same, in chunks of as many lines as fingerprintChunks' (one small reused array). */
  extraChunks(): Iterable<Uint32Array>;
  /** Latest cursor value (ms) among the part's lines. */
  maxCursor?: number;
  /** Distinct values of the spool's distinctColumn among the part's lines, when it counts them. */
  distinctValues?: number;
  firstLine: string;
  lastLine: string;
}

/** A part's SHA-256, for a delivery that keys or checks uploads by it: its spool must checksum. */
export function partChecksum(part: SpoolPart): string {
  if (part.sha256 === undefined) throw new Error(`spool part ${part.index} has no checksum: make its spool with checksum on`);
  return part.sha256;
}

const FLUSH_BYTES = 256 * 1024;

export interface SpoolOptions {
  /** Keep the two per-line numbers of commit(), for destinations that need them after the scan. */
  extras?: boolean;
  /** A field whose distinct values each part counts (an order id, say), by their fingerprints: given with addLines. */
  distinctColumn?: number;
  /**
   * Each part's SHA-256, for destinations that key or check uploads by it (default true). Without:
   * about 80 ms less on the ordered thread per 70 MB spooled.
   */
  checksum?: boolean;
}

/** Spool folders of this process not yet disposed: removed when a signal ends the process early. */
const live = new Set<string>();

export function removeLiveSpools(): void {
  for (const dir of live) rmSync(dir, { recursive: true, force: true });
  live.clear();
}

interface OpenPart {
  path: string;
  fd: number;
  lines: number;
  /** Bytes written to the file; the part's size is this plus the buffer's committed bytes. */
  written: number;
  hash: Hash | undefined;
  keys: PairFile;
  extras?: PairFile;
  maxCursor?: number;
  firstLine: string;
  lastLine: string;
}

export class Spool {
  readonly dir: string;
  readonly parts: SpoolPart[] = [];
  /** Where the next line is written; commit() adds it to the spool. */
  readonly line: LineBuffer;
  /** Committed bytes at the start of the line's buffer, not yet written to the part file. */
  private used = 0;
  /** Where the last committed line sits in the buffer (-1: written out, its text kept in lastLine). */
  private lastLineAt = -1;
  private current: OpenPart | undefined;
  private readonly header: Buffer;
  /**
   * The open part's distinct values, one set emptied for each part: a new set per part (1.3 MB for the
   * bench's parts) left the last one's table to wait for a full garbage collection, and the runner's peak
   * RSS grew by about 10 MB from 1M to 5M lines.
   */
  private distinct: FingerprintSet | undefined;

  private readonly withExtras: boolean;
  private readonly distinctColumn: number | undefined;
  private readonly checksum: boolean;

  constructor(
    header: string,
    private readonly maxPartBytes: number,
    options: SpoolOptions = {},
  ) {
    this.withExtras = options.extras ?? false;
    this.distinctColumn = options.distinctColumn;
    this.checksum = options.checksum ?? true;
    this.header = Buffer.from(header);
    this.line = new LineBuffer(FLUSH_BYTES, (line, more) => {
      this.flush();
      growLine(line, more);
    });
    this.dir = mkdtempSync(join(tmpdir(), 'writeback-spool-'));
    live.add(this.dir);
  }

  get lines(): number {
    return this.parts.reduce((n, p) => n + p.lines, 0) + (this.current?.lines ?? 0);
  }

  /** Appends one CSV line (with its newline): add() is write-then-commit for a line given as text. */
  add(line: string, hi: number, lo: number, cursor: number | undefined, extra = 0, row = 0): void {
    this.line.length = 0;
    this.line.text(line);
    this.commit(hi, lo, cursor, extra, row);
  }

  /**
   * Appends lines formatted elsewhere: line i is the bytes of `src` from ends[i - 1] (0 for the first)
   * to ends[i], with its fingerprint at keys[2i], keys[2i + 1], its distinctColumn value's at distinct[2i], distinct[2i + 1]
   * its cursor at cursors[i] (NaN or no cursors: none) and, in a spool with extras, its two numbers at
   * extras[2i], extras[2i + 1]. Lines from..to-1 are added, in as few writes as the parts allow.
   */
  addLines(src: Buffer, ends: Uint32Array, keys: Uint32Array, cursors: Float64Array | undefined, from: number, to: number, distinct?: Uint32Array, extras?: Uint32Array): void {
    for (let i = from; i < to; ) {
      const start = i === 0 ? 0 : ends[i - 1]!;
      let part = this.current;
      if (part && part.lines > 0 && part.written + this.used + ends[i]! - start > this.maxPartBytes) {
        this.closePart();
        part = undefined;
      }
      part ??= this.openPart(src.toString('utf8', start, ends[i]).trimEnd());
      this.flush();
      // The lines that fit in this part (the first always does), written straight from `src`.
      const room = this.maxPartBytes - part.written + start;
      let last = i;
      let maxCursor = part.maxCursor ?? -Infinity;
      const distinctSet = distinct && this.distinct;
      const extraPairs = extras && part.extras;
      do {
        if (distinctSet) distinctSet.add(distinct[last * 2]!, distinct[last * 2 + 1]!);
        if (cursors && cursors[last]! > maxCursor) maxCursor = cursors[last]!;
        last++;
      } while (last < to && ends[last]! <= room);
      part.keys.pushAll(keys.subarray(i * 2, last * 2));
      if (extraPairs) extraPairs.pushAll(extras!.subarray(i * 2, last * 2));
      if (maxCursor !== -Infinity) part.maxCursor = maxCursor;
      const bytes = src.subarray(start, ends[last - 1]);
      writeSync(part.fd, bytes);
      part.hash?.update(bytes);
      part.written += bytes.length;
      part.lines += last - i;
      part.lastLine = src.toString('utf8', last - 1 === 0 ? 0 : ends[last - 2]!, ends[last - 1]).trimEnd();
      i = last;
    }
  }

  /**
   * Adds the line written in `line` (with its newline), its fingerprint, its cursor value and two
   * per-line numbers. A part takes lines while header and lines stay within maxPartBytes (a single
   * longer line gets a part of its own).
   */
  commit(hi: number, lo: number, cursor: number | undefined, extra = 0, row = 0): void {
    const line = this.line;
    let part = this.current;
    if (part && part.lines > 0 && part.written + this.used + line.length > this.maxPartBytes) {
      this.closePart();
      part = undefined;
    }
    if (!part) part = this.openPart(line.toString().trimEnd());
    this.lastLineAt = line.start;
    this.used = line.start + line.length;
    line.start = this.used;
    line.length = 0;
    part.lines++;
    part.keys.push(hi, lo);
    part.extras?.push(extra, row);
    if (cursor !== undefined && (part.maxCursor === undefined || cursor > part.maxCursor)) part.maxCursor = cursor;
  }

  /** Closes the last part; returns every part. */
  finish(): SpoolPart[] {
    if (this.current) this.closePart();
    this.distinct = undefined; // no part counts any more: its table need not last through the delivery
    return this.parts;
  }

  /**
   * Removes lines by their number across all parts (0-based, ascending), rewriting the parts they are
   * in: their size, checksum, fingerprints and first and last lines follow. Parts left empty go.
   */
  removeLines(lines: readonly number[]): void {
    if (!lines.length) return;
    let first = 0;
    let next = 0;
    for (const part of this.parts) {
      const drop = new Set<number>();
      while (next < lines.length && lines[next]! < first + part.lines) drop.add(lines[next++]! - first);
      first += part.lines;
      if (drop.size) rewritePart(part, drop, this.distinctColumn, this.checksum);
    }
    const kept = this.parts.filter((p) => p.lines > 0);
    this.parts.length = 0;
    kept.forEach((part, i) => this.parts.push({ ...part, index: i + 1 }));
  }

  dispose(): void {
    if (this.current && this.current.fd >= 0) closeSync(this.current.fd);
    this.current = undefined;
    rmSync(this.dir, { recursive: true, force: true });
    live.delete(this.dir);
  }

  /** Opens a part for the line being committed (its text is `firstLine`): the header goes straight to the file. */
  private openPart(firstLine: string): OpenPart {
    const path = join(this.dir, `part-${String(this.parts.length + 1).padStart(4, '0')}.csv`);
    const fd = openSync(path, 'w');
    writeSync(fd, this.header);
    const hash = this.checksum ? createHash('sha256').update(this.header) : undefined;
    const line = this.line;
    line.moveToStart(); // the buffer holds nothing committed now
    this.used = 0;
    this.emptyDistinctSet();
    this.current = {
      path,
      fd,
      lines: 0,
      written: this.header.length,
      hash,
      keys: new PairFile(`${path}.keys`),
      extras: this.withExtras ? new PairFile(`${path}.extras`) : undefined,
      firstLine,
      lastLine: '',
    };
    return this.current;
  }

  /** Empties the set the next part counts its distinct values in: parts are alike, so the last part's table fits (grown from small, a set rehashes every value several times). */
  private emptyDistinctSet(): void {
    if (this.distinctColumn === undefined) return;
    if (this.distinct) this.distinct.clear();
    else this.distinct = new FingerprintSet();
  }

  /** Writes the committed bytes to the part file; the line being written moves to the buffer's start. */
  private flush(): void {
    const part = this.current;
    if (!part || !this.used) return;
    if (this.lastLineAt >= 0) part.lastLine = this.line.bytes.toString('utf8', this.lastLineAt, this.used).trimEnd();
    this.lastLineAt = -1;
    const chunk = this.line.bytes.subarray(0, this.used);
    writeSync(part.fd, chunk);
    part.hash?.update(chunk);
    part.written += this.used;
    this.used = 0;
  }

  private closePart(): void {
    this.flush();
    const c = this.current!;
    closeSync(c.fd);
    c.keys.close();
    c.extras?.close();
    const keysPath = c.keys.path;
    const extrasPath = c.extras?.path;
    this.parts.push({
      index: this.parts.length + 1,
      path: c.path,
      lines: c.lines,
      bytes: c.written,
      sha256: c.hash?.digest('hex'),
      fingerprints: () => readPairs(keysPath),
      fingerprintChunks: () => pairChunks(keysPath),
      extras: () => readPairs(extrasPath),
      extraChunks: () => pairChunks(extrasPath),
      maxCursor: c.maxCursor,
      distinctValues: this.distinct?.size,
      firstLine: c.firstLine,
      lastLine: c.lastLine,
    });
    this.current = undefined;
  }
}

/**
 * Streams a part file into a copy without the `drop` lines (numbers within the part), then swaps them;
 * its distinct values are counted again from the lines kept (rare: only a key repeated in the export does this).
 */
function rewritePart(part: SpoolPart, drop: Set<number>, distinctColumn: number | undefined, checksum: boolean): void {
  const distinct = distinctColumn === undefined ? undefined : new FingerprintSet();
  const record = new CsvRecord();
  const hasher = new KeyHasher();
  const pair = new Uint32Array(2);
  const input = openSync(part.path, 'r');
  const output = openSync(`${part.path}.new`, 'w');
  const hash = checksum ? createHash('sha256') : undefined;
  const chunk = Buffer.allocUnsafe(FLUSH_BYTES);
  let carry = Buffer.alloc(0);
  let line = -1; // the header
  let bytes = 0;
  const kept: string[] = [];
  const emit = (bytesOfLine: Buffer) => {
    if (line < 0 || !drop.has(line)) {
      writeSync(output, bytesOfLine);
      hash?.update(bytesOfLine);
      bytes += bytesOfLine.length;
      if (line >= 0) {
        if (kept.length === 0) kept.push(bytesOfLine.toString('utf8').trimEnd());
        kept[1] = bytesOfLine.toString('utf8').trimEnd();
        if (distinct) {
          record.bytes = bytesOfLine;
          readRecord(bytesOfLine, 0, bytesOfLine.length, record);
          hasher.start('joined'); // one part: as the line writer's fingerprint of that field
          hasher.text(record.text(distinctColumn!));
          hasher.finish(pair);
          distinct.add(pair[0]!, pair[1]!);
        }
      }
    }
    line++;
  };
  for (let read; (read = readSync(input, chunk, 0, chunk.length, null)) > 0; ) {
    const data = carry.length ? Buffer.concat([carry, chunk.subarray(0, read)]) : chunk.subarray(0, read);
    let from = 0;
    for (let newline = data.indexOf(10); newline >= 0; newline = data.indexOf(10, from)) {
      emit(data.subarray(from, newline + 1));
      from = newline + 1;
    }
    carry = Buffer.from(data.subarray(from));
  }
  closeSync(input);
  closeSync(output);
  renameSync(`${part.path}.new`, part.path);
  filterPairs(`${part.path}.keys`, (i) => !drop.has(i));
  filterPairs(`${part.path}.extras`, (i) => !drop.has(i));
  Object.assign(part, { lines: line - drop.size, bytes, sha256: hash?.digest('hex'), distinctValues: distinct?.size, firstLine: kept[0] ?? '', lastLine: kept[1] ?? kept[0] ?? '' });
}
