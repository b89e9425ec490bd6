/**
 * Measures a full reconcile of an Emarsys job over N synthetic rows (default 1,000,000) served by the Domo
 * emulator and received by the Emarsys emulator on 127.0.0.1. Prints rows/s, MB/s, wall time, peak RSS
 * and the ledger's size on disk. Usage: npm run bench [-- ROWS]
 */
import { createWriteStream, mkdirSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { SALES_COLUMNS, salesRows } from '../src/demo/sample-data.ts';
import { fork } from 'node:child_process';
import { csvLine } from '../src/pipeline/csv-line.ts';
import { reconcile } from '../src/reconcile/reconciler.ts';

const rows = Number(process.argv[2] ?? 1_000_000);
const dir = process.env.WRITEBACK_BENCH_FILE ? '' : mkdtempSync(join(tmpdir(), 'writeback-bench-'));
const csvFile = process.env.WRITEBACK_BENCH_FILE ?? join(dir, 'sales.csv');
const DAY = 86_400_000;

async function datasetFile(): Promise<number> {
  if (process.env.WRITEBACK_BENCH_GENERATE !== '1') {
    const child = fork(new URL(import.meta.url), [String(rows)], { execArgv: ['--import', 'tsx'], env: { ...process.env, WRITEBACK_BENCH_GENERATE: '1', WRITEBACK_BENCH_FILE: csvFile } });
    await once(child, 'exit');
    return statSync(csvFile).size;
  }
  return writeDataset();
}

async function writeDataset(): Promise<number> {
  const out = createWriteStream(csvFile);
  out.write(csvLine(SALES_COLUMNS.map((c) => c.name)));
  const batch = 50_000;
  const now = Date.now();
  for (let done = 0; done < rows; done += batch) {
    const count = Math.min(batch, rows - done);
    const chunk = salesRows({ lines: count, firstOrder: 1_000_000 + done, from: now - 30 * DAY + (done / rows) * 29 * DAY, to: now - 30 * DAY + ((done + count) / rows) * 29 * DAY, seed: done + 1 });
    if (!out.write(chunk.map(csvLine).join(''))) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return statSync(csvFile).size;
}

// The data is generated once per size, in its own process, so the runner's figures hold only its own work.
const bytes = await datasetFile();
if (process.env.WRITEBACK_BENCH_GENERATE === '1') process.exit(0);
const secrets = { DOMO_CLIENT_ID: 'bench-client', DOMO_CLIENT_SECRET: 'bench-secret', EMARSYS_MERCHANT_ID: '19CAA097101B372A', EMARSYS_SALES_TOKEN: 'bench-token' };
const emulators = fork(new URL('./emulators.ts', import.meta.url), [csvFile, String(rows), secrets.EMARSYS_MERCHANT_ID, secrets.EMARSYS_SALES_TOKEN], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
const [urlLine] = (await once(emulators.stdout!, 'data')) as [Buffer];
const urls = JSON.parse(urlLine.toString()) as { domo: string; emarsys: string };

const root = join(dir, 'repo');
mkdirSync(join(root, 'connectors'), { recursive: true });
writeFileSync(
  join(root, 'connectors', 'bench.yaml'),
  `apiVersion: writeback/v1
kind: EmarsysSalesWriteback
metadata: { name: bench }
spec:
  source: { domo: { datasetId: bench, clientId: { secret: DOMO_CLIENT_ID }, clientSecret: { secret: DOMO_CLIENT_SECRET } } }
  destination: { emarsysSales: { merchantId: { secret: EMARSYS_MERCHANT_ID }, token: { secret: EMARSYS_SALES_TOKEN } } }
  mapping: { order: order_id, timestamp: ordered_at, customer: customer_id, item: sku, price: line_total, quantity: qty, custom: { s_channel: channel, f_discount: discount_amount } }
  delivery: { cursor: ordered_at, lookback: 3d }
`,
);

let peakRss = process.memoryUsage().rss;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
const started = performance.now();
const verbose = process.env.WRITEBACK_BENCH_VERBOSE === '1';
const result = await reconcile({ root, env: { ...process.env, ...secrets, DOMO_API_URL: urls.domo, EMARSYS_SALES_API_URL: urls.emarsys }, only: [], force: true, dryRun: false, log: (line) => verbose && console.log(`${((performance.now() - started) / 1000).toFixed(2)}s ${line}`) });
const seconds = (performance.now() - started) / 1000;
clearInterval(sampler);
emulators.send('stop');
const [received] = (await once(emulators, 'message')) as [{ accepted: number; uploads: number }];

const report = result.reports[0]!;
const ledgerBytes = readdirSync(join(root, 'state', 'bench')).reduce((n, f) => n + statSync(join(root, 'state', 'bench', f)).size, 0);
const mb = bytes / 1024 / 1024;
console.log(`rows: ${rows.toLocaleString('en-US')} (${mb.toFixed(1)} MB CSV), status ${report.status}, sent ${report.rows.sent.toLocaleString('en-US')}`);
console.log(`writeback reconcile: ${seconds.toFixed(2)} s, ${Math.round(rows / seconds).toLocaleString('en-US')} rows/s, ${(mb / seconds).toFixed(1)} MB/s`);
console.log(`Emarsys emulator accepted ${received.accepted.toLocaleString('en-US')} lines in ${received.uploads} uploads`);
console.log(`peak RSS of the runner: ${(peakRss / 1024 / 1024).toFixed(0)} MB`);
console.log(`ledger on disk: ${(ledgerBytes / 1024 / 1024).toFixed(2)} MB for ${report.rows.sent.toLocaleString('en-US')} lines`);
