import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import nock from 'nock';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { alertBody, syncAlert } from '../src/github/alerts.ts';
import { githubClient } from '../src/github/client.ts';
import { changedFiles, commitFiles } from '../src/github/commit.ts';
import { renderDashboard, type JobSummary } from '../src/reports/dashboard.ts';
import type { RunReport } from '../src/reports/run-report.ts';
import { FakeGitHub } from './helpers/fake-github.ts';
import { runCli, scratchRepo } from './helpers/repo.ts';
import { COLUMNS, DATASET_ID, lines, salesJob, useWorld } from './helpers/world.ts';
import { actionsEnv as inActions } from './helpers/fixtures.ts';

const API = 'https://api.github.com';
const target = { owner: 'acme', repo: 'writeback-jobs', branch: 'main' };
/** The runner's own client (Octokit's retry and throttling plugins), with its waits shortened a thousandfold. */
const octokit = () => githubClient({ token: 'ghs_canarytoken123', baseUrl: API, env: { WRITEBACK_RETRY_BASE_MS: '1' } });

beforeAll(() => {
  nock.disableNetConnect();
  nock.enableNetConnect('127.0.0.1');
});
afterEach(() => {
  // Strict: every expected call was made, and none other (an unexpected one fails with "No match").
  const pending = nock.pendingMocks();
  nock.cleanAll();
  expect(pending).toEqual([]);
});

function gitRepo(files: Record<string, string>): string {
  const root = scratchRepo(files);
  const git = (...args: string[]) => execFileSync('git', args, { cwd: root, stdio: 'pipe' });
  git('init', '-q', '-b', 'main');
  git('-c', 'user.email=t@example.com', '-c', 'user.name=t', 'add', '-A');
  git('-c', 'user.email=t@example.com', '-c', 'user.name=t', 'commit', '-qm', 'init');
  return root;
}

/** The Git Data API calls of one commit attempt on `head`. */
function expectCommitAttempt(api: nock.Scope, head: string, expectedTree: unknown[], updateStatus = 200) {
  api
    .get('/repos/acme/writeback-jobs/git/ref/heads%2Fmain')
    .reply(200, { ref: 'refs/heads/main', object: { sha: head, type: 'commit' } })
    .get(`/repos/acme/writeback-jobs/git/commits/${head}`)
    .reply(200, { sha: head, tree: { sha: `tree-of-${head}` } })
    .post('/repos/acme/writeback-jobs/git/trees', (body) => {
      expect(body).toEqual({ base_tree: `tree-of-${head}`, tree: expectedTree });
      return true;
    })
    .reply(201, { sha: `new-tree-${head}` })
    .post('/repos/acme/writeback-jobs/git/commits', (body) => body.parents[0] === head && body.tree === `new-tree-${head}`)
    .reply(201, { sha: `commit-on-${head}` })
    .patch('/repos/acme/writeback-jobs/git/refs/heads%2Fmain', (body) => body.sha === `commit-on-${head}` && body.force === false)
    .reply(updateStatus, updateStatus === 200 ? { ref: 'refs/heads/main' } : { message: 'Update is not a fast forward' });
}

describe('committing state and reports through the GitHub API', () => {
  it('makes one commit holding exactly the changed files (added, modified, deleted)', async () => {
    const root = gitRepo({ 'state/a.json': '{}', 'state/a/old.bin': 'x', 'reports/a/1.json': '{}', 'connectors/x.yaml': 'x' });
    writeFileSync(join(root, 'state/a.json'), '{"cursor":"2026"}');
    mkdirSync(join(root, 'reports/a'), { recursive: true });
    writeFileSync(join(root, 'reports/a/2.json'), '{"run":2}');
    writeFileSync(join(root, 'state/a.lock'), 'lock');
    writeFileSync(join(root, 'connectors/x.yaml'), 'changed but not ours');
    execFileSync('rm', [join(root, 'state/a/old.bin')]);
    const changes = changedFiles(root);
    expect(changes.map((c) => c.path)).toEqual(['reports/a/2.json', 'state/a.json', 'state/a/old.bin']);

    const api = nock(API)
      .post('/repos/acme/writeback-jobs/git/blobs', { content: Buffer.from('{"run":2}').toString('base64'), encoding: 'base64' })
      .reply(201, { sha: 'blob-report' })
      .post('/repos/acme/writeback-jobs/git/blobs', { content: Buffer.from('{"cursor":"2026"}').toString('base64'), encoding: 'base64' })
      .reply(201, { sha: 'blob-state' });
    expectCommitAttempt(api, 'head1', [
      { path: 'reports/a/2.json', mode: '100644', type: 'blob', sha: 'blob-report' },
      { path: 'state/a.json', mode: '100644', type: 'blob', sha: 'blob-state' },
      { path: 'state/a/old.bin', mode: '100644', type: 'blob', sha: null },
    ]);
    expect(await commitFiles(octokit(), target, changes, 'writeback: reconcile')).toBe('commit-on-head1');
  });

  it('rebuilds on the new head when the branch moved, without force, and loses nothing', async () => {
    const changes = [{ path: 'state/a.json', content: Buffer.from('{}') }];
    const tree = [{ path: 'state/a.json', mode: '100644', type: 'blob', sha: 'blob-1' }];
    const api = nock(API).post('/repos/acme/writeback-jobs/git/blobs').once().reply(201, { sha: 'blob-1' });
    expectCommitAttempt(api, 'head1', tree, 422);
    // The runner asks where the branch is now: elsewhere, so it moved (not a refusal).
    api.get('/repos/acme/writeback-jobs/git/ref/heads%2Fmain').reply(200, { ref: 'refs/heads/main', object: { sha: 'head2', type: 'commit' } });
    expectCommitAttempt(api, 'head2', tree);
    const log: string[] = [];
    expect(await commitFiles(octokit(), target, changes, 'm', { log: (l) => log.push(l) })).toBe('commit-on-head2');
    expect(log[0]).toContain('main moved; retrying the commit');
  });

  it('keeps the path prefix of GITHUB_API_URL (GitHub Enterprise Server)', async () => {
    const ghe = githubClient({ token: 't', baseUrl: 'https://ghe.example.com/api/v3/', env: { WRITEBACK_RETRY_BASE_MS: '1' } });
    const api = nock('https://ghe.example.com').post('/api/v3/repos/acme/writeback-jobs/git/blobs').reply(201, { sha: 'b' });
    api.get('/api/v3/repos/acme/writeback-jobs/git/ref/heads%2Fmain').reply(200, { object: { sha: 'h' } });
    api.get('/api/v3/repos/acme/writeback-jobs/git/commits/h').reply(200, { tree: { sha: 't' } });
    api.post('/api/v3/repos/acme/writeback-jobs/git/trees').reply(201, { sha: 't2' });
    api.post('/api/v3/repos/acme/writeback-jobs/git/commits').reply(201, { sha: 'c' });
    api.patch('/api/v3/repos/acme/writeback-jobs/git/refs/heads%2Fmain').reply(200, {});
    expect(await commitFiles(ghe, target, [{ path: 'state/a.json', content: Buffer.from('{}') }], 'm')).toBe('c');
  });

  it('explains a refused push (branch protection, missing permission)', async () => {
    nock(API).post('/repos/acme/writeback-jobs/git/blobs').reply(201, { sha: 'b' }).get('/repos/acme/writeback-jobs/git/ref/heads%2Fmain').reply(200, { object: { sha: 'h' } });
    nock(API).get('/repos/acme/writeback-jobs/git/commits/h').reply(200, { tree: { sha: 't' } }).post('/repos/acme/writeback-jobs/git/trees').reply(403, { message: 'Resource not accessible by integration' });
    // 403 is not retried (strict nock: a second createTree would fail as unexpected).
    await expect(commitFiles(octokit(), target, [{ path: 'state/a.json', content: Buffer.from('{}') }], 'm')).rejects.toThrow(/\(403: Resource not accessible by integration\).*permissions: contents: write/);
  });
});

const report = (status: RunReport['status'], extra: Partial<RunReport> = {}): RunReport => ({
  name: 'sales',
  kind: 'EmarsysSalesWriteback',
  runId: '20261122T051700Z-abcd',
  startedAt: '2026-11-22T05:17:00.000Z',
  finishedAt: '2026-11-22T05:18:00.000Z',
  status,
  rows: { read: 10, sent: status === 'succeeded' ? 10 : 0, rejected: 0, skipped: 0 },
  message: status === 'failed' ? 'Domo answered 503 | <b>busy</b>' : 'ok',
  ...extra,
});

describe('alert issues', () => {
  const list = (issues: unknown[]) => nock(API).get('/repos/acme/writeback-jobs/issues').query({ state: 'open', labels: 'writeback-alert', per_page: 100 }).reply(200, issues);

  it('opens one issue for a failing job, with the essentials escaped', async () => {
    list([]);
    nock(API)
      .post('/repos/acme/writeback-jobs/issues', (body) => {
        expect(body.title).toBe('writeback: sales failed');
        expect(body.labels).toEqual(['writeback-alert']);
        expect(body.body).toContain('Domo answered 503 \\| \\<b\\>busy\\</b\\>');
        return true;
      })
      .reply(201, { number: 7 });
    expect(await syncAlert(octokit(), target, report('failed'))).toBe('opened');
  });

  it('comments on the open issue instead of opening a second one, retitled when the job is now held', async () => {
    list([{ number: 7, title: 'writeback: sales failed' }, { number: 8, title: 'writeback: salesforce failed' }]);
    nock(API).post('/repos/acme/writeback-jobs/issues/7/comments').reply(201, {}).patch('/repos/acme/writeback-jobs/issues/7', { title: 'writeback: sales is held' }).reply(200, {});
    expect(await syncAlert(octokit(), target, report('held', { action: 'release it' }))).toBe('updated');
  });

  it('closes the issue with a comment when the job recovers, and does nothing when all is well', async () => {
    list([{ number: 7, title: 'writeback: sales is held' }]);
    nock(API).post('/repos/acme/writeback-jobs/issues/7/comments', (b) => b.body.startsWith('Recovered')).reply(201, {}).patch('/repos/acme/writeback-jobs/issues/7', { state: 'closed', state_reason: 'completed' }).reply(200, {});
    expect(await syncAlert(octokit(), target, report('succeeded'))).toBe('closed');
    list([]);
    expect(await syncAlert(octokit(), target, report('succeeded'))).toBe('none');
  });

  it('alert bodies say what to do', () => {
    expect(alertBody(report('held', { action: 'Check Emarsys, then run npx writeback release sales --delivered' }))).toContain('**What to do:** Check Emarsys, then run npx writeback release sales --delivered');
  });
});

describe('dashboard', () => {
  const job = (i: number, status: RunReport['status']): JobSummary => ({
    name: `job-${i}`,
    kind: 'EmarsysSalesWriteback',
    suspended: false,
    held: false,
    dueNow: false,
    next: new Date('2026-11-23T05:17:00Z'),
    history: [report(status, { name: `job-${i}`, rows: { read: 100, sent: 40 + i, rejected: 1, skipped: 59 } })],
  });
  const now = new Date('2026-11-22T06:00:00Z');

  it('renders with no jobs', () => {
    expect(renderDashboard([], now)).toContain('No jobs yet: add a definition to `connectors/`.');
  });
  it('renders one job as a table row and a Mermaid chart', () => {
    const md = renderDashboard([job(1, 'failed')], now);
    expect(md).toContain('| [job-1](job-1/) | FAILED | 2026-11-22 05:17 UTC | 100 | 41 | 1 | 2026-11-23 05:17 UTC |');
    expect(md).toContain('```mermaid\nxychart-beta\n  title "job-1: rows sent, last 1 runs"');
    expect(md).toContain('  bar [41]');
  });
  it('renders 50 jobs', () => {
    const md = renderDashboard(Array.from({ length: 50 }, (_, i) => job(i, 'succeeded')), now);
    expect(md.match(/^\| \[job-/gm)).toHaveLength(50);
    expect(md.match(/```mermaid/g)).toHaveLength(50);
  });
});

describe('reconcile inside GitHub Actions', () => {
  const world = useWorld(salesJob('  schedule: "17 5 * * *"\n'));
  const actionsEnv = (root: string) =>
    inActions(world.env, {
      GITHUB_TOKEN: 'ghs_canarytoken123',
      GITHUB_REPOSITORY: 'acme/writeback-jobs',
      GITHUB_REF_NAME: 'main',
      GITHUB_STEP_SUMMARY: join(root, 'summary.md'),
    });
  const checkout = (root: string) => execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: root });
  let github: FakeGitHub;
  beforeEach(() => {
    github = new FakeGitHub();
  });
  afterEach(() => {
    expect(github.unexpected).toEqual([]);
    nock.cleanAll();
  });

  it('commits state and reports as one commit, opens an alert on failure, writes the dashboard, and status shows it', async () => {
    checkout(world.root);
    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS, rows: lines(5) });
    world.emarsys.inject({ kind: 'status', status: 401 });
    const env = actionsEnv(world.root);

    const { code, stdout } = await runCli(['reconcile'], { root: world.root, env });
    expect(code).toBe(1);
    expect(stdout).toContain('sales: failed');
    expect(stdout).toMatch(/committed \d+ file\(s\) to main as \w{7}/);
    expect(github.commitsOn('main')).toHaveLength(1);
    expect([...github.files('main').keys()].sort()).toEqual(['reports/README.md', expect.stringMatching(/^reports\/sales\/.*\.json$/), expect.stringMatching(/^reports\/sales\/.*\.md$/), 'state/sales.json']);
    expect(github.refs.has('writeback-intent/sales')).toBe(false);
    expect(github.issues.map((i) => [i.title, i.state])).toEqual([['writeback: sales failed', 'open']]);
    expect(readFileSync(env.GITHUB_STEP_SUMMARY!, 'utf8')).toContain('| [sales](sales/) | FAILED |');
    expect(stdout).not.toContain('ghs_canarytoken123');
    expect(JSON.stringify([...github.files('main').values(), ...github.issues.map((i) => i.body)])).not.toMatch(/canary/);

    const status = await runCli(['status'], { root: world.root });
    expect(status.stdout.split('\n')[0]).toMatch(/^job\s+status\s+last run\s+read\s+sent\s+rejected\s+next due$/);
    expect(status.stdout.split('\n')[1]).toMatch(/^sales\s+FAILED\s+\d{4}-\d\d-\d\d \d\d:\d\d UTC\s+5\s+0\s+0\s+\d{4}-\d\d-\d\d 05:17 UTC$/);

    // Recovery closes the alert, in a second single commit.
    const again = await runCli(['reconcile', '--force'], { root: world.root, env });
    expect(again.code).toBe(0);
    expect(github.commitsOn('main')).toHaveLength(2);
    expect(github.issues[0]).toMatchObject({ state: 'closed', comments: [expect.stringContaining('Recovered')] });
  });

  it('retries on a moved branch head and loses nothing', async () => {
    checkout(world.root);
    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS, rows: lines(5) });
    github.moveBranchTimes = 2;
    const { code, stdout } = await runCli(['reconcile'], { root: world.root, env: actionsEnv(world.root) });
    expect(code).toBe(0);
    expect(stdout.match(/main moved; retrying the commit/g)).toHaveLength(2);
    const commits = github.commitsOn('main');
    expect(commits.map((c) => c.message)).toEqual(['someone else pushed', 'someone else pushed', 'writeback: reconcile (sales succeeded)']);
    expect(JSON.parse(github.files('main').get('state/sales.json')!).segments).toHaveLength(1);
  });

  it('a run cancelled after Emarsys accepted an upload (before its commit) never causes a resend', async () => {
    checkout(world.root);
    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS, rows: lines(40) });
    // The first run delivers, then "dies": the reconcile ran with its intent journal, but nothing was committed.
    const { githubSession } = await import('../src/reconcile/github-session.ts');
    const { reconcile } = await import('../src/reconcile/reconciler.ts');
    const session = (await githubSession(world.root, actionsEnv(world.root)))!;
    const killed = await reconcile({ root: world.root, env: actionsEnv(world.root), only: [], force: true, dryRun: false, journal: session.journal, log: () => {} });
    expect(killed.reports[0]!.rows.sent).toBe(40);
    expect(github.commitsOn('main')).toHaveLength(0);
    expect(github.refs.has('writeback-intent/sales')).toBe(true);

    // A new runner: a fresh checkout of main, which knows nothing of that delivery.
    const fresh = scratchRepo({ 'connectors/sales.yaml': readFileSync(join(world.root, 'connectors', 'sales.yaml'), 'utf8') });
    checkout(fresh);
    const { code, stdout } = await runCli(['reconcile', '--force'], { root: fresh, env: actionsEnv(fresh) });
    expect(code).toBe(0);
    expect(stdout).toContain('sales: restored the state of an earlier run that ended before its commit (from writeback-intent/sales)');
    expect(stdout).toContain('Nothing new to send');
    expect(world.emarsys.duplicates()).toEqual([]);
    expect(world.emarsys.accepted).toHaveLength(40);
    expect(github.refs.has('writeback-intent/sales')).toBe(false);
    expect(JSON.parse(github.files('main').get('state/sales.json')!).segments).toHaveLength(1);
  });

  it('a run cancelled during an upload leaves the next runner held, not guessing', async () => {
    checkout(world.root);
    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS, rows: lines(10) });
    world.emarsys.inject({ kind: 'accept-then-timeout' });
    const { githubSession } = await import('../src/reconcile/github-session.ts');
    const { reconcile } = await import('../src/reconcile/reconciler.ts');
    const session = (await githubSession(world.root, actionsEnv(world.root)))!;
    await reconcile({ root: world.root, env: actionsEnv(world.root), only: [], force: true, dryRun: false, journal: session.journal, log: () => {} });

    const fresh = scratchRepo({ 'connectors/sales.yaml': readFileSync(join(world.root, 'connectors', 'sales.yaml'), 'utf8') });
    checkout(fresh);
    const { stdout } = await runCli(['reconcile', '--force'], { root: fresh, env: actionsEnv(fresh) });
    expect(stdout).toContain('sales: held');
    expect(world.emarsys.uploads).toBe(1);
    expect(github.issues[0]?.title).toBe('writeback: sales is held');
  });
});
