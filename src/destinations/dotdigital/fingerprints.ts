/**
 * `delivery.changedOnly`: one 12-byte record per contact (64-bit email fingerprint, 32-bit fingerprint
 * of its mapped values) in `state/<name>/contacts.bin`, sorted by email fingerprint. Its size is bounded
 * by the number of contacts in the DataSet: contacts no longer exported are dropped at each run.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FingerprintMap, type FingerprintSet } from '../../state/fingerprint-tables.ts';
import { writeDurably } from '../../state/durable.ts';

export const CONTACTS_FILE = 'contacts.bin';
const RECORD = 12;

export class ContactFingerprints {
  private readonly values: FingerprintMap;

  constructor(expected?: number) {
    this.values = new FingerprintMap(expected);
  }

  static load(stateDir: string): ContactFingerprints {
    const file = join(stateDir, CONTACTS_FILE);
    if (!existsSync(file)) return new ContactFingerprints();
    const buffer = readFileSync(file);
    const set = new ContactFingerprints(buffer.length / RECORD);
    for (let at = 0; at + RECORD <= buffer.length; at += RECORD) set.values.set(buffer.readUInt32LE(at), buffer.readUInt32LE(at + 4), buffer.readUInt32LE(at + 8));
    return set;
  }

  get size(): number {
    return this.values.size;
  }

  /** Whether the contact was delivered with exactly these values. */
  unchanged(hi: number, lo: number, valueHash: number): boolean {
    return this.values.get(hi, lo) === valueHash;
  }

  set(hi: number, lo: number, valueHash: number): void {
    this.values.set(hi, lo, valueHash);
  }

  /** Keeps only the contacts in `keep` (those the latest export still had). */
  retain(keep: FingerprintSet): void {
    this.values.retain((hi, lo) => keep.has(hi, lo));
  }

  /** Writes the records sorted by email fingerprint, so that an unchanged address book writes the same file. */
  save(stateDir: string): void {
    const keys = new BigUint64Array(this.values.size);
    let n = 0;
    this.values.forEach((hi, lo) => (keys[n++] = (BigInt(hi) << 32n) | BigInt(lo)));
    keys.sort();
    const buffer = Buffer.alloc(keys.length * RECORD);
    keys.forEach((k, i) => {
      const hi = Number(k >> 32n);
      const lo = Number(k & 0xffffffffn);
      buffer.writeUInt32LE(hi, i * RECORD);
      buffer.writeUInt32LE(lo, i * RECORD + 4);
      buffer.writeUInt32LE(this.values.get(hi, lo)!, i * RECORD + 8);
    });
    writeDurably(join(stateDir, CONTACTS_FILE), buffer);
  }
}
