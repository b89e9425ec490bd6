/**
 * Jobs with a window read only it, through Domo's query API (source.domo.read: auto), against the Domo
 * emulator's SQL engine: what reaches Emarsys is what a whole export would have sent, digit for digit.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseLossless } from '../src/sources/domo/lossless-json.ts';
import { exportCsvLine, queryAnswerCsv } from '../src/sources/domo/query-csv.ts';
import { windowCondition } from '../src/sources/domo/window-query.ts';
import { runCli, scratchRepo } from './helpers/repo.ts';
import { acceptedOrders, COLUMNS, DATASET_ID, lines, salesJob, SECRETS, useWorld } from './helpers/world.ts';

const WINDOW = '  delivery:\n    cursor: ordered_at\n    lookback: 1d\n';
const day = (d: number) => Date.parse(`2026-11-${String(20 + d).padStart(2, '0')}T08:00:00Z`);

describe('reading only the window through the query API', () => {
  const world = useWorld(salesJob(WINDOW));

  it('the first run exports everything; the next ones query only the window, and send each line once', async () => {
    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS, rows: lines(40, day(0)) });
    const first = await world.run();
    expect(first.source?.read).toBe('export');
    expect(world.domo.queries).toEqual([]);

    // The window starts a day before the last delivered line (08:39 on the 20th): all 70 rows are in it.
    world.domo.appendRows(DATASET_ID, lines(30, day(3), 1000));
    const second = await world.run();
    expect(second.source).toMatchObject({ read: 'query', rowsAnnounced: 70, rowsInWindow: 70 });
    expect(second.rows).toMatchObject({ read: 70, sent: 30 });
    // Now it starts a day before 08:29 on the 23rd: the 40 older rows are no longer read at all.
    world.domo.appendRows(DATASET_ID, lines(5, day(3) + 3_600_000, 2000));
    world.domo.queries.length = 0;
    const third = await world.run();
    expect(third.source).toMatchObject({ read: 'query', rowsAnnounced: 75, rowsInWindow: 35 });
    expect(third.rows).toMatchObject({ read: 35, sent: 5 });
    expect(world.domo.queries[0]).toBe("SELECT COUNT(*) FROM table WHERE (`ordered_at` >= '2026-11-22T08:29:00' OR `ordered_at` IS NULL)");
    expect(world.domo.queries[1]).toMatch(/^SELECT `ordered_at`, `sku`, .* FROM table WHERE \(`ordered_at` >= '2026-11-22T08:29:00' OR `ordered_at` IS NULL\)$/);
    expect(acceptedOrders(world)).toHaveLength(75);
    expect(world.emarsys.duplicates()).toEqual([]);
  });

  it('a window larger than a page is read in slices of time, each read whole, so no tie or collation can skip a row', async () => {
    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS, rows: lines(1, day(0) - 86_400_000 * 3, 900) });
    await world.run();
    // 25 lines, 5 of them exact copies, 6 sharing one second, and 'web'/'WEB' that a case-insensitive collation ties.
    const rows = lines(20, day(0)).map((row, i) => ((row[1] = i < 6 ? '2026-11-20T08:00:00' : row[1]!), (row[6] = i % 2 ? 'web' : 'WEB'), row));
    world.domo.appendRows(DATASET_ID, [...rows, ...rows.slice(0, 5).map((r) => [...r])]);
    world.domo.queries.length = 0;
    const report = await world.run({ env: { WRITEBACK_DOMO_QUERY_PAGE_ROWS: '12' } });
    expect(report.source?.read).toBe('query');
    expect(report.rows).toMatchObject({ read: 26, sent: 20 }); // the earlier line is still in the window
    expect(report.skipped).toMatchObject({ duplicateInExport: 5, alreadyDelivered: 1 });
    expect(acceptedOrders(world)).toEqual([...new Set(acceptedOrders(world))]);
    expect(acceptedOrders(world)).toHaveLength(21);
    const reads = world.domo.queries.filter((q) => !q.startsWith('SELECT COUNT'));
    expect(reads.length).toBeGreaterThan(1);
    expect(reads.every((q) => !/ORDER BY|OFFSET|LIMIT/.test(q))).toBe(true);

    // More rows on one instant than a page holds: auto reads the export instead; read: query fails saying what to change.
    world.domo.appendRows(DATASET_ID, lines(5, day(0), 3000).map((row) => ((row[1] = '2026-11-20T08:00:00'), row)));
    const log: string[] = [];
    const { reconcile } = await import('../src/reconcile/reconciler.ts');
    const query = salesJob(WINDOW).replace('      clientSecret', '      read: query\n      clientSecret');
    writeFileSync(join(world.root, 'connectors', 'sales.yaml'), query);
    const strict = (await reconcile({ root: world.root, env: { ...world.env, WRITEBACK_DOMO_QUERY_PAGE_ROWS: '4' }, only: [], force: true, dryRun: false, log: (l) => log.push(l) })).reports[0]!;
    expect(strict.status).toBe('failed');
    expect(strict.message).toContain("rows have the ordered_at '2026-11-20T08:00:00', more than a page of the query API holds (WRITEBACK_DOMO_QUERY_PAGE_ROWS=4): raise it");
    expect(acceptedOrders(world)).toHaveLength(21);
    writeFileSync(join(world.root, 'connectors', 'sales.yaml'), salesJob(WINDOW));
    const crowded = (await reconcile({ root: world.root, env: { ...world.env, WRITEBACK_DOMO_QUERY_PAGE_ROWS: '4' }, only: [], force: true, dryRun: false, log: (l) => log.push(l) })).reports[0]!;
    expect(crowded).toMatchObject({ status: 'succeeded', source: { read: 'export' }, rows: { sent: 5 } });
    expect(log.join('\n')).toMatch(/the query API did not serve the window: .*more than a page.*; reading the whole export instead/);
    expect(world.emarsys.duplicates()).toEqual([]);
  });

  it('auto reads the export where the query API could differ from it: a numeric key column, row policies, SQL Domo refuses', async () => {
    const numericSku = COLUMNS.map((c) => (c.name === 'sku' ? { ...c, type: 'DOUBLE' } : c));
    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: numericSku, rows: lines(5, day(0)) });
    await world.run();
    world.domo.appendRows(DATASET_ID, lines(2, day(1), 100));
    expect((await world.run()).source).toMatchObject({ read: 'export' });
    const plan = await runCli(['plan'], { root: world.root, env: world.env });
    expect(plan.stdout).toContain('the key column sku is DOUBLE, whose text the query API may write otherwise than the export');

    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS, rows: lines(7, day(0)), policy: () => true });
    expect((await world.run()).source).toMatchObject({ read: 'export' });

    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS, rows: [...lines(5, day(0)), ...lines(2, day(1), 100)] });
    world.domo.inject('query', { kind: 'status', status: 400, message: 'Invalid SQL: backticks are not supported' });
    const refused = await world.run();
    expect(refused).toMatchObject({ status: 'succeeded', source: { read: 'export' } });
    expect(world.emarsys.duplicates()).toEqual([]);
  });

  it('numbers reach Emarsys as Domo holds them, nulls as an export gives them', async () => {
    const columns = COLUMNS.map((c) => (c.name === 'line_total' ? { ...c, type: 'DECIMAL' } : c));
    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns, rows: lines(1, day(0) - 86_400_000 * 3) });
    await world.run();
    const row = lines(1, day(0), 500)[0]!;
    row[4] = '12345678901234567.89'; // a double would make it 12345678901234568
    row[6] = null as unknown as string; // the channel
    // Java's BigDecimal writes 0.00000010 as 1.0E-7: sent as the same digits, written out.
    const tiny = lines(1, day(0) + 60_000, 501)[0]!;
    tiny[4] = '1.0E-7';
    world.domo.appendRows(DATASET_ID, [row, tiny]);
    const report = await world.run();
    expect(report.source?.read).toBe('query');
    expect(report.rows).toMatchObject({ sent: 2, rejected: 0 });
    const line = world.emarsys.accepted.find((l) => l.record.order === 'O-500')!;
    expect(line.record.price).toBe('12345678901234567.89');
    expect(line.record.s_channel ?? '').toBe('');
    expect(world.emarsys.accepted.find((l) => l.record.order === 'O-501')!.record.price).toBe('0.00000010');
  });

  it('a short answer is read again; source.domo.read: export never queries; plan says which read it uses', async () => {
    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS, rows: lines(10, day(0)) });
    await world.run();
    world.domo.appendRows(DATASET_ID, lines(12, day(3), 100));
    world.domo.inject('query', { kind: 'truncate', afterRows: 5 }, 2); // the count is right; the page comes back short
    const report = await world.run();
    expect(report.status).toBe('succeeded');
    expect(report.rows.sent).toBe(12);

    const plan = await runCli(['plan'], { root: world.root, env: world.env });
    expect(plan.stdout).toMatch(/reads only the rows from 2026-11-22T\d\d:\d\d:00 on \(ordered_at\), 7 columns, through Domo's query API \(the job reads a window\)/);

    const queried = world.domo.queries.length;
    world.root && (await import('node:fs')).writeFileSync(`${world.root}/connectors/sales.yaml`, salesJob(WINDOW).replace('      clientSecret', '      read: export\n      clientSecret'));
    const exported = await world.run();
    expect(exported.source?.read).toBe('export');
    expect(world.domo.queries).toHaveLength(queried);
  });

  it('an empty answer from the query API fails the run, naming the call, and sends nothing', async () => {
    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS, rows: lines(10, day(0)) });
    await world.run();
    world.domo.appendRows(DATASET_ID, lines(3, day(3), 1000));
    world.domo.inject('query', { kind: 'empty' });
    const report = await world.run();
    expect(report.status).toBe('failed');
    expect(report.message).toContain('an empty body where the answer of the query was expected');
    expect(acceptedOrders(world)).toHaveLength(10);
    expect((await world.run()).rows).toMatchObject({ sent: 3 }); // the next run, answered, sends them
  });

  it('SQL the emulator cannot run is refused the way Domo answers it; SELECT * and quoted names with backticks are run', async () => {
    const { DomoClient } = await import('../src/sources/domo/client.ts');
    const { HttpClient } = await import('../src/http/client.ts');
    const { Redactor } = await import('../src/http/redact.ts');
    const columns = COLUMNS.map((c) => (c.name === 'channel' ? { ...c, name: 'chan`nel' } : c));
    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns, rows: lines(3, day(0)) });
    const client = new DomoClient(new HttpClient({ service: 'Domo', baseUrl: world.domo.url, redactor: new Redactor(), timeoutMs: 5000, retryBaseMs: 10, maxRateLimitWaitMs: 1000 }), SECRETS.DOMO_CLIENT_ID, SECRETS.DOMO_CLIENT_SECRET);
    const all = await client.query(DATASET_ID, 'SELECT * FROM table');
    expect(all.columns).toEqual(columns.map((c) => c.name));
    expect(all.rows).toEqual(lines(3, day(0)));
    // The runner writes a backtick inside a name doubled, as windowCondition shows below.
    expect((await client.query(DATASET_ID, "SELECT `chan``nel` FROM table WHERE `chan``nel` = 'web'")).rows).toEqual([['web']]);
    await expect(client.query(DATASET_ID, 'SELECT sku FROM table GROUP BY sku')).rejects.toMatchObject({ status: 400, message: expect.stringContaining('GROUP BY is not supported') });
  });
});

describe("the emulator's index on a large file DataSet", () => {
  it('answers a window from the index, as the same rows held in memory would, and refuses an unbounded query', async () => {
    const { DomoEmulator, domoCsvLine } = await import('../src/emulators/domo.ts');
    const { DomoClient } = await import('../src/sources/domo/client.ts');
    const { HttpClient } = await import('../src/http/client.ts');
    const { Redactor } = await import('../src/http/redact.ts');
    const rows = lines(300, day(0)).map((row, i) => (i % 50 === 7 ? ((row[1] = null as unknown as string), row) : i % 40 === 3 ? ((row[6] = 'we,b "x"'), row) : row));
    const file = join(scratchRepo(), 'big.csv');
    writeFileSync(file, domoCsvLine(COLUMNS.map((c) => c.name)) + rows.map(domoCsvLine).join(''));
    const domo = new DomoEmulator({ id: 'secret' });
    await domo.start();
    try {
      domo.addDataSet({ id: 'file', name: 'file', columns: COLUMNS, csvFile: file, rowCount: rows.length, index: 'ordered_at' });
      domo.addDataSet({ id: 'memory', name: 'memory', columns: COLUMNS, rows });
      const client = new DomoClient(new HttpClient({ service: 'Domo', baseUrl: domo.url, redactor: new Redactor(), timeoutMs: 5000, retryBaseMs: 10, maxRateLimitWaitMs: 1000 }), 'id', 'secret');
      const sql = "SELECT `order_id`, `ordered_at`, `channel` FROM table WHERE (`ordered_at` >= '2026-11-20T10:00:00' OR `ordered_at` IS NULL) ORDER BY `ordered_at`, `order_id` LIMIT 1000";
      const [fromFile, fromMemory] = [await client.query('file', sql), await client.query('memory', sql)];
      expect(fromFile.rows).toHaveLength(180 + 3); // from 10:00 on, and the rows without a time
      expect(fromFile).toEqual(fromMemory);
      await expect(client.query('file', 'SELECT COUNT(*) FROM table')).rejects.toThrow(/a query must bound ordered_at from below/);
    } finally {
      await domo.stop();
    }
  });
});

describe('query building blocks', () => {
  it('keeps every digit of a number and every escape of a string', () => {
    expect(parseLossless('{"rows":[[9007199254740993,0.1,-1.5e3,"a\\"b\\u00e9",null,true]]}')).toEqual({ rows: [['9007199254740993', '0.1', '-1.5e3', 'a"bé', null, true]] });
    expect(() => parseLossless('{"rows":[1,]}')).toThrow(/byte 11/);
    const answer = '{"datasource":"d","columns":["id","price","note"],"metadata":[{"type":"LONG"}],"rows":[[9007199254740993,12.50,"a,\\"b\\""],[1,null,""]],"numRows":2,"fromcache":false}';
    const csv = (json: string) => {
      const { csv: bytes, ...rest } = queryAnswerCsv(Buffer.from(json));
      return { ...rest, csv: bytes.toString() };
    };
    expect(csv(answer)).toEqual({ columns: ['id', 'price', 'note'], csv: '9007199254740993,12.50,"a,""b"""\n1,\\N,\n', rows: 2 });
    expect(() => csv('{"rows":[[[1]]]}')).toThrow(/a cell that is not a value/);
    // Rows with space around everything, an empty row, numbers at the edges of JSON's grammar, the literals.
    expect(csv('{ "rows" : [ [ -0 , 0.5E+2 , 1e-7 , true,false ] , [ ] ] }')).toEqual({ columns: [], csv: '-0,0.5E+2,1e-7,true,false\n\n', rows: 2 });
    const bad = ['{"rows":[[01]]}', '{"rows":[[1.]]}', '{"rows":[[1e]]}', '{"rows":[[-]]}', '{"rows":[[1 2]]}', '{"rows":[[1]', '{"rows":[[nul]]}', '{"rows":[["a]]}', '{"rows":[[1]]} x', '{"columns":[1,],"rows":[]}', '[1]'];
    for (const json of bad) expect(() => csv(json), json).toThrow();
  });

  it("writes an answer's cells as exportCsvLine writes them, whatever their text: escapes, quotes, commas, line breaks, \\N, Unicode", () => {
    // Cells as Domo might send them (numbers as their own digits), each beside the value exportCsvLine writes.
    const texts = ['', 'plain', 'a,b', 'say "hi"', 'two\nlines', 'cr\r', '\\N', '\\', 'tab\there', 'Zoë', '東京', '😀', '\u0000', '/'];
    const numbers = ['9007199254740993', '-0.10', '1E+2', '0'];
    let seed = 1;
    const next = (n: number) => (seed = (seed * 48271) % 2147483647) % n; // each choice drawn on its own
    const pick = (): { json: string; value: string | null } => {
      const kind = next(5);
      if (kind === 0) return { json: 'null', value: null };
      if (kind === 1) return ((n) => ({ json: n, value: n }))(numbers[next(numbers.length)]!);
      const text = texts[next(texts.length)]! + (next(3) ? '' : texts[next(texts.length)]!);
      // Escaped as JSON.stringify writes it, or with every UTF-16 unit as \uXXXX.
      const units = Array.from({ length: text.length }, (_, i) => `\\u${text.charCodeAt(i).toString(16).padStart(4, '0')}`);
      return { json: next(2) ? JSON.stringify(text) : `"${units.join('')}"`, value: text };
    };
    const rows = Array.from({ length: 300 }, () => Array.from({ length: next(4) }, pick));
    const json = `{"columns":["a","b","c"],"rows":[${rows.map((row) => `[${row.map((c) => c.json).join(',')}]`).join(', ')}],"numRows":${rows.length}}`;
    const answer = queryAnswerCsv(Buffer.from(json));
    expect(answer).toMatchObject({ columns: ['a', 'b', 'c'], rows: 300 });
    expect(answer.csv.toString()).toBe(rows.map((row) => exportCsvLine(row.map((c) => c.value))).join(''));
  });

  it('reads an answer as its text would read: bytes that are not UTF-8 as U+FFFD, keys as they are', () => {
    const answer = Buffer.concat([Buffer.from('{"col\tumns":1,"rows":[["a'), Buffer.from([0xff, 0xc3]), Buffer.from('b","\\u00e9', 'latin1'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"]]}')]);
    // Compared as bytes: decoding both sides would hide bytes left as they came.
    expect(queryAnswerCsv(answer).csv.toString('hex')).toBe(Buffer.from('a\uFFFD\uFFFDb,é\uFFFD\uFFFD\uFFFD\n').toString('hex'));
  });

  it('quotes names and texts, and writes the window start as the cursor column holds it', () => {
    const at = Date.parse('2026-11-20T08:00:00.750Z');
    expect(windowCondition({ cursor: { name: "o`d'x", type: 'DATETIME' }, from: at })).toBe("(`o``d'x` >= '2026-11-20T08:00:00' OR `o``d'x` IS NULL)");
    expect(windowCondition({ cursor: { name: 'day', type: 'DATE' }, from: at })).toBe("(`day` >= '2026-11-20' OR `day` IS NULL)");
  });

});
