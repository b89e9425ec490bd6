/**
 * The vendors as they behave, not as we first read them (docs/vendors/): Domo's `\N` nulls, row policies,
 * the data scope, compressed and HTML answers; Emarsys's agreed column order and gzip bodies; Dotdigital's
 * lasting refusals and long rate-limit resets. Over real HTTP to the emulators.
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DomoEmulator } from '../src/emulators/domo.ts';
import { runCli } from './helpers/repo.ts';
import { CONTACT_COLUMNS, CONTACTS_DATASET, contacts, contactsJob, useDotdigitalWorld } from './helpers/dotdigital-world.ts';
import { acceptedOrders, COLUMNS, DATASET_ID, lines, salesJob, SECRETS, useWorld } from './helpers/world.ts';

const WINDOWED = '  delivery:\n    cursor: ordered_at\n    lookback: 3d\n  rejects:\n    maxRatio: 0.5\n';

describe('Domo as Domo answers', () => {
  // The export's answers (faults are injected on its route): the query API's have their own tests (domo-query-read.test.ts).
  const world = useWorld(salesJob(WINDOWED).replace('      clientSecret', '      read: export\n      clientSecret'));

  it('an unquoted \\N is a null: a required field rejects the row, an optional one is sent empty, a quoted "\\N" is text', async () => {
    const rows: (string | null)[][] = lines(4);
    rows[0]![2] = null; // customer
    rows[1]![6] = null; // s_channel, optional
    rows[2]![6] = '\\N'; // the text \N, which Domo quotes
    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS, rows });
    const report = await world.run();
    expect(report.rejects).toEqual([{ row: 1, order: 'O-1', field: 'customer', column: 'customer_id', reason: 'is null but required' }]);
    const body = world.emarsys.files[0]!.body.split('\n');
    expect(body[1]).toBe('SKU-1,11.00,O-2,2026-11-20T08:01:00Z,C-2,2,');
    expect(body[2]).toBe('SKU-2,12.00,O-3,2026-11-20T08:02:00Z,C-3,1,\\N');
    expect(world.emarsys.files[0]!.body).not.toContain('C-\\N');
  });

  it('a null cursor rejects its row with that reason', async () => {
    const rows: (string | null)[][] = lines(2);
    rows[1]![1] = null;
    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS, rows });
    expect((await world.run()).rejects).toEqual([{ row: 2, order: 'O-2', field: 'cursor', column: 'ordered_at', reason: 'is null but is the delivery cursor' }]);
  });

  it('under row policies (PDP) the export is judged against what this client can read, and still caught when cut off', async () => {
    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS, rows: lines(30), policy: (row) => row[6] === 'web' });
    const report = await world.run();
    expect(report.status, report.message).toBe('succeeded');
    expect(report.rows).toMatchObject({ read: 15, sent: 15 });
    expect(report.source?.rowPolicies).toEqual({ visibleRows: 15, allRows: 30 });
    const plan = await runCli(['plan'], { root: world.root, env: world.env });
    expect(plan.stdout).toContain('30 rows, 15 of them visible to this client (row policies apply)');

    world.domo.appendRows(DATASET_ID, lines(10, Date.parse('2026-11-21T08:00:00Z'), 100));
    world.domo.inject('export', { kind: 'truncate', afterRows: 12 }, 3);
    const cut = await world.run();
    expect(cut.status).toBe('failed');
    expect(cut.message).toContain('the export ended after 12 rows but this client can read 20 (row policies apply; 40 in all): the download was cut off');
  });

  it('asks only for the data scope, so a client created with it alone works', async () => {
    const domo = new DomoEmulator({ [SECRETS.DOMO_CLIENT_ID]: { secret: SECRETS.DOMO_CLIENT_SECRET, scopes: ['data'] } });
    await domo.start();
    try {
      domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS, rows: lines(3) });
      const report = await world.run({ env: { DOMO_API_URL: domo.url } });
      expect(report.status, report.message).toBe('succeeded');
      expect(domo.scopesAsked).toEqual(['data']);
    } finally {
      await domo.stop();
    }
  });

  it('decodes gzip-encoded answers, and names the call when an HTML page answers instead of CSV or JSON', async () => {
    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS, rows: lines(5) });
    world.domo.inject('metadata', { kind: 'gzip' });
    world.domo.inject('export', { kind: 'gzip' });
    expect((await world.run()).rows).toMatchObject({ read: 5, sent: 5 });
    world.domo.inject('export', { kind: 'html' });
    const html = await world.run();
    expect(html.status).toBe('failed');
    expect(html.message).toContain(`Domo GET /v1/datasets/${DATASET_ID}/data answered 200: text/html where CSV was expected (a proxy, firewall or sign-in page may have answered instead of the vendor): "Sign in Corporate proxy: please sign in"`);
    world.domo.inject('metadata', { kind: 'html' });
    expect((await world.run()).message).toContain(`Domo GET /v1/datasets/${DATASET_ID} answered 200: text/html where JSON was expected`);
    expect(acceptedOrders(world)).toHaveLength(5);
  });
});

describe('Emarsys as Emarsys loads', () => {
  const world = useWorld();
  const agreed = ['item', 'price', 'order', 'timestamp', 'customer', 'quantity', 's_channel'];

  it('a file in the order agreed at onboarding loads; the default without fieldOrder is Emarsys\'s documented order', async () => {
    world.emarsys.addMerchant(SECRETS.EMARSYS_MERCHANT_ID, { token: SECRETS.EMARSYS_SALES_TOKEN, agreedOrder: agreed });
    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS, rows: lines(3) });
    await world.run();
    expect(world.emarsys.loads.map((l) => l.status)).toEqual(['loaded']);
    expect(acceptedOrders(world)).toHaveLength(3);
  });

  it('a file in another order is accepted with 200 and then fails its load: plan and validate say the order must be the agreed one', async () => {
    world.emarsys.addMerchant(SECRETS.EMARSYS_MERCHANT_ID, { token: SECRETS.EMARSYS_SALES_TOKEN, agreedOrder: agreed });
    writeFileSync(join(world.root, 'connectors', 'sales.yaml'), salesJob(`  fieldOrder: [order, timestamp, customer, item, price, quantity, s_channel]\n${WINDOWED}`));
    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS, rows: lines(3) });
    expect((await world.run()).status).toBe('succeeded'); // Emarsys answered 200: nothing tells the runner
    expect(world.emarsys.loads).toEqual([expect.objectContaining({ status: 'failed', reason: expect.stringContaining('not in the order agreed at onboarding') })]);
    expect(world.emarsys.accepted).toEqual([]);
    const plan = await runCli(['plan'], { root: world.root, env: world.env });
    expect(plan.stdout).toContain('file columns: order,timestamp,customer,item,price,quantity,s_channel (must be the order agreed with Emarsys at onboarding');
  });

  it('a job that delivered in the former default order keeps it, and a new explicit order is said out loud', async () => {
    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS, rows: lines(2) });
    await world.run();
    const state = JSON.parse(readFileSync(join(world.root, 'state', 'sales.json'), 'utf8'));
    delete state.fileHeader; // as an earlier version left it
    writeFileSync(join(world.root, 'state', 'sales.json'), JSON.stringify(state));
    world.domo.appendRows(DATASET_ID, lines(1, Date.parse('2026-11-20T09:00:00Z'), 50));
    await world.run();
    expect(world.emarsys.files[1]!.body.split('\n')[0]).toBe('order,timestamp,customer,item,price,quantity,s_channel');
    writeFileSync(join(world.root, 'connectors', 'sales.yaml'), salesJob(`  fieldOrder: [${agreed.join(', ')}]\n${WINDOWED}`));
    world.domo.appendRows(DATASET_ID, lines(1, Date.parse('2026-11-20T10:00:00Z'), 60));
    const changed = await world.run();
    expect(changed.warnings?.join(' ')).toContain("the file's columns change from order,timestamp,customer,item,price,quantity,s_channel to item,price,order,");
    expect(world.emarsys.files[2]!.body.split('\n')[0]).toBe(agreed.join(','));
  });

  it('sends gzip-compressed files when WRITEBACK_EMARSYS_GZIP=true', async () => {
    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS, rows: lines(200) });
    const report = await world.run({ env: { WRITEBACK_EMARSYS_GZIP: 'true' } });
    expect(report.status).toBe('succeeded');
    expect(world.emarsys.loads).toEqual([expect.objectContaining({ status: 'loaded', lines: 200, gzip: true })]);
    expect(world.emarsys.bytesReceived).toBeLessThan(report.uploads![0]!.bytes / 3);
    expect(world.emarsys.server.requests[0]!.headers['content-encoding']).toBe('gzip');
  });
});

describe('Dotdigital as Dotdigital refuses and throttles', () => {
  const world = useDotdigitalWorld(contactsJob('      region: r2\n', undefined, '  delivery:\n    changedOnly: true\n  rejects:\n    maxRatio: 0.5\n'));
  const dataset = (rows: (string | null)[][]) => world.domo.addDataSet({ id: CONTACTS_DATASET, name: 'Loyalty members', columns: CONTACT_COLUMNS, rows });

  it('a contact refused for a lasting reason is not sent again while unchanged, counted as rejected each run, and sent once it changes', async () => {
    world.dd.suppressed.set('member2@example.com', 'Hard Bounced');
    dataset(contacts(3));
    const first = await world.run();
    expect(first.rows).toMatchObject({ read: 3, sent: 2, rejected: 1 });
    expect(first.rejects).toEqual([{ row: 2, field: 'contact', column: 'email', reason: 'Dotdigital: Hard Bounced (lasting: not sent again while the contact is unchanged)' }]);

    const second = await world.run();
    expect(second.rows).toMatchObject({ sent: 0, rejected: 1, skipped: 2 });
    expect(second.rejects).toEqual([{ row: 2, field: 'email', column: 'email_address', reason: 'Dotdigital refused this contact before (Hard Bounced); it is not sent again while its values stay the same' }]);
    expect(world.dd.imports.size).toBe(1);

    const changed = contacts(3);
    changed[1]![2] = 'platinum';
    world.domo.datasets.get(CONTACTS_DATASET)!.rows = changed;
    world.dd.suppressed.clear();
    const third = await world.run();
    expect(third.rows).toMatchObject({ sent: 1, rejected: 0 });
    expect(world.dd.contacts.get('member2@example.com')?.dataFields.LOYALTYTIER).toBe('platinum');
  });

  it('a contact refused after it was delivered stays refused while unchanged, also in a run where another contact left, and is forgotten once it leaves', async () => {
    dataset(contacts(3));
    expect((await world.run()).rows).toMatchObject({ sent: 3 });
    const changed = contacts(3);
    changed[1]![2] = 'platinum';
    world.domo.datasets.get(CONTACTS_DATASET)!.rows = changed;
    world.dd.suppressed.set('member2@example.com', 'Hard Bounced');
    expect((await world.run()).rows).toMatchObject({ sent: 0, rejected: 1 });
    // member3 leaves and member1 changes (so the run imports, and forgets member3); member2, in the
    // changed-only state with its old values, is still refused with its new ones, in this run and the next.
    const later = changed.slice(0, 2);
    later[0]![2] = 'silver';
    world.domo.datasets.get(CONTACTS_DATASET)!.rows = later;
    for (const sent of [1, 0]) {
      const report = await world.run();
      expect(report.rows).toMatchObject({ sent, rejected: 1 });
      expect(report.rejects?.[0]?.reason).toContain('Dotdigital refused this contact before (Hard Bounced)');
    }
    expect(world.dd.imports.size).toBe(3);
    // member2 leaves the DataSet too, in a run that imports: Dotdigital's refusal of it goes with it.
    const refusedFile = join(world.root, 'state', 'loyalty', 'refused.bin');
    expect(statSync(refusedFile).size).toBe(16); // one record
    later[0]![2] = 'gold';
    world.domo.datasets.get(CONTACTS_DATASET)!.rows = [later[0]!];
    expect((await world.run()).rows).toMatchObject({ sent: 1, rejected: 0 });
    expect(statSync(refusedFile).size).toBe(0);
  });

  it('a value-level fault (Invalid Entries) is tried again next run', async () => {
    dataset([['someone@invalid.example', 'X', 'gold', '1', '2024-01-01', 'no']]);
    await world.run();
    await world.run();
    expect(world.dd.imports.size).toBe(2);
  });

  it('an unquoted \\N is a null: a null email rejects the row, a null data field is sent empty (the merge option decides)', async () => {
    const rows: (string | null)[][] = contacts(3);
    rows[0]![0] = null;
    rows[1]![1] = null;
    dataset(rows);
    const report = await world.run();
    expect(report.rejects).toEqual([{ row: 1, field: 'email', column: 'email_address', reason: 'is null but required' }]);
    expect(world.dd.contacts.get('member2@example.com')?.dataFields.FIRSTNAME).toBe(''); // Overwrite: empty clears
  });

  it('a rate limit that resets far ahead (the hourly scheme) fails at once, naming the scheme and the reset time', async () => {
    dataset(contacts(1));
    world.dd.inject({ kind: 'rate-limit', resetSeconds: 3600, scope: 'GET-v2' });
    const started = performance.now();
    const report = await world.run();
    expect(performance.now() - started).toBeLessThan(5000);
    expect(report.status).toBe('failed');
    expect(report.message).toMatch(/answered 429: rate limited until \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(in 60 min\), longer than WRITEBACK_RATE_LIMIT_MAX_WAIT allows \(15 min\)\. Scope GET-v2 allows 1000 calls\. An API user on Dotdigital's hourly \("flat"\) rate scheme/);
  });

  it('waits out a reset within WRITEBACK_RATE_LIMIT_MAX_WAIT', async () => {
    dataset(contacts(1));
    world.dd.inject({ kind: 'rate-limit', resetSeconds: 2 });
    const started = performance.now();
    expect((await world.run({ WRITEBACK_RATE_LIMIT_MAX_WAIT: '5s' })).status).toBe('succeeded');
    expect(performance.now() - started).toBeGreaterThanOrEqual(1900);
  });

  it('the hourly scheme\'s cap (400 ERROR_APIUSAGE_EXCEEDED) says what to do', async () => {
    dataset(contacts(1));
    world.dd.inject({ kind: 'usage-capped' });
    const report = await world.run();
    expect(report.status).toBe('failed');
    expect(report.message).toContain("ERROR_APIUSAGE_EXCEEDED An API user on Dotdigital's hourly (\"flat\") rate scheme, which Dotdigital deprecated, can be capped for up to an hour");
  });
});
