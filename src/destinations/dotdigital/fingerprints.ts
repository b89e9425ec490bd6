/**
 * `delivery.changedOnly`: one 12-byte record per contact (64-bit email fingerprint, 32-bit fingerprint
 * of its mapped values) in `state/<name>/contacts.bin`, sorted by email fingerprint. Its size is bounded
 * by the number of contacts in the DataSet: contacts no longer exported are dropped at each run.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeDurably } from '../../state/store.ts';

export const CONTACTS_FILE = 'contacts.bin';
const RECORD = 12;

export class ContactFingerprints {
  private readonly values = new Map<string, number>();

  static load(stateDir: string): ContactFingerprints {
    const set = new ContactFingerprints();
    const file = join(stateDir, CONTACTS_FILE);
    if (!existsSync(file)) return set;
    const buffer = readFileSync(file);
    for (let at = 0; at + RECORD <= buffer.length; at += RECORD) {
      set.values.set(key(buffer.readUInt32LE(at), buffer.readUInt32LE(at + 4)), buffer.readUInt32LE(at + 8));
    }
    return set;
  }

  get size(): number {
    return this.values.size;
  }

  /** Whether the contact was delivered with exactly these values. */
  unchanged(hi: number, lo: number, valueHash: number): boolean {
    return this.values.get(key(hi, lo)) === valueHash;
  }

  set(hi: number, lo: number, valueHash: number): void {
    this.values.set(key(hi, lo), valueHash);
  }

  delete(hi: number, lo: number): void {
    this.values.delete(key(hi, lo));
  }

  /** Keeps only the contacts in `keep` (those the latest export still had). */
  retain(keep: Set<string>): void {
    for (const k of this.values.keys()) if (!keep.has(k)) this.values.delete(k);
  }

  save(stateDir: string): void {
    const keys = [...this.values.keys()].sort();
    const buffer = Buffer.alloc(keys.length * RECORD);
    keys.forEach((k, i) => {
      const [hi, lo] = k.split(':').map((n) => Number.parseInt(n, 16));
      buffer.writeUInt32LE(hi!, i * RECORD);
      buffer.writeUInt32LE(lo!, i * RECORD + 4);
      buffer.writeUInt32LE(this.values.get(k)!, i * RECORD + 8);
    });
    writeDurably(join(stateDir, CONTACTS_FILE), buffer);
  }
}

export const key = (hi: number, lo: number) => `${hi.toString(16).padStart(8, '0')}:${lo.toString(16).padStart(8, '0')}`;
