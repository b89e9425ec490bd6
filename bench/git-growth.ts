/**
 * `npm run bench:growth [-- RUNS LINES]`: how much a repository grows when the runner commits its state and
 * reports to it. RUNS reconciles (default 50), one a day, each delivering LINES new order lines (default
 * 2,000) whose rows leave the 1-day lookback window before the next run, against the emulators on
 * 127.0.0.1, each followed by what publish does (prune reports, write the dashboard). Two layouts take the
 * files of every run:
 * - on the definitions' branch (no WRITEBACK_STATE_BRANCH): `git add -A && git commit`, a commit per run;
 * - on a state branch: the run's commit on top of the branch (a fast forward), then the branch moved to a
 *   commit of the same tree without parents, as src/github/snapshot.ts does through GitHub's API.
 * Then `git gc --prune=now` (reflogs expired: what a clone can fetch) and each repository's growth: in
 * total, per run and per delivered line.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DomoEmulator } from '../src/emulators/domo.ts';
import { EmarsysEmulator } from '../src/emulators/emarsys.ts';
import { publish } from '../src/reconcile/publish.ts';
import { reconcile } from '../src/reconcile/reconciler.ts';
import { COLUMNS, DATASET_ID, lines, salesJob, SECRETS } from '../test/helpers/fixtures.ts';

const [runs = 50, perRun = 2_000] = process.argv.slice(2).map(Number);
const DAY = 86_400_000;
const start = Date.parse('2026-11-01T00:00:00Z');
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

const root = mkdtempSync(join(tmpdir(), 'writeback-growth-'));
/** The state branch's repository: the same definitions commit on main, state and reports on their own branch. */
const stateRepo = mkdtempSync(join(tmpdir(), 'writeback-growth-state-'));
const gitIn =
  (dir: string) =>
  (...args: string[]) =>
    execFileSync('git', ['-C', dir, '-c', 'user.name=bench', '-c', 'user.email=bench@example.com', ...args], { encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_DATE: '2026-11-01T00:00:00Z', GIT_COMMITTER_DATE: '2026-11-01T00:00:00Z' } });
const git = gitIn(root);
const stateGit = gitIn(stateRepo);
/** The packed size of everything git keeps that a clone can fetch. */
const repositorySize = (run: typeof git) => {
  run('reflog', 'expire', '--expire=now', '--all');
  run('gc', '--quiet', '--aggressive', '--prune=now');
  const stats = Object.fromEntries(run('count-objects', '-v').trim().split('\n').map((l) => l.split(': ') as [string, string]));
  return (Number(stats['size-pack']) + Number(stats.size)) * 1024;
};
const STATE_BRANCH = 'refs/heads/writeback-state';
/** One run's commit on the state branch, then the branch replaced by a parentless commit of the same tree. */
function commitToStateBranch(message: string) {
  stateGit('--work-tree', root, 'add', '-A', '--', 'state', 'reports');
  const tree = stateGit('write-tree').trim();
  let parent: string | undefined;
  try {
    parent = stateGit('rev-parse', '--verify', '--quiet', STATE_BRANCH).trim();
  } catch {
    parent = undefined;
  }
  const commit = stateGit('commit-tree', tree, ...(parent ? ['-p', parent] : []), '-m', message).trim();
  stateGit('update-ref', STATE_BRANCH, commit);
  const snapshot = stateGit('commit-tree', tree, '-m', `${message} (snapshot)`).trim();
  stateGit('update-ref', STATE_BRANCH, snapshot, commit);
}

const domo = new DomoEmulator({ [SECRETS.DOMO_CLIENT_ID]: SECRETS.DOMO_CLIENT_SECRET });
const emarsys = new EmarsysEmulator({ [SECRETS.EMARSYS_MERCHANT_ID]: SECRETS.EMARSYS_SALES_TOKEN });
await Promise.all([domo.start(), emarsys.start()]);
try {
  mkdirSync(join(root, 'connectors'));
  writeFileSync(join(root, 'connectors', 'sales.yaml'), salesJob('  delivery:\n    cursor: ordered_at\n    lookback: 1d\n'));
  git('init', '--quiet', '-b', 'main');
  git('add', '-A');
  git('commit', '--quiet', '-m', 'the definition');
  // The state branch's repository starts as the same clone: main holds the definitions only, ever.
  stateGit('init', '--quiet', '-b', 'main');
  stateGit('fetch', '--quiet', root, 'main');
  stateGit('update-ref', 'refs/heads/main', 'FETCH_HEAD');
  const base = repositorySize(git);
  const stateBase = repositorySize(stateGit);
  const env = { ...SECRETS, DOMO_API_URL: domo.url, EMARSYS_SALES_API_URL: emarsys.url };
  let sent = 0;
  for (let run = 0; run < runs; run++) {
    // The day's lines, from the start of the day before the run: older rows have left the export.
    const day = start + run * DAY;
    const rows = lines(perRun, day, run * perRun + 1).map((row, i) => ((row[1] = new Date(day + Math.floor((i * DAY) / perRun)).toISOString().slice(0, 19)), row));
    domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS, rows });
    const result = await reconcile({ root, env, only: [], force: true, dryRun: false, log: () => {}, now: () => new Date(day + DAY + 3_600_000) });
    const report = result.reports[0]!;
    if (report.status !== 'succeeded') throw new Error(`run ${run + 1}: ${report.status}: ${report.message}`);
    sent += report.rows.sent;
    await publish(root, env, result.reports, () => {}, undefined, new Date(day + DAY + 3_600_000));
    git('add', '-A');
    git('commit', '--quiet', '-m', `run ${run + 1}`);
    commitToStateBranch(`run ${run + 1}`);
  }
  const grown = repositorySize(git) - base;
  const stateGrown = repositorySize(stateGit) - stateBase;
  const mainUnchanged = stateGit('rev-parse', 'main').trim() === git('rev-list', '--max-parents=0', 'main').trim();
  console.log(`${runs} runs of ${perRun.toLocaleString('en-US')} lines, ${sent.toLocaleString('en-US')} delivered; repository growth after git gc:`);
  const line = (label: string, bytes: number) => console.log(`  ${label.padEnd(44)} ${kb(bytes).padStart(9)} in total, ${kb(bytes / runs).padStart(8)} per run, ${(bytes / sent).toFixed(2).padStart(5)} bytes per delivered line`);
  line("on the definitions' branch (no state branch)", grown);
  line('on a state branch (WRITEBACK_STATE_BRANCH)', stateGrown);
  console.log(`  with the state branch: main ${mainUnchanged ? 'still at the definitions commit' : 'MOVED'}; ${stateGit('rev-list', '--count', STATE_BRANCH).trim()} commit on writeback-state; target: under 250 KB in total`);
} finally {
  await Promise.all([domo.stop(), emarsys.stop()]);
  rmSync(root, { recursive: true, force: true });
  rmSync(stateRepo, { recursive: true, force: true });
}
