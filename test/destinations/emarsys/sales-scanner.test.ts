import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { EmarsysSalesSpec } from '../../../src/destinations/emarsys/spec.ts';
import { scanSalesExport, type ScanResult } from '../../../src/destinations/emarsys/sales-scanner.ts';
import { formatNumber, formatTimestamp } from '../../../src/pipeline/values.ts';
import { formatText } from '../../../src/destinations/emarsys/fields.ts';
import { hashFields, type KeyEncoding } from '../../../src/state/key-hasher.ts';
import { FingerprintSet } from '../../../src/state/fingerprint-tables.ts';

const spec = {
  source: { domo: { datasetId: 'sales', clientId: 'x', clientSecret: 'y' } },
  destination: { emarsysSales: { merchantId: 'm', token: 't' } },
  mapping: { order: 'order_id', timestamp: 'ordered_at', customer: 'customer_id', item: 'sku', price: 'line_total', quantity: 'qty', custom: { s_channel: 'channel', i_units: 'units' } },
  fieldOrder: ['order', 'timestamp', 'customer', 'item', 'price', 'quantity', 's_channel', 'i_units'],
  delivery: { cursor: 'ordered_at', lookback: '3d' },
} as unknown as EmarsysSalesSpec;
const HEADER = 'order_id,ordered_at,customer_id,sku,line_total,qty,channel,units';

/** Values the byte path copies and values it hands to the text formatters, mixed. */
const ROWS = [
  'WS-1,2026-03-01T10:00:00,C1,SKU-1,10.50,2,app,3',
  'WS-2,2026-03-01 10:00:01,C2,SKU-2,+3,1e2,"store, Berlin",4',
  '"WS-3",2026-03-01,C3,"SKU ""3""",.5,1,"marketplace ""Zalando""",5',
  'Zoë-4,2026-03-01T12:00:00+02:00,Ærø,東京-4,-5,7,web,',
  'WS-5,2026-03-02T00:00:00Z,C5,SKU-5,"1.25","2",email,"6"',
];

async function scan(csv: string, maxPartBytes = 1 << 20, keyEncoding?: KeyEncoding): Promise<ScanResult> {
  return scanSalesExport(Readable.from([Buffer.from(csv)]), { spec, ledger: new FingerprintSet(), maxPartBytes, keyEncoding });
}

const contents = (result: ScanResult) => result.spool.parts.map((p) => readFileSync(p.path, 'utf8')).join('');
const fingerprints = (result: ScanResult) => result.spool.parts.flatMap((p) => [...p.fingerprints()]);

describe('formatting an export into Emarsys lines', () => {
  it('writes the same lines and fingerprints on the byte path as the text formatters define', async () => {
    const fast = await scan(`${HEADER}\n${ROWS.join('\n')}\n`);
    // One byte that is not UTF-8 sends the whole batch down the text path (and its row is rejected).
    const careful = await scan(`${HEADER}\n${ROWS.join('\n')}\nWS-6,2026-03-02,C6,caf\uFFFD,1,1,app,1\n`);
    expect(careful.rejects).toEqual([expect.objectContaining({ row: 6, field: 'item', reason: expect.stringContaining('not valid UTF-8') })]);
    expect(contents(fast)).toBe(contents(careful));
    expect(fingerprints(fast)).toEqual(fingerprints(careful));
    expect(contents(fast).split('\n').slice(0, 4)).toEqual([
      'order,timestamp,customer,item,price,quantity,s_channel,i_units',
      'WS-1,2026-03-01T10:00:00Z,C1,SKU-1,10.50,2,app,3',
      'WS-2,2026-03-01T10:00:01Z,C2,SKU-2,3,100,"store, Berlin",4',
      'WS-3,2026-03-01T00:00:00Z,C3,"SKU ""3""",0.5,1,"marketplace ""Zalando""",5',
    ]);
    fast.dispose();
    careful.dispose();
  });

  it('fingerprints keys exactly as earlier versions did, so existing ledgers keep working', async () => {
    const result = await scan(`${HEADER}\n${ROWS.join('\n')}\n`, 1 << 20, 'joined');
    const pair = new Uint32Array(2);
    const expected = ROWS.flatMap((row) => {
      const cells = row.match(/("([^"]|"")*"|[^,]*)(,|$)/g)!.map((c) => c.replace(/,$/, '').replace(/^"(.*)"$/s, '$1').replaceAll('""', '"'));
      hashFields([formatText(cells[0]!) as string, formatText(cells[3]!) as string], [0, 1], pair);
      return [pair[0], pair[1]];
    });
    expect(fingerprints(result)).toEqual(expected);
    // Pinned values of the ledger format (computed by the implementation state files were written with).
    expect(fingerprints(result).slice(0, 2)).toEqual([3957385659, 3255533443]); // WS-1 / SKU-1
    expect(fingerprints(result).slice(4, 8)).toEqual([3665999724, 1285038280, 481128733, 707097089]); // WS-3 / SKU "3", Zoë-4 / 東京-4
    expect(formatTimestamp('2026-03-01T12:00:00+02:00')).toBe('2026-03-01T10:00:00Z');
    expect(formatNumber('+3')).toBe('3');
    result.dispose();
  });

  it('formats in worker threads exactly as in this thread: lines, fingerprints, row numbers, duplicates across batches', async () => {
    const rows = Array.from({ length: 3000 }, (_, i) => {
      if (i % 500 === 7) return `WS-${i},not a time,C,SKU,1,1,app,1`; // rejected: the cursor
      if (i % 700 === 9) return `WS-${i},2026-03-01T10:00:00,C,SKU,12 EUR,1,app,1`; // rejected: the price
      // Two keys again, dozens of batches later (one of them in the other worker's batches, whichever it is).
      if (i === 2900) return 'WS-11,2026-03-02T10:00:00,C,SKU-2,1,1,app,1';
      if (i === 2950) return 'WS-100,2026-03-02T10:00:00,C,SKU-1,1,1,app,1';
      return ROWS[i % ROWS.length]!.replace(/^("[^"]*"|[^,]*)/, `WS-${i}`); // the mixed rows, each its own order
    });
    const csv = `${HEADER}\n${rows.join('\n')}\n`;
    const scanWith = (workers: number) =>
      scanSalesExport(Readable.from([Buffer.from(csv)]), { spec, ledger: new FingerprintSet(), maxPartBytes: 40_000, workers, batchBytes: 4096, expectedRows: 3000 });
    const inline = await scanWith(0);
    const threaded = await scanWith(2);
    expect(inline.spool.parts.length).toBeGreaterThan(3);
    expect(contents(threaded)).toBe(contents(inline));
    expect(fingerprints(threaded)).toEqual(fingerprints(inline));
    expect(threaded.rejects).toEqual(inline.rejects);
    expect(inline.rejects.map((r) => r.row)).toEqual([8, 10, 508, 710, 1008, 1410, 1508, 2008, 2110, 2508, 2810]);
    expect([threaded.read, threaded.rejected, threaded.duplicateInExport, threaded.maxCursor]).toEqual([3000, 11, 2, inline.maxCursor]);
    expect(inline.duplicateInExport).toBe(2);
    expect(contents(inline)).not.toContain('2026-03-02T10:00:00Z');
    for (const result of [inline, threaded]) {
      expect(result.spool.parts.map((p) => [p.firstLine, p.lastLine, p.lines])).toEqual(inline.spool.parts.map((p) => [p.firstLine, p.lastLine, p.lines]));
    }
    inline.dispose();
    threaded.dispose();
  });

  it('names the export row of malformed CSV found by a worker', async () => {
    const rows = Array.from({ length: 2000 }, (_, i) => `WS-${i},2026-03-01T10:00:00,C,SKU-${i},1,1,app,1`);
    rows[1733] = 'WS-1733,2026-03-01T10:00:00,C,"SKU"x,1,1,app,1';
    const error = await scanSalesExport(Readable.from([Buffer.from(`${HEADER}\n${rows.join('\n')}\n`)]), { spec, ledger: new FingerprintSet(), maxPartBytes: 1 << 20, workers: 2, batchBytes: 4096 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'CSV_INVALID_QUOTE', message: 'malformed quotes at data row 1734: text after the closing quote of field 4' });
  });

  it('sends a key repeated in a later upload part once, and the parts stay consistent', async () => {
    const lines = Array.from({ length: 40 }, (_, i) => `WS-${i},2026-03-01T10:00:${String(i).padStart(2, '0')},C,SKU,1,1,app,1`);
    lines.push('WS-3,2026-03-05T00:00:00,C,SKU,9,9,app,9'); // the same order line again, later
    const result = await scan(`${HEADER}\n${lines.join('\n')}\n`, 400);
    expect(result.duplicateInExport).toBe(1);
    expect(result.spool.lines).toBe(40);
    expect(contents(result)).not.toContain('WS-3,2026-03-05');
    for (const part of result.spool.parts) {
      const body = readFileSync(part.path);
      expect(part.bytes).toBe(body.length);
      expect(part.bytes).toBeLessThanOrEqual(400);
      expect(part.sha256).toBe(createHash('sha256').update(body).digest('hex'));
      expect(part.lines).toBe(body.toString().trimEnd().split('\n').length - 1);
      expect(part.fingerprints().length).toBe(part.lines * 2);
      expect(part.lastLine).toBe(body.toString().trimEnd().split('\n').at(-1));
    }
    // The part holding WS-3 keeps its key in the ledger as long as the later copy is inside the window.
    expect(result.spool.parts[0]!.maxCursor).toBe(Date.parse('2026-03-05T00:00:00Z'));
    result.dispose();
  });

  it('writes every value whole when lines grow past their records: a column mapped to several fields', async () => {
    const channel = `${'shop'.repeat(40)}, "Berlin"`; // quoted on the way out, its quotes doubled
    const three = { ...spec, mapping: { ...spec.mapping, custom: { s_a: 'channel', s_b: 'channel', s_c: 'channel' } }, fieldOrder: ['order', 'timestamp', 'customer', 'item', 'price', 'quantity', 's_a', 's_b', 's_c'] } as unknown as EmarsysSalesSpec;
    const rows = Array.from({ length: 3000 }, (_, i) => `WS-${i},2026-03-01,C,SKU,1,1,"${channel.replaceAll('"', '""')}",1`);
    const result = await scanSalesExport(Readable.from([Buffer.from(`${HEADER}\n${rows.join('\n')}\n`)]), { spec: three, ledger: new FingerprintSet(), maxPartBytes: 1 << 22 });
    const quoted = `"${channel.replaceAll('"', '""')}"`;
    const lines = contents(result).split('\n').slice(1, -1);
    expect(lines).toHaveLength(3000);
    lines.forEach((line, i) => expect(line).toBe(`WS-${i},2026-03-01T00:00:00Z,C,SKU,1,1,${quoted},${quoted},${quoted}`));
    result.dispose();
  });
});
