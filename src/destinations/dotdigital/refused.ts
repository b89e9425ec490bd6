/**
 * Contacts Dotdigital refused for a lasting reason (suppressed, hard bounced...): `state/<name>/refused.bin`,
 * one 16-byte record per contact (64-bit email fingerprint, 32-bit fingerprint of the values sent, the
 * reason). They are not sent again, and are counted as rejected with that reason, while their values
 * stay the same; contacts that left the DataSet are forgotten.
 */
import { existsSync, statSync } from 'node:fs';
import { wordChunks } from '../../pipeline/pair-file.ts';
import { join } from 'node:path';
import { writeDurably } from '../../state/durable.ts';
import { FingerprintMap, type FingerprintLookup } from '../../state/fingerprint-tables.ts';

export const REFUSED_FILE = 'refused.bin';
const RECORD = 16;

/**
 * Fault report reasons that last: the same contact is refused again (Dotdigital's Magento extension,
 * ImporterReportHandler.php, lists them; docs/vendors/dotdigital.md). Others (Invalid Entries, duplicates,
 * Failures) are about the row and worth another try.
 */
export const LASTING_REASONS = ['Globally Suppressed', 'Blocked', 'Unsubscribed', 'Hard Bounced', 'Isp Complaints', 'Domain Suppressed', 'Mail Blocked', 'Suppressed by you', 'Suppressed'];
const normal = (reason: string) => reason.toLowerCase().replace(/[^a-z]/g, '').replace(/complaint$/, 'complaints');
const LASTING = new Map(LASTING_REASONS.map((reason, i) => [normal(reason), i]));

/** The index of a lasting reason in LASTING_REASONS (casing and spacing vary between sources), or undefined. */
export const lastingReason = (reason: string): number | undefined => LASTING.get(normal(reason));

export class RefusedContacts {
  private readonly values: FingerprintMap;
  private readonly reasons: FingerprintMap;
  changed = false;

  constructor(expected?: number) {
    this.values = new FingerprintMap(expected);
    this.reasons = new FingerprintMap(expected);
  }

  /** Sized from the file at once: grown by doubling, a table is rebuilt about log2(n / 1024) times on the way. */
  static load(stateDir: string): RefusedContacts {
    const file = join(stateDir, REFUSED_FILE);
    if (!existsSync(file)) return new RefusedContacts();
    const refused = new RefusedContacts(statSync(file).size / RECORD);
    for (const words of wordChunks(file, RECORD / 4, 16 * 1024)) {
      for (let i = 0; i < words.length; i += 4) {
        refused.values.set(words[i]!, words[i + 1]!, words[i + 2]!);
        refused.reasons.set(words[i]!, words[i + 1]!, words[i + 3]!);
      }
    }
    return refused;
  }

  get size(): number {
    return this.values.size;
  }

  /** The lasting reason the contact was refused for, when it was refused with exactly these values. */
  reasonFor(hi: number, lo: number, valueHash: number): string | undefined {
    if (this.values.get(hi, lo) !== valueHash) return undefined;
    return LASTING_REASONS[this.reasons.get(hi, lo)!];
  }

  set(hi: number, lo: number, valueHash: number, reason: number): void {
    this.values.set(hi, lo, valueHash);
    this.reasons.set(hi, lo, reason);
    this.changed = true;
  }

  /** Keeps only the contacts the latest export still had. */
  retain(present: FingerprintLookup): void {
    const before = this.values.size;
    this.values.retain((hi, lo) => present.has(hi, lo));
    this.reasons.retain((hi, lo) => present.has(hi, lo));
    if (this.values.size !== before) this.changed = true;
  }

  save(stateDir: string): void {
    const records: number[][] = [];
    this.values.forEach((hi, lo, value) => records.push([hi, lo, value, this.reasons.get(hi, lo)!]));
    records.sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!); // an unchanged set writes the same file
    const buffer = Buffer.alloc(records.length * RECORD);
    records.forEach((record, i) => record.forEach((n, j) => buffer.writeUInt32LE(n, i * RECORD + j * 4)));
    writeDurably(join(stateDir, REFUSED_FILE), buffer);
  }
}
