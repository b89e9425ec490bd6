/**
 * The ledger's segment files under `state/<name>/`: the 64-bit fingerprints of one accepted upload's
 * lines each (little-endian uint32 pairs), checked against the size and sha256 the state records.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { endianness } from 'node:os';
import { join } from 'node:path';
import { storageError, writeDurably } from '../../state/durable.ts';
import { wordsOf } from '../../pipeline/pair-file.ts';
import { FingerprintSet } from '../../state/fingerprint-tables.ts';
import { CorruptStateError, restoreHint, type StateStore } from '../../state/store.ts';
import type { LedgerSegment } from './state.ts';

/**
 * On a little-endian processor (x86 and ARM as Node runs on them) a Uint32Array's memory is the file's
 * format, so pairs are written and read as they lie: 2M conversions a call cost 70 ms per 1M lines.
 */
const NATIVE_IS_FILE_ORDER = endianness() === 'LE';

export class LedgerFiles {
  constructor(private readonly store: StateStore) {}

  /** Writes a segment file of fingerprints (little-endian uint32 pairs), given in chunks: its name, size and sha256. */
  writeSegment(runId: string, part: number, chunks: Iterable<Uint32Array>): { file: string; bytes: number; sha256: string } {
    const file = `ledger-${runId}-${String(part).padStart(3, '0')}.bin`;
    const hash = createHash('sha256');
    let bytes = 0;
    let buffer = Buffer.alloc(0);
    writeDurably(
      join(this.store.dir, file),
      (function* () {
        for (const pairs of chunks) {
          let chunk: Buffer;
          if (NATIVE_IS_FILE_ORDER) chunk = Buffer.from(pairs.buffer, pairs.byteOffset, pairs.byteLength);
          else {
            if (buffer.length < pairs.length * 4) buffer = Buffer.alloc(pairs.length * 4);
            for (let i = 0; i < pairs.length; i++) buffer.writeUInt32LE(pairs[i]!, i * 4);
            chunk = buffer.subarray(0, pairs.length * 4);
          }
          hash.update(chunk);
          bytes += chunk.length;
          yield chunk;
        }
      })(),
      `state/${this.store.name}/${file}`,
    );
    return { file, bytes, sha256: hash.digest('hex') };
  }

  /** A segment's fingerprints, after checking the file is the one the state describes. */
  readSegment(segment: LedgerSegment): Uint32Array {
    const where = `state/${this.store.name}/${segment.file}`;
    const path = join(this.store.dir, segment.file);
    if (!existsSync(path)) {
      throw new CorruptStateError(`${where} is missing, so it is unknown which lines were delivered; nothing was sent. ${restoreHint(where)}`);
    }
    let buffer: Buffer;
    try {
      buffer = readFileSync(path);
    } catch (error) {
      throw storageError(error, `could not read ${where}`);
    }
    const bytes = segment.bytes ?? segment.lines * 8; // segments written before checksums: at least the size
    const sha256 = segment.sha256 === undefined ? undefined : createHash('sha256').update(buffer).digest('hex');
    if (buffer.length !== bytes || buffer.length !== segment.lines * 8 || sha256 !== segment.sha256) {
      throw new CorruptStateError(
        `${where} does not match state/${this.store.name}.json (${bytes} bytes${segment.sha256 ? `, sha256 ${segment.sha256.slice(0, 12)}` : ''} expected; ` +
          `found ${buffer.length} bytes${sha256 ? `, sha256 ${sha256.slice(0, 12)}` : ''}): it was truncated or edited, so it is unknown which lines were delivered. Nothing was sent. ${restoreHint(where)}`,
      );
    }
    // A segment of an earlier version, its size right: its checksum is recorded from now on (saved with the state).
    if (segment.sha256 === undefined) Object.assign(segment, { bytes: buffer.length, sha256: createHash('sha256').update(buffer).digest('hex') });
    if (NATIVE_IS_FILE_ORDER) return wordsOf(buffer);
    const pairs = new Uint32Array(buffer.length / 4);
    for (let i = 0; i < pairs.length; i++) pairs[i] = buffer.readUInt32LE(i * 4);
    return pairs;
  }

  deleteSegment(file: string): void {
    rmSync(join(this.store.dir, file), { force: true });
  }

  /** Every delivered fingerprint, from the segments the state lists, each checked. */
  load(segments: LedgerSegment[]): FingerprintSet {
    const total = segments.reduce((n, s) => n + s.lines, 0);
    const set = new FingerprintSet(total);
    for (const segment of segments) set.addAll(this.readSegment(segment));
    return set;
  }
}
