/**
 * What `source.domo.read` may not do, and what auto does when the query API's answer cannot be trusted:
 * an explicit `query` is refused where it could resend delivered lines, a DataSet that keeps growing while
 * it is read and an answer in another column order send the export's lines instead, exactly once.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { reconcile } from '../src/reconcile/reconciler.ts';
import { runCli } from './helpers/repo.ts';
import { acceptedOrders, COLUMNS, DATASET_ID, lines, salesJob, useWorld, type World } from './helpers/world.ts';

const WINDOW = '  delivery:\n    cursor: ordered_at\n    lookback: 1d\n';
const day = (d: number) => Date.parse(`2026-11-${String(20 + d).padStart(2, '0')}T08:00:00Z`);
const withRead = (read: string) => salesJob(WINDOW).replace('      clientSecret', `      read: ${read}\n      clientSecret`);

async function runLogged(world: World, env: NodeJS.ProcessEnv = {}) {
  const log: string[] = [];
  const { reports } = await reconcile({ root: world.root, env: { ...world.env, ...env }, only: [], force: true, dryRun: false, log: (line) => log.push(line) });
  return { report: reports[0]!, log: log.join('\n') };
}

describe('source.domo.read: what each choice may read', () => {
  const world = useWorld(salesJob(WINDOW));

  it('read: query is refused for a key column the query API may write otherwise than the export, before anything is sent', async () => {
    const numericSku = COLUMNS.map((c) => (c.name === 'sku' ? { ...c, type: 'DOUBLE' } : c));
    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: numericSku, rows: lines(5, day(0)) });
    await world.run(); // the export: the ledger knows the lines by the export's text of sku
    world.domo.appendRows(DATASET_ID, lines(2, day(1), 100));
    writeFileSync(join(world.root, 'connectors', 'sales.yaml'), withRead('query'));
    const { report } = await runLogged(world);
    expect(report.status).toBe('failed');
    expect(report.message).toContain('source.domo.read: query cannot read this job: the key column sku is DOUBLE, whose text the query API may write otherwise than the export');
    expect(report.message).toMatch(/Set read: auto, which exports for this job, or export; a job that delivered through read: query before then needs writeback baseline up to its delivered cursor, so its ledger knows the lines by the export's text\. Nothing was sent\.$/);
    expect(world.domo.queries).toEqual([]);
    expect(acceptedOrders(world)).toHaveLength(5);
    const plan = await runCli(['plan'], { root: world.root, env: world.env });
    expect(plan.stdout).toContain('source.domo.read: query cannot read this job: the key column sku is DOUBLE');
    expect(plan.stdout + plan.stderr).not.toMatch(/\n\s+at /); // a message, not a stack
    // auto, for the same job, reads the export and sends the two new lines once.
    writeFileSync(join(world.root, 'connectors', 'sales.yaml'), withRead('auto'));
    expect(await world.run()).toMatchObject({ status: 'succeeded', source: { read: 'export' }, rows: { sent: 2 } });
    expect(world.emarsys.duplicates()).toEqual([]);
    // Each key column by its own type, a custom field's included.
    const decimalTotal = numericSku.map((c) => (c.name === 'line_total' ? { ...c, type: 'DECIMAL' } : c));
    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: decimalTotal, rows: [...lines(5, day(0)), ...lines(2, day(1), 100)] });
    const customKey = withRead('query').replace('      s_channel: channel\n', '      s_channel: channel\n      f_total: line_total\n').replace('    lookback: 1d\n', '    lookback: 1d\n    key: [order, item, f_total]\n');
    writeFileSync(join(world.root, 'connectors', 'sales.yaml'), customKey);
    rmSync(join(world.root, 'state'), { recursive: true }); // a new job: no ledger whose key it changes
    expect((await runLogged(world)).report.message).toContain('the key columns sku (DOUBLE), line_total (DECIMAL) hold numbers whose text the query API may write otherwise');
  });

  it('a DataSet that keeps growing while its window is read: auto reads the export instead, read: query fails and sends nothing', async () => {
    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS, rows: lines(10, day(0)) });
    await world.run();
    world.domo.appendRows(DATASET_ID, lines(3, day(3), 100));
    // Another writer appends a line after each answer: no COUNT(*) matches the read that follows it.
    const growing = (from: number) => {
      for (let i = 0; i < 6; i++) world.domo.inject('query', { kind: 'grow', rows: lines(1, day(3) + 3_600_000, from + i) });
    };
    growing(500);
    writeFileSync(join(world.root, 'connectors', 'sales.yaml'), withRead('query'));
    const strict = await runLogged(world);
    expect(strict.report.status).toBe('failed');
    expect(strict.report.message).toMatch(/failed 3 times; last: the query read \d+ rows but its COUNT\(\*\) over the same rows found \d+: rows changed, came or went while it was read\. Nothing was sent\.$/);
    expect(acceptedOrders(world)).toHaveLength(10);

    expect(world.domo.server.pendingFaults()).toBe(0); // 3 reads, each a COUNT(*) and a page
    growing(600);
    writeFileSync(join(world.root, 'connectors', 'sales.yaml'), salesJob(WINDOW));
    const { report, log } = await runLogged(world);
    expect(log).toMatch(/read attempt 1 failed \(the query read/);
    expect(log).toMatch(/the query API did not serve the window: the query read \d+ rows but .*; reading the whole export instead/);
    expect(report).toMatchObject({ status: 'succeeded', source: { read: 'export' } });
    // The 3 new lines, the 6 the first run's growth left and those grown during this one: each once.
    expect(acceptedOrders(world).length).toBe(report.rows.read);
    expect(world.emarsys.duplicates()).toEqual([]);
  });

  it('after auto falls back, the export has tries of its own; an empty window asks for no page', async () => {
    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS, rows: lines(10, day(0)) });
    await world.run();
    world.domo.appendRows(DATASET_ID, lines(3, day(3), 100));
    for (let i = 0; i < 4; i++) world.domo.inject('query', { kind: 'grow', rows: lines(1, day(3) + 3_600_000, 500 + i) });
    world.domo.inject('export', { kind: 'reset', afterBytes: 200 }, 2); // the export breaks off twice, then comes whole
    const { report, log } = await runLogged(world);
    expect(log).toMatch(/reading the whole export instead\n.*\n.*read attempt 1 failed .*; retrying\n.*\n.*read attempt 2 failed .*; retrying/);
    expect(report).toMatchObject({ status: 'succeeded', source: { read: 'export' } });
    expect(world.emarsys.duplicates()).toEqual([]);

    // Every row before the window (the DataSet was replaced by older ones): its COUNT(*) is 0, and that is all it asks.
    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS, rows: lines(10, day(0)) });
    world.domo.queries.length = 0;
    expect((await world.run()).rows).toMatchObject({ read: 0, sent: 0 });
    expect(world.domo.queries).toEqual([expect.stringMatching(/^SELECT COUNT\(\*\) FROM table WHERE /)]);
  });

  it('a rejected row of a query read is named by its order id, masked when the order is personal', async () => {
    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS, rows: lines(3, day(0)) });
    await world.run();
    const bad = lines(2, day(1), 100);
    bad[1]![4] = 'ten';
    world.domo.appendRows(DATASET_ID, bad);
    const report = await world.run();
    expect(report.source?.read).toBe('query');
    expect(report.rejects).toEqual([{ row: 5, order: 'O-101', field: 'price', column: 'line_total', reason: expect.stringContaining('"ten" is not a number') }]);
    writeFileSync(join(world.root, 'connectors', 'sales.yaml'), salesJob(`${WINDOW}  personalData:\n    fields: [order]\n`));
    const plan = await runCli(['plan'], { root: world.root, env: world.env });
    expect(plan.stdout).toContain('rejected row 5 (order O***): price (line_total) "ten" is not a number');
  });

  it("an answer whose columns are not in the SELECT's order is not read by place: auto exports, read: query says why", async () => {
    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS, rows: lines(4, day(0)) });
    await world.run();
    world.domo.appendRows(DATASET_ID, lines(2, day(1), 100));
    world.domo.inject('query', { kind: 'reorder' }, 2); // the COUNT(*) has one column: the page is the one reordered
    const { report, log } = await runLogged(world);
    expect(log).toMatch(/the query API did not serve the window: Domo's query API answered the columns channel, .* where ordered_at, .* were asked, in that order: its cells cannot be placed, so only the export can be read \(source.domo.read: export\); reading the whole export instead/);
    expect(report).toMatchObject({ status: 'succeeded', source: { read: 'export' }, rows: { sent: 2 } });
    const line = world.emarsys.accepted.find((l) => l.record.order === 'O-100')!;
    expect(line.record).toMatchObject({ item: 'SKU-0', price: '10.00' });

    world.domo.appendRows(DATASET_ID, lines(1, day(1) + 3_600_000, 200));
    world.domo.inject('query', { kind: 'reorder' }, 6);
    writeFileSync(join(world.root, 'connectors', 'sales.yaml'), withRead('query'));
    const strict = await runLogged(world);
    expect(strict.report.status).toBe('failed');
    expect(strict.report.message).toContain("Domo's query API answered the columns channel,");
    expect(acceptedOrders(world)).toHaveLength(6);
  });

  it('WRITEBACK_DOMO_QUERY_PAGE_ROWS must be a whole number of rows a Domo answer can hold, for a job that queries', async () => {
    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS, rows: lines(4, day(0)) });
    // The first run exports (no window yet): the setting is not needed, so not checked.
    expect((await runLogged(world, { WRITEBACK_DOMO_QUERY_PAGE_ROWS: 'many' })).report.status).toBe('succeeded');
    world.domo.appendRows(DATASET_ID, lines(2, day(1), 100));
    for (const value of ['0.5', 'Infinity', '2000000', 'many']) {
      const { report } = await runLogged(world, { WRITEBACK_DOMO_QUERY_PAGE_ROWS: value });
      expect(report.status, value).toBe('failed');
      expect(report.message).toBe(`WRITEBACK_DOMO_QUERY_PAGE_ROWS is "${value}": set a whole number of rows from 1 to 1000000 (Domo's query answers stop at one million rows), or unset it for 100000. Nothing was sent.`);
    }
    expect(world.domo.queries).toEqual([]);
    expect(acceptedOrders(world)).toHaveLength(4);
    expect((await runLogged(world, { WRITEBACK_DOMO_QUERY_PAGE_ROWS: '1000000' })).report).toMatchObject({ status: 'succeeded', source: { read: 'query' }, rows: { sent: 2 } });
  });
});
