/**
 * The delivery promise under the ordinary events that used to break it: far-future cursor values, ledger
 * files that do not match the state, a ledger whose meaning changed (key, name, lookback, account, a
 * copied state), ambiguous key encodings, timestamps out of range, a credential with a line break, and
 * one broken state among several jobs. Over real HTTP to the emulators.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isDue } from '../src/reconcile/due.ts';
import { reconcile } from '../src/reconcile/reconciler.ts';
import type { SalesState } from '../src/destinations/emarsys/state.ts';
import { salesState } from '../src/destinations/emarsys/state.ts';
import { LedgerFiles } from '../src/destinations/emarsys/ledger-files.ts';
import { hashFields } from '../src/state/key-hasher.ts';
import { StateStore } from '../src/state/store.ts';
import { runCli } from './helpers/repo.ts';
import { acceptedOrders, COLUMNS, DATASET_ID, lines, salesJob, SECRETS, useWorld } from './helpers/world.ts';

const WINDOWED = '  delivery:\n    cursor: ordered_at\n    lookback: 3d\n  rejects:\n    maxRatio: 0.5\n';
const orders = (count: number, first = 1) => Array.from({ length: count }, (_, i) => `O-${first + i}`).sort();
const segmentPath = (world: { root: string; state(): SalesState }, i = 0) => join(world.root, 'state', 'sales', world.state().segments[i]!.file);

describe('a far-future cursor value', () => {
  const world = useWorld();

  it('is rejected with its reason and never moves the cursor, so later rows are still sent', async () => {
    const rows = lines(5);
    rows.push(['O-END', '9999-12-31T00:00:00', 'C-1', 'SKU-9', '1.00', '1', 'web'], ['O-TYPO', '2206-11-20T08:00:00', 'C-1', 'SKU-9', '1.00', '1', 'web']);
    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS, rows });
    const first = await world.run();
    expect(first.rows).toMatchObject({ read: 7, sent: 5, rejected: 2 });
    expect(first.rejects).toEqual([
      expect.objectContaining({ row: 6, field: 'cursor', column: 'ordered_at', reason: expect.stringMatching(/^"9999-12-31T00:00:00" lies after .*too far in the future/) }),
      expect.objectContaining({ row: 7, field: 'cursor', reason: expect.stringContaining('"2206-11-20T08:00:00" lies after') }),
    ]);
    expect(Date.parse(world.state().cursor!)).toBeLessThan(Date.now());

    // A late row a day before the last delivered one: inside the window, so it is sent, not "skipped".
    world.domo.appendRows(DATASET_ID, lines(1, Date.parse('2026-11-19T08:00:00Z'), 100));
    const second = await world.run();
    expect(second.rows).toMatchObject({ sent: 1, rejected: 2, skipped: 5 });
    expect(acceptedOrders(world)).toEqual([...orders(5), 'O-100'].sort());
  });

  it('already in the state (written by an earlier version) stops delivery and names the fix', async () => {
    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS, rows: lines(5) });
    await world.run();
    const store = new StateStore(world.root, 'sales');
    const state = salesState(store.load('EmarsysSalesWriteback'));
    state.cursor = '9999-12-31T00:00:00Z';
    store.save(state);
    world.domo.appendRows(DATASET_ID, lines(3, Date.parse('2026-11-21T08:00:00Z'), 10));
    const report = await world.run();
    expect(report.status).toBe('failed');
    expect(report.message).toContain('has the cursor 9999-12-31T00:00:00Z, after now');
    expect(report.message).toContain('npx writeback baseline sales --until');
    expect(world.emarsys.uploads).toBe(1);
  });
});

describe('ledger files that do not match the state', () => {
  const world = useWorld();
  const tamperings: [string, (file: string) => void][] = [
    ['truncated', (file) => truncateSync(file, 16)],
    ['empty', (file) => writeFileSync(file, '')],
    ['edited (same size)', (file) => {
      const bytes = readFileSync(file);
      bytes[3]! ^= 0xff;
      writeFileSync(file, bytes);
    }],
    ['deleted', (file) => rmSync(file)],
  ];

  for (const [what, tamper] of tamperings) {
    it(`${what}: the job fails, sends nothing, and says how to restore it from git`, async () => {
      world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS, rows: lines(5) });
      await world.run();
      tamper(segmentPath(world));
      const report = await world.run();
      expect(report.status).toBe('failed');
      expect(report.message).toMatch(/it is unknown which lines were delivered/);
      expect(report.message).toContain('git checkout <commit> -- state/sales/ledger-');
      expect(world.emarsys.uploads).toBe(1);
    });
  }

  it('records each segment file with its size and sha256', async () => {
    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS, rows: lines(5) });
    await world.run();
    expect(world.state().segments[0]).toMatchObject({ lines: 5, bytes: 40, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });
});

describe('a ledger whose meaning changed', () => {
  const world = useWorld();

  it('a changed delivery.key refuses to deliver, names the fix, and plan shows it', async () => {
    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS, rows: lines(5) });
    await world.run();
    writeFileSync(join(world.root, 'connectors', 'sales.yaml'), salesJob(WINDOWED.replace('    lookback: 3d\n', '    lookback: 3d\n    key: [order, item, customer]\n')));
    const report = await world.run();
    expect(report.status).toBe('failed');
    expect(report.message).toContain('spec.delivery.key is order + item + customer but the ledger\'s fingerprints were made from order + item');
    expect(report.message).toContain('npx writeback baseline sales');
    expect(world.emarsys.uploads).toBe(1);
    const plan = await runCli(['plan'], { root: world.root, env: world.env });
    expect(plan.code).toBe(1);
    expect(plan.stdout).toContain('error: a reconcile would refuse to deliver: spec.delivery.key is order + item + customer');
    // The refusing plan still says what a person needs to decide: the columns, the ledger, the file's columns.
    expect(plan.stdout).toContain('  ok  order <- order_id (STRING)');
    expect(plan.stdout).toMatch(/ {2}ledger: 5 delivered lines remembered/);
    expect(plan.stdout).toContain('  file columns: ');
  });

  it('a renamed job is refused until `writeback rename` moves its state; then nothing is sent again', async () => {
    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS, rows: lines(5) });
    await world.run();
    rmSync(join(world.root, 'connectors', 'sales.yaml'));
    writeFileSync(join(world.root, 'connectors', 'shop-sales.yaml'), salesJob(WINDOWED).replace('name: sales', 'name: shop-sales'));
    const refused = await world.run();
    expect(refused).toMatchObject({ name: 'shop-sales', status: 'failed' });
    expect(refused.message).toContain('state/sales.json (whose definition is gone) records deliveries of the same DataSet to the same Emarsys account');
    expect(refused.message).toContain('npx writeback rename sales shop-sales');
    const plan = await runCli(['plan'], { root: world.root, env: world.env });
    expect(plan.stdout).toContain('npx writeback rename sales shop-sales');

    const renamed = await runCli(['rename', 'sales', 'shop-sales'], { root: world.root });
    expect(renamed).toMatchObject({ code: 0, stdout: expect.stringContaining('moved state/sales.json to state/shop-sales.json, state/sales/ to state/shop-sales/, reports/sales/ to reports/shop-sales/') });
    const after = await world.run();
    expect(after).toMatchObject({ name: 'shop-sales', status: 'succeeded', rows: { sent: 0, skipped: 5 } });
    expect(acceptedOrders(world)).toEqual(orders(5));
  });

  it('rename refuses what would lose or double a state', async () => {
    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS, rows: lines(2) });
    await world.run();
    expect((await runCli(['rename', 'sales', 'shop-sales'], { root: world.root })).stderr).toContain('connectors/sales.yaml still exists');
    renameSync(join(world.root, 'connectors', 'sales.yaml'), join(world.root, 'connectors', 'other.yaml'));
    expect((await runCli(['rename', 'sales', 'shop-sales'], { root: world.root })).stderr).toContain('there is no definition connectors/shop-sales.yaml');
  });

  it('raising lookback after older entries were pruned skips what the ledger forgot instead of sending it again', async () => {
    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS, rows: lines(5, Date.parse('2026-11-10T08:00:00Z')) });
    await world.run();
    world.domo.appendRows(DATASET_ID, lines(5, Date.parse('2026-11-20T08:00:00Z'), 10));
    await world.run(); // the cursor moves 10 days: the first segment leaves the window and is pruned
    expect(world.state().segments).toHaveLength(1);
    expect(world.state().ledger?.horizon).toBe('2026-11-17T08:04:00Z');
    writeFileSync(join(world.root, 'connectors', 'sales.yaml'), salesJob(WINDOWED.replace('3d', '30d')));
    const report = await world.run();
    // The window now starts at the ledger's horizon: the 5 lines before it are not even read.
    expect(report).toMatchObject({ status: 'succeeded', rows: { read: 5, sent: 0, skipped: 5 }, source: { read: 'query', windowFrom: '2026-11-17T08:04:00' } });
    expect(report.warnings?.join(' ')).toContain('the ledger only remembers lines from 2026-11-17T08:04:00Z on');
    expect(world.emarsys.duplicates()).toEqual([]);
  });

  it('a state copied from another job, or another Emarsys account, refuses to deliver', async () => {
    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS, rows: lines(3) });
    await world.run();
    const store = new StateStore(world.root, 'sales');
    const state = salesState(store.load('EmarsysSalesWriteback'));
    store.save({ ...state, name: 'webshop-sales' });
    expect((await world.run()).message).toContain('state/sales.json belongs to job "webshop-sales"');
    store.save(state);
    world.emarsys.addMerchant('AAAABBBBCCCCDDDD', SECRETS.EMARSYS_SALES_TOKEN);
    const other = await world.run({ env: { EMARSYS_MERCHANT_ID: 'AAAABBBBCCCCDDDD' } });
    expect(other.status).toBe('failed');
    expect(other.message).toContain('the Emarsys merchant id changed');
    expect(world.emarsys.uploads).toBe(1);
  });
});

describe('key fingerprints', () => {
  const world = useWorld();

  it('two different keys that joined with U+001F would read the same are both delivered', async () => {
    const rows = lines(2);
    rows[0]![0] = 'A\u001fB';
    rows[0]![3] = 'C';
    rows[1]![0] = 'A';
    rows[1]![3] = 'B\u001fC';
    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS, rows });
    const report = await world.run();
    expect(report.rows).toMatchObject({ sent: 2, skipped: 0 });
    expect(world.state().ledger?.keyEncoding).toBe('length-prefixed');
  });

  it('a ledger written before length-prefixed keys keeps being read with its own encoding', async () => {
    const rows = lines(4);
    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS, rows });
    // The state as an earlier version left it: joined fingerprints, no recorded meaning.
    const store = new StateStore(world.root, 'sales');
    const pairs = new Uint32Array(8);
    rows.forEach((r, i) => hashFields([r[0]!, r[3]!], [0, 1], pairs.subarray(i * 2, i * 2 + 2)));
    const segment = new LedgerFiles(store).writeSegment('old', 1, [pairs]);
    mkdirSync(store.dir, { recursive: true });
    writeFileSync(store.file, JSON.stringify({ version: 1, name: 'sales', kind: 'EmarsysSalesWriteback', cursor: '2026-11-20T08:03:00Z', segments: [{ file: segment.file, lines: 4, maxCursor: '2026-11-20T08:03:00Z', runId: 'old', acceptedAt: '2026-11-20T09:00:00Z' }] }));
    world.domo.appendRows(DATASET_ID, lines(1, Date.parse('2026-11-20T09:00:00Z'), 50));
    const report = await world.run();
    expect(report).toMatchObject({ status: 'succeeded', rows: { sent: 1, skipped: 4 } });
    expect(report.warnings?.join(' ')).toContain('did not record what its ledger means');
    expect(world.state().ledger).toMatchObject({ keyEncoding: 'joined', key: ['order', 'item'] });
    expect((await world.run()).rows).toMatchObject({ sent: 0, skipped: 5 });
  });
});

describe('values and credentials that used to be shifted or misread', () => {
  const world = useWorld();

  it('refuses timestamps outside 0001-9999 and keeps two-digit years as written', async () => {
    const rows = lines(3);
    rows[0]![1] = '0099-05-01T10:00:00';
    rows[1]![1] = '9999-12-31T23:00:00-02:00';
    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS, rows });
    writeFileSync(join(world.root, 'connectors', 'sales.yaml'), salesJob('  rejects:\n    maxRatio: 0.5\n'));
    const report = await world.run();
    expect(report.rejects).toEqual([expect.objectContaining({ row: 2, field: 'timestamp', reason: '"9999-12-31T23:00:00-02:00" is outside the years 0001 to 9999 in UTC' })]);
    expect(world.emarsys.files[0]!.body).toContain(',0099-05-01T10:00:00Z,');
  });

  it('a secret with a trailing line break is a credential error before anything is sent, not a held job', async () => {
    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS, rows: lines(3) });
    const report = await world.run({ env: { EMARSYS_SALES_TOKEN: `${SECRETS.EMARSYS_SALES_TOKEN}\n` } });
    expect(report.status).toBe('failed');
    expect(report.message).toContain('secret EMARSYS_SALES_TOKEN ends with a line break, which an HTTP header cannot carry, so nothing was sent');
    expect(report.message).not.toContain(SECRETS.EMARSYS_SALES_TOKEN);
    expect(world.domo.server.requests).toHaveLength(0);
    expect(world.state().held).toBeUndefined();
  });
});

describe('one broken state among several jobs', () => {
  const world = useWorld();

  it('fails only its own job in reconcile, due, plan and status', async () => {
    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS, rows: lines(3) });
    writeFileSync(join(world.root, 'connectors', 'other.yaml'), salesJob(WINDOWED).replace('name: sales', 'name: other'));
    mkdirSync(join(world.root, 'state'), { recursive: true });
    writeFileSync(join(world.root, 'state', 'other.json'), '{"version": 1, "segm');
    const result = await reconcile({ root: world.root, env: world.env, only: [], force: true, dryRun: false, log: () => {} });
    expect(result.reports.map((r) => [r.name, r.status])).toEqual([['other', 'failed'], ['sales', 'succeeded']]);
    expect(result.reports[0]!.message).toContain('state/other.json is not valid JSON');
    expect(readFileSync(join(world.root, 'state', 'other.json'), 'utf8')).toBe('{"version": 1, "segm'); // left for a person to restore
    expect((await runCli(['due', '--json'], { root: world.root })).stdout).toBe('["other","sales"]');
    const status = await runCli(['status'], { root: world.root });
    expect(status.stdout).toMatch(/other\s+FAILED: state unreadable/);
    expect(status.stdout).toMatch(/sales\s+Succeeded/);
    const plan = await runCli(['plan', '--json'], { root: world.root, env: world.env });
    const plans = JSON.parse(plan.stdout).plans as { name: string; error?: string }[];
    expect(plans.map((p) => [p.name, Boolean(p.error)])).toEqual([['other', true], ['sales', false]]);
  });

  it('a last run in the future or unreadable makes the job due, with a warning', () => {
    const now = new Date('2026-12-01T10:00:00Z');
    expect(isDue('0 5 * * *', '2027-06-01T05:00:00Z', now)).toMatchObject({ due: true, warning: expect.stringContaining('lies in the future') });
    expect(isDue('0 5 * * *', 'yesterday', now)).toMatchObject({ due: true, warning: expect.stringContaining('is not a time') });
    expect(isDue('0 5 * * *', '2026-12-01T05:00:00Z', now)).toEqual({ due: false, next: new Date('2026-12-02T05:00:00Z') });
  });
});

describe('writeback baseline', () => {
  const world = useWorld();

  it('on a destination that already holds history: shows what it records, records only with --yes, and the first delivery sends only newer lines', async () => {
    const history = lines(60, Date.parse('2026-11-20T08:00:00Z'));
    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS, rows: history });
    // Domo's own connector delivered the first 40 lines (up to 08:39) before the team moved to Writeback.
    const until = '2026-11-20T08:39:00';
    const shown = await runCli(['baseline', 'sales', '--until', until], { root: world.root, env: world.env });
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain('sales: would record 40 lines as delivered to Emarsys without sending them, and continue from ordered_at 2026-11-20T08:39:00Z');
    expect(shown.stdout).toContain('20 rows after --until are not recorded: the next reconcile sends them');
    expect(shown.stdout).toContain('Nothing recorded');
    expect(new StateStore(world.root, 'sales').exists()).toBe(false);

    const recorded = await runCli(['baseline', 'sales', '--until', until, '--yes'], { root: world.root, env: world.env });
    expect(recorded.stdout).toContain('sales: recorded 40 lines as delivered');
    expect(world.emarsys.uploads).toBe(0);
    const report = await world.run();
    expect(report).toMatchObject({ status: 'succeeded', rows: { sent: 20 } });
    expect(acceptedOrders(world)).toEqual(orders(20, 41));
  });

  it('starts a ledger over under a changed key', async () => {
    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS, rows: lines(5) });
    await world.run();
    writeFileSync(join(world.root, 'connectors', 'sales.yaml'), salesJob(WINDOWED.replace('    lookback: 3d\n', '    lookback: 3d\n    key: [order, item, customer]\n')));
    expect((await world.run()).status).toBe('failed');
    expect((await runCli(['baseline', 'sales', '--yes'], { root: world.root, env: world.env })).stdout).toContain('recorded 5 lines');
    world.domo.appendRows(DATASET_ID, lines(1, Date.parse('2026-11-20T09:00:00Z'), 70));
    expect(await world.run()).toMatchObject({ status: 'succeeded', rows: { sent: 1 } });
    expect(world.state().ledger?.key).toEqual(['order', 'item', 'customer']);
    expect(world.emarsys.duplicates()).toEqual([]);
  });

  it('explains what it cannot do', async () => {
    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS, rows: lines(1) });
    expect((await runCli(['baseline', 'nope'], { root: world.root, env: world.env })).stderr).toContain('no valid definition named nope');
    expect((await runCli(['baseline', 'sales', '--until', 'soon'], { root: world.root, env: world.env })).stderr).toContain('--until "soon" is not a date or time');
  });
});

describe('states written by the previous version (review findings)', () => {
  const world = useWorld();
  /** What the previous version left: joined fingerprints, no recorded meaning, the former column order, the hash of its definition. */
  function legacyState(rows: string[][], definitionHash?: string) {
    const store = new StateStore(world.root, 'sales');
    const pairs = new Uint32Array(rows.length * 2);
    rows.forEach((r, i) => hashFields([r[0]!, r[3]!], [0, 1], pairs.subarray(i * 2, i * 2 + 2)));
    const segment = new LedgerFiles(store).writeSegment('old', 1, [pairs]);
    mkdirSync(store.dir, { recursive: true });
    const last = rows.at(-1)![1]!;
    writeFileSync(store.file, JSON.stringify({ version: 1, name: 'sales', kind: 'EmarsysSalesWriteback', definitionHash, cursor: `${last}Z`, segments: [{ file: segment.file, lines: rows.length, maxCursor: `${last}Z`, runId: 'old', acceptedAt: '2026-11-20T09:00:00Z' }] }));
  }

  it('a definition changed since the old version\'s last run is refused: nobody can tell whether the key changed', async () => {
    const rows = lines(5);
    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS, rows });
    legacyState(rows, 'sha256:of-the-definition-as-it-was');
    writeFileSync(join(world.root, 'connectors', 'sales.yaml'), salesJob(WINDOWED.replace('    lookback: 3d\n', '    lookback: 3d\n    key: [order, item, customer]\n')));
    const report = await world.run();
    expect(report.status).toBe('failed');
    expect(report.message).toContain('was written by an earlier version of Writeback, which did not record what its ledger means, and the definition changed since that run');
    expect(world.emarsys.uploads).toBe(0);
  });

  it('a ledger that recognises none of the lines earlier runs delivered refuses to send them again', async () => {
    const rows = lines(5);
    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS, rows });
    await world.run();
    // The key changed, and the state was edited to match (or an old version wrote it): the fingerprints are of the old key.
    writeFileSync(join(world.root, 'connectors', 'sales.yaml'), salesJob(WINDOWED.replace('    lookback: 3d\n', '    lookback: 3d\n    key: [order, item, customer]\n')));
    const state = world.state();
    state.ledger!.key = ['order', 'item', 'customer'];
    writeFileSync(join(world.root, 'state', 'sales.json'), JSON.stringify(state));
    const report = await world.run();
    expect(report.status).toBe('failed');
    expect(report.message).toContain('the ledger holds none of the 5 lines that earlier runs delivered');
    expect(world.emarsys.uploads).toBe(1);
  });

  it('baseline keeps the column order a job delivered with', async () => {
    const rows = lines(5);
    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS, rows });
    world.emarsys.addMerchant(SECRETS.EMARSYS_MERCHANT_ID, { token: SECRETS.EMARSYS_SALES_TOKEN, agreedOrder: ['order', 'timestamp', 'customer', 'item', 'price', 'quantity', 's_channel'] });
    legacyState(rows);
    await runCli(['baseline', 'sales', '--yes'], { root: world.root, env: world.env });
    expect(world.state().fileHeader).toEqual(['order', 'timestamp', 'customer', 'item', 'price', 'quantity', 's_channel']);
    world.domo.appendRows(DATASET_ID, lines(1, Date.parse('2026-11-20T09:00:00Z'), 80));
    expect((await world.run()).rows.sent).toBe(1);
    expect(world.emarsys.loads.map((l) => l.status)).toEqual(['loaded']);
  });

  it("an old job's state whose definition is gone only warns a new job of another DataSet", async () => {
    const rows = lines(3);
    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS, rows });
    legacyState(rows);
    rmSync(join(world.root, 'connectors', 'sales.yaml'));
    world.domo.addDataSet({ id: 'ds-returns', name: 'returns', columns: COLUMNS, rows: lines(2, Date.parse('2026-11-20T08:00:00Z'), 900) });
    writeFileSync(join(world.root, 'connectors', 'returns.yaml'), salesJob(WINDOWED).replace('name: sales', 'name: returns').replace(DATASET_ID, 'ds-returns'));
    const report = await world.run();
    expect(report).toMatchObject({ name: 'returns', status: 'succeeded', rows: { sent: 2 } });
    expect(report.warnings?.join(' ')).toContain('state/sales.json (whose definition is gone) records earlier deliveries');
  });

  it('an intent of the old version loses its whole lines, and old segments gain a checksum', async () => {
    const rows = lines(3);
    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS, rows });
    legacyState(rows);
    const raw = JSON.parse(readFileSync(join(world.root, 'state', 'sales.json'), 'utf8'));
    raw.pending = { runId: 'old', part: 1, parts: 1, lines: 3, bytes: 10, sha256: 'ab'.repeat(32), segment: { file: 'x.bin', lines: 3, runId: 'old', acceptedAt: '' }, startedAt: '2026-11-20T09:00:00Z', firstLine: 'O-1,2026-11-20T08:00:00Z,C-1,jane@example.com', lastLine: 'O-3,...' };
    writeFileSync(join(world.root, 'state', 'sales.json'), JSON.stringify(raw));
    expect((await world.run()).status).toBe('held');
    expect(readFileSync(join(world.root, 'state', 'sales.json'), 'utf8')).not.toContain('jane@example.com');
    await runCli(['release', 'sales', '--not-delivered'], { root: world.root });
    await world.run();
    expect(world.state().segments[0]).toMatchObject({ bytes: 24, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });

  it('a cursor value ahead of now by more than the lookback is rejected', async () => {
    writeFileSync(join(world.root, 'connectors', 'sales.yaml'), salesJob('  delivery:\n    cursor: ordered_at\n    lookback: 1h\n  rejects:\n    maxRatio: 0.5\n'));
    const soon = new Date(Date.now() + 2 * 3_600_000).toISOString().slice(0, 19);
    const rows = lines(3);
    rows[2]![1] = soon;
    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS, rows });
    expect((await world.run()).rejects).toEqual([expect.objectContaining({ row: 3, field: 'cursor', reason: expect.stringContaining('too far in the future') })]);
  });
});
