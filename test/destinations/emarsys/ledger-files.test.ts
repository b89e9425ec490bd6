import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LedgerFiles } from '../../../src/destinations/emarsys/ledger-files.ts';
import { StateStore } from '../../../src/state/store.ts';

describe('ledger segment files', () => {
  const roots: string[] = [];
  afterEach(() => roots.splice(0).forEach((root) => rmSync(root, { recursive: true, force: true })));
  const files = () => {
    const root = mkdtempSync(join(tmpdir(), 'writeback-ledger-'));
    roots.push(root);
    return { files: new LedgerFiles(new StateStore(root, 'sales')), dir: join(root, 'state', 'sales') };
  };

  it('are little-endian uint32 pairs, whatever the chunks, and read back as written', () => {
    const { files: ledger, dir } = files();
    // Chunks that start inside a larger array (offset 4 bytes), as the spool's chunk reader gives them.
    const whole = new Uint32Array([0xdeadbeef, 0x01020304, 0xa0b0c0d0, 1, 0xffffffff, 0, 7]);
    const segment = ledger.writeSegment('run', 1, [whole.subarray(1, 3), whole.subarray(3)]);
    const bytes = readFileSync(join(dir, segment.file));
    expect(bytes.toString('hex')).toBe('04030201' + 'd0c0b0a0' + '01000000' + 'ffffffff' + '00000000' + '07000000');
    expect(segment.bytes).toBe(24);
    // Read back through the check of its recorded size and sha256.
    const read = ledger.readSegment({ file: segment.file, lines: 3, bytes: segment.bytes, sha256: segment.sha256, runId: 'run', acceptedAt: '2026-12-01T00:00:00Z' });
    expect([...read]).toEqual([0x01020304, 0xa0b0c0d0, 1, 0xffffffff, 0, 7]);
  });
});
