/**
 * Sets and maps of 64-bit fingerprints (two 32-bit lanes, as KeyHasher makes them) in typed arrays:
 * open addressing with linear probing, at most 75% full, no object per key.
 */
import { sortedRecords } from './sorted-records.ts';

/**
 * Slots for `expected` keys: 70% full once they are all in (a multiple of 1024, not a power of two: for 1M
 * keys a power of two would be 2M slots, 48% full, and the set would take 16 MB instead of 11 MB).
 */
const slotsFor = (expected: number): number => Math.max(1024, Math.ceil(expected / 0.7 / 1024) * 1024);

/** Whether a table of `capacity` slots must grow before it takes key number `size + 1`. */
const full = (size: number, capacity: number): boolean => (size + 1) * 4 > capacity * 3;

/** Where a fingerprint's probe starts: its mixed bits scaled to the table (exact in doubles, always below capacity). */
const firstSlot = (hi: number, lo: number, capacity: number): number => Math.floor((((lo ^ Math.imul(hi, 0x9e3779b1)) >>> 0) / 4294967296) * capacity);

/** Whether a fingerprint is among some: a FingerprintSet, or keys kept another way. */
export interface FingerprintLookup {
  has(hi: number, lo: number): boolean;
}

/** Open-addressing set of 64-bit fingerprints in one typed array: 16 bytes a key at most. */
export class FingerprintSet implements FingerprintLookup {
  private table: Uint32Array;
  private capacity: number;
  size = 0;

  constructor(expected = 1024) {
    this.capacity = slotsFor(expected);
    this.table = new Uint32Array(this.capacity * 2);
  }

  /** Adds [hi, lo]; returns false when it was already there. */
  add(hi: number, lo: number): boolean {
    if (hi === 0 && lo === 0) lo = 1; // 0,0 marks an empty slot
    if (full(this.size, this.capacity)) this.grow();
    let slot = firstSlot(hi, lo, this.capacity);
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
      if (++slot === this.capacity) slot = 0;
    }
  }

  has(hi: number, lo: number): boolean {
    if (hi === 0 && lo === 0) lo = 1;
    let slot = firstSlot(hi, lo, this.capacity);
    for (;;) {
      const h = this.table[slot * 2]!;
      const l = this.table[slot * 2 + 1]!;
      if (h === 0 && l === 0) return false;
      if (h === hi && l === lo) return true;
      if (++slot === this.capacity) slot = 0;
    }
  }

  /** Adds every fingerprint of a flat [hi, lo, hi, lo, ...] array. */
  addAll(pairs: Uint32Array): void {
    for (let i = 0; i + 1 < pairs.length; i += 2) this.add(pairs[i]!, pairs[i + 1]!);
  }

  /** Empties the set, keeping its table (and its size in memory) for the keys to come. */
  clear(): void {
    this.table.fill(0);
    this.size = 0;
  }

  private grow(): void {
    const old = this.table;
    this.capacity *= 2;
    this.table = new Uint32Array(this.capacity * 2);
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
  private capacity: number;
  size = 0;

  constructor(expected = 1024) {
    this.capacity = slotsFor(expected);
    this.table = new Uint32Array(this.capacity * 3);
  }

  /** The value of [hi, lo], or undefined. */
  get(hi: number, lo: number): number | undefined {
    const slot = this.find(hi, lo);
    return this.table[slot * 3] === 0 && this.table[slot * 3 + 1] === 0 ? undefined : this.table[slot * 3 + 2];
  }

  /** Slots in its table: what `slotOf` numbers (a key stays in its slot until the table grows or loses a key). */
  get slots(): number {
    return this.capacity;
  }

  /** The slot holding [hi, lo], or -1. */
  slotOf(hi: number, lo: number): number {
    const slot = this.find(hi, lo);
    return this.table[slot * 3] === 0 && this.table[slot * 3 + 1] === 0 ? -1 : slot;
  }

  /** The value in a slot slotOf found. */
  valueAt(slot: number): number {
    return this.table[slot * 3 + 2]!;
  }

  set(hi: number, lo: number, value: number): void {
    if (full(this.size, this.capacity)) this.rebuild(this.capacity * 2, () => true);
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

  /** Room for `expected` keys in all, made at once rather than by doubling as they come. */
  reserve(expected: number): void {
    const capacity = slotsFor(expected);
    if (capacity > this.capacity) this.rebuild(capacity, () => true);
  }

  /**
   * Keeps only the keys `keep` says yes to, in place (a second table as large would double the memory):
   * each removal pulls the keys after it back along their probe, so every key stays findable.
   */
  retain(keep: (hi: number, lo: number) => boolean): void {
    const table = this.table;
    this.retainSlots((slot) => keep(table[slot * 3]!, table[slot * 3 + 1]!));
  }

  /** Keeps only the keys whose slot is marked (non-zero) in `marks` (one byte per slot), whose marks move with them. */
  retainMarked(marks: Uint8Array): void {
    if (marks.length < this.capacity) throw new RangeError(`retainMarked: ${marks.length} marks for ${this.capacity} slots`);
    this.retainSlots((slot) => marks[slot] !== 0, marks);
  }

  /** Removes the key of every slot `keep` refuses, asking again at a slot a removal filled from further along. */
  private retainSlots(keep: (slot: number) => boolean, marks?: Uint8Array): void {
    const table = this.table;
    for (let slot = 0; slot < this.capacity; ) {
      const at = slot * 3;
      if ((table[at] !== 0 || table[at + 1] !== 0) && !keep(slot)) this.removeAt(slot, marks);
      else slot++; // after a removal the slot holds the next key of its probe, or nothing: look again
    }
  }

  /** Empties `slot`, moving back each later key of the run whose probe starts at or before the hole (and its mark, if any). */
  private removeAt(slot: number, marks?: Uint8Array): void {
    const table = this.table;
    const capacity = this.capacity;
    let hole = slot;
    for (let next = hole + 1 === capacity ? 0 : hole + 1; ; next = next + 1 === capacity ? 0 : next + 1) {
      const at = next * 3;
      if (table[at] === 0 && table[at + 1] === 0) break;
      const home = firstSlot(table[at]!, table[at + 1]!, capacity);
      // The key stays when its home lies cyclically after the hole, up to where it is.
      const stays = hole <= next ? hole < home && home <= next : hole < home || home <= next;
      if (stays) continue;
      table.copyWithin(hole * 3, at, at + 3);
      if (marks) marks[hole] = marks[next]!;
      hole = next;
    }
    table.fill(0, hole * 3, hole * 3 + 3);
    if (marks) marks[hole] = 0;
    this.size--;
  }

  /** Calls `each` for every key and value, in no particular order. */
  forEach(each: (hi: number, lo: number, value: number) => void): void {
    const table = this.table;
    for (let at = 0; at < table.length; at += 3) if (table[at] !== 0 || table[at + 1] !== 0) each(table[at]!, table[at + 1]!, table[at + 2]!);
  }

  /** Every key and its value as [hi, lo, value] records sorted by key, in chunks of one reused array (see sortedRecords). */
  sortedRecords(): Generator<Uint32Array> {
    return sortedRecords(this.table);
  }

  /** The slot holding [hi, lo], or the empty slot where it would go. */
  private find(hi: number, lo: number): number {
    if (hi === 0 && lo === 0) lo = 1;
    let slot = firstSlot(hi, lo, this.capacity);
    for (;;) {
      const h = this.table[slot * 3]!;
      const l = this.table[slot * 3 + 1]!;
      if ((h === 0 && l === 0) || (h === hi && l === lo)) return slot;
      if (++slot === this.capacity) slot = 0;
    }
  }

  private rebuild(capacity: number, keep: (hi: number, lo: number) => boolean): void {
    const old = this.table;
    this.table = new Uint32Array(capacity * 3);
    this.capacity = capacity;
    this.size = 0;
    for (let at = 0; at < old.length; at += 3) {
      if ((old[at] !== 0 || old[at + 1] !== 0) && keep(old[at]!, old[at + 1]!)) this.set(old[at]!, old[at + 1]!, old[at + 2]!);
    }
  }
}

