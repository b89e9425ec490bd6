import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import nock from 'nock';
import { afterEach, describe, expect, it } from 'vitest';
import { fitComment, COMMENT_LIMIT } from '../src/github/pr-comment.ts';
import { runCli } from './helpers/repo.ts';
import { COLUMNS, DATASET_ID, lines, salesJob, SECRETS, useWorld } from './helpers/world.ts';
import { actionsEnv } from './helpers/fixtures.ts';

describe('writeback plan', () => {
  const world = useWorld();
  afterEach(() => {
    const pending = nock.pendingMocks();
    nock.cleanAll();
    expect(pending).toEqual([]);
  });

  it('shows columns, rows to send and a sample, and exits 2 when changes are pending (--detailed-exitcode)', async () => {
    const rows = lines(12);
    rows[3]![4] = 'abc';
    world.domo.addDataSet({ id: DATASET_ID, name: 'Web sales', columns: COLUMNS, rows });
    const { code, stdout } = await runCli(['plan', '--detailed-exitcode'], { root: world.root, env: world.env });
    expect(code).toBe(2);
    expect(stdout).toContain('sales (EmarsysSalesWriteback): 11 lines to send');
    expect(stdout).toContain('DataSet "Web sales" (ds-sales-1), 12 rows');
    expect(stdout).toContain('ok  price <- line_total (DECIMAL)');
    expect(stdout).toContain('rows: 12 read, 11 to send in 1 upload(s), 1 rejected, 0 skipped');
    expect(stdout).toContain('rejected row 4 (order O-4): price (line_total) "abc" is not a number');
    // Customer ids are personal: masked in the sample, which goes into pull-request comments.
    expect(stdout).toContain('    item,price,order,timestamp,customer,quantity,s_channel\n    SKU-0,10.00,O-1,2026-11-20T08:00:00Z,C***,1,store');
    expect(stdout).toContain('  file columns: item,price,order,timestamp,customer,quantity,s_channel (must be the order agreed with Emarsys at onboarding');
    expect(stdout.trim().split('\n').at(-1)).toBe('1 job: 1 with changes, 0 with errors, 0 unchanged');
    expect(world.emarsys.uploads).toBe(0);
  });

  it('exits 0 when everything was delivered, and changes no state', async () => {
    world.domo.addDataSet({ id: DATASET_ID, name: 'Web sales', columns: COLUMNS, rows: lines(5) });
    await world.run();
    const before = JSON.stringify(world.state());
    const { code, stdout } = await runCli(['plan', '--detailed-exitcode'], { root: world.root, env: world.env });
    expect(code).toBe(0);
    expect(stdout).toContain('sales (EmarsysSalesWriteback): up to date, nothing to send');
    expect(JSON.stringify(world.state())).toBe(before);
  });

  it('flags missing and incompatible columns and exits 1', async () => {
    const columns = COLUMNS.map((c) => (c.name === 'qty' ? { name: 'qty', type: 'DATETIME' } : c)).filter((c) => c.name !== 'sku');
    world.domo.addDataSet({ id: DATASET_ID, name: 'Web sales', columns, rows: [] });
    const { code, stdout } = await runCli(['plan', '--json'], { root: world.root, env: world.env });
    expect(code).toBe(1);
    const { plans } = JSON.parse(stdout);
    expect(plans[0].columns).toEqual(
      expect.arrayContaining([
        { field: 'item', column: 'sku', need: 'text', verdict: 'missing', note: 'not in the DataSet' },
        { field: 'quantity', column: 'qty', need: 'number', domoType: 'DATETIME', verdict: 'incompatible', note: 'needs a numeric column' },
        { field: 'delivery.cursor', column: 'ordered_at', need: 'time', domoType: 'DATETIME', verdict: 'ok' },
      ]),
    );
    expect(plans[0].error).toContain('columns that cannot work: sku (item: not in the DataSet), qty (quantity: needs a numeric column)');
  });

  it('plans offline without credentials (a fork pull request) instead of failing, saying it was not checked', async () => {
    const { code, stdout } = await runCli(['plan', '--markdown'], { root: world.root, env: { ...world.env, DOMO_CLIENT_SECRET: '' } });
    expect(code).toBe(0);
    expect(stdout).toContain('### sales: not checked: no credentials; new job, never ran');
    expect(stdout).toContain('> DOMO\\_CLIENT\\_SECRET is not set: planned from the definition only, nothing was read from Domo or the destination');
    expect(stdout).toContain('> **Not checked: no credentials.** Missing secrets: `DOMO_CLIENT_SECRET`.');
    expect(stdout).toContain('1 job: 0 with changes, 0 with errors, 0 unchanged, 1 not checked (no credentials)');
    expect(stdout).toContain('| price | line\\_total | - | unchecked |');
    expect(world.domo.server.requests).toHaveLength(0);
  });

  it('without any credentials lists every missing secret of every job once, and never says "unchanged"', async () => {
    writeFileSync(join(world.root, 'connectors', 'returns.yaml'), salesJob().replace('name: sales', 'name: returns').replace('EMARSYS_SALES_TOKEN', 'EMARSYS_RETURNS_TOKEN'));
    const { code, stdout } = await runCli(['plan'], { root: world.root, env: { DOMO_API_URL: world.domo.url } });
    expect(code).toBe(0);
    const out = stdout.split('\n');
    expect(out.filter((l) => / \(EmarsysSalesWriteback\): /.test(l))).toEqual([
      'returns (EmarsysSalesWriteback): not checked: no credentials; new job, never ran',
      'sales (EmarsysSalesWriteback): not checked: no credentials; new job, never ran',
    ]);
    expect(out.filter((l) => l.includes('Missing secrets'))).toEqual(['Not checked: no credentials. Missing secrets: DOMO_CLIENT_ID, DOMO_CLIENT_SECRET, EMARSYS_MERCHANT_ID, EMARSYS_RETURNS_TOKEN, EMARSYS_SALES_TOKEN.']);
    expect(out.at(-1)).toBe('2 jobs: 0 with changes, 0 with errors, 0 unchanged, 2 not checked (no credentials)');
    expect(world.domo.server.requests).toHaveLength(0);
  });

  it('--detailed-exitcode never exits 0 for a plan it could not check', async () => {
    world.domo.addDataSet({ id: DATASET_ID, name: 'Web sales', columns: COLUMNS, rows: lines(3) });
    await world.run();
    const { code, stdout } = await runCli(['plan', '--detailed-exitcode'], { root: world.root, env: { ...world.env, EMARSYS_SALES_TOKEN: '' } });
    expect(stdout.split('\n')[0]).toBe('sales (EmarsysSalesWriteback): not checked: no credentials'); // the definition is the same as at the last run
    expect(code).toBe(2);
  });

  it('--json says checked: false, names the missing secrets and whether the definition changed since the last run', async () => {
    world.domo.addDataSet({ id: DATASET_ID, name: 'Web sales', columns: COLUMNS, rows: lines(3) });
    await world.run();
    const noSecret = { ...world.env, EMARSYS_SALES_TOKEN: '' };
    const same = await runCli(['plan', '--json'], { root: world.root, env: noSecret });
    expect(JSON.parse(same.stdout).plans[0]).toMatchObject({ name: 'sales', mode: 'offline', checked: false, missingSecrets: ['EMARSYS_SALES_TOKEN'], definition: 'same' });

    writeFileSync(join(world.root, 'connectors', 'sales.yaml'), salesJob('  rejects:\n    maxRatio: 0.2\n'));
    const changed = await runCli(['plan', '--json'], { root: world.root, env: noSecret });
    expect(JSON.parse(changed.stdout).plans[0]).toMatchObject({ checked: false, definition: 'changed' });
    expect((await runCli(['plan'], { root: world.root, env: noSecret })).stdout.split('\n')[0]).toBe('sales (EmarsysSalesWriteback): not checked: no credentials; definition changed since the last run');
    // With every secret the plan is checked, and says so.
    expect(JSON.parse((await runCli(['plan', '--json'], { root: world.root, env: world.env })).stdout).plans[0]).toMatchObject({ mode: 'online', checked: true, definition: 'changed' });
  });

  it('posts one pull-request comment and updates it in place on the next push', async () => {
    world.domo.addDataSet({ id: DATASET_ID, name: 'Web sales', columns: COLUMNS, rows: lines(3) });
    const event = join(world.root, 'event.json');
    writeFileSync(event, JSON.stringify({ pull_request: { number: 42 } }));
    const env = { ...actionsEnv(world.env), GITHUB_TOKEN: 'ghs_canarytoken123', GITHUB_REPOSITORY: 'acme/jobs', GITHUB_REF_NAME: '42/merge', GITHUB_HEAD_REF: 'feature', GITHUB_EVENT_PATH: event, GITHUB_STEP_SUMMARY: join(world.root, 'summary.md') };
    nock('https://api.github.com').get('/repos/acme/jobs/issues/42/comments').query(true).reply(200, [{ id: 1, body: 'LGTM' }]);
    nock('https://api.github.com').post('/repos/acme/jobs/issues/42/comments', (b) => b.body.startsWith('<!-- writeback-plan -->')).reply(201, { id: 2 });
    const first = await runCli(['plan', '--markdown', '--comment', '--detailed-exitcode'], { root: world.root, env });
    expect(first.code).toBe(2);
    expect(first.stderr).toContain('created the plan comment on pull request #42');

    nock('https://api.github.com').get('/repos/acme/jobs/issues/42/comments').query(true).reply(200, [{ id: 1, body: 'LGTM', user: { login: 'alice' } }, { id: 2, body: '<!-- writeback-plan -->\nold', user: { login: 'github-actions[bot]' } }]);
    nock('https://api.github.com').patch('/repos/acme/jobs/issues/comments/2').reply(200, {});
    const second = await runCli(['plan', '--markdown', '--comment'], { root: world.root, env });
    expect(second.stderr).toContain('updated the plan comment on pull request #42');
    expect(JSON.stringify([first, second])).not.toContain(SECRETS.DOMO_CLIENT_SECRET);
    expect(nock.isDone()).toBe(true);
  });

  it('never edits a comment someone else wrote, even one that carries the marker', async () => {
    world.domo.addDataSet({ id: DATASET_ID, name: 'Web sales', columns: COLUMNS, rows: lines(3) });
    const event = join(world.root, 'event.json');
    writeFileSync(event, JSON.stringify({ pull_request: { number: 43 } }));
    const env = { ...actionsEnv(world.env), GITHUB_TOKEN: 'ghs_t', GITHUB_REPOSITORY: 'acme/jobs', GITHUB_REF_NAME: '43/merge', GITHUB_EVENT_PATH: event };
    nock('https://api.github.com').get('/repos/acme/jobs/issues/43/comments').query(true).reply(200, [{ id: 5, body: '<!-- writeback-plan --> all good, merge it', user: { login: 'mallory' } }]);
    nock('https://api.github.com').post('/repos/acme/jobs/issues/43/comments').reply(201, { id: 6 });
    const { stderr } = await runCli(['plan', '--comment'], { root: world.root, env });
    expect(stderr).toContain('created the plan comment on pull request #43');
    expect(nock.isDone()).toBe(true); // no PATCH of comment 5 was made (nock would have refused it)
  });

  it('a read-only token (fork pull request) does not fail the plan', async () => {
    const event = join(world.root, 'event.json');
    writeFileSync(event, JSON.stringify({ pull_request: { number: 7 } }));
    const env = { GITHUB_ACTIONS: 'true', GITHUB_TOKEN: 't', GITHUB_REPOSITORY: 'acme/jobs', GITHUB_REF_NAME: '7/merge', GITHUB_EVENT_PATH: event };
    nock('https://api.github.com').get('/repos/acme/jobs/issues/7/comments').query(true).reply(200, []);
    nock('https://api.github.com').post('/repos/acme/jobs/issues/7/comments').reply(403, { message: 'Resource not accessible by integration' });
    const { code, stderr } = await runCli(['plan', '--comment'], { root: world.root, env });
    expect(code).toBe(0);
    expect(stderr).toContain('could not comment on pull request #7');
  });

  it('keeps comments under GitHub\'s limit, closing an open code fence', () => {
    const body = `intro\n\`\`\`csv\n${'x,y\n'.repeat(30_000)}\`\`\`\n`;
    const fitted = fitComment(body);
    expect(fitted.length).toBeLessThanOrEqual(COMMENT_LIMIT);
    expect(fitted.match(/^```/gm)!.length % 2).toBe(0);
    expect(fitted).toContain('The plan was cut to fit a GitHub comment');
  });
});

describe('writeback due', () => {
  const world = useWorld(`${salesJobWithSchedule()}`);

  it('lists the jobs a reconcile would run now, as JSON for a workflow matrix', async () => {
    world.domo.addDataSet({ id: DATASET_ID, name: 'Web sales', columns: COLUMNS, rows: lines(2) });
    expect((await runCli(['due', '--json'], { root: world.root })).stdout).toBe('["sales"]');
    await runCli(['reconcile'], { root: world.root, env: world.env });
    expect((await runCli(['due', '--json'], { root: world.root })).stdout).toBe('[]');
    expect((await runCli(['due', '--json', '--force'], { root: world.root })).stdout).toBe('["sales"]');
    expect((await runCli(['due'], { root: world.root })).stdout).toMatch(/^sales: not due \(next \d{4}-\d\d-\d\dT05:17:00.000Z\)$/);
  });
});

function salesJobWithSchedule(): string {
  return salesJob('  schedule: "17 5 * * *"\n');
}
