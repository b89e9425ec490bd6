import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PairFile, readPairs } from '../../src/pipeline/pair-file.ts';

describe('PairFile', () => {
  it('keeps pairs appended one by one and in bulk, in order, across its buffer flushes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'writeback-pairs-'));
    try {
      const file = new PairFile(join(dir, 'keys'));
      const expected: number[] = [];
      file.push(1, 2);
      expected.push(1, 2);
      // More than the 8,192 pairs its buffer holds, starting where single pushes left it.
      const bulk = Uint32Array.from({ length: 2 * 20_000 }, (_, i) => (i * 2654435761) >>> 0);
      file.pushAll(bulk.subarray(2)); // a view that starts inside its array
      expected.push(...bulk.subarray(2));
      file.push(0xffffffff, 0);
      file.pushAll(new Uint32Array(0));
      expected.push(0xffffffff, 0);
      file.close();
      expect([...readPairs(join(dir, 'keys'))]).toEqual(expected);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
