/** Runs the Domo and Emarsys emulators in their own process, so the bench measures the runner alone. */
import { SALES_COLUMNS } from '../src/demo/sample-data.ts';
import { DomoEmulator } from '../src/emulators/domo.ts';
import { EmarsysEmulator } from '../src/emulators/emarsys.ts';

const [csvFile, rows, merchantId, token, index] = process.argv.slice(2) as [string, string, string, string, string | undefined];
const domo = new DomoEmulator({ 'bench-client': 'bench-secret' });
const emarsys = new EmarsysEmulator({ [merchantId]: token });
emarsys.keepLines = false;
await Promise.all([domo.start(), emarsys.start()]);
domo.addDataSet({ id: 'bench', name: 'bench', columns: SALES_COLUMNS, csvFile, rowCount: Number(rows), index });
domo.prepareIndex('bench'); // before anything is timed: Domo's own engine has its indexes
// Processor time from here on: what serving the runs costs the machine the runner shares with them.
const ready = process.cpuUsage();
process.stdout.write(`${JSON.stringify({ domo: domo.url, emarsys: emarsys.url })}\n`);
// 'stats' answers what the emulators saw so far; anything else also stops them.
process.on('message', async (message) => {
  const { user, system } = process.cpuUsage(ready);
  process.send?.({ accepted: emarsys.acceptedCount, uploads: emarsys.uploads, domoBytes: domo.bytesServed, queries: domo.queries.length, cpuSeconds: (user + system) / 1e6 });
  if (message === 'stats') return;
  await Promise.all([domo.stop(), emarsys.stop()]);
  process.exit(0);
});
