/**
 * The Dotdigital path (issue 19's target): a changed-only contacts job over BENCH_CONTACTS (default
 * 1,000,000) synthetic contacts served by the Domo emulator, imported by the Dotdigital emulator
 * (imports finish at once, two of the four data fields created by the run). Each turn times, in a fresh
 * repository, the first run (every contact imported) and a second run from its state (nothing changed,
 * nothing imported), then Miller's cut and rename of the same columns from the same file. Printed:
 * medians (range) of wall and processor time and each process's peak RSS.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONTACT_MAPPING } from './contacts-data.ts';
import { here, n, runAlone, startEmulators, tsx } from './harness.ts';
import { median, middleOf, steadiness, timed, type Figures } from './timed.ts';

const DEFINITION = `apiVersion: writeback/v1
kind: DotdigitalContactsWriteback
metadata: { name: bench-contacts }
spec:
  source: { domo: { datasetId: bench, clientId: { secret: BENCH_DOMO_ID }, clientSecret: { secret: BENCH_DOMO_SECRET } } }
  destination: { dotdigital: { username: { secret: BENCH_DOTDIGITAL_USER }, password: { secret: BENCH_DOTDIGITAL_PASSWORD }, region: r1 } }
  mapping:
    email: email_address
    dataFields:
      FIRSTNAME: first_name
      LASTNAME: last_name
      POINTS: { column: points, type: Numeric, create: true }
      JOINED: { column: joined_at, type: Date, create: true }
  delivery: { changedOnly: true }
`;

export async function measureContacts(dir: string, repeat: number): Promise<string[]> {
  const rows = Number(process.env.BENCH_CONTACTS) || 1_000_000;
  const csvFile = join(dir, `contacts-${rows}.csv`);
  execFileSync(process.execPath, [...tsx, here('generate.ts'), csvFile, String(rows), 'contacts'], { stdio: 'inherit' });
  const mb = statSync(csvFile).size / 1024 / 1024;
  const emulators = await startEmulators(csvFile, rows, 'contacts');
  const profile = process.env.BENCH_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`] : [];
  const columns = CONTACT_MAPPING.map(([column]) => column).join(',');
  const renames = CONTACT_MAPPING.flat().join(',');
  const times = { first: [] as Figures[], again: [] as Figures[], miller: [] as Figures[] };
  const emulatorCpu: number[] = [];
  let imports = 0;
  try {
    for (let turn = 1; turn <= repeat; turn++) {
      const root = join(dir, `contacts-repo-${turn}`);
      mkdirSync(join(root, 'connectors'), { recursive: true });
      writeFileSync(join(root, 'connectors', 'bench-contacts.yaml'), DEFINITION);
      const reconcile = () => timed(process.execPath, [...profile, here('../bin/writeback.js'), 'reconcile', '--root', root, '--force'], emulators.env);
      const before = await emulators.stats();
      times.first.push(reconcile());
      const after = await emulators.stats();
      emulatorCpu.push(after.cpuSeconds - before.cpuSeconds);
      imports = after.uploads - before.uploads;
      const report = lastReport(root);
      if (report.status !== 'succeeded' || after.accepted - before.accepted !== rows) throw new Error(`the first run did not import every contact: ${report.message}; the emulator took ${after.accepted - before.accepted}`);
      times.again.push(reconcile());
      const unchanged = await emulators.stats();
      if (unchanged.accepted !== after.accepted) throw new Error(`the second run imported ${unchanged.accepted - after.accepted} unchanged contacts again`);
      times.miller.push(timed('sh', ['-c', `mlr --csv cut -o -f ${columns} then rename ${renames} '${csvFile}' > '${join(dir, 'miller-contacts.csv')}'`]));
      rmSync(root, { recursive: true, force: true });
    }
  } finally {
    await emulators.stop().catch(() => undefined);
    rmSync(csvFile, { force: true });
  }
  const [first, again, miller] = [median(times.first), median(times.again), median(times.miller)];
  const line = (name: string, f: Figures & { range: string }) =>
    `${name.padEnd(34)} ${f.seconds.toFixed(2).padStart(6)} s ${f.range.padEnd(13)} ${n(rows / f.seconds).padStart(10)} rows/s  ${f.cpuSeconds.toFixed(2).padStart(5)} s cpu  ${(f.maxRssKb / 1024).toFixed(0).padStart(4)} MB peak RSS`;
  return [
    `dotdigital: ${n(rows)} contacts (${mb.toFixed(1)} MB of CSV), changed-only, 4 data fields (2 created); ${repeat} turns: median (range)`,
    line('first run (every contact imported)', first),
    line('second run (nothing changed)', again),
    line('miller cut + rename', miller),
    `writeback vs miller: first run ${(miller.seconds / first.seconds).toFixed(2)}x throughput, second run ${(miller.seconds / again.seconds).toFixed(2)}x (target >= 1.5x); peak RSS ${(Math.max(first.maxRssKb, again.maxRssKb) / 1024).toFixed(0)} MB (target < 150 MB)`,
    steadiness('miller', times.miller),
    `the emulators (Domo serving, Dotdigital importing) used ${middleOf(emulatorCpu).toFixed(2)} s cpu per first run (median); ${imports} import file(s) per first run`,
  ];
}

function lastReport(root: string): { status: string; message: string } {
  const reports = join(root, 'reports', 'bench-contacts');
  return JSON.parse(readFileSync(join(reports, readdirSync(reports).filter((f) => f.endsWith('.json')).sort().at(-1)!), 'utf8')) as { status: string; message: string };
}

// `npm run bench:contacts`: this part alone.
await runAlone(import.meta.url, 'contacts', measureContacts);
