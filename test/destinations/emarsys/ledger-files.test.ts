import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';

// The file format is little-endian on every processor: as the memory of a Uint32Array where that is so,
// through a conversion per word elsewhere (node:os says which, and is mocked here to take that path too).
describe.each(['LE', 'BE'])('ledger segment files, on a processor whose byte order is %s', (order) => {
  const roots: string[] = [];
  afterEach(() => {
    roots.splice(0).forEach((root) => rmSync(root, { recursive: true, force: true }));
    vi.doUnmock('node:os');
  });

  async function ledgerFiles() {
    vi.resetModules();
    vi.doMock('node:os', async (importOriginal) => ({ ...(await importOriginal<typeof import('node:os')>()), endianness: () => order }));
    const { LedgerFiles } = await import('../../../src/destinations/emarsys/ledger-files.ts');
    const { StateStore } = await import('../../../src/state/store.ts');
    const root = mkdtempSync(join(tmpdir(), 'writeback-ledger-'));
    roots.push(root);
    return { ledger: new LedgerFiles(new StateStore(root, 'sales')), dir: join(root, 'state', 'sales') };
  }

  it('are little-endian uint32 pairs, whatever the chunks, and read back as written', async () => {
    const { ledger, dir } = await ledgerFiles();
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
