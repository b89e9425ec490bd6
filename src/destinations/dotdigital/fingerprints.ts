/**
 * `delivery.changedOnly`: one 12-byte record per contact (64-bit email fingerprint, 32-bit fingerprint
 * of its mapped values) in `state/<name>/contacts.bin`, sorted by email fingerprint. Its size is bounded
 * by the number of contacts in the DataSet: contacts no longer exported are dropped at each run.
 */
import { existsSync, statSync } from 'node:fs';
import { wordChunks } from '../../pipeline/pair-file.ts';
import { join } from 'node:path';
import { FingerprintMap } from '../../state/fingerprint-tables.ts';
import { writeDurably } from '../../state/durable.ts';

export const CONTACTS_FILE = 'contacts.bin';
const RECORD = 12;
const RECORD_WORDS = RECORD / 4;
/** Records read at a time. */
const CHUNK_RECORDS = 64 * 1024;

/** What `see` answers for a contact seen before in this export. */
export const SEEN_BEFORE = -1;

export class ContactFingerprints {
  private readonly values: FingerprintMap;
  /** Whether it differs from contacts.bin (a new one: there is no file yet). */
  private changed = true;
  /**
   * The contacts an export holds, marked in a byte per slot of the table rather than kept in a set of their
   * own: 1.4 MB for 1M contacts instead of 11 MB, and one lookup per contact instead of two. Slots move when
   * the table grows or loses keys, so `set`, `reserve` and `retainSeen` make the marks stale: asking for
   * them then is a mistake in the caller's order, and fails rather than answering "not seen" for everyone.
   */
  private marks: Uint8Array | undefined;
  private marksStale = false;

  constructor(expected?: number) {
    this.values = new FingerprintMap(expected);
  }

  /** Reads contacts.bin in chunks: the file (12 MB for 1M contacts) is never held whole beside the table. */
  static load(stateDir: string): ContactFingerprints {
    const file = join(stateDir, CONTACTS_FILE);
    if (!existsSync(file)) return new ContactFingerprints();
    const set = new ContactFingerprints(statSync(file).size / RECORD);
    for (const words of wordChunks(file, RECORD_WORDS, CHUNK_RECORDS)) {
      for (let i = 0; i < words.length; i += 3) set.values.set(words[i]!, words[i + 1]!, words[i + 2]!);
    }
    set.changed = false;
    return set;
  }

  get size(): number {
    return this.values.size;
  }

  /** The fingerprint of the values the contact was delivered with, or undefined for a contact it does not hold. */
  recorded(hi: number, lo: number): number | undefined {
    return this.values.get(hi, lo);
  }

  /** Starts reading an export: no contact is marked as seen. */
  newExport(): void {
    this.marks = undefined;
    this.marksStale = false;
  }

  /**
   * Marks a contact as one the export holds: the fingerprint of the values it was delivered with, undefined
   * for a contact it does not hold, or SEEN_BEFORE when the export had it already.
   */
  see(hi: number, lo: number): number | undefined {
    this.checkMarks('see');
    const slot = this.values.slotOf(hi, lo);
    if (slot < 0) return undefined;
    const marks = (this.marks ??= new Uint8Array(this.values.slots));
    if (marks[slot]) return SEEN_BEFORE;
    marks[slot] = 1;
    return this.values.valueAt(slot);
  }

  /** Whether `see` marked the contact. */
  seen(hi: number, lo: number): boolean {
    this.checkMarks('seen');
    const slot = this.values.slotOf(hi, lo);
    return slot >= 0 && this.marks !== undefined && this.marks[slot] === 1;
  }

  /** Forgets the contacts `see` did not mark (those the latest export no longer has); the marks go with them. */
  retainSeen(): void {
    this.checkMarks('retainSeen');
    const before = this.values.size;
    this.values.retainMarked(this.marks ?? new Uint8Array(this.values.slots));
    this.dropMarks();
    if (this.values.size !== before) this.changed = true;
  }

  set(hi: number, lo: number, valueHash: number): void {
    if (!this.changed && this.values.get(hi, lo) !== valueHash) this.changed = true;
    this.dropMarks();
    this.values.set(hi, lo, valueHash);
  }

  /** Room for `more` contacts than it holds: before a run records what it imported. */
  reserve(more: number): void {
    this.dropMarks();
    this.values.reserve(this.values.size + more);
  }

  private dropMarks(): void {
    this.marks = undefined;
    this.marksStale = true;
  }

  private checkMarks(caller: string): void {
    if (this.marksStale) throw new Error(`ContactFingerprints.${caller}: the export's marks were dropped when the table changed; ask before set, reserve or retainSeen`);
  }

  /** Saves it when it differs from contacts.bin: a run that changed nothing (1M contacts) skips sorting and writing 12 MB. */
  saveIfChanged(stateDir: string): void {
    if (this.changed) this.save(stateDir);
  }

  /** Writes the records sorted by email fingerprint, so that an unchanged address book writes the same file; in chunks. */
  save(stateDir: string): void {
    const values = this.values;
    function* chunks(): Generator<Buffer> {
      for (const records of values.sortedRecords()) yield Buffer.from(records.buffer, records.byteOffset, records.byteLength);
    }
    writeDurably(join(stateDir, CONTACTS_FILE), chunks());
    this.changed = false;
  }
}
