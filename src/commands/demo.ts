/**
 * `writeback demo` (`npm start`): the whole flow against embedded emulators of Domo and Emarsys, in a
 * scratch directory, with no account and no network: a first delivery, a re-run that sends nothing,
 * then late rows that are sent once.
 */
import { copyFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { badSalesRows, SALES_COLUMNS, salesRows } from '../demo/sample-data.ts';
import { DomoEmulator } from '../emulators/domo.ts';
import { EmarsysEmulator } from '../emulators/emarsys.ts';
import { planJobs } from '../plan/planner.ts';
import { renderPlanText } from '../plan/render.ts';
import { publish } from '../reconcile/publish.ts';
import { reconcile } from '../reconcile/reconciler.ts';
import { statusCommand } from './status.ts';
import type { CommandIO } from './io.ts';

const DATASET_ID = '8f1c2b3a-1111-2222-3333-444455556666';
const DEMO_SECRETS = {
  DOMO_CLIENT_ID: 'demo-client',
  DOMO_CLIENT_SECRET: 'demo-client-secret',
  EMARSYS_MERCHANT_ID: '19CAA097101B372A',
  EMARSYS_SALES_TOKEN: 'demo-sales-token',
};
const DAY = 86_400_000;
const n = (value: number) => value.toLocaleString('en-US');

export async function demoCommand(io: CommandIO): Promise<number> {
  const started = Date.now();
  const domo = new DomoEmulator({ [DEMO_SECRETS.DOMO_CLIENT_ID]: DEMO_SECRETS.DOMO_CLIENT_SECRET });
  const emarsys = new EmarsysEmulator({ [DEMO_SECRETS.EMARSYS_MERCHANT_ID]: DEMO_SECRETS.EMARSYS_SALES_TOKEN });
  await Promise.all([domo.start(), emarsys.start()]);
  try {
    const root = mkdtempSync(join(tmpdir(), 'writeback-demo-'));
    mkdirSync(join(root, 'connectors'));
    copyFileSync(new URL('../../connectors/webshop-sales.yaml', import.meta.url), join(root, 'connectors', 'webshop-sales.yaml'));

    const now = Date.now();
    const rows = [...salesRows({ lines: 6000, from: now - 10 * DAY, to: now - DAY / 2 }), ...badSalesRows(now - 2 * DAY)];
    domo.addDataSet({ id: DATASET_ID, name: 'Web-shop order lines', columns: SALES_COLUMNS, rows });

    const env: NodeJS.ProcessEnv = { ...process.env, ...DEMO_SECRETS, DOMO_API_URL: domo.url, EMARSYS_SALES_API_URL: emarsys.url, WRITEBACK_RETRY_BASE_MS: '50' };
    delete env.GITHUB_ACTIONS; // the demo never talks to GitHub
    const run = async (title: string) => {
      io.out(`\n== ${title}`);
      const result = await reconcile({ root, env, only: ['webshop-sales'], force: true, dryRun: false, log: (line) => io.out(`   ${line}`) });
      const report = result.reports[0]!;
      await publish(root, env, result.reports, io.out);
      io.out(`-> ${report.status}: ${report.message}`);
      return report;
    };

    io.out(`Writeback demo: emulated Domo at ${domo.url}, emulated Emarsys at ${emarsys.url}`);
    io.out(`Working in ${root} with connectors/webshop-sales.yaml; the DataSet has ${n(rows.length)} order lines, ${badSalesRows(0).length} of them invalid.`);
    io.out('\n== writeback plan (what run 1 would do)');
    const { plans } = await planJobs(root, env, []);
    for (const line of renderPlanText(plans).split('\n')) io.out(`   ${line}`);
    const first = await run('Run 1: first delivery');
    for (const r of first.rejects ?? []) io.out(`   rejected row ${r.row}: ${r.field} (${r.column}) ${r.reason}`);
    const second = await run('Run 2: same data again (must send nothing)');
    const late = salesRows({ lines: 25, firstOrder: 900000, from: now - DAY, to: now - DAY / 4, seed: 7 });
    domo.appendRows(DATASET_ID, late);
    const third = await run(`Run 3: ${late.length} late order lines arrived inside the 3-day lookback`);

    const duplicates = emarsys.duplicates();
    io.out('\n== Summary');
    io.out(`Emarsys received ${n(emarsys.accepted.length)} order lines in ${emarsys.uploads} upload(s); duplicates: ${duplicates.length}.`);
    io.out(`Runs sent ${n(first.rows.sent)}, then ${n(second.rows.sent)}, then ${n(third.rows.sent)} lines.`);
    io.out('\n== writeback status');
    statusCommand({ ...io, root }, { json: false });
    io.out(`\nState: ${join(root, 'state')}; reports and dashboard: ${join(root, 'reports', 'README.md')}.`);
    io.out(`Done in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
    const ok = first.status === 'succeeded' && second.rows.sent === 0 && third.rows.sent === late.length && duplicates.length === 0;
    return ok ? 0 : 1;
  } finally {
    await Promise.all([domo.stop(), emarsys.stop()]);
  }
}
