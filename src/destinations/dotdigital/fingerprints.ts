/**
 * `delivery.changedOnly`: one 12-byte record per contact (64-bit email fingerprint, 32-bit fingerprint
 * of its mapped values) in `state/<name>/contacts.bin`, sorted by email fingerprint. Its size is bounded
 * by the number of contacts in the DataSet: contacts no longer exported are dropped at each run.
 */
import { existsSync, statSync } from 'node:fs';
import { grown } from '../../pipeline/batch-workers.ts';
import { wordChunks } from '../../pipeline/pair-file.ts';
import { join } from 'node:path';
import { FingerprintMap } from '../../state/fingerprint-tables.ts';
import { mergeRecords, sortedRecords } from '../../state/sorted-records.ts';
import { writeDurably } from '../../state/durable.ts';

export const CONTACTS_FILE = 'contacts.bin';
const RECORD = 12;
const RECORD_WORDS = RECORD / 4;
/** Records read at a time. */
const CHUNK_RECORDS = 64 * 1024;

/** What `see` answers for a contact seen before in this export. */
export const SEEN_BEFORE = -1;

/**
 * What a person should know about contacts.bin before a run reads it: a size that is not whole records means
 * the file was cut short or edited (git, a hand). Its whole records are read; the contacts it lost look new.
 */
export function contactsFileWarning(stateDir: string, where: string): string | undefined {
  const file = join(stateDir, CONTACTS_FILE);
  const bytes = existsSync(file) ? statSync(file).size : 0;
  if (bytes % RECORD === 0) return undefined;
  return `${where} is ${bytes} bytes, not whole ${RECORD}-byte records: it was cut short or edited. Its ${Math.floor(bytes / RECORD)} whole record(s) are used; the contacts it lost are imported again (an upsert that does no harm) and recorded anew.`;
}

export class ContactFingerprints {
  private readonly values: FingerprintMap;
  /** Whether it differs from contacts.bin (a new one: there is no file yet). */
  private changed = true;
  /**
   * The contacts an export holds, marked in a byte per slot of the table rather than kept in a set of their
   * own: 1.4 MB for 1M contacts instead of 11 MB, and one lookup per contact instead of two. Slots move when
   * the table grows or loses keys, so `retainSeen` and `record` make the marks stale until the next export:
   * asking for them then is a mistake in the caller's order, and fails rather than answering "not seen" for everyone.
   */
  private marks: Uint8Array | undefined;
  private marksStale = false;
  /**
   * What this run delivered, as [hi, lo, value] records kept aside rather than put into the table: save sorts
   * them and merges them into the table's sorted records. For a first run of 1M contacts that is 12 MB and
   * 0.1-0.15 s, against 17 MB and 0.5 s for growing the table, a lookup per contact and sorting the table.
   */
  private delivered: Uint32Array = new Uint32Array(0);
  private deliveredWords = 0;

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

  /** Contacts it holds, this run's recorded ones included (which puts them into the table: see settled). */
  get size(): number {
    return this.settled().size;
  }

  /** The fingerprint of the values the contact was delivered with, or undefined for a contact it does not hold. */
  recorded(hi: number, lo: number): number | undefined {
    return this.settled().get(hi, lo);
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
    const values = this.settled();
    this.checkMarks('see');
    const slot = values.slotOf(hi, lo);
    if (slot < 0) return undefined;
    const marks = (this.marks ??= new Uint8Array(values.slots));
    if (marks[slot]) return SEEN_BEFORE;
    marks[slot] = 1;
    return values.valueAt(slot);
  }

  /** Whether `see` marked the contact. */
  seen(hi: number, lo: number): boolean {
    const values = this.settled();
    this.checkMarks('seen');
    const slot = values.slotOf(hi, lo);
    return slot >= 0 && this.marks !== undefined && this.marks[slot] === 1;
  }

  /** Forgets the contacts `see` did not mark (those the latest export no longer has); the marks go with them. */
  retainSeen(): void {
    const values = this.settled();
    this.checkMarks('retainSeen');
    const before = values.size;
    values.retainMarked(this.marks ?? new Uint8Array(values.slots));
    this.dropMarks();
    if (values.size !== before) this.changed = true;
  }

  /** Room for `more` contacts to be recorded, made at once rather than by doubling as they come. */
  expectRecords(more: number): void {
    this.growDelivered(this.deliveredWords + more * RECORD_WORDS);
  }

  /** Records a contact delivered with the fingerprint of its values, replacing what it held (recorded twice: the later). */
  record(hi: number, lo: number, valueHash: number): void {
    if (hi === 0 && lo === 0) lo = 1; // as the table holds it (0,0 marks its empty slots)
    if (this.deliveredWords === 0) this.dropMarks(); // the state changes: the export's marks no longer answer
    if (this.deliveredWords + RECORD_WORDS > this.delivered.length) this.growDelivered(Math.max(1024, this.delivered.length * 2));
    this.delivered[this.deliveredWords] = hi;
    this.delivered[this.deliveredWords + 1] = lo;
    this.delivered[this.deliveredWords + 2] = valueHash;
    this.deliveredWords += RECORD_WORDS;
    this.changed = true;
  }

  private growDelivered(words: number): void {
    if (words > this.delivered.length) this.delivered = grown(this.delivered, words);
  }

  /**
   * The table with this run's records in it: reading it after recording (not a run's order, where the table is
   * only saved then) puts them there one insert each, growing it as needed.
   */
  private settled(): FingerprintMap {
    if (this.deliveredWords === 0) return this.values;
    const records = this.delivered;
    for (let i = 0; i < this.deliveredWords; i += 3) this.values.set(records[i]!, records[i + 1]!, records[i + 2]!);
    this.delivered = new Uint32Array(0);
    this.deliveredWords = 0;
    return this.values;
  }

  private dropMarks(): void {
    this.marks = undefined;
    this.marksStale = true;
  }

  private checkMarks(caller: string): void {
    if (this.marksStale) throw new Error(`ContactFingerprints.${caller}: the export's marks were dropped when the table changed; ask before recording contacts or retainSeen`);
  }

  /** Saves it when it differs from contacts.bin: a run that changed nothing (1M contacts) skips sorting and writing 12 MB. */
  saveIfChanged(stateDir: string): void {
    if (this.changed) this.save(stateDir);
  }

  /**
   * Writes the records sorted by email fingerprint, so that an unchanged address book writes the same file,
   * in chunks: the table's, with this run's records merged in (replacing older values of the same contacts).
   */
  save(stateDir: string): void {
    const recordedNow = this.delivered.subarray(0, this.deliveredWords);
    function* chunks(table: FingerprintMap): Generator<Buffer> {
      for (const records of mergeRecords(table.sortedRecords(), sortedRecords(recordedNow))) yield Buffer.from(records.buffer, records.byteOffset, records.byteLength);
    }
    writeDurably(join(stateDir, CONTACTS_FILE), chunks(this.values));
    this.changed = false;
  }
}
