import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { scanBatches } from '../../src/pipeline/batch-scan.ts';

/** The calls a scan gets, in order: what a destination may count on when it loads its state in firstBatchSent. */
async function calls(lines: string[]): Promise<string[]> {
  const seen: string[] = [];
  await scanBatches<{ records: number }>(
    Readable.from(lines.map((line) => Buffer.from(`${line}\n`))), // a chunk a line, as a slow export comes
    {
      start: (header) => {
        seen.push(`start ${header.join('|')}`);
        return {
          inline: () => (batch) => (seen.push('format'), { records: batch.toString().split('\n').filter(Boolean).length }),
          worker: { entry: new URL('file:///unused'), config: undefined, transferables: () => [] },
        };
      },
      add: (result) => void seen.push(`add ${result.records}`),
      firstBatchSent: () => void seen.push('firstBatchSent'),
    },
    { batchBytes: 64 },
  );
  return seen;
}

describe('the scan of an export in batches', () => {
  it('calls firstBatchSent once, after the first batch went to the runner and before any batch is added; never for an export without rows', async () => {
    const rows = Array.from({ length: 40 }, (_, i) => `${i},row number ${i}`);
    const seen = await calls(['id,name', ...rows]);
    expect(seen.slice(0, 3)).toEqual(['start id|name', 'format', 'firstBatchSent']);
    expect(seen.filter((call) => call === 'firstBatchSent')).toHaveLength(1);
    expect(seen.indexOf('firstBatchSent')).toBeLessThan(seen.findIndex((call) => call.startsWith('add')));
    expect(seen.filter((call) => call === 'format').length).toBeGreaterThan(3); // several batches
    expect(seen.filter((call) => call.startsWith('add')).reduce((sum, call) => sum + Number(call.slice(4)), 0)).toBe(40);
    expect(await calls(['id,name'])).toEqual(['start id|name']);
  });
});
