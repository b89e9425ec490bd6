/**
 * Keys repeated within one export, found without holding every key in memory. While the export is
 * spooled, a split-block Bloom filter (1.5 bytes a line, under 1% false alarms) flags the lines whose
 * key may have come before. After the scan, only those keys are checked exactly against the
 * fingerprints spooled on disk, and the later copies are removed from the parts. An exact set of every
 * key took 16 bytes a line and, past the processor's caches, a memory stall per line.
 */
import { FingerprintSet } from '../state/key-hash.ts';
import type { Spool } from './spool.ts';

const BITS_PER_KEY = 12;

/**
 * A split-block Bloom filter (as in Apache Parquet): blocks of 8 words of 32 bits, one bit set in each.
 * The block comes from the fingerprint's high bits, the 8 bit positions from 5-bit slices of the rest:
 * fingerprints are hashes already, so slicing replaces Parquet's 8 multiplications.
 */
class SplitBlockBloom {
  private readonly words: Int32Array;
  private readonly blocks: number;
  /** Keys it was sized for; past that its false alarms climb. */
  readonly capacity: number;
  size = 0;

  constructor(capacity: number) {
    this.capacity = Math.max(1024, capacity);
    this.blocks = Math.ceil((this.capacity * BITS_PER_KEY) / 256);
    this.words = new Int32Array(this.blocks * 8);
  }

  /** Sets the key's bits when `set`; returns whether all were set before (the key may have been added). */
  private probe(hi: number, lo: number, set: boolean): boolean {
    const w = this.words;
    const at = Math.floor((hi >>> 0) * this.blocks * 2.3283064365386963e-10) * 8; // hi * blocks / 2^32
    const m0 = 1 << lo;
    const m1 = 1 << (lo >>> 5);
    const m2 = 1 << (lo >>> 10);
    const m3 = 1 << (lo >>> 15);
    const m4 = 1 << (lo >>> 20);
    const m5 = 1 << (lo >>> 25);
    const m6 = 1 << hi;
    const m7 = 1 << (hi >>> 5);
    const seen =
      (w[at]! & m0) !== 0 &&
      (w[at + 1]! & m1) !== 0 &&
      (w[at + 2]! & m2) !== 0 &&
      (w[at + 3]! & m3) !== 0 &&
      (w[at + 4]! & m4) !== 0 &&
      (w[at + 5]! & m5) !== 0 &&
      (w[at + 6]! & m6) !== 0 &&
      (w[at + 7]! & m7) !== 0;
    if (set && !seen) {
      w[at] = w[at]! | m0;
      w[at + 1] = w[at + 1]! | m1;
      w[at + 2] = w[at + 2]! | m2;
      w[at + 3] = w[at + 3]! | m3;
      w[at + 4] = w[at + 4]! | m4;
      w[at + 5] = w[at + 5]! | m5;
      w[at + 6] = w[at + 6]! | m6;
      w[at + 7] = w[at + 7]! | m7;
    }
    return seen;
  }

  has(hi: number, lo: number): boolean {
    return this.probe(hi, lo, false);
  }

  add(hi: number, lo: number): boolean {
    this.size++;
    return this.probe(hi, lo, true);
  }
}

export class ExportDuplicates {
  /** Filters in the order made: a new one, twice as large, when the export outgrows the last. */
  private readonly filters: SplitBlockBloom[];
  /**
   * Keys wait here and go through the filter in batches: a filter lookup is a cache miss, and a
   * tight loop of independent lookups lets the processor overlap them (one a row cost 3 times as much).
   */
  private readonly pending = new Uint32Array(2 * 4096);
  private pendingCount = 0;
  /** Keys the filter may have seen before: few (0.09% of 1M lines measured), checked exactly after the scan. */
  private readonly suspected = new FingerprintSet();

  constructor(expectedLines: number) {
    this.filters = [new SplitBlockBloom(expectedLines)];
  }

  /** Notes the key of a line being spooled. */
  add(hi: number, lo: number): void {
    this.pending[this.pendingCount * 2] = hi;
    this.pending[this.pendingCount * 2 + 1] = lo;
    if (++this.pendingCount * 2 === this.pending.length) this.filterPending();
  }

  private filterPending(): void {
    const pending = this.pending;
    for (let i = 0; i < this.pendingCount * 2; i += 2) {
      let last = this.filters[this.filters.length - 1]!;
      if (last.size >= last.capacity) {
        last = new SplitBlockBloom(this.filters.reduce((n, f) => n + f.capacity, 0) * 2);
        this.filters.push(last);
      }
      const hi = pending[i]!;
      const lo = pending[i + 1]!;
      let maybeSeen = last.add(hi, lo);
      for (let f = 0; !maybeSeen && f < this.filters.length - 1; f++) maybeSeen = this.filters[f]!.has(hi, lo);
      if (maybeSeen) this.suspected.add(hi, lo);
    }
    this.pendingCount = 0;
  }

  /**
   * After the spool is finished: removes every line whose key an earlier line has, and returns how
   * many. A part that loses a line keeps its cursor bound, and the parts before it take it on too, so
   * the ledger keeps the key (in the part that has its first copy) as long as the later copy is in the window.
   */
  removeFrom(spool: Spool): number {
    this.filterPending();
    const suspected = this.suspected;
    if (!suspected.size) return 0;
    const met = new FingerprintSet(suspected.size);
    const repeated: number[] = [];
    let line = 0;
    let lastPartWithRepeats = -1;
    spool.parts.forEach((part, index) => {
      for (const keys of part.fingerprintChunks()) {
        for (let i = 0; i < keys.length; i += 2, line++) {
          const hi = keys[i]!;
          const lo = keys[i + 1]!;
          if (suspected.has(hi, lo) && !met.add(hi, lo)) {
            repeated.push(line);
            lastPartWithRepeats = index;
          }
        }
      }
    });
    let bound: number | undefined;
    for (let i = lastPartWithRepeats; i >= 0; i--) {
      const part = spool.parts[i]!;
      if (part.maxCursor !== undefined && (bound === undefined || part.maxCursor > bound)) bound = part.maxCursor;
      part.maxCursor = bound;
    }
    spool.removeLines(repeated);
    return repeated.length;
  }
}
