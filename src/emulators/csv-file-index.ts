/**
 * An index on one DATE or DATETIME column of a large CSV-file DataSet (the bench's millions of rows), so
 * the Domo emulator answers a query for a window by reading only the window's lines, as Domo's own
 * columnar engine would, instead of parsing the whole file at every page. Built once, by one pass over
 * the file; holds 24 bytes per row (line offset and length, the column's instant). A row is one line: a
 * field holding a line break is not supported here (the bench's files have none).
 */
import { closeSync, openSync, readSync, fstatSync } from 'node:fs';
import { instant, type DomoValue } from './domo-query.ts';

const CHUNK = 8 * 1024 * 1024;

export class CsvFileIndex {
  private starts!: Float64Array;
  private lengths!: Uint32Array;
  private instants!: Float64Array;
  /** Row numbers with a value, by instant; rows without one (null or not a time) apart. */
  private sorted!: Uint32Array;
  private nulls: number[] = [];
  rows = 0;

  constructor(
    private readonly file: string,
    private readonly column: number,
  ) {
    this.build();
  }

  private build(): void {
    const fd = openSync(this.file, 'r');
    try {
      const size = fstatSync(fd).size;
      let capacity = 1 << 20;
      let starts = new Float64Array(capacity);
      let lengths = new Uint32Array(capacity);
      let instants = new Float64Array(capacity);
      const buffer = Buffer.allocUnsafe(CHUNK);
      let carry = Buffer.alloc(0);
      let position = 0;
      let header = true;
      for (;;) {
        const read = readSync(fd, buffer, 0, CHUNK, position);
        if (read === 0) break;
        const data = carry.length ? Buffer.concat([carry, buffer.subarray(0, read)]) : buffer.subarray(0, read);
        const base = position - carry.length;
        let from = 0;
        for (let nl = data.indexOf(10, from); nl !== -1; nl = data.indexOf(10, from)) {
          if (header) header = false;
          else {
            if (this.rows === capacity) {
              capacity *= 2;
              const grow = <T extends Float64Array | Uint32Array>(old: T, next: T) => (next.set(old), next);
              starts = grow(starts, new Float64Array(capacity));
              lengths = grow(lengths, new Uint32Array(capacity));
              instants = grow(instants, new Float64Array(capacity));
            }
            starts[this.rows] = base + from;
            lengths[this.rows] = nl - from;
            instants[this.rows] = instant(field(data.subarray(from, nl), this.column));
            this.rows++;
          }
          from = nl + 1;
        }
        carry = Buffer.from(data.subarray(from));
        position += read;
        if (position >= size) break;
      }
      this.starts = starts.subarray(0, this.rows);
      this.lengths = lengths.subarray(0, this.rows);
      this.instants = instants.subarray(0, this.rows);
      const withValue: number[] = [];
      for (let i = 0; i < this.rows; i++) (Number.isFinite(this.instants[i]!) ? withValue : this.nulls).push(i);
      this.sorted = Uint32Array.from(withValue).sort((a, b) => this.instants[a]! - this.instants[b]!);
    } finally {
      closeSync(fd);
    }
  }

  /** Row numbers whose value is at or after `from` (and up to `to`, inclusive: the query still filters), and those without one with `nulls`, in file order. */
  candidates(from: number, nulls: boolean, to = Infinity): number[] {
    const first = (at: number, after: boolean) => {
      let lo = 0;
      let hi = this.sorted.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        const v = this.instants[this.sorted[mid]!]!;
        if (v < at || (after && v === at)) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    };
    const ids = Array.from(this.sorted.subarray(first(from, false), to === Infinity ? this.sorted.length : first(to, true)));
    if (nulls) ids.push(...this.nulls);
    return ids.sort((a, b) => a - b);
  }

  /** The rows as the emulator holds them (an unquoted \N is null), read from the file by offset. */
  read(ids: number[]): DomoValue[][] {
    if (!ids.length) return [];
    const fd = openSync(this.file, 'r');
    try {
      const first = this.starts[ids[0]!]!;
      const last = ids[ids.length - 1]!;
      const span = Buffer.allocUnsafe(this.starts[last]! + this.lengths[last]! - first);
      readSync(fd, span, 0, span.length, first);
      return ids.map((id) => {
        const line = span.subarray(this.starts[id]! - first, this.starts[id]! - first + this.lengths[id]!).toString('utf8').replace(/\r$/, '');
        return csvFields(line);
      });
    } finally {
      closeSync(fd);
    }
  }
}

/** The fields of one CSV line: RFC 4180 quotes, and an unquoted \N as Domo's null. */
export function csvFields(line: string): DomoValue[] {
  const out: DomoValue[] = [];
  for (let i = 0; i <= line.length; ) {
    if (line[i] === '"') {
      let value = '';
      for (i++; ; ) {
        const quote = line.indexOf('"', i);
        if (quote < 0) {
          value += line.slice(i);
          i = line.length;
          break;
        }
        value += line.slice(i, quote);
        if (line[quote + 1] === '"') {
          value += '"';
          i = quote + 2;
        } else {
          i = quote + 1;
          break;
        }
      }
      out.push(value);
      i++; // the comma
    } else {
      const comma = line.indexOf(',', i);
      const end = comma < 0 ? line.length : comma;
      const value = line.slice(i, end);
      out.push(value === '\\N' ? null : value);
      i = end + 1;
    }
  }
  return out;
}

/** The `index`-th field of one CSV line, as text. */
function field(line: Buffer, index: number): string {
  return csvFields(line.toString('utf8'))[index] ?? '';
}
