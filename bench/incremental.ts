/**
 * Reading only the window (issue 19's target): one Emarsys job over BENCH_INCREMENTAL_ROWS order lines
 * (default 5,000,000, spread over 29 days) with a 7-hour lookback, so its window holds about 1% of the
 * DataSet (50,000 lines). A first run delivers everything (not timed); then, from the same state, the job
 * runs with `read: export` (the whole CSV export) and with `read: auto` (the window through the query API)
 * in turns, BENCH_RUNS times each. Both send nothing new; what differs is what they read. Printed: medians
 * (range) of wall and processor time, peak RSS of the runner's process, and the bytes Domo served for each.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BENCH_MERCHANT, here, n, runAlone, startEmulators, tsx } from './harness.ts';
import { median, middleOf, steadiness, timed, type Figures } from './timed.ts';

function definition(read: 'auto' | 'export'): string {
  return `apiVersion: writeback/v1
kind: EmarsysSalesWriteback
metadata: { name: bench }
spec:
  source: { domo: { datasetId: bench, read: ${read}, clientId: { secret: BENCH_DOMO_ID }, clientSecret: { secret: BENCH_DOMO_SECRET } } }
  destination: { emarsysSales: { merchantId: ${BENCH_MERCHANT}, token: { secret: BENCH_EMARSYS_TOKEN } } }
  mapping: { order: order_id, timestamp: ordered_at, customer: customer_id, item: sku, price: line_total, quantity: qty, custom: { s_channel: channel } }
  delivery: { cursor: ordered_at, lookback: 7h }
`;
}

export async function measureIncremental(dir: string, repeat: number): Promise<string[]> {
  const rows = Number(process.env.BENCH_INCREMENTAL_ROWS) || 5_000_000;
  const csvFile = join(dir, `incremental-${rows}.csv`);
  execFileSync(process.execPath, [...tsx, here('generate.ts'), csvFile, String(rows)], { stdio: 'inherit' });
  const emulators = await startEmulators(csvFile, rows, 'sales', 'ordered_at');
  const root = join(dir, 'incremental-repo');
  mkdirSync(join(root, 'connectors'), { recursive: true });
  // BENCH_PROFILE_DIR=DIR: a V8 processor profile of every timed run there (node --cpu-prof), to see where the time goes.
  const profile = process.env.BENCH_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`] : [];
  const run = (read: 'auto' | 'export', profiled = false) => {
    writeFileSync(join(root, 'connectors', 'bench.yaml'), definition(read));
    return timed(process.execPath, [...(profiled ? profile : []), here('../bin/writeback.js'), 'reconcile', '--root', root, '--force'], emulators.env);
  };
  try {
    run('auto'); // the first run: no window yet, so the whole export, and every line delivered
    const delivered = (await emulators.stats()).accepted;
    if (delivered !== rows) throw new Error(`the first run delivered ${delivered} of ${rows} lines`);
    const times = { export: [] as Figures[], query: [] as Figures[] };
    const bytes = { export: 0, query: 0 };
    const emulatorCpu = { export: [] as number[], query: [] as number[] };
    for (let i = 0; i < repeat; i++) {
      for (const read of ['export', 'auto'] as const) {
        const mode = read === 'auto' ? 'query' : 'export';
        const before = await emulators.stats();
        times[mode].push(run(read, true));
        const after = await emulators.stats();
        bytes[mode] = after.domoBytes - before.domoBytes;
        emulatorCpu[mode].push(after.cpuSeconds - before.cpuSeconds);
      }
    }
    const after = await emulators.stats();
    if (after.accepted !== rows) throw new Error(`the timed runs sent ${after.accepted - rows} lines again`);
    const [full, window] = [median(times.export), median(times.query)];
    const line = (name: string, f: Figures & { range: string }, served: number, emulators: number[]) =>
      `${name.padEnd(34)} ${f.seconds.toFixed(2).padStart(6)} s ${f.range.padEnd(13)} ${f.cpuSeconds.toFixed(2).padStart(5)} s cpu  ${(f.maxRssKb / 1024).toFixed(0).padStart(4)} MB peak RSS  ${(served / 1024 / 1024).toFixed(1).padStart(7)} MB from Domo  (emulators: ${middleOf(emulators).toFixed(2)} s cpu)`;
    return [
      `incremental: ${n(rows)} order lines (${(statSync(csvFile).size / 1024 / 1024).toFixed(0)} MB of CSV), a 7h window; same job and state, ${repeat} runs of each, taking turns: median (range)`,
      line('read: export (whole CSV export)', full, bytes.export, emulatorCpu.export),
      line('read: auto (window, query API)', window, bytes.query, emulatorCpu.query),
      `window read vs export: ${((100 * bytes.query) / bytes.export).toFixed(2)}% of the bytes (target <= 3%), ${(full.seconds / window.seconds).toFixed(1)}x faster (target >= 15x), ${(full.cpuSeconds / window.cpuSeconds).toFixed(1)}x less processor time; peak RSS ${(window.maxRssKb / 1024).toFixed(0)} MB (target < 150 MB)`,
      steadiness('the export read', times.export),
    ];
  } finally {
    await emulators.stop().catch(() => undefined);
    rmSync(csvFile, { force: true });
    rmSync(root, { recursive: true, force: true });
  }
}

// `npm run bench:incremental`: this part alone.
await runAlone(import.meta.url, 'incremental', measureIncremental);
