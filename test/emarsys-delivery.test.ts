import { existsSync, mkdirSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import type { RunReport } from '../src/reports/run-report.ts';
import { formatWorkers } from '../src/settings.ts';
import { runCli } from './helpers/repo.ts';
import { acceptedOrders, COLUMNS, DATASET_ID, lines, SECRETS, useWorld } from './helpers/world.ts';

const expectedOrders = (count: number, first = 1) => Array.from({ length: count }, (_, i) => `O-${first + i}`).sort();

describe('Emarsys sales delivery', () => {
  const world = useWorld();

  it('sends exactly the bytes the mapping and field order describe', async () => {
    world.domo.addDataSet({
      id: DATASET_ID,
      name: 'sales',
      columns: COLUMNS,
      rows: [
        ['A-1', '2026-11-20T08:15:00', 'C-1', 'SKU, with comma', '110.30', '2', 'store "Mitte"'],
        ['A-2', '2026-11-20', 'C-2', 'BOOK0012', '-5.5', '-1', ''],
        ['A-3', '2026-11-20T10:00:00+02:00', 'C-3', 'X', '1e2', '+3', 'web'],
      ],
    });
    const report = await world.run();
    expect(report.status).toBe('succeeded');
    // Without spec.fieldOrder the columns come in Emarsys's documented order: item, price, order, timestamp, customer, quantity.
    expect(world.emarsys.files.map((f) => f.body)).toEqual([
      'item,price,order,timestamp,customer,quantity,s_channel\n' +
        '"SKU, with comma",110.30,A-1,2026-11-20T08:15:00Z,C-1,2,"store ""Mitte"""\n' +
        'BOOK0012,-5.5,A-2,2026-11-20T00:00:00Z,C-2,-1,\n' +
        'X,100,A-3,2026-11-20T08:00:00Z,C-3,3,web\n',
    ]);
    expect(world.emarsys.server.requests.at(-1)?.headers).toMatchObject({ authorization: `Bearer ${SECRETS.EMARSYS_SALES_TOKEN}`, 'content-type': 'text/csv' });
  });

  it('a second run sends nothing, and late rows inside the lookback are sent once', async () => {
    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS, rows: lines(50) });
    expect((await world.run()).rows).toEqual({ read: 50, sent: 50, rejected: 0, skipped: 0 });
    const again = await world.run();
    expect(again.rows).toMatchObject({ read: 50, sent: 0 });
    expect(again.message).toMatch(/^Nothing new to send/);
    expect(world.emarsys.uploads).toBe(1);

    // One late line 2 days before the cursor (inside 3d), one 5 days before it (outside: the query for the
    // window does not even read it; an export would read it and count it skipped).
    const cursor = Date.parse(world.state().cursor!);
    world.domo.appendRows(DATASET_ID, [...lines(1, cursor - 2 * 86_400_000, 1000), ...lines(1, cursor - 5 * 86_400_000, 2000)]);
    const late = await world.run();
    expect(late.source?.read).toBe('query');
    expect(late.rows).toMatchObject({ read: 51, sent: 1 });
    expect(acceptedOrders(world)).toEqual([...expectedOrders(50), 'O-1000'].sort());
    expect(world.emarsys.duplicates()).toEqual([]);
  });

  it('formats in worker threads when WRITEBACK_WORKERS asks, with the same result: every line once, bad rows named', async () => {
    const rows = lines(300);
    rows[41]![4] = '1.234,50'; // European decimal: data row 42
    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS, rows });
    const { code, stdout } = await runCli(['reconcile', '--force'], { root: world.root, env: { ...world.env, WRITEBACK_WORKERS: '2' } });
    expect(code).toBe(0);
    expect(stdout).toContain('sales: exporting "sales" (300 rows announced; formatting in 2 worker threads)');
    const report = JSON.parse(readFileSync(join(world.root, 'reports', 'sales', world.reportFiles().find((f) => f.endsWith('.json'))!), 'utf8')) as RunReport;
    expect(report.rows).toEqual({ read: 300, sent: 299, rejected: 1, skipped: 0 });
    expect(report.rejects).toEqual([expect.objectContaining({ row: 42, field: 'price' })]);
    expect(acceptedOrders(world)).toEqual(expectedOrders(300).filter((o) => o !== 'O-42'));
    expect(world.emarsys.duplicates()).toEqual([]);
  });

  it('uses worker threads for large exports on machines with 2 processors or more, unless told otherwise', () => {
    expect(formatWorkers({}, 1_000_000, 2)).toBe(2);
    expect(formatWorkers({}, 1_000_000, 1)).toBe(0);
    expect(formatWorkers({}, 50_000, 8)).toBe(0); // starting them would cost more than they save
    expect(formatWorkers({}, undefined, 8)).toBe(0);
    expect(formatWorkers({ WRITEBACK_WORKERS: '0' }, 1_000_000, 8)).toBe(0);
    expect(formatWorkers({ WRITEBACK_WORKERS: '3' }, 10, 2)).toBe(3);
    expect(formatWorkers({ WRITEBACK_WORKERS: 'many' }, 1_000_000, 4)).toBe(2);
  });

  it('rejects bad rows with row number and reason, and sends the rest', async () => {
    const rows = lines(10);
    rows[2]![3] = ''; // missing item
    rows[4]![4] = '1.234,50'; // European decimal
    rows[6]![6] = 'two\nlines';
    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS, rows });
    const report = await world.run();
    expect(report.status).toBe('succeeded');
    expect(report.rows).toEqual({ read: 10, sent: 7, rejected: 3, skipped: 0 });
    expect(report.rejects).toEqual([
      { row: 3, order: 'O-3', field: 'item', column: 'sku', reason: 'is empty but required' },
      { row: 5, order: 'O-5', field: 'price', column: 'line_total', reason: expect.stringContaining('"1.234,50" is not a number') },
      { row: 7, order: 'O-7', field: 's_channel', column: 'channel', reason: expect.stringContaining('line break') },
    ]);
    const markdown = readFileSync(join(world.root, 'reports', 'sales', `${report.runId}.md`), 'utf8');
    expect(markdown).toContain('| 3 (order O-3) | item | sku | is empty but required |');
  });

  it('fails before sending anything when too many rows are bad (rejects.maxRatio)', async () => {
    const rows = lines(4).map((r) => [...r]);
    for (const r of rows.slice(0, 3)) r[4] = 'n/a';
    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS, rows });
    const report = await world.run();
    expect(report.status).toBe('failed');
    expect(report.message).toMatch(/3 of 4 rows are invalid \(75\.0%\), more than rejects.maxRatio 50\.0% allows; nothing was sent/);
    expect(report.window).toEqual({ cursor: 'ordered_at' }); // the report of a failed run still says what it read
    expect(world.emarsys.uploads).toBe(0);
  });

  it('names a missing column and sends nothing', async () => {
    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS.filter((c) => c.name !== 'qty'), rows: lines(3).map((r) => r.filter((_, i) => i !== 5)) });
    const report = await world.run();
    expect(report.status).toBe('failed');
    expect(report.message).toContain('the DataSet has no column qty (for quantity)');
    expect(world.emarsys.uploads).toBe(0);
  });

  it('a missing secret fails the job by name before any data moves, and secrets never reach files', async () => {
    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS, rows: lines(3) });
    const report = await world.run({ env: { EMARSYS_SALES_TOKEN: '' } });
    expect(report.status).toBe('failed');
    expect(report.message).toContain('sales: secret EMARSYS_SALES_TOKEN is not set');
    expect(world.domo.server.requests).toHaveLength(0);

    const ok = await world.run({ env: { EMARSYS_SALES_TOKEN: '', WRITEBACK_SECRETS: JSON.stringify({ EMARSYS_SALES_TOKEN: SECRETS.EMARSYS_SALES_TOKEN }) } });
    expect(ok.status).toBe('succeeded');
    const written = [...world.reportFiles().map((f) => readFileSync(join(world.root, 'reports', 'sales', f), 'utf8')), readFileSync(join(world.root, 'state', 'sales.json'), 'utf8')].join('\n');
    for (const secret of Object.values(SECRETS).filter((s) => s.startsWith('canary'))) expect(written).not.toContain(secret);
  });

  it('writes reports valid against schemas/report.schema.json, with a Markdown twin', async () => {
    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS, rows: lines(5) });
    const report = await world.run();
    const schema = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'schemas', 'report.schema.json'), 'utf8'));
    const validate = new Ajv({ allErrors: true }).compile(schema);
    const json = JSON.parse(readFileSync(join(world.root, 'reports', 'sales', `${report.runId}.json`), 'utf8'));
    expect(validate.errors ?? validate(json) ? [] : validate.errors).toEqual([]);
    expect(world.reportFiles()).toEqual([`${report.runId}.json`, `${report.runId}.md`]);
  });

  it('--dry-run writes the file that would be sent and changes no state', async () => {
    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS, rows: lines(3) });
    const report = await world.run({ dryRun: true });
    expect(report.status).toBe('succeeded');
    expect(report.dryRunFiles).toHaveLength(1);
    expect(readFileSync(report.dryRunFiles![0]!, 'utf8').split('\n')).toHaveLength(5);
    expect(world.emarsys.uploads).toBe(0);
    expect(() => world.state()).toThrow();
    expect((await world.run()).rows.sent).toBe(3);
    const again = await world.run({ dryRun: true });
    expect(again.message).toBe('Nothing new to send: 3 rows read, 3 skipped, 0 rejected. No state changed.');
    expect(again.dryRunFiles).toBeUndefined();
  });
});

describe('Emarsys uploads of unknown outcome hold the job', () => {
  const world = useWorld();

  it('holds after an accepted upload whose answer never came, and release --delivered never resends', async () => {
    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS, rows: lines(20) });
    world.emarsys.inject({ kind: 'accept-then-timeout' });
    const held = await world.run();
    expect(held.status).toBe('held');
    expect(held.action).toContain('npx writeback release sales --delivered');
    expect(held.action).toMatch(/^Check in Emarsys whether upload 1 of 1, sent \d{4}-.*Z, arrived: Management > Smart Insight Data Quality > Data Loads lists the files loaded in the last 30 days \(look for 20 lines in 20 orders, order ids O-1 to O-20\)/);
    // No line is quoted: lines carry customer ids (and emails), and this text goes into reports, state and issues.
    for (const text of [held.action!, held.message, JSON.stringify(world.state())]) expect(text).not.toMatch(/C-[1-7]\b/);
    expect(world.state().pending).toBeDefined();

    const stillHeld = await world.run();
    expect(stillHeld.status).toBe('held');
    expect(world.emarsys.uploads).toBe(1);

    const released = await runCli(['release', 'sales', '--delivered'], { root: world.root });
    expect(released.code).toBe(0);
    expect((await world.run()).rows.sent).toBe(0);
    expect(acceptedOrders(world)).toEqual(expectedOrders(20));
  });

  it('a reset while uploading holds; release --not-delivered sends the lines once', async () => {
    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS, rows: lines(20) });
    world.emarsys.inject({ kind: 'reset' });
    expect((await world.run()).status).toBe('held');
    expect(world.emarsys.accepted).toHaveLength(0);
    await runCli(['release', 'sales', '--not-delivered'], { root: world.root });
    expect((await world.run()).rows.sent).toBe(20);
    expect(acceptedOrders(world)).toEqual(expectedOrders(20));
  });

  it('splits large deliveries; a lost answer on part 2 keeps part 1 delivered and holds the rest', async () => {
    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS, rows: lines(300) });
    world.env.WRITEBACK_EMARSYS_MAX_UPLOAD_BYTES = '4000';
    world.emarsys.inject({ kind: 'slow', delayMs: 0 }); // part 1 is answered normally
    world.emarsys.inject({ kind: 'accept-then-reset' }); // part 2 is accepted, its answer lost
    const held = await world.run();
    expect(held.status).toBe('held');
    expect(held.uploads?.map((u) => u.outcome)).toEqual(['accepted', 'unknown']);
    expect(held.rows.sent).toBe(held.uploads![0]!.lines);
    await runCli(['release', 'sales', '--delivered'], { root: world.root });
    const rest = await world.run();
    expect(rest.status).toBe('succeeded');
    expect(rest.uploads!.length).toBeGreaterThan(1);
    expect(acceptedOrders(world)).toEqual(expectedOrders(300));
    expect(world.emarsys.duplicates()).toEqual([]);
  });

  it('release explains itself when used wrongly', async () => {
    const { code, stderr } = await runCli(['release', 'sales'], { root: world.root });
    expect(code).toBe(2);
    expect(stderr).toContain('say whether the destination received the held upload: writeback release NAME --delivered | --not-delivered');
  });
});

describe('faults that recover', () => {
  const world = useWorld();
  const cases: [string, () => void][] = [
    ['Domo 429 with Retry-After on metadata', () => world.domo.inject('metadata', { kind: 'status', status: 429, retryAfter: 0 })],
    ['Domo 503 on export', () => world.domo.inject('export', { kind: 'status', status: 503 }, 2)],
    ['Domo 500 on the token', () => world.domo.inject('token', { kind: 'status', status: 500 })],
    ['Domo token expired (401 JSON, then 406 HTML on CSV)', () => {
      world.domo.inject('metadata', { kind: 'status', status: 401 });
      world.domo.inject('export', { kind: 'status', status: 406 });
    }],
    ['Domo connection reset mid-body', () => world.domo.inject('export', { kind: 'reset', afterBytes: 2000 })],
    ['Domo export truncated below the announced row count', () => world.domo.inject('export', { kind: 'truncate', afterRows: 40 })],
    ['Domo body slower than the timeout', () => world.domo.inject('export', { kind: 'slow', delayMs: 2500 })],
    ['Emarsys 429 with Retry-After', () => world.emarsys.inject({ kind: 'status', status: 429, retryAfter: 0 })],
    ['Emarsys 503 before reading the body', () => world.emarsys.inject({ kind: 'status', status: 503 }, 2)],
  ];
  for (const [name, inject] of cases) {
    it(`${name}: delivers every line exactly once`, async () => {
      world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS, rows: lines(120) });
      inject();
      const report = await world.run();
      expect(report.status, report.message).toBe('succeeded');
      expect(acceptedOrders(world)).toEqual(expectedOrders(120));
    });
  }

  it('Emarsys 400 fails the run, keeps nothing pending, and the next run delivers', async () => {
    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS, rows: lines(10) });
    world.emarsys.inject({ kind: 'status', status: 400, body: 'Line 2: invalid price' });
    const failed = await world.run();
    expect(failed.status).toBe('failed');
    expect(failed.message).toContain('Emarsys refused upload 1 of 1: Emarsys POST /hapi/merchant/***/sales-data/api answered 400: Line 2: invalid price');
    expect(world.state().pending).toBeUndefined();
    expect(world.state().segments).toEqual([]);
    expect((await world.run()).rows.sent).toBe(10);
    expect(acceptedOrders(world)).toEqual(expectedOrders(10));
  });

  it('a persistently truncated export fails with nothing sent', async () => {
    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS, rows: lines(100) });
    world.domo.inject('export', { kind: 'truncate', afterRows: 60 }, 3);
    const report = await world.run();
    expect(report.status).toBe('failed');
    expect(report.message).toContain('the export ended after 60 rows but the DataSet announces 100');
    expect(world.emarsys.uploads).toBe(0);
  });

  it('Domo errors keep their toe trace id', async () => {
    world.domo.addDataSet({ id: 'other', name: 'x', columns: COLUMNS, rows: [] });
    const report = await world.run();
    expect(report.status).toBe('failed');
    expect(report.error).toMatchObject({ service: 'Domo', status: 404, traceId: expect.stringMatching(/^[0-9A-F]{20}$/) });
    expect(report.message).toContain('Check spec.source.domo.datasetId');
  });
});

describe('runs that overlap or crash', () => {
  const world = useWorld();

  // Process start times come from /proc (Linux, where runners run); elsewhere a live id is trusted.
  it.runIf(existsSync('/proc/self/stat'))('a lock whose process id now belongs to another process is taken over; one whose process runs is respected', async () => {
    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS, rows: lines(5) });
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const started = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]!;
    const lock = (startedAt: string) =>
      writeFileSync(join(world.root, 'state', 'sales.lock'), JSON.stringify({ runId: 'crashed', pid: process.pid, started: startedAt, host: hostname(), since: new Date().toISOString() }));
    mkdirSync(join(world.root, 'state'), { recursive: true });
    lock(started); // this very process: a run that is still going
    expect(await world.run()).toMatchObject({ status: 'skipped', message: expect.stringContaining('crashed') });
    lock(String(Number(started) - 1)); // the id of a dead run, reused by this process since
    expect((await world.run()).status).toBe('succeeded');
    expect(acceptedOrders(world)).toEqual(expectedOrders(5));
  });

  it('an unreadable lock (a run killed while writing it, before locks were written whole) stops runs for a minute, then is taken over', async () => {
    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS, rows: lines(5) });
    const lockFile = join(world.root, 'state', 'sales.lock');
    mkdirSync(join(world.root, 'state'), { recursive: true });
    writeFileSync(lockFile, '');
    expect((await world.run()).status).toBe('skipped'); // its writer may be alive, a moment from finishing
    const twoMinutesAgo = new Date(Date.now() - 120_000);
    utimesSync(lockFile, twoMinutesAgo, twoMinutesAgo);
    expect((await world.run()).status).toBe('succeeded');
    expect(acceptedOrders(world)).toEqual(expectedOrders(5));
    expect(readdirSync(join(world.root, 'state')).filter((f) => f.includes('lock'))).toEqual([]); // nothing left behind
  });

  it('a second run while the first holds the lock is skipped, and nothing is sent twice', async () => {
    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS, rows: lines(30) });
    world.domo.inject('export', { kind: 'slow', delayMs: 300 });
    const [a, b] = await Promise.all([world.run(), new Promise((r) => setTimeout(r, 50)).then(() => world.run())]);
    expect([a.status, b.status].sort()).toEqual(['skipped', 'succeeded']);
    expect((a.status === 'skipped' ? a : b).message).toContain('is being delivered by another run');
    expect(acceptedOrders(world)).toEqual(expectedOrders(30));
  });

  it('an intent left by a crashed run (pending, no answer recorded) holds the next run', async () => {
    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS, rows: lines(5) });
    await world.run();
    const { StateStore } = await import('../src/state/store.ts');
    const { salesState } = await import('../src/destinations/emarsys/state.ts');
    const store = new StateStore(world.root, 'sales');
    const state = salesState(store.load('EmarsysSalesWriteback'));
    // As the runner leaves it when killed between "intent recorded" and "answer recorded".
    state.pending = { runId: 'crashed', part: 1, parts: 1, lines: 5, bytes: 100, sha256: 'ab'.repeat(32), segment: { file: 'x.bin', lines: 5, runId: 'crashed', acceptedAt: '' }, startedAt: '2026-11-22T05:17:00.000Z', orders: 5, firstOrder: 'O-6', lastOrder: 'O-10' };
    store.save(state);
    world.domo.appendRows(DATASET_ID, lines(5, Date.parse('2026-11-20T09:00:00Z'), 6));
    const report = await world.run();
    expect(report.status).toBe('held');
    expect(report.message).toContain('A previous run (crashed) stopped during upload 1');
    expect(world.emarsys.uploads).toBe(1);
  });
});

describe('report retention', () => {
  const world = useWorld();

  it('keeps the newest WRITEBACK_REPORTS_KEPT reports per job and writes the dashboard', async () => {
    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS, rows: lines(2) });
    const { code } = await runCli(['reconcile', '--force'], { root: world.root, env: { ...world.env, WRITEBACK_REPORTS_KEPT: '2' } });
    expect(code).toBe(0);
    for (let i = 0; i < 3; i++) await runCli(['reconcile', '--force'], { root: world.root, env: { ...world.env, WRITEBACK_REPORTS_KEPT: '2' } });
    const files = world.reportFiles();
    expect(files.filter((f) => f.endsWith('.json'))).toHaveLength(2);
    expect(files.filter((f) => f.endsWith('.md'))).toHaveLength(2);
    expect(readFileSync(join(world.root, 'reports', 'README.md'), 'utf8')).toContain('| [sales](sales/) | Succeeded |');
  });
});
