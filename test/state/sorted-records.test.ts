import { describe, expect, it } from 'vitest';
import { mergeRecords, sortedRecords } from '../../src/state/sorted-records.ts';

type Row = [number, number, number];
const flat = (rows: Row[]) => Uint32Array.from(rows.flat());
const rowsOf = (words: Uint32Array): Row[] => Array.from({ length: words.length / 3 }, (_, i) => [words[i * 3]!, words[i * 3 + 1]!, words[i * 3 + 2]!]);
const byKey = (a: Row, b: Row) => a[0] - b[0] || a[1] - b[1];
const keyOf = ([hi, lo]: Row) => `${hi}:${lo}`;

/** Hashed keys, keys sharing hi's top 16 bits (one bucket of many), keys sharing all of hi, and the edges of the key space. */
function mixedRows(count: number, seed: number): Row[] {
  let x = seed;
  const next = () => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0), x);
  const rows: Row[] = Array.from({ length: count }, (_, i) => [next(), next(), i]);
  rows.push(...Array.from({ length: 200 }, (_, i): Row => [0xabcd0000 + (next() % 64), next(), count + i]));
  rows.push(...Array.from({ length: 40 }, (_, i): Row => [0x00010000, next(), count + 200 + i]));
  rows.push([0, 1, 1], [0xffffffff, 0xffffffff, 2], [0x7fffffff, 0, 3], [0x80000000, 0, 4]);
  return rows;
}

describe('sorted [hi, lo, value] records', () => {
  it('sortedRecords puts records in key order, each key once with its last value, skipping empty [0, 0] slots', () => {
    const rows = mixedRows(20_000, 7);
    // Repeated keys: a hashed one, and one in the bucket of more than 32 records (sorted another way).
    const repeated: Row = [rows[5]![0], rows[5]![1], 99];
    const crowded = rows.find(([hi]) => hi >>> 16 === 0xabcd)!;
    const repeatedInCrowd: Row = [crowded[0], crowded[1], 98];
    const chunks = Array.from(sortedRecords(flat([[0, 0, 0], ...rows, [0, 0, 5], repeated, repeatedInCrowd])), rowsOf);
    expect(chunks).toHaveLength(4); // a quarter of the key space each
    const sorted = chunks.flat();
    expect(sorted).toHaveLength(rows.length);
    expect(sorted.map(keyOf)).toEqual([...rows].sort(byKey).map(keyOf));
    // Every record keeps its value; a key recorded twice keeps its later value.
    const values = new Map([...rows, repeated, repeatedInCrowd].map((r) => [keyOf(r), r[2]]));
    expect(sorted.every((r) => values.get(keyOf(r)) === r[2])).toBe(true);
    expect(sorted.find((r) => keyOf(r) === keyOf(repeated))![2]).toBe(99);
    expect(sorted.find((r) => keyOf(r) === keyOf(repeatedInCrowd))![2]).toBe(98);
    expect(Array.from(sortedRecords(new Uint32Array(0)), rowsOf).flat()).toHaveLength(0);
  });

  it('mergeRecords gives both sides in key order, the newer record where both hold a key, in chunks of at most its size', () => {
    const all = mixedRows(5_000, 11).sort(byKey);
    const older = all.filter((_, i) => i % 3 !== 0);
    // Newer: keys the older lacks (before, between and after its keys) and keys it holds, with new values.
    const newer = all.filter((_, i) => i % 3 === 0 || i % 5 === 0).map(([hi, lo, v]): Row => [hi, lo, v + 1_000_000]);
    const expected = new Map(older.map((r) => [keyOf(r), r]));
    for (const r of newer) expected.set(keyOf(r), r);

    // The older side in uneven chunks, as a table yields them, and output chunks of 7 records.
    const olderChunks = [older.slice(0, 1), older.slice(1, 500), older.slice(500)].map(flat);
    // Each chunk read as it comes: the array is reused for the next.
    const chunks = Array.from(mergeRecords(olderChunks, sortedRecords(flat(newer)), 7), rowsOf);
    expect(chunks.every((c) => c.length <= 7 && c.length > 0)).toBe(true);
    expect(chunks.flat()).toEqual([...expected.values()].sort(byKey));

    expect(Array.from(mergeRecords([], [flat(newer.slice(0, 3))]), rowsOf).flat()).toEqual(newer.slice(0, 3));
    expect(Array.from(mergeRecords(olderChunks, []), rowsOf).flat()).toEqual(older);
  });
});
