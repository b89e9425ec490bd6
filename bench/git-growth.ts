/**
 * `npm run bench:growth [-- RUNS LINES]`: how much a repository grows when the runner commits its state and
 * reports to it. RUNS reconciles (default 50), one a day, each delivering LINES new order lines (default
 * 2,000) whose rows leave the 1-day lookback window before the next run, against the emulators on
 * 127.0.0.1; after each, `git add -A && git commit`, as the reconcile workflow commits state/ and reports/.
 * Then `git gc` and the repository's size: in total, per run and per delivered line. Today's layout (state
 * and reports on the branch the workflow runs on) is the one measured; a state branch (issue 18) adds its own.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DomoEmulator } from '../src/emulators/domo.ts';
import { EmarsysEmulator } from '../src/emulators/emarsys.ts';
import { reconcile } from '../src/reconcile/reconciler.ts';
import { COLUMNS, DATASET_ID, lines, salesJob, SECRETS } from '../test/helpers/fixtures.ts';

const [runs = 50, perRun = 2_000] = process.argv.slice(2).map(Number);
const DAY = 86_400_000;
const start = Date.parse('2026-11-01T00:00:00Z');
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

const root = mkdtempSync(join(tmpdir(), 'writeback-growth-'));
const git = (...args: string[]) => execFileSync('git', ['-C', root, '-c', 'user.name=bench', '-c', 'user.email=bench@example.com', ...args], { encoding: 'utf8' });
/** The packed size of everything git keeps: what every clone downloads. */
const repositorySize = () => {
  git('gc', '--quiet', '--aggressive', '--prune=now');
  const stats = Object.fromEntries(git('count-objects', '-v').trim().split('\n').map((l) => l.split(': ') as [string, string]));
  return (Number(stats['size-pack']) + Number(stats.size)) * 1024;
};

const domo = new DomoEmulator({ [SECRETS.DOMO_CLIENT_ID]: SECRETS.DOMO_CLIENT_SECRET });
const emarsys = new EmarsysEmulator({ [SECRETS.EMARSYS_MERCHANT_ID]: SECRETS.EMARSYS_SALES_TOKEN });
await Promise.all([domo.start(), emarsys.start()]);
try {
  mkdirSync(join(root, 'connectors'));
  writeFileSync(join(root, 'connectors', 'sales.yaml'), salesJob('  delivery:\n    cursor: ordered_at\n    lookback: 1d\n'));
  git('init', '--quiet');
  git('add', '-A');
  git('commit', '--quiet', '-m', 'the definition');
  const base = repositorySize();
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
    git('add', '-A');
    git('commit', '--quiet', '-m', `run ${run + 1}`);
  }
  const grown = repositorySize() - base;
  console.log(`today's layout (state and reports committed to the branch): ${runs} runs of ${perRun.toLocaleString('en-US')} lines, ${sent.toLocaleString('en-US')} delivered`);
  console.log(`  repository grew ${kb(grown)} after git gc: ${kb(grown / runs)} per run, ${(grown / sent).toFixed(2)} bytes per delivered line`);
} finally {
  await Promise.all([domo.stop(), emarsys.stop()]);
  rmSync(root, { recursive: true, force: true });
}
