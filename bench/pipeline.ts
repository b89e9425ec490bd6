/**
 * `npm run bench [-- ROWS...]`: a full reconcile of an Emarsys job over ROWS synthetic order lines,
 * served by the Domo emulator and received by the Emarsys emulator on 127.0.0.1, run by the compiled CLI
 * as a user runs it; on the same file, two references: a bare Node pass-through with the same CSV reader,
 * and Miller doing the same column selection, renaming and ordering. Each runs in its own process under
 * GNU time; peak RSS is that process's own. The three take turns BENCH_RUNS times (default 3) and the
 * medians are compared, as a shared machine's speed drifts by a fifth between minutes. Further sizes
 * (default: 1,000,000 then 5,000,000) compare the runner's peak memory with the first. Then reading only
 * the window (incremental.ts), the Dotdigital path against Miller (contacts.ts), the ledger's costs (size
 * for 1M delivered lines, load time, what a run of 1,000 lines adds) and gzip uploads on a slow link.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { median, middleOf, steadiness, timed, type Figures } from './timed.ts';
import { measureIncremental } from './incremental.ts';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { availableParallelism } from 'node:os';
import { formatWorkers } from '../src/settings.ts';
import { measureLedger } from './ledger.ts';
import { measureGzip } from './gzip.ts';
import { measureContacts } from './contacts.ts';
import { BENCH_MERCHANT, benchTurns, here, n, startEmulators, tsx } from './harness.ts';

/** The benchmark's mapping: Domo column -> Emarsys field, in the file's field order. */
const BENCH_COLUMNS: [string, string][] = [
  ['order_id', 'order'],
  ['ordered_at', 'timestamp'],
  ['customer_id', 'customer'],
  ['sku', 'item'],
  ['line_total', 'price'],
  ['qty', 'quantity'],
  ['channel', 's_channel'],
  ['discount_amount', 'f_discount'],
];

// Sizes: the full comparison runs at the first; later ones only check that memory stays the same.
const sizes = process.argv.slice(2).map(Number);
if (!sizes.length) sizes.push(1_000_000, 5_000_000);
const dir = mkdtempSync(join(tmpdir(), 'writeback-bench-'));

function installMiller(): boolean {
  if (spawnSync('mlr', ['--version']).status === 0 && spawnSync('/usr/bin/time', ['true']).status === 0) return true;
  // Debian's packages, when this machine may install them.
  spawnSync('sh', ['-c', 'apt-get install -y -qq miller time >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq miller time) >/dev/null 2>&1']);
  return spawnSync('mlr', ['--version']).status === 0 && spawnSync('/usr/bin/time', ['true']).status === 0;
}

function generate(rows: number): { csvFile: string; mb: number } {
  const csvFile = join(dir, `sales-${rows}.csv`);
  execFileSync(process.execPath, [...tsx, here('generate.ts'), csvFile, String(rows)], { stdio: 'inherit' });
  return { csvFile, mb: statSync(csvFile).size / 1024 / 1024 };
}

let runs = 0;

/** Serves CSVFILE from fresh emulators and times a reconcile by the compiled CLI into a fresh repository, as a user runs it. */
async function reconcileRun(csvFile: string, rows: number): Promise<Figures & { lines: number; uploads: number; emulatorCpuSeconds: number }> {
  const emulators = await startEmulators(csvFile, rows, 'sales');
  const root = join(dir, `repo-${rows}-${++runs}`);
  mkdirSync(join(root, 'connectors'), { recursive: true });
  const mapping = BENCH_COLUMNS.map(([column, field]) => (field.includes('_') ? null : `${field}: ${column}`)).filter(Boolean).join(', ');
  writeFileSync(
    join(root, 'connectors', 'bench.yaml'),
    `apiVersion: writeback/v1
kind: EmarsysSalesWriteback
metadata: { name: bench }
spec:
  source: { domo: { datasetId: bench, clientId: { secret: BENCH_DOMO_ID }, clientSecret: { secret: BENCH_DOMO_SECRET } } }
  destination: { emarsysSales: { merchantId: ${BENCH_MERCHANT}, token: { secret: BENCH_EMARSYS_TOKEN } } }
  mapping: { ${mapping}, custom: { s_channel: channel, f_discount: discount_amount } }
  delivery: { cursor: ordered_at, lookback: 3d }
`,
  );
  const figures = timed(process.execPath, [here('../bin/writeback.js'), 'reconcile', '--root', root, '--force'], emulators.env);
  const received = await emulators.stop();
  const reports = join(root, 'reports', 'bench');
  const report = JSON.parse(readFileSync(join(reports, readdirSync(reports).find((f) => f.endsWith('.json'))!), 'utf8')) as { status: string; message: string };
  if (report.status !== 'succeeded' || received.accepted !== rows) throw new Error(`the reconcile did not deliver every line: ${report.message}; the emulator accepted ${received.accepted}`);
  rmSync(root, { recursive: true, force: true });
  return { ...figures, lines: received.accepted, uploads: received.uploads, emulatorCpuSeconds: received.cpuSeconds };
}

if (!installMiller()) throw new Error('the bench needs Miller and GNU time: apt-get install miller time');
execFileSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' }); // bin/writeback.js runs dist/ when it is current

const line = (name: string, f: Figures & { range?: string }, rows: number, mb: number) =>
  `${name.padEnd(34)} ${f.seconds.toFixed(2).padStart(6)} s  ${n(rows / f.seconds).padStart(10)} rows/s  ${(mb / f.seconds).toFixed(1).padStart(6)} MB/s  ${(f.maxRssKb / 1024).toFixed(0).padStart(4)} MB peak RSS  ${f.cpuSeconds.toFixed(2).padStart(5)} s cpu  ${f.range ?? ''}`;

// 1. Writeback at the first size, and the two references on the same file, taking turns.
const [rows, ...larger] = sizes;
const repeat = benchTurns();
const input = generate(rows!);
console.log(`input: ${n(rows!)} order lines, ${input.mb.toFixed(1)} MB of CSV; ${repeat} runs of each, taking turns: median (range)`);
console.log(`this machine: ${availableParallelism()} processors; the runner formats in ${formatWorkers(process.env, rows) || 'no'} worker thread(s) (WRITEBACK_WORKERS)`);
const renames = BENCH_COLUMNS.flatMap(([column, field]) => [column, field]).join(',');
const columns = BENCH_COLUMNS.map(([column]) => column).join(',');
const timings = { writeback: [] as Figures[], passthrough: [] as Figures[], miller: [] as Figures[] };
let delivered = { lines: 0, uploads: 0 };
const emulatorCpu: number[] = [];
for (let run = 0; run < repeat; run++) {
  const result = await reconcileRun(input.csvFile, rows!);
  timings.writeback.push(result);
  emulatorCpu.push(result.emulatorCpuSeconds);
  delivered = result;
  timings.passthrough.push(timed(process.execPath, [here('passthrough.mjs'), input.csvFile, join(dir, 'passthrough.csv'), JSON.stringify(BENCH_COLUMNS)]));
  timings.miller.push(timed('sh', ['-c', `mlr --csv cut -o -f ${columns} then rename ${renames} '${input.csvFile}' > '${join(dir, 'miller.csv')}'`]));
}
const [writeback, passthrough, miller] = [median(timings.writeback), median(timings.passthrough), median(timings.miller)];
console.log(line('writeback reconcile (HTTP in/out)', writeback, rows!, input.mb));
console.log(line('node pass-through (same reader)', passthrough, rows!, input.mb));
console.log(line('miller cut + rename', miller, rows!, input.mb));
console.log(`writeback vs miller: ${(miller.seconds / writeback.seconds).toFixed(2)}x throughput (target >= 1.5x); ${(miller.cpuSeconds / writeback.cpuSeconds).toFixed(2)}x less processor time`);
console.log(steadiness('miller', timings.miller));
console.log(`writeback vs node pass-through: ${(passthrough.seconds / writeback.seconds).toFixed(2)}x throughput`);
console.log(`Emarsys emulator accepted ${n(delivered.lines)} lines in ${delivered.uploads} uploads`);
// The emulators share the 2 processors with the runner (and Miller runs alone): their part of the machine.
console.log(`the emulators (Domo serving, Emarsys receiving) used ${middleOf(emulatorCpu).toFixed(2)} s cpu per writeback run (median)`);
rmSync(input.csvFile);

// 2. Memory at larger sizes: the peak must not grow with the export.
for (const size of larger) {
  const { csvFile, mb } = generate(size);
  const run = await reconcileRun(csvFile, size);
  console.log(line(`writeback at ${n(size)} rows`, run, size, mb));
  const growth = run.maxRssKb / writeback.maxRssKb - 1;
  console.log(`peak RSS at ${n(size)} rows vs ${n(rows!)}: ${growth >= 0 ? '+' : ''}${(growth * 100).toFixed(1)}% (target within 10%; at ${n(rows!)} rows the target is under 150 MB)`);
  rmSync(csvFile);
}

// 3. Reading only the window through the query API, against the whole export, on the same job and state.
for (const text of await measureIncremental(dir, repeat)) console.log(text);

// 4. The Dotdigital path: a changed-only contacts job against Miller's cut and rename.
for (const text of await measureContacts(dir, repeat)) console.log(text);

// 5. The ledger.
const ledger = measureLedger(join(dir, 'ledger'));
console.log(`ledger for 1,000,000 delivered lines: ${(ledger.bytesFor1M / 1024 / 1024).toFixed(2)} MB in the repository (target < 12 MB), loads in ${ledger.loadSecondsFor1M.toFixed(3)} s (target < 1 s)`);
console.log(`a run delivering 1,000 new lines adds ${(ledger.bytesAddedFor1k / 1024).toFixed(1)} KB to the repository (target < 50 KB)`);
// 6. What gzip-compressed uploads save on a slower link.
for (const text of await measureGzip()) console.log(text);
rmSync(dir, { recursive: true, force: true });
