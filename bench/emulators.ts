/**
 * Runs the Domo emulator and a destination's emulator in their own process, so the bench measures the
 * runner alone (started by harness.ts). Usage: emulators.ts CSVFILE ROWS sales|contacts [CURSOR_INDEX_COLUMN]
 */
import { SALES_COLUMNS } from '../src/demo/sample-data.ts';
import { DomoEmulator } from '../src/emulators/domo.ts';
import { DotdigitalEmulator } from '../src/emulators/dotdigital.ts';
import { EmarsysEmulator } from '../src/emulators/emarsys.ts';
import { CONTACT_COLUMNS } from './contacts-data.ts';
import { BENCH_MERCHANT, BENCH_SECRETS, type EmulatorStats } from './harness.ts';

const [csvFile, rows, kind, index] = process.argv.slice(2) as [string, string, 'sales' | 'contacts', string | undefined];
const domo = new DomoEmulator({ [BENCH_SECRETS.BENCH_DOMO_ID]: BENCH_SECRETS.BENCH_DOMO_SECRET });
const emarsys = new EmarsysEmulator({ [BENCH_MERCHANT]: BENCH_SECRETS.BENCH_EMARSYS_TOKEN });
emarsys.keepLines = false;
const dotdigital = new DotdigitalEmulator(BENCH_SECRETS.BENCH_DOTDIGITAL_USER, BENCH_SECRETS.BENCH_DOTDIGITAL_PASSWORD);
dotdigital.keepContacts = false;
dotdigital.pollsUntilFinished = 0; // imports finish at once: the bench times the runner, not Dotdigital's queue
for (const name of ['FIRSTNAME', 'LASTNAME']) dotdigital.dataFields.set(name, { name, type: 'String', visibility: 'Private', defaultValue: null });
await Promise.all([domo.start(), emarsys.start(), dotdigital.start()]);
domo.addDataSet({ id: 'bench', name: 'bench', columns: kind === 'contacts' ? CONTACT_COLUMNS : SALES_COLUMNS, csvFile, rowCount: Number(rows), index });
domo.prepareIndex('bench'); // before anything is timed: Domo's own engine has its indexes
// Processor time from here on: what serving the runs costs the machine the runner shares with them.
const ready = process.cpuUsage();
process.stdout.write(`${JSON.stringify({ domo: domo.url, emarsys: emarsys.url, dotdigital: dotdigital.apiEndpoint })}\n`);
// 'stats' answers what the emulators saw so far; anything else also stops them.
process.on('message', async (message) => {
  const { user, system } = process.cpuUsage(ready);
  const accepted = kind === 'contacts' ? dotdigital.importedCount : emarsys.acceptedCount;
  process.send?.({ accepted, uploads: kind === 'contacts' ? dotdigital.imports.size : emarsys.uploads, domoBytes: domo.bytesServed, queries: domo.queries.length, cpuSeconds: (user + system) / 1e6 } satisfies EmulatorStats);
  if (message === 'stats') return;
  await Promise.all([domo.stop(), emarsys.stop(), dotdigital.stop()]);
  process.exit(0);
});
