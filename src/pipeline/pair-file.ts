/** Pairs of uint32 per line, appended to a file through a small buffer: memory stays flat however many lines a run has. */
import { closeSync, existsSync, openSync, readFileSync, readSync, writeFileSync, writeSync } from 'node:fs';

export class PairFile {
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

  /** Appends pairs given flat ([a, b, a, b, ...]), copied in bulk. */
  pushAll(pairs: Uint32Array): void {
    for (let from = 0; from < pairs.length; ) {
      if (this.used === this.buffer.length) this.flush();
      const take = Math.min(pairs.length - from, this.buffer.length - this.used);
      this.buffer.set(pairs.subarray(from, from + take), this.used);
      this.used += take;
      from += take;
    }
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

/** Reads a PairFile back. */
export function readPairs(path: string | undefined): Uint32Array {
  return path ? wordsOf(readFileSync(path)) : new Uint32Array(0);
}

/** A file's bytes as the uint32 words they hold in this processor's order (copied: a Buffer may not sit on a 4-byte boundary). */
export function wordsOf(bytes: Uint8Array): Uint32Array {
  const words = new Uint32Array(bytes.length / 4);
  new Uint8Array(words.buffer).set(bytes);
  return words;
}

/**
 * Reads a PairFile back in chunks of up to 8,192 pairs, through one reused array (valid until the next
 * chunk): a pass over a million lines' pairs then costs 64 KB, not 16 MB of short-lived arrays.
 */
export function pairChunks(path: string | undefined): Generator<Uint32Array> {
  return wordChunks(path, 2, 8192);
}

/**
 * Reads a file of little-endian uint32 records (`recordWords` words each) in chunks of up to `records` whole
 * records, through one reused array valid until the next chunk. Nothing when the file is missing.
 */
export function* wordChunks(path: string | undefined, recordWords: number, records: number): Generator<Uint32Array> {
  if (!path || !existsSync(path)) return;
  const words = new Uint32Array(recordWords * records);
  const bytes = new Uint8Array(words.buffer);
  const fd = openSync(path, 'r');
  try {
    // A chunk is filled up to its end (a short read would cut a record), and short only at the file's end.
    for (;;) {
      let read = 0;
      for (let got; read < bytes.length && (got = readSync(fd, bytes, read, bytes.length - read, null)) > 0; ) read += got;
      if (!read) return;
      yield words.subarray(0, Math.floor(read / 4 / recordWords) * recordWords);
    }
  } finally {
    closeSync(fd);
  }
}

/** Rewrites a PairFile without the pairs whose index `keep` refuses. */
export function filterPairs(path: string | undefined, keep: (index: number) => boolean): void {
  if (!path || !existsSync(path)) return;
  const pairs = readPairs(path);
  const kept = new Uint32Array(pairs.length);
  let used = 0;
  for (let i = 0; i * 2 < pairs.length; i++) {
    if (!keep(i)) continue;
    kept[used++] = pairs[i * 2]!;
    kept[used++] = pairs[i * 2 + 1]!;
  }
  writeFileSync(path, kept.subarray(0, used));
}
