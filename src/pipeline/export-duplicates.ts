/**
 * Keys repeated within one export, found without holding every key in memory. While the export is
 * formatted, a Bloom filter (1 byte a line, 1.3% false alarms measured) flags the lines whose key may
 * have come before. After the scan, only those keys are checked exactly against the fingerprints
 * spooled on disk, and the later copies are removed from the parts. An exact set of every key took
 * 16 bytes a line and, past the processor's caches, a memory stall per line.
 */
import { FingerprintSet } from '../state/fingerprint-tables.ts';
import type { Spool } from './spool.ts';

// 8 bits: 1 MB for 1M lines, which a processor's caches mostly hold: 60 ms for 1M keys, against 130 to
// 230 ms at 16 bits (2 MB, 0.3% false alarms). False alarms only grow the exact check's small set.
const BITS_PER_KEY = 8;

/**
 * A Bloom filter whose keys each set 4 bits of one 32-bit word, in memory the threads formatting an
 * export share. One atomic OR per key both sets the bits and says whether they were all set before:
 * of two copies of a key, whichever thread comes second sees the first's bits, so no repeated key goes
 * unflagged, in any order. (Bits spread over several words could be read half-set by a racing thread.)
 * Sized for the rows the DataSet announces; more rows raise its false alarms, which cost time, not results.
 */
export class KeyFilter {
  readonly words: Int32Array;

  constructor(keysOrMemory: number | SharedArrayBuffer) {
    const memory = typeof keysOrMemory === 'number' ? new SharedArrayBuffer(Math.ceil((Math.max(1024, keysOrMemory) * BITS_PER_KEY) / 32) * 4) : keysOrMemory;
    this.words = new Int32Array(memory);
  }

  get memory(): SharedArrayBuffer {
    return this.words.buffer as SharedArrayBuffer;
  }

  /** Adds a key (a fingerprint); returns whether it may have been added before. */
  add(hi: number, lo: number): boolean {
    const word = Math.floor((hi >>> 0) * this.words.length * 2.3283064365386963e-10); // hi * words / 2^32
    const bits = (1 << lo) | (1 << (lo >>> 5)) | (1 << (lo >>> 10)) | (1 << (lo >>> 15)); // shifts take 5 bits
    return (Atomics.or(this.words, word, bits) & bits) === bits;
  }
}

export class ExportDuplicates {
  /** Keys the filter flagged: few (1.3% of 1M lines measured), checked exactly after the scan. */
  private readonly suspected = new FingerprintSet();

  /** Notes a key the filter flagged (its line, or an earlier one, may repeat a key). */
  suspect(hi: number, lo: number): void {
    this.suspected.add(hi, lo);
  }

  /**
   * After the spool is finished: removes every line whose key an earlier line has, and returns how
   * many. A part that loses a line keeps its cursor bound, and the parts before it take it on too, so
   * the ledger keeps the key (in the part that has its first copy) as long as the later copy is in the window.
   */
  removeFrom(spool: Spool): number {
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
