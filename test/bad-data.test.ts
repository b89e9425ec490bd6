/** Bad data from Domo: each case gets a clear message, in bounded time, and nothing wrong is sent. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { csvLine } from '../src/pipeline/csv-line.ts';
import { COLUMNS, DATASET_ID, lines, useWorld } from './helpers/world.ts';

const HEADER = csvLine(COLUMNS.map((c) => c.name));

describe('bad data in the export', () => {
  const world = useWorld();
  /** Serves these exact bytes as the export, announcing `rows` rows. */
  const serve = (bytes: string | Buffer, rows: number) => {
    const file = join(world.root, 'export.csv');
    writeFileSync(file, bytes);
    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS, csvFile: file, rowCount: rows });
  };
  const timed = async () => {
    const started = performance.now();
    const report = await world.run();
    return { report, seconds: (performance.now() - started) / 1000 };
  };

  it('a quoted field that never ends (cut-off export): fails, naming the row, nothing sent', async () => {
    serve(`${HEADER}${lines(3).map(csvLine).join('')}O-9,2026-11-20T08:00:00,C-1,SKU-1,1.00,1,"store\n`, 4);
    const { report } = await timed();
    expect(report.status).toBe('failed');
    expect(report.message).toMatch(/a quoted field that starts at data row 4 never ends: the export was cut off or is malformed/);
    expect(world.emarsys.uploads).toBe(0);
  });

  it('a row with another number of fields than the header', async () => {
    serve(`${HEADER}${lines(2).map(csvLine).join('')}O-9,2026-11-20T08:00:00,C-1\n`, 3);
    const { report } = await timed();
    expect(report.status).toBe('failed');
    expect(report.message).toContain('data row 3 has 3 fields but the header has 7');
    expect(world.emarsys.uploads).toBe(0);
  });

  it('text in another encoding (Latin-1 bytes) is rejected per row with the reason', async () => {
    const good = lines(3).map(csvLine).join('');
    const latin1 = Buffer.concat([Buffer.from(`${HEADER}${good}O-9,2026-11-20T08:00:00,C-1,SKU-1,1.00,1,Caf`), Buffer.from([0xe9]), Buffer.from('\n')]);
    serve(latin1, 4);
    const { report } = await timed();
    expect(report.rows).toMatchObject({ read: 4, sent: 3, rejected: 1 });
    expect(report.rejects?.[0]).toMatchObject({ row: 4, field: 's_channel', reason: expect.stringContaining('is not valid UTF-8') });
  });

  it('a multi-byte character split across network chunks arrives intact', async () => {
    const prefix = `${HEADER}O-2,2026-11-20T08:01:00,C-2,SKU-2,2.00,1,`;
    // Put the two bytes of "é" on both sides of the 64 KiB chunk boundary of the file the emulator streams.
    const pad = 65_535 - Buffer.byteLength(prefix) - 3;
    const body = `${prefix}${'y'.repeat(pad)}Café\n`;
    expect(Buffer.from(body).subarray(65_535, 65_537)).toEqual(Buffer.from('é'));
    serve(body, 1);
    const { report } = await timed();
    expect(report.status, report.message).toBe('succeeded');
    expect(world.emarsys.accepted[0]!.record.s_channel!.endsWith('yyyCafé')).toBe(true);
  });

  it('formula-looking values cannot break or arm the Markdown report', async () => {
    const rows = lines(2).map((r) => [...r]);
    rows[1]![4] = "=cmd|' /C calc'!A0";
    serve(`${HEADER}${rows.map(csvLine).join('')}`, 2);
    const { report } = await timed();
    expect(report.rejects?.[0]?.reason).toContain("\"=cmd|' /C calc'!A0\" is not a number");
    const markdown = readFileSync(join(world.root, 'reports', 'sales', `${report.runId}.md`), 'utf8');
    const row = markdown.split('\n').find((l) => l.startsWith('| 2 |'))!;
    expect(row.replace(/\\\|/g, '').split('|')).toHaveLength(6); // the value's | cannot add a column
  });

  it('an enormous field is refused quickly with a clear message, without buffering the export', async () => {
    serve(`${HEADER}O-1,2026-11-20T08:00:00,C-1,SKU-1,1.00,1,"${'z'.repeat(20 * 1024 * 1024)}"\n`, 1);
    const before = process.memoryUsage().rss;
    const { report, seconds } = await timed();
    expect(report.status).toBe('failed');
    expect(report.message).toContain('the export has a line longer than 4 MB: an enormous field or not CSV');
    expect(seconds).toBeLessThan(10);
    expect(process.memoryUsage().rss - before).toBeLessThan(400 * 1024 * 1024);
  });

  it('10,000 columns are read in bounded time', async () => {
    const extra = Array.from({ length: 10_000 - COLUMNS.length }, (_, i) => `extra_${i}`);
    const header = csvLine([...COLUMNS.map((c) => c.name), ...extra]);
    const body = lines(200).map((r) => csvLine([...r, ...extra.map(() => '1')])).join('');
    serve(`${header}${body}`, 200);
    const { report, seconds } = await timed();
    expect(report.status, report.message).toBe('succeeded');
    expect(report.rows.sent).toBe(200);
    expect(seconds).toBeLessThan(10);
  });

  it('something that is not CSV at all (an HTML page) names the missing columns', async () => {
    serve('<html><body>Service temporarily unavailable</body></html>\n', 0);
    const { report } = await timed();
    expect(report.status).toBe('failed');
    expect(report.message).toContain('the DataSet has no column sku (for item), line_total (for price), order_id (for order)');
  });
});
