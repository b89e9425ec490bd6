/**
 * [hi, lo, value] records (three 32-bit words: a 64-bit fingerprint and its value, as contacts.bin holds
 * them) put in key order (hi, then lo), and sorted runs of them merged. Keys are hashes, so dealing them
 * into buckets by hi's top 16 bits leaves about 16 records a bucket at 1M.
 */

const BUCKETS = 65536;
const QUARTER = BUCKETS / 4;

/**
 * The records of `words` (a flat [hi, lo, value] array where [0, 0] marks no record, as a table's empty
 * slot) sorted by key, each key once (of equal keys, the last record), a quarter of the key space at a time
 * through one reused array (valid until the next): counted into buckets, then each quarter dealt into its
 * buckets and each bucket put in order (both steps keep the records' order). All at once would take a
 * second array as large: 12 MB more at 1M records. Sorting in place by swapping took 0.25 s for the dealing alone.
 * Each pass is a function of its own: a run saves once, before the code is optimized, and loops inside the
 * generator were compiled on the fly and thrown away at each new quarter (7 deoptimizations with
 * --trace-deopt), where a function's compiled code serves the next quarters. 1M records: 0.07-0.09 s, not 0.11.
 */
export function* sortedRecords(words: Uint32Array): Generator<Uint32Array> {
  const starts = new Uint32Array(BUCKETS + 1);
  countBuckets(words, starts);
  for (let b = 1; b <= BUCKETS; b++) starts[b]! += starts[b - 1]!;
  let largest = 0;
  for (let b = 0; b < BUCKETS; b += QUARTER) largest = Math.max(largest, starts[b + QUARTER]! - starts[b]!);
  const records = new Uint32Array(largest * 3);
  for (let first = 0; first < BUCKETS; first += QUARTER) {
    const base = starts[first]!;
    dealQuarter(words, records, starts.slice(first, first + QUARTER), first, base);
    sortBuckets(records, starts, first, base);
    yield withoutRepeatedKeys(records.subarray(0, (starts[first + QUARTER]! - base) * 3));
  }
}

/** Counts the records of each bucket into starts[bucket + 1]. */
function countBuckets(words: Uint32Array, starts: Uint32Array): void {
  for (let at = 0; at < words.length; at += 3) if (words[at] !== 0 || words[at + 1] !== 0) starts[(words[at]! >>> 16) + 1]!++;
}

/** Copies the records of the quarter starting at bucket `first` into `records`, at next[bucket - first] - base, in their order. */
function dealQuarter(words: Uint32Array, records: Uint32Array, next: Uint32Array, first: number, base: number): void {
  for (let at = 0; at < words.length; at += 3) {
    const hi = words[at]!;
    const bucket = hi >>> 16;
    if (bucket < first || bucket >= first + QUARTER || (hi === 0 && words[at + 1] === 0)) continue;
    const to = (next[bucket - first]!++ - base) * 3;
    records[to] = hi;
    records[to + 1] = words[at + 1]!;
    records[to + 2] = words[at + 2]!;
  }
}

/** Puts each bucket of the quarter starting at bucket `first` in order. */
function sortBuckets(records: Uint32Array, starts: Uint32Array, first: number, base: number): void {
  for (let b = first; b < first + QUARTER; b++) sortBucket(records, starts[b]! - base, starts[b + 1]! - base);
}

/** Sorted records with each key once, the last of its records, compacted in place. */
function withoutRepeatedKeys(records: Uint32Array): Uint32Array {
  let kept = 0;
  for (let at = 0; at < records.length; at += 3) {
    if (kept > 0 && records[kept - 3] === records[at] && records[kept - 2] === records[at + 1]) {
      records[kept - 1] = records[at + 2]!;
      continue;
    }
    if (kept !== at) records.copyWithin(kept, at, at + 3);
    kept += 3;
  }
  return records.subarray(0, kept);
}

/** Puts records [from, to) in key order: by insertion when few, as a bucket of hashes holds. */
function sortBucket(records: Uint32Array, from: number, to: number): void {
  if (to - from > 32) {
    const bucket = records.slice(from * 3, to * 3);
    const order = Array.from({ length: to - from }, (_, i) => i * 3).sort((a, b) => bucket[a]! - bucket[b]! || bucket[a + 1]! - bucket[b + 1]!);
    order.forEach((at, k) => records.set(bucket.subarray(at, at + 3), (from + k) * 3));
    return;
  }
  for (let i = from + 1; i < to; i++) {
    const hi = records[i * 3]!;
    const lo = records[i * 3 + 1]!;
    const value = records[i * 3 + 2]!;
    let j = i - 1;
    // Moved a record at a time by hand: copyWithin's call per move took half of the sort's time.
    for (; j >= from && (records[j * 3]! > hi || (records[j * 3] === hi && records[j * 3 + 1]! > lo)); j--) {
      records[j * 3 + 3] = records[j * 3]!;
      records[j * 3 + 4] = records[j * 3 + 1]!;
      records[j * 3 + 5] = records[j * 3 + 2]!;
    }
    records[(j + 1) * 3] = hi;
    records[(j + 1) * 3 + 1] = lo;
    records[(j + 1) * 3 + 2] = value;
  }
}

/**
 * The records of two sorted runs in chunks (as sortedRecords yields them, each key once per run) merged in
 * key order, in chunks of one reused array (valid until the next). Where both hold a key, newer's record is
 * kept. A side alone (a first run's state, or a run that recorded nothing) passes through in its own chunks.
 */
export function* mergeRecords(older: Iterable<Uint32Array>, newer: Iterable<Uint32Array>, chunkRecords = 64 * 1024): Generator<Uint32Array> {
  const a = new RecordCursor(older);
  const b = new RecordCursor(newer);
  if (a.done || b.done) {
    yield* (a.done ? b : a).rest();
    return;
  }
  const out = new Uint32Array(chunkRecords * 3);
  let filled = 0;
  while (!a.done || !b.done) {
    // Which side's record comes next: the one with the smaller key, newer's where they are equal (older's is dropped).
    let from: RecordCursor;
    if (a.done) from = b;
    else if (b.done) from = a;
    else {
      const order = a.hi - b.hi || a.lo - b.lo;
      if (order === 0) a.next();
      from = order < 0 ? a : b;
    }
    out[filled] = from.hi;
    out[filled + 1] = from.lo;
    out[filled + 2] = from.value;
    filled += 3;
    from.next();
    if (filled === out.length) {
      yield out;
      filled = 0;
    }
  }
  if (filled) yield out.subarray(0, filled);
}

/** Reads chunked records one at a time; a chunk is read whole before the next is asked for. */
class RecordCursor {
  private readonly chunks: Iterator<Uint32Array>;
  private chunk: Uint32Array = new Uint32Array(0);
  private at = 0;
  done = false;

  constructor(chunks: Iterable<Uint32Array>) {
    this.chunks = chunks[Symbol.iterator]();
    this.fill();
  }

  get hi(): number {
    return this.chunk[this.at]!;
  }

  get lo(): number {
    return this.chunk[this.at + 1]!;
  }

  get value(): number {
    return this.chunk[this.at + 2]!;
  }

  next(): void {
    this.at += 3;
    if (this.at >= this.chunk.length) this.fill();
  }

  /** What is left, in chunks (the first from the record it is at). */
  *rest(): Generator<Uint32Array> {
    while (!this.done) {
      yield this.chunk.subarray(this.at);
      this.fill();
    }
  }

  private fill(): void {
    for (;;) {
      const next = this.chunks.next();
      if (next.done) {
        this.done = true;
        return;
      }
      if (next.value.length) {
        this.chunk = next.value;
        this.at = 0;
        return;
      }
    }
  }
}
