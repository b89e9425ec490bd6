/**
 * WRITEBACK_STATE_BRANCH against a stateful fake GitHub whose main is protected (every update refused, as
 * GitHub refuses a bot's push to a branch that takes changes only through pull requests): every run starts
 * from a fresh clone of main that holds no state, as a workflow job does.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import nock from 'nock';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { githubSession } from '../../src/reconcile/github-session.ts';
import { reconcile } from '../../src/reconcile/reconciler.ts';
import { FakeGitHub } from '../helpers/fake-github.ts';
import { actionsEnv } from '../helpers/fixtures.ts';
import { runCli, scratchRepo } from '../helpers/repo.ts';
import { COLUMNS, DATASET_ID, lines, salesJob, useWorld } from '../helpers/world.ts';

const STATE = 'writeback-state';

beforeAll(() => {
  nock.disableNetConnect();
  nock.enableNetConnect('127.0.0.1');
});

describe('state and reports on a branch of their own', () => {
  const world = useWorld(salesJob());
  let github: FakeGitHub;
  beforeEach(() => {
    github = new FakeGitHub();
    github.protectedBranches.add('main');
  });
  afterEach(() => {
    expect(github.unexpected).toEqual([]);
    nock.cleanAll();
  });

  /** A workflow job's checkout of main: the definitions, no state. */
  const freshClone = (definitions: Record<string, string> = { 'connectors/sales.yaml': salesJob() }) => {
    const root = scratchRepo(definitions);
    execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: root });
    return root;
  };
  const env = (root: string, extra: NodeJS.ProcessEnv = {}) =>
    actionsEnv(world.env, {
      GITHUB_TOKEN: 'ghs_canarytoken123',
      GITHUB_REPOSITORY: 'acme/writeback-jobs',
      GITHUB_REF_NAME: 'main',
      GITHUB_STEP_SUMMARY: join(root, 'summary.md'),
      WRITEBACK_STATE_BRANCH: STATE,
      ...extra,
    });
  const stateOn = (branch = STATE) => JSON.parse(github.files(branch).get('state/sales.json')!);

  it('two scheduled runs on fresh clones deliver exactly once, create the branch, and leave main untouched', async () => {
    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS, rows: lines(30) });
    const mainBefore = github.refs.get('main');

    const first = freshClone();
    const one = await runCli(['reconcile'], { root: first, env: env(first) });
    expect(one.code).toBe(0);
    expect(one.stderr).toContain(`${STATE} does not exist yet; using this checkout's state/ and reports/ (the first reconcile creates the branch from them)`);
    expect(one.stdout).toContain(`::warning title=writeback%3A created ${STATE}::the state branch ${STATE} did not exist`);
    expect(one.stdout).toMatch(new RegExp(`created ${STATE} with \\d+ file\\(s\\)`));
    expect([...github.files(STATE).keys()].every((path) => /^(state|reports)\//.test(path))).toBe(true);
    expect(stateOn().segments).toHaveLength(1);

    const second = freshClone();
    const two = await runCli(['reconcile'], { root: second, env: env(second) });
    expect(two.code).toBe(0);
    expect(two.stderr).toMatch(new RegExp(`read state and reports from ${STATE} at \\w{7}`));
    expect(two.stdout).toContain('Nothing new to send');
    expect(world.emarsys.accepted).toHaveLength(30);
    expect(world.emarsys.duplicates()).toEqual([]);
    expect(github.refs.get('main')).toBe(mainBefore);
    expect(github.commitsOn('main')).toEqual([]);
  });

  it('a run that changes nothing adds no commit; its report still goes to the job summary', async () => {
    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS, rows: lines(5) });
    const first = freshClone();
    await runCli(['reconcile'], { root: first, env: env(first) });
    const head = github.refs.get(STATE);

    const second = freshClone();
    const quiet = await runCli(['reconcile'], { root: second, env: env(second) });
    expect(quiet.code).toBe(0);
    expect(quiet.stdout).toContain('sales: nothing changed; not committed');
    expect(github.refs.get(STATE)).toBe(head);
    const summary = readFileSync(join(second, 'summary.md'), 'utf8');
    expect(summary).toContain(`Dashboard: [reports/README.md on ${STATE}](https://github.com/acme/writeback-jobs/blob/${STATE}/reports/README.md)`);
    expect(summary).toContain('Nothing new to send');

    // New lines are news: that run is committed, and the branch still holds one commit.
    world.domo.appendRows(DATASET_ID, lines(3, Date.parse('2026-11-21T08:00:00Z'), 100));
    const third = freshClone();
    await runCli(['reconcile'], { root: third, env: env(third) });
    expect(github.refs.get(STATE)).not.toBe(head);
    expect(github.history(STATE)).toHaveLength(1);
    expect(world.emarsys.accepted).toHaveLength(8);

    // WRITEBACK_COMMIT_UNCHANGED=true commits every run.
    const fourth = freshClone();
    const before = github.refs.get(STATE);
    await runCli(['reconcile'], { root: fourth, env: env(fourth, { WRITEBACK_COMMIT_UNCHANGED: 'true' }) });
    expect(github.refs.get(STATE)).not.toBe(before);
  });

  it('two matrix jobs committing at once both land, and the branch keeps one commit', async () => {
    const definitions = { 'connectors/sales.yaml': salesJob(), 'connectors/shop.yaml': salesJob().replace('name: sales', 'name: shop').replace(DATASET_ID, 'ds-shop') };
    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS, rows: lines(10) });
    world.domo.addDataSet({ id: 'ds-shop', name: 'shop', columns: COLUMNS, rows: lines(7, Date.parse('2026-11-20T08:00:00Z'), 500) });
    const [a, b] = [freshClone(definitions), freshClone(definitions)];
    const runs = await Promise.all([runCli(['reconcile', 'sales'], { root: a, env: env(a) }), runCli(['reconcile', 'shop'], { root: b, env: env(b) })]);
    expect(runs.map((r) => r.code)).toEqual([0, 0]);
    const files = github.files(STATE);
    expect(JSON.parse(files.get('state/sales.json')!).lastRun.rows.sent).toBe(10);
    expect(JSON.parse(files.get('state/shop.json')!).lastRun.rows.sent).toBe(7);
    expect([...files.keys()].filter((p) => p.endsWith('.json') && p.startsWith('reports/'))).toHaveLength(2);
    expect(github.history(STATE)).toHaveLength(1);

    // The next run of either, on a fresh clone, sends nothing again.
    const c = freshClone(definitions);
    await runCli(['reconcile'], { root: c, env: env(c) });
    expect(world.emarsys.accepted).toHaveLength(17);
    expect(world.emarsys.duplicates()).toEqual([]);
  });

  it('due, status and the dashboard job on fresh clones read the state branch; the dashboard commits only a change', async () => {
    const definitions = { 'connectors/sales.yaml': salesJob('  schedule: "17 5 * * *"\n'), 'connectors/shop.yaml': salesJob().replace('name: sales', 'name: shop').replace(DATASET_ID, 'ds-shop') };
    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS, rows: lines(4) });
    world.domo.addDataSet({ id: 'ds-shop', name: 'shop', columns: COLUMNS, rows: lines(2, Date.parse('2026-11-20T08:00:00Z'), 500) });
    const [a, b] = [freshClone(definitions), freshClone(definitions)];
    await Promise.all([runCli(['reconcile', 'sales'], { root: a, env: env(a) }), runCli(['reconcile', 'shop'], { root: b, env: env(b) })]);

    const due = freshClone(definitions);
    const listed = await runCli(['due', '--json'], { root: due, env: env(due) });
    expect(JSON.parse(listed.stdout)).toEqual(['shop']); // sales ran today and is next due at 05:17 tomorrow
    const status = await runCli(['status'], { root: due, env: env(due) });
    expect(status.stdout).toMatch(/^sales\s+Succeeded\s.*2026-\d\d-\d\d 05:17 UTC$/m);
    expect(status.stdout).toMatch(/^shop\s+Succeeded\s/m);

    const board = freshClone(definitions);
    expect((await runCli(['dashboard'], { root: board, env: env(board) })).code).toBe(0);
    const dashboard = github.files(STATE).get('reports/README.md')!;
    expect(dashboard).toContain('| [sales](sales/) |');
    expect(dashboard).toContain('| [shop](shop/) |');
    const head = github.refs.get(STATE);
    const again = freshClone(definitions);
    await runCli(['dashboard'], { root: again, env: env(again) });
    expect(github.refs.get(STATE)).toBe(head);
    expect(github.commitsOn('main')).toEqual([]);
  });

  it('a state branch head that moved under the commit is built upon, losing nothing', async () => {
    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS, rows: lines(5) });
    const first = freshClone();
    await runCli(['reconcile'], { root: first, env: env(first) });
    world.domo.appendRows(DATASET_ID, lines(4, Date.parse('2026-11-21T08:00:00Z'), 100));
    let moved = false;
    github.beforeRefUpdate = (branch) => {
      if (branch !== STATE || moved) return;
      moved = true; // someone else's commit lands first (another job's, an operator's release)
      github.push(STATE, { 'reports/other/run.json': '{"other":true}\n' }, 'someone else');
    };
    const second = freshClone();
    const run = await runCli(['reconcile'], { root: second, env: env(second) });
    expect(run.stdout).toContain(`${STATE} moved; retrying the commit`);
    const files = github.files(STATE);
    expect(files.get('reports/other/run.json')).toBe('{"other":true}\n');
    expect(JSON.parse(files.get('state/sales.json')!).lastRun.rows.sent).toBe(4);
  });

  it('a run killed during an upload leaves the next fresh clone held, not resending', async () => {
    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS, rows: lines(10) });
    world.emarsys.inject({ kind: 'accept-then-timeout' });
    const killed = freshClone();
    const session = (await githubSession(killed, env(killed)))!;
    await session.stateBranch!.pull(killed);
    // The run journals its intent, then dies before its commit: nothing reaches the state branch.
    await reconcile({ root: killed, env: env(killed), only: [], force: true, dryRun: false, journal: session.journal, log: () => {} });
    expect(github.refs.has(STATE)).toBe(false);
    expect(github.history('writeback-intent/sales')).toHaveLength(1);

    const next = freshClone();
    const run = await runCli(['reconcile'], { root: next, env: env(next) });
    expect(run.stdout).toContain('sales: restored the state of an earlier run that ended before its commit (from writeback-intent/sales)');
    expect(run.stdout).toContain('sales: held');
    expect(world.emarsys.uploads).toBe(1);
    expect(stateOn().held).toBeDefined();
    expect(github.refs.has('writeback-intent/sales')).toBe(false);

    // The operator's decision, from a fresh clone too: committed to the state branch; the next run goes on.
    const operator = freshClone();
    const release = await runCli(['release', 'sales', '--delivered'], { root: operator, env: env(operator) });
    expect(release.code).toBe(0);
    expect(stateOn().held).toBeUndefined();
    const after = freshClone();
    await runCli(['reconcile'], { root: after, env: env(after) });
    expect(world.emarsys.uploads).toBe(1);
    expect(world.emarsys.duplicates()).toEqual([]);
  });

  it('a cut-off download of the state is read again, and never taken for an empty state', async () => {
    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS, rows: lines(6) });
    const first = freshClone();
    await runCli(['reconcile'], { root: first, env: env(first) });
    github.brokenTarballs = 1;
    const retried = freshClone();
    expect((await runCli(['reconcile'], { root: retried, env: env(retried) })).stdout).toContain('Nothing new to send');
    github.brokenTarballs = 3;
    const broken = freshClone();
    const run = await runCli(['reconcile'], { root: broken, env: env(broken) });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`could not read the state branch ${STATE} whole: the archive ends before its end marker: the download was cut off (3 downloads); nothing was run`);
    expect(world.emarsys.accepted).toHaveLength(6);
  });

  it('a file someone else changed since the pull is not overwritten; the intent keeps the delivery', async () => {
    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS, rows: lines(4) });
    const first = freshClone();
    await runCli(['reconcile'], { root: first, env: env(first) });
    world.domo.appendRows(DATASET_ID, lines(3, Date.parse('2026-11-21T08:00:00Z'), 100));
    github.beforeRefUpdate = (branch) => {
      if (branch !== STATE) return;
      github.beforeRefUpdate = undefined; // an operator's release lands first, changing the same state file
      github.push(STATE, { 'state/sales.json': `${JSON.stringify({ ...stateOn(), note: 'edited' })}\n` }, 'release');
    };
    const second = freshClone();
    const run = await runCli(['reconcile'], { root: second, env: env(second) });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`state/sales.json changed on ${STATE} since this run read it`);
    expect(github.refs.has('writeback-intent/sales')).toBe(true);
    const third = freshClone();
    await runCli(['reconcile'], { root: third, env: env(third) });
    expect(world.emarsys.accepted).toHaveLength(7);
    expect(world.emarsys.duplicates()).toEqual([]);
  });

  it('without WRITEBACK_STATE_BRANCH, an existing writeback-state makes the run a dry run; a laptop cannot deliver or create it', async () => {
    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS, rows: lines(4) });
    const first = freshClone();
    await runCli(['reconcile'], { root: first, env: env(first) });
    github.protectedBranches.delete('main');
    const legacy = freshClone();
    const run = await runCli(['reconcile'], { root: legacy, env: env(legacy, { WRITEBACK_STATE_BRANCH: '' }) });
    expect(run.stdout).toContain('the branch writeback-state holds this repository\'s state (a state branch), but WRITEBACK_STATE_BRANCH is not set');
    expect(world.emarsys.accepted).toHaveLength(4);
    expect(github.commitsOn('main')).toEqual([]);

    const laptop = { ...world.env, GITHUB_TOKEN: 'ghs_canarytoken123', GITHUB_REPOSITORY: 'acme/writeback-jobs', WRITEBACK_STATE_BRANCH: STATE };
    const here = freshClone();
    const delivery = await runCli(['reconcile'], { root: here, env: laptop });
    expect(delivery.code).toBe(1);
    expect(delivery.stderr).toContain('with a state branch, deliveries run from the workflow only');
    const typo = await runCli(['release', 'sales', '--delivered'], { root: here, env: { ...laptop, WRITEBACK_STATE_BRANCH: 'writeback-sate' } });
    expect(typo.code).toBe(1);
    expect(typo.stderr).toContain('the state branch writeback-sate does not exist (misspelt, or deleted?): nothing changed');
    expect(github.refs.has('writeback-sate')).toBe(false);
  });

  it('a run on a non-default branch is a dry run that commits nothing anywhere', async () => {
    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS, rows: lines(5) });
    const root = freshClone();
    writeFileSync(join(root, 'event.json'), JSON.stringify({ repository: { default_branch: 'main' } }));
    const run = await runCli(['reconcile'], { root, env: env(root, { GITHUB_REF_NAME: 'old-release', GITHUB_EVENT_PATH: join(root, 'event.json') }) });
    expect(run.stdout).toContain('Running as a dry run');
    expect(world.emarsys.accepted).toHaveLength(0);
    expect(github.refs.has(STATE)).toBe(false);
    expect(github.served.filter((call) => !call.startsWith('GET'))).toEqual([]);
  });

  it('without a state branch, a protected main is explained, naming the setting that fixes it', async () => {
    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS, rows: lines(5) });
    const root = freshClone();
    const run = await runCli(['reconcile'], { root, env: env(root, { WRITEBACK_STATE_BRANCH: '' }) });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('Protected branch update failed for refs/heads/main.');
    expect(run.stderr).toContain('Set WRITEBACK_STATE_BRANCH');
    expect(run.stderr).not.toContain('moved');
  });

  it('refuses a state branch that holds more than state and reports, whose history it would replace', async () => {
    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS, rows: lines(5) });
    const root = freshClone();
    const run = await runCli(['reconcile'], { root, env: env(root, { WRITEBACK_STATE_BRANCH: 'main' }) });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('the branch this workflow runs on');

    // A branch made from main (connectors/ and all) would lose its history at the first commit.
    const copy = github.push('copied', { 'connectors/x.yaml': 'kind: x\n' }, 'copy of main', true);
    const copied = await runCli(['reconcile'], { root, env: env(root, { WRITEBACK_STATE_BRANCH: 'copied' }) });
    expect(copied.code).toBe(1);
    expect(copied.stderr).toContain('WRITEBACK_STATE_BRANCH names copied, which holds more than state/ and reports/ (connectors)');
    expect(github.refs.get('copied')).toBe(copy);
    expect(world.emarsys.accepted).toHaveLength(0);
  });
});
