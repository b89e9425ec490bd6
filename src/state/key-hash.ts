/**
 * 64-bit fingerprints of delivery keys, as two 32-bit lanes (no BigInt in the hot path). At 64 bits the
 * chance that two of a million keys collide is about 3 in 100 million.
 */

/**
 * How the parts of a delivery key become one hashed input. `joined` (every ledger written before
 * length-prefixed keys existed): parts separated by U+001F, so ["a\u001fb", "c"] and ["a", "b\u001fc"]
 * share a fingerprint. `length-prefixed`: each part is preceded by its length, so two different keys never
 * share an input. A ledger says which one it was written with (JobState.ledger.keyEncoding).
 */
export type KeyEncoding = 'joined' | 'length-prefixed';
export const KEY_ENCODING: KeyEncoding = 'length-prefixed';

/**
 * hashKey of a key built from parts (joined by U+001F, or each after its length), without building it.
 * Parts come as text or as ASCII bytes (one byte is one UTF-16 unit there), so lines formatted as bytes
 * get the same fingerprints.
 */
export class KeyHasher {
  private a = 0;
  private b = 0;
  private length = 0;
  private parts = 0;
  private prefixed = false;

  start(encoding: KeyEncoding = 'joined'): void {
    this.a = 0x811c9dc5;
    this.b = 0x9747b28c;
    this.length = 0;
    this.parts = 0;
    this.prefixed = encoding === 'length-prefixed';
  }

  private separate(partLength: number): void {
    if (this.prefixed) {
      this.mix(partLength + 0x10000); // above every UTF-16 unit: a length never reads as a character
      return;
    }
    if (this.parts++ === 0) return;
    this.mix(0x1f);
    this.length++;
  }

  private mix(c: number): void {
    this.a = Math.imul(this.a ^ c, 0x01000193);
    const b = Math.imul(this.b ^ c, 0x5bd1e995);
    this.b = b ^ (b >>> 15);
  }

  text(text: string): void {
    this.separate(text.length);
    let a = this.a;
    let b = this.b;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(b ^ c, 0x5bd1e995);
      b ^= b >>> 15;
    }
    this.a = a;
    this.b = b;
    this.length += text.length;
  }

  /** ASCII bytes [start, end) as a part. */
  ascii(bytes: Uint8Array, start: number, end: number): void {
    this.separate(end - start);
    let a = this.a;
    let b = this.b;
    for (let i = start; i < end; i++) {
      const c = bytes[i]!;
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(b ^ c, 0x5bd1e995);
      b ^= b >>> 15;
    }
    this.a = a;
    this.b = b;
    this.length += end - start;
  }

  finish(out: Uint32Array, offset = 0): void {
    finish(this.a, this.b, this.length, out, offset);
  }
}

const hasher = new KeyHasher();

/** Hashes the values at `indexes` as one key into [hi, lo] (with `joined`: hashKey of the joined key, without building it). */
export function hashFields(values: readonly string[], indexes: readonly number[], out: Uint32Array, encoding: KeyEncoding = 'joined'): void {
  hasher.start(encoding);
  for (const index of indexes) hasher.text(values[index]!);
  hasher.finish(out);
}

/** Hashes a string into [hi, lo] (two independent FNV-1a-style lanes with murmur finalisers). */
export function hashKey(text: string, out: Uint32Array, offset = 0): void {
  hasher.start();
  hasher.text(text);
  hasher.finish(out, offset);
}

function finish(a: number, b: number, length: number, out: Uint32Array, offset: number): void {
  a ^= a >>> 16;
  a = Math.imul(a, 0x85ebca6b);
  a ^= a >>> 13;
  a = Math.imul(a, 0xc2b2ae35);
  a ^= a >>> 16;
  b ^= length;
  b ^= b >>> 16;
  b = Math.imul(b, 0x7feb352d);
  b ^= b >>> 15;
  b = Math.imul(b, 0x846ca68b);
  b ^= b >>> 16;
  out[offset] = a >>> 0;
  out[offset + 1] = b >>> 0;
}

/** Slots (a power of two) for `expected` keys, at most 75% full: the open-addressing tables below. */
const slotsFor = (expected: number): number => {
  let slots = 1024;
  while (slots * 3 < expected * 4) slots *= 2;
  return slots;
};

/** Where a fingerprint's probe starts. */
const firstSlot = (hi: number, lo: number, mask: number): number => (lo ^ Math.imul(hi, 0x9e3779b1)) & mask;

/** Open-addressing set of 64-bit fingerprints in one typed array: 16 bytes a key at most. */
export class FingerprintSet {
  private table: Uint32Array;
  private mask: number;
  size = 0;

  constructor(expected = 1024) {
    const capacity = slotsFor(expected);
    this.table = new Uint32Array(capacity * 2);
    this.mask = capacity - 1;
  }

  /** Adds [hi, lo]; returns false when it was already there. */
  add(hi: number, lo: number): boolean {
    if (hi === 0 && lo === 0) lo = 1; // 0,0 marks an empty slot
    if ((this.size + 1) * 4 > (this.mask + 1) * 3) this.grow();
    let slot = firstSlot(hi, lo, this.mask);
    for (;;) {
      const h = this.table[slot * 2]!;
      const l = this.table[slot * 2 + 1]!;
      if (h === 0 && l === 0) {
        this.table[slot * 2] = hi;
        this.table[slot * 2 + 1] = lo;
        this.size++;
        return true;
      }
      if (h === hi && l === lo) return false;
      slot = (slot + 1) & this.mask;
    }
  }

  has(hi: number, lo: number): boolean {
    if (hi === 0 && lo === 0) lo = 1;
    let slot = firstSlot(hi, lo, this.mask);
    for (;;) {
      const h = this.table[slot * 2]!;
      const l = this.table[slot * 2 + 1]!;
      if (h === 0 && l === 0) return false;
      if (h === hi && l === lo) return true;
      slot = (slot + 1) & this.mask;
    }
  }

  /** Adds every fingerprint of a flat [hi, lo, hi, lo, ...] array. */
  addAll(pairs: Uint32Array): void {
    for (let i = 0; i + 1 < pairs.length; i += 2) this.add(pairs[i]!, pairs[i + 1]!);
  }

  private grow(): void {
    const old = this.table;
    this.table = new Uint32Array(old.length * 2);
    this.mask = old.length - 1;
    this.size = 0;
    for (let i = 0; i < old.length; i += 2) if (old[i] !== 0 || old[i + 1] !== 0) this.add(old[i]!, old[i + 1]!);
  }
}

/**
 * Open-addressing map from 64-bit fingerprints to 32-bit values in one typed array: 24 bytes a key at
 * most. (A Map keyed by hex strings took about 130 bytes a key: 1M contacts cost 254 MB.)
 */
export class FingerprintMap {
  private table: Uint32Array;
  private mask: number;
  size = 0;

  constructor(expected = 1024) {
    const capacity = slotsFor(expected);
    this.table = new Uint32Array(capacity * 3);
    this.mask = capacity - 1;
  }

  /** The value of [hi, lo], or undefined. */
  get(hi: number, lo: number): number | undefined {
    const slot = this.find(hi, lo);
    return this.table[slot * 3] === 0 && this.table[slot * 3 + 1] === 0 ? undefined : this.table[slot * 3 + 2];
  }

  set(hi: number, lo: number, value: number): void {
    if ((this.size + 1) * 4 > (this.mask + 1) * 3) this.rebuild((this.mask + 1) * 2, () => true);
    const slot = this.find(hi, lo);
    const at = slot * 3;
    if (this.table[at] === 0 && this.table[at + 1] === 0) {
      if (hi === 0 && lo === 0) lo = 1; // 0,0 marks an empty slot
      this.table[at] = hi;
      this.table[at + 1] = lo;
      this.size++;
    }
    this.table[at + 2] = value;
  }

  /** Keeps only the keys `keep` says yes to. */
  retain(keep: (hi: number, lo: number) => boolean): void {
    this.rebuild(this.mask + 1, keep);
  }

  /** Calls `each` for every key and value, in no particular order. */
  forEach(each: (hi: number, lo: number, value: number) => void): void {
    const table = this.table;
    for (let at = 0; at < table.length; at += 3) if (table[at] !== 0 || table[at + 1] !== 0) each(table[at]!, table[at + 1]!, table[at + 2]!);
  }

  /** The slot holding [hi, lo], or the empty slot where it would go. */
  private find(hi: number, lo: number): number {
    if (hi === 0 && lo === 0) lo = 1;
    let slot = firstSlot(hi, lo, this.mask);
    for (;;) {
      const h = this.table[slot * 3]!;
      const l = this.table[slot * 3 + 1]!;
      if ((h === 0 && l === 0) || (h === hi && l === lo)) return slot;
      slot = (slot + 1) & this.mask;
    }
  }

  private rebuild(capacity: number, keep: (hi: number, lo: number) => boolean): void {
    const old = this.table;
    this.table = new Uint32Array(capacity * 3);
    this.mask = capacity - 1;
    this.size = 0;
    for (let at = 0; at < old.length; at += 3) {
      if ((old[at] !== 0 || old[at + 1] !== 0) && keep(old[at]!, old[at + 1]!)) this.set(old[at]!, old[at + 1]!, old[at + 2]!);
    }
  }
}
