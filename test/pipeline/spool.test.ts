/**
 * The spool: every line of an export lands in bounded part files on disk before anything is sent, and
 * what a part says of itself (size, checksum, fingerprints, cursor, first and last lines) is what a
 * delivery uploads and records, so it must match the file exactly, also after lines are removed.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { removeLiveSpools, partChecksum, Spool, type SpoolPart } from '../../src/pipeline/spool.ts';
import { csvLine } from '../../src/pipeline/csv-line.ts';
import { hashKey } from '../../src/state/key-hasher.ts';

const HEADER = csvLine(['id', 'name', 'order']); // 14 bytes
/** Lines 0..9 are 12 bytes each: with HEADER, a 50-byte part holds exactly three of them. */
const row = (i: number, order = `o${i % 3}`) => csvLine([String(i), `name ${i}`, order]);
const THREE_A_PART = HEADER.length + 3 * row(0).length;

const key = (text: string): [number, number] => {
  const out = new Uint32Array(2);
  hashKey(text, out);
  return [out[0]!, out[1]!];
};
const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
const body = (part: SpoolPart) => readFileSync(part.path, 'utf8').slice(HEADER.length);
const dataLines = (part: SpoolPart) => body(part).split(/(?<=\n)/);

/** Greedy: a part closes only when its next line would not have fitted. */
function expectFilled(parts: SpoolPart[], max: number): void {
  for (let i = 0; i + 1 < parts.length; i++) expect(parts[i]!.bytes + Buffer.byteLength(dataLines(parts[i + 1]!)[0]!)).toBeGreaterThan(max);
}

/** What a part claims, against what its file holds. */
function expectTrueToDisk(part: SpoolPart): void {
  const text = readFileSync(part.path, 'utf8');
  expect(text.startsWith(HEADER)).toBe(true);
  expect(part.bytes).toBe(statSync(part.path).size);
  expect(part.sha256).toBe(sha256(part.path));
  const lines = dataLines(part);
  expect(lines).toHaveLength(part.lines);
  expect(part.firstLine).toBe(lines[0]!.trimEnd());
  expect(part.lastLine).toBe(lines.at(-1)!.trimEnd());
}

// Spools go under a private TMPDIR, so "nothing left behind" can be checked exactly.
const savedTmp = process.env.TMPDIR;
let base: string;
beforeAll(() => {
  base = mkdtempSync(`${tmpdir()}/writeback-spool-test-`);
  process.env.TMPDIR = base;
});
afterAll(() => {
  if (savedTmp === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = savedTmp;
  rmSync(base, { recursive: true, force: true });
});

const opened: Spool[] = [];
const spool = (...args: ConstructorParameters<typeof Spool>) => {
  const s = new Spool(...args);
  opened.push(s);
  return s;
};
afterEach(() => {
  for (const s of opened.splice(0)) s.dispose();
});

/** Lines given as one byte buffer, as a batch formatter hands them to addLines. */
function batch(lines: string[], cursors: (number | undefined)[] = [], orders?: string[]) {
  const src = Buffer.from(lines.join(''));
  const ends = new Uint32Array(lines.length);
  const keys = new Uint32Array(lines.length * 2);
  const distinct = orders && new Uint32Array(lines.length * 2);
  let at = 0;
  lines.forEach((line, i) => {
    at += Buffer.byteLength(line);
    ends[i] = at;
    keys.set(key(line), i * 2);
    if (distinct) distinct.set(key(orders[i]!), i * 2);
  });
  const cursorArray = Float64Array.from(lines, (_, i) => cursors[i] ?? Number.NaN);
  return { src, ends, keys, cursors: cursorArray, distinct };
}

/** A part as a delivery sees it, without where the spool happens to live. */
const summary = (p: SpoolPart) => ({
  index: p.index,
  file: basename(p.path),
  lines: p.lines,
  bytes: p.bytes,
  sha256: p.sha256,
  body: body(p),
  firstLine: p.firstLine,
  lastLine: p.lastLine,
  maxCursor: p.maxCursor,
  fingerprints: [...p.fingerprints()],
});

describe('Spool parts', () => {
  it('fills each part as far as maxPartBytes allows, each with the header, keeping every line in order', () => {
    const s = spool(HEADER, 60);
    const lines = Array.from({ length: 40 }, (_, i) => row(i));
    for (const line of lines) s.add(line, ...key(line), undefined);
    const parts = s.finish();
    expect(parts.length).toBeGreaterThan(3);
    expect(parts.map((p) => p.index)).toEqual(parts.map((_, i) => i + 1));
    for (const part of parts) {
      expectTrueToDisk(part);
      expect(part.bytes).toBeLessThanOrEqual(60);
    }
    expectFilled(parts, 60);
    expect(parts.map(body).join('')).toBe(lines.join(''));
  });

  it('gives a line longer than maxPartBytes a part of its own instead of refusing or cutting it', () => {
    const s = spool(HEADER, 40);
    const long = csvLine(['1', 'x'.repeat(60), 'o1']);
    for (const line of [row(0), long, row(2), row(3)]) s.add(line, ...key(line), undefined);
    const parts = s.finish();
    expect(parts.map((p) => p.lines)).toEqual([1, 1, 2]);
    expect(body(parts[1]!)).toBe(long);
    expect(parts[1]!.bytes).toBe(HEADER.length + long.length);
    for (const part of parts) expectTrueToDisk(part);
  });

  it('reports sizes and checksums true to disk for parts larger than its write buffer, and for a line larger than it', () => {
    const s = spool(HEADER, 1_000_000);
    const lines = Array.from({ length: 1500 }, (_, i) => csvLine([String(i), `név ${i} ${'y'.repeat(990)}`, 'ö'])); // multi-byte UTF-8 too
    lines.splice(700, 0, csvLine(['huge', 'z'.repeat(300_000), 'o'])); // beyond the 256 KB buffer
    for (const line of lines) s.add(line, ...key(line), undefined);
    const parts = s.finish();
    expect(parts).toHaveLength(3); // the huge line does not fit after the first 700: the first part closes early
    for (const part of parts) {
      expectTrueToDisk(part);
      expect(part.bytes).toBeLessThanOrEqual(1_000_000);
    }
    expectFilled(parts, 1_000_000);
    expect(parts.map(body).join('')).toBe(lines.join(''));
  });

  it('counts its lines, those of the part still open included', () => {
    const s = spool(HEADER, THREE_A_PART);
    expect(s.lines).toBe(0);
    for (let i = 0; i < 7; i++) {
      s.add(row(i), ...key(row(i)), undefined);
      expect(s.lines).toBe(i + 1);
    }
    const parts = s.finish();
    expect(parts.map((p) => p.lines)).toEqual([3, 3, 1]);
    expect(s.lines).toBe(7);
  });

  it('an empty spool has no parts', () => {
    expect(spool(HEADER, 100).finish()).toEqual([]);
  });
});

describe('what a part keeps per line', () => {
  it('keeps fingerprints and extras in line order, part by part', () => {
    const s = spool(HEADER, THREE_A_PART, { extras: true });
    const pairs = Array.from({ length: 8 }, (_, i) => key(`k${i}`));
    pairs.forEach(([hi, lo], i) => s.add(row(i), hi, lo, undefined, 1000 + i, i + 1));
    const parts = s.finish();
    expect(parts.map((p) => p.lines)).toEqual([3, 3, 2]);
    let first = 0;
    for (const part of parts) {
      const mine = pairs.slice(first, first + part.lines);
      expect([...part.fingerprints()]).toEqual(mine.flat());
      expect([...part.extras()]).toEqual(mine.flatMap((_, j) => [1000 + first + j, first + j + 1]));
      first += part.lines;
    }
  });

  it('checksums each part unless told not to, and a delivery asking for the checksum of one made without is refused', () => {
    const lines = Array.from({ length: 4 }, (_, i) => row(i));
    const [withSum, without] = [spool(HEADER, THREE_A_PART), spool(HEADER, THREE_A_PART, { checksum: false })];
    for (const s of [withSum, without]) lines.forEach((line, i) => s.add(line, ...key(line), undefined));
    const [summed, bare] = [withSum.finish(), without.finish()];
    expect(summed.map((p) => partChecksum(p))).toEqual(summed.map((p) => sha256(p.path)));
    expect(bare.map((p) => p.sha256)).toEqual([undefined, undefined]);
    expect(bare.map(body)).toEqual(summed.map(body)); // the same files
    expect(() => partChecksum(bare[0]!)).toThrow(/part 1 has no checksum/);
  });

  it('keeps no extras unless asked to', () => {
    const s = spool(HEADER, 100);
    s.add(row(0), 1, 2, undefined, 7, 8);
    expect([...s.finish()[0]!.extras()]).toEqual([]);
  });

  it('hands fingerprints out in chunks that together are all of them, in order', () => {
    const s = spool(HEADER, 10_000_000);
    const pairs = Array.from({ length: 9000 }, (_, i) => key(`k${i}`));
    pairs.forEach(([hi, lo], i) => s.add(row(i), hi, lo, undefined));
    const [part] = s.finish();
    const chunks = Array.from(part!.fingerprintChunks(), (c) => [...c]); // copied as read: the chunk array is reused
    // Not in one go: more than a chunk's 8,192 pairs.
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.flat()).toEqual(pairs.flat());
    expect([...part!.fingerprints()]).toEqual(pairs.flat());
  });

  it('records the latest cursor of each part, whatever the order of the lines, and none where no line had one', () => {
    const s = spool(HEADER, THREE_A_PART);
    const cursors = [5, 9, 7, undefined, undefined, undefined, 0, undefined, 4];
    cursors.forEach((cursor, i) => s.add(row(i), ...key(row(i)), cursor));
    expect(s.finish().map((p) => p.maxCursor)).toEqual([9, undefined, 4]);
  });

  /** The distinct values each part of a spool of three lines a part counts, for lines with these values in column 2. */
  const distinctPerPart = (values: string[]) => {
    const s = spool(HEADER, THREE_A_PART, { distinctColumn: 2 });
    const b = batch(values.map((value, i) => row(i, value)), [], values);
    s.addLines(b.src, b.ends, b.keys, b.cursors, 0, values.length, b.distinct);
    return s.finish().map((p) => p.distinctValues);
  };

  it('counts the distinct values of its distinctColumn per part', () => {
    expect(distinctPerPart(['a', 'a', 'b', 'c', 'c', 'c', 'd', 'e', 'f'])).toEqual([2, 1, 3]);
  });

  it('counts a value again in each part it appears in (an order split over two uploads is in both)', () => {
    expect(distinctPerPart(['a', 'b', 'c', 'a', 'b', 'c', 'c', 'd', 'd'])).toEqual([3, 3, 2]);
    // An order whose lines go on into the next part, after its first ones there.
    expect(distinctPerPart(['a', 'b', 'c', 'c', 'c', 'd', 'd', 'd', 'e'])).toEqual([3, 2, 2]);
  });

  it('counts nothing without a distinctColumn', () => {
    const s = spool(HEADER, 100);
    s.add(row(0), 1, 2, undefined);
    expect(s.finish()[0]!.distinctValues).toBeUndefined();
  });
});

describe('addLines', () => {
  const lines = Array.from({ length: 30 }, (_, i) => csvLine([String(i * 37), `name ${'n'.repeat(i % 7)}`, `o${i % 4}`]));
  const cursors = lines.map((_, i) => (i % 5 === 0 ? undefined : (i * 7919) % 1000));

  function viaAdd(skip: Set<number>) {
    const s = spool(HEADER, 80);
    lines.forEach((line, i) => {
      if (!skip.has(i)) s.add(line, ...key(line), cursors[i]);
    });
    return s.finish().map(summary);
  }

  it('writes the same parts from a byte buffer as add() does line by line, across several calls', () => {
    const b = batch(lines, cursors);
    const s = spool(HEADER, 80);
    s.addLines(b.src, b.ends, b.keys, b.cursors, 0, 11);
    s.addLines(b.src, b.ends, b.keys, b.cursors, 11, lines.length);
    const parts = s.finish();
    expect(parts.length).toBeGreaterThan(3);
    for (const part of parts) expectTrueToDisk(part);
    expect(parts.map(summary)).toEqual(viaAdd(new Set()));
  });

  it('leaves out the lines between the ranges it is given, as the scanner does for lines already delivered', () => {
    const b = batch(lines, cursors);
    const s = spool(HEADER, 80);
    s.addLines(b.src, b.ends, b.keys, b.cursors, 0, 3);
    s.addLines(b.src, b.ends, b.keys, b.cursors, 4, 17);
    s.addLines(b.src, b.ends, b.keys, b.cursors, 19, lines.length);
    expect(s.finish().map(summary)).toEqual(viaAdd(new Set([3, 17, 18])));
  });

  it('gives a line longer than maxPartBytes a part of its own', () => {
    const long = csvLine(['9', 'x'.repeat(100), 'o']);
    const b = batch([row(0), long, row(1), row(2)]);
    const s = spool(HEADER, 40);
    s.addLines(b.src, b.ends, b.keys, b.cursors, 0, 4);
    const parts = s.finish();
    expect(parts.map((p) => p.lines)).toEqual([1, 1, 2]);
    expect(body(parts[1]!)).toBe(long);
    for (const part of parts) expectTrueToDisk(part);
  });
});

describe('removeLines', () => {
  /** Twelve lines, three to a part, with extras: four parts. */
  function twelve() {
    const s = spool(HEADER, THREE_A_PART, { extras: true });
    const lines = Array.from({ length: 12 }, (_, i) => row(i));
    lines.forEach((line, i) => s.add(line, ...key(line), i, 100 + i, i + 1));
    s.finish();
    return { s, lines };
  }

  it('rewrites the parts holding removed lines, drops parts left empty and numbers the rest again', () => {
    const { s, lines } = twelve();
    const untouched = { ...s.parts[2]! };
    s.removeLines([0, 3, 4, 5, 11]); // the first line of part 1, all of part 2, the last of part 4
    const parts = s.parts;
    expect(parts.map((p) => p.index)).toEqual([1, 2, 3]);
    expect(parts.map((p) => p.lines)).toEqual([2, 3, 2]);
    expect(s.lines).toBe(7);
    const kept = [1, 2, 6, 7, 8, 9, 10];
    expect(parts.map(body).join('')).toBe(kept.map((i) => lines[i]).join(''));
    for (const part of parts) expectTrueToDisk(part); // size, checksum, first and last lines follow
    expect(parts[0]!.firstLine).toBe(lines[1]!.trimEnd());
    expect(parts[2]!.lastLine).toBe(lines[10]!.trimEnd());
    expect(parts.flatMap((p) => [...p.fingerprints()])).toEqual(kept.flatMap((i) => key(lines[i]!)));
    expect(parts.flatMap((p) => [...p.extras()])).toEqual(kept.flatMap((i) => [100 + i, i + 1]));
    expect(parts.flatMap((p) => Array.from(p.fingerprintChunks(), (c) => [...c]).flat())).toEqual(kept.flatMap((i) => key(lines[i]!)));
    // A part without removed lines is left as it was.
    expect(summary(parts[1]!)).toEqual(summary({ ...untouched, index: 2 }));
  });

  it('changes nothing when no line is to go', () => {
    const { s } = twelve();
    const before = s.parts.map(summary);
    s.removeLines([]);
    expect(s.parts.map(summary)).toEqual(before);
  });

  it('counts the distinct values again from the lines kept', () => {
    const s = spool(HEADER, THREE_A_PART, { distinctColumn: 2 });
    const orders = ['a', 'a', 'b', 'c', 'd', 'e'];
    const lines = orders.map((order, i) => row(i, order));
    const b = batch(lines, [], orders);
    s.addLines(b.src, b.ends, b.keys, b.cursors, 0, lines.length, b.distinct);
    expect(s.finish().map((p) => p.distinctValues)).toEqual([2, 3]);
    s.removeLines([1, 4]); // one of two lines of order a; the only line of order d
    expect(s.parts.map((p) => p.distinctValues)).toEqual([2, 2]);
    for (const part of s.parts) expectTrueToDisk(part);
  });

  it('keeps reading quoted fields right when it counts again', () => {
    const s = spool(HEADER, 1000, { distinctColumn: 2 });
    const orders = ['x,1', 'x,2', 'say "hi"', 'x,1'];
    const lines = orders.map((order, i) => row(i, order));
    const b = batch(lines, [], orders);
    s.addLines(b.src, b.ends, b.keys, b.cursors, 0, lines.length, b.distinct);
    expect(s.finish()[0]!.distinctValues).toBe(3);
    s.removeLines([2]);
    // Split at the comma inside quotes, "x,1" and "x,2" would both read as "x" and count once.
    expect(s.parts[0]!.distinctValues).toBe(2);
  });
});

describe('cleaning up', () => {
  it('dispose() removes the spool folder, even with a part still open', () => {
    const s = spool(HEADER, 1000);
    s.add(row(0), 1, 2, undefined);
    expect(existsSync(s.dir)).toBe(true);
    s.dispose();
    expect(existsSync(s.dir)).toBe(false);
    expect(readdirSync(base)).toEqual([]);
  });

  it('removeLiveSpools() removes the folders of spools not yet disposed, as a signal ending the run does', () => {
    const disposed = spool(HEADER, 1000);
    disposed.dispose();
    const open = spool(HEADER, 1000);
    open.add(row(0), 1, 2, undefined);
    const finished = spool(HEADER, 1000);
    finished.add(row(1), 3, 4, undefined);
    finished.finish();
    expect(readdirSync(base).sort()).toEqual([basename(open.dir), basename(finished.dir)].sort());
    removeLiveSpools();
    expect(readdirSync(base)).toEqual([]);
    expect(() => open.dispose()).not.toThrow(); // the run's own clean-up may still come after
  });
});
