import { describe, expect, it } from 'vitest';
import { FingerprintMap } from '../../src/state/fingerprint-tables.ts';
import { random } from '../../src/demo/sample-data.ts';

describe('FingerprintMap', () => {
  it('keeps exactly the keys retain says yes to, each still found with its value, in a crowded table', () => {
    const rand = random(3);
    const keys = Array.from({ length: 760 }, () => [Math.floor(rand() * 2 ** 32), Math.floor(rand() * 64)] as const); // many share a probe start
    const map = new FingerprintMap(); // 1024 slots: 74% full, long probe runs that wrap around the end
    keys.forEach(([hi, lo], i) => map.set(hi, lo, i + 1));
    const distinct = new Map(keys.map(([hi, lo], i) => [`${hi}:${lo}`, i + 1]));
    expect(map.size).toBe(distinct.size);
    map.retain((hi, lo) => (hi + lo) % 3 !== 0);
    const kept = [...distinct].filter(([key]) => key.split(':').map(Number).reduce((a, b) => a + b) % 3 !== 0);
    expect(map.size).toBe(kept.length);
    for (const [key, value] of distinct) {
      const [hi, lo] = key.split(':').map(Number) as [number, number];
      expect(map.get(hi, lo)).toBe((hi + lo) % 3 !== 0 ? value : undefined);
    }
    map.set(1, 2, 99); // a table with holes takes new keys as before
    expect(map.get(1, 2)).toBe(99);
  });

  it('retainMarked keeps exactly the keys whose slots are marked, the marks moving with the keys pulled back', () => {
    const rand = random(5);
    // 1024 slots, 74% full: a third of the keys start their probe in the last 8 slots (with hi 0, a key's
    // first slot is lo / 2^32 of the table), so their run wraps past the end; the rest fall anywhere.
    const nearTheEnd = () => [0, Math.floor(((1016 + rand() * 8) * 2 ** 32) / 1024)] as const;
    const keys = Array.from({ length: 760 }, (_, i) => (i % 3 === 0 ? nearTheEnd() : ([Math.floor(rand() * 2 ** 32), Math.floor(rand() * 2 ** 32)] as const)));
    const map = new FingerprintMap(700);
    expect(map.slots).toBe(1024);
    keys.forEach(([hi, lo], i) => map.set(hi, lo, i + 1));
    const keep = (hi: number, lo: number) => (hi ^ lo) % 4 !== 0;
    const marks = new Uint8Array(map.slots);
    for (const [hi, lo] of keys) if (keep(hi, lo)) marks[map.slotOf(hi, lo)] = 1;
    const distinct = new Map(keys.map(([hi, lo], i) => [`${hi}:${lo}`, i + 1]));
    map.retainMarked(marks);
    expect(map.size).toBe([...distinct.keys()].filter((key) => keep(...(key.split(':').map(Number) as [number, number]))).length);
    for (const [key, value] of distinct) {
      const [hi, lo] = key.split(':').map(Number) as [number, number];
      expect(map.get(hi, lo)).toBe(keep(hi, lo) ? value : undefined);
      if (keep(hi, lo)) expect(marks[map.slotOf(hi, lo)]).toBe(1); // its mark is where the key now is
    }
    expect(marks.reduce((n, m) => n + m, 0)).toBe(map.size);
    expect(() => map.retainMarked(new Uint8Array(10))).toThrow(RangeError); // too few marks would read as none
  });

  it('reserve makes room once, keeping every key', () => {
    const map = new FingerprintMap();
    for (let i = 0; i < 500; i++) map.set(i, i * 7, i);
    map.reserve(100_000);
    for (let i = 0; i < 500; i++) expect(map.get(i, i * 7)).toBe(i);
    expect(map.size).toBe(500);
  });
});
