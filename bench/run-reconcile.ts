/**
 * The measured run, alone in its process: a full reconcile of one Emarsys job against the emulators.
 * Usage: run-reconcile.ts ROOT DOMO_URL EMARSYS_URL. Prints JSON figures.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { reconcile } from '../src/reconcile/reconciler.ts';

const [root, domoUrl, emarsysUrl] = process.argv.slice(2) as [string, string, string];
const started = performance.now();
const result = await reconcile({
  root,
  env: { ...process.env, DOMO_API_URL: domoUrl, EMARSYS_SALES_API_URL: emarsysUrl },
  only: [],
  force: true,
  dryRun: false,
  log: (line) => process.env.WRITEBACK_BENCH_VERBOSE === '1' && process.stderr.write(`${((performance.now() - started) / 1000).toFixed(2)}s ${line}\n`),
});
const seconds = (performance.now() - started) / 1000;
const report = result.reports[0]!;
const stateDir = join(root, 'state', report.name);
const ledgerBytes = readdirSync(stateDir).reduce((n, f) => n + statSync(join(stateDir, f)).size, 0);
process.stdout.write(JSON.stringify({ seconds, maxRssKb: process.resourceUsage().maxRSS, status: report.status, message: report.message, sent: report.rows.sent, ledgerBytes }));
