/**
 * `npm run bench [-- ROWS]`: a full reconcile of an Emarsys job over ROWS synthetic order lines (default
 * 1,000,000) served by the Domo emulator and received by the Emarsys emulator on 127.0.0.1, and on the
 * same file two references: a bare Node pass-through with the same CSV library, and Miller doing the same
 * column selection, renaming and ordering. Each runs in its own process; peak RSS is that process's own.
 * Then the ledger's costs: size for 1M delivered lines, load time, and what a run of 1,000 lines adds.
 */
import { execFileSync, fork, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BENCH_COLUMNS } from './columns.ts';
import { measureLedger } from './ledger.ts';

const rows = Number(process.argv[2] ?? 1_000_000);
const dir = mkdtempSync(join(tmpdir(), 'writeback-bench-'));
const csvFile = join(dir, 'sales.csv');
const tsx = ['--import', 'tsx'];
const here = (file: string) => new URL(file, import.meta.url).pathname;
const n = (value: number) => Math.round(value).toLocaleString('en-US');

interface Figures {
  seconds: number;
  maxRssKb: number;
}

function node(script: string, args: string[]): Figures & Record<string, unknown> {
  const out = execFileSync(process.execPath, [...tsx, here(script), ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 20 });
  return JSON.parse(out);
}

function miller(): Figures | string {
  if (spawnSync('mlr', ['--version']).status !== 0) {
    // Debian's package, when this machine may install it.
    spawnSync('sh', ['-c', 'apt-get install -y -qq miller time >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq miller time) >/dev/null 2>&1']);
    if (spawnSync('mlr', ['--version']).status !== 0) return 'not installed (apt-get install miller)';
  }
  const renames = BENCH_COLUMNS.flatMap(([column, field]) => [column, field]).join(',');
  const columns = BENCH_COLUMNS.map(([column]) => column).join(',');
  const out = join(dir, 'miller.csv');
  const timed = spawnSync('/usr/bin/time', ['-f', '%e %M', 'mlr', '--csv', 'cut', '-o', '-f', columns, 'then', 'rename', renames, csvFile], { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
  if (timed.status !== 0) {
    const started = performance.now();
    execFileSync('sh', ['-c', `mlr --csv cut -o -f ${columns} then rename ${renames} '${csvFile}' > '${out}'`]);
    return { seconds: (performance.now() - started) / 1000, maxRssKb: 0 };
  }
  const [seconds, rss] = timed.stderr.trim().split('\n').at(-1)!.split(' ').map(Number);
  return { seconds: seconds!, maxRssKb: rss! };
}

// 1. The input, written once by its own process.
execFileSync(process.execPath, [...tsx, here('generate.ts'), csvFile, String(rows)], { stdio: 'inherit' });
const bytes = statSync(csvFile).size;
const mb = bytes / 1024 / 1024;
console.log(`input: ${n(rows)} order lines, ${mb.toFixed(1)} MB of CSV`);

// 2. Writeback: emulators in one process, the runner in another.
const emulators = fork(here('emulators.ts'), [csvFile, String(rows), '19CAA097101B372A', 'bench-token'], { execArgv: tsx, stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
const [urlLine] = (await once(emulators.stdout!, 'data')) as [Buffer];
const urls = JSON.parse(urlLine.toString()) as { domo: string; emarsys: string };
const root = join(dir, 'repo');
mkdirSync(join(root, 'connectors'), { recursive: true });
const mapping = BENCH_COLUMNS.map(([column, field]) => (field.includes('_') ? null : `${field}: ${column}`)).filter(Boolean).join(', ');
writeFileSync(
  join(root, 'connectors', 'bench.yaml'),
  `apiVersion: writeback/v1
kind: EmarsysSalesWriteback
metadata: { name: bench }
spec:
  source: { domo: { datasetId: bench, clientId: { secret: BENCH_DOMO_ID }, clientSecret: { secret: BENCH_DOMO_SECRET } } }
  destination: { emarsysSales: { merchantId: 19CAA097101B372A, token: { secret: BENCH_EMARSYS_TOKEN } } }
  mapping: { ${mapping}, custom: { s_channel: channel, f_discount: discount_amount } }
  delivery: { cursor: ordered_at, lookback: 3d }
`,
);
process.env.BENCH_DOMO_ID = 'bench-client';
process.env.BENCH_DOMO_SECRET = 'bench-secret';
process.env.BENCH_EMARSYS_TOKEN = 'bench-token';
const writeback = node('run-reconcile.ts', [root, urls.domo, urls.emarsys]);
emulators.send('stop');
const [received] = (await once(emulators, 'message')) as [{ accepted: number; uploads: number }];
if (writeback.status !== 'succeeded' || received.accepted !== rows) throw new Error(`the reconcile did not deliver every line: ${JSON.stringify(writeback)} ${JSON.stringify(received)}`);

// 3. The references, on the same file.
const passthrough = node('passthrough.ts', [csvFile, join(dir, 'passthrough.csv')]);
const mlr = miller();

const line = (name: string, f: Figures) =>
  `${name.padEnd(34)} ${f.seconds.toFixed(2).padStart(6)} s  ${n(rows / f.seconds).padStart(10)} rows/s  ${(mb / f.seconds).toFixed(1).padStart(6)} MB/s  ${f.maxRssKb ? `${(f.maxRssKb / 1024).toFixed(0).padStart(4)} MB` : '   ?'} peak RSS`;
console.log(line('writeback reconcile (HTTP in/out)', writeback));
console.log(line('node pass-through (papaparse)', passthrough));
console.log(typeof mlr === 'string' ? `miller: ${mlr}` : line('miller cut + rename', mlr));
if (typeof mlr !== 'string') console.log(`writeback vs miller: ${(mlr.seconds / writeback.seconds).toFixed(2)}x throughput (target >= 1.5x)`);
console.log(`writeback vs node pass-through: ${(passthrough.seconds / writeback.seconds).toFixed(2)}x throughput`);
console.log(`Emarsys emulator accepted ${n(received.accepted)} lines in ${received.uploads} uploads`);

// 4. The ledger.
const ledger = measureLedger(join(dir, 'ledger'));
console.log(`ledger for 1,000,000 delivered lines: ${(ledger.bytesFor1M / 1024 / 1024).toFixed(2)} MB in the repository (target < 12 MB), loads in ${ledger.loadSecondsFor1M.toFixed(3)} s (target < 1 s)`);
console.log(`a run delivering 1,000 new lines adds ${(ledger.bytesAddedFor1k / 1024).toFixed(1)} KB to the repository (target < 50 KB)`);
rmSync(dir, { recursive: true, force: true });
