/**
 * `writeback demo` (`npm start`): the whole flow against embedded emulators of Domo, Emarsys and
 * Dotdigital, on the two example connectors, in a scratch directory, with no account and no network:
 * a plan, a first delivery, a re-run that sends nothing, then late order lines and changed contacts
 * that are sent once.
 */
import { count as n } from '../reports/count.ts';
import { copyFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { badSalesRows, SALES_COLUMNS, salesRows } from '../demo/sample-data.ts';
import { DomoEmulator } from '../emulators/domo.ts';
import { DotdigitalEmulator } from '../emulators/dotdigital.ts';
import { EmarsysEmulator } from '../emulators/emarsys.ts';
import { planJobs } from '../plan/planner.ts';
import { renderPlanText } from '../plan/render.ts';
import { publish } from '../reconcile/publish.ts';
import { reconcile } from '../reconcile/reconciler.ts';
import type { RunReport } from '../reports/run-report.ts';
import { statusCommand } from './status.ts';
import type { CommandIO } from './io.ts';

const SALES_DATASET = '8f1c2b3a-1111-2222-3333-444455556666';
const CONTACTS_DATASET = '0a1b2c3d-4444-5555-6666-777788889999';
const CONNECTORS = ['webshop-sales', 'loyalty-contacts'];
const DEMO_SECRETS = {
  DOMO_CLIENT_ID: 'demo-client',
  DOMO_CLIENT_SECRET: 'demo-client-secret',
  EMARSYS_MERCHANT_ID: '19CAA097101B372A',
  EMARSYS_SALES_TOKEN: 'demo-sales-token',
  DOTDIGITAL_API_USER: 'apiuser-demo@apiconnector.com',
  DOTDIGITAL_API_PASSWORD: 'demo-api-password',
};
const DAY = 86_400_000;
const TIERS = ['bronze', 'silver', 'gold'];

/** Loyalty members; every 97th has no first name in Domo (a null, written \N in the export). */
function loyaltyMembers(count: number, changedEvery = 0): (string | null)[][] {
  const rows = Array.from({ length: count }, (_, i) => [
    `member${i + 1}@example.com`,
    i % 97 === 96 ? null : `Member ${i + 1}`,
    TIERS[i % 3]!,
  ]);
  if (changedEvery) for (let i = 0; i < count; i += changedEvery) rows[i]![2] = 'platinum';
  rows.push(['not-an-email', 'Broken', 'gold'], ['', 'No email', 'silver']);
  return rows;
}

export async function demoCommand(io: CommandIO): Promise<number> {
  const started = Date.now();
  const domo = new DomoEmulator({ [DEMO_SECRETS.DOMO_CLIENT_ID]: DEMO_SECRETS.DOMO_CLIENT_SECRET });
  // The account as Emarsys onboarded it: files must come with the columns in this order (connectors/webshop-sales.yaml's fieldOrder).
  const emarsys = new EmarsysEmulator({ [DEMO_SECRETS.EMARSYS_MERCHANT_ID]: { token: DEMO_SECRETS.EMARSYS_SALES_TOKEN, agreedOrder: ['item', 'price', 'order', 'timestamp', 'customer', 'quantity', 's_channel', 'f_discount'] } });
  const dotdigital = new DotdigitalEmulator(DEMO_SECRETS.DOTDIGITAL_API_USER, DEMO_SECRETS.DOTDIGITAL_API_PASSWORD, 'r1');
  dotdigital.dataFields.set('FIRSTNAME', { name: 'FIRSTNAME', type: 'String', visibility: 'Public', defaultValue: null });
  await Promise.all([domo.start(), emarsys.start(), dotdigital.start()]);
  try {
    const root = mkdtempSync(join(tmpdir(), 'writeback-demo-'));
    mkdirSync(join(root, 'connectors'));
    for (const name of CONNECTORS) copyFileSync(new URL(`../../connectors/${name}.yaml`, import.meta.url), join(root, 'connectors', `${name}.yaml`));

    const now = Date.now();
    const sales = [...salesRows({ lines: 6000, from: now - 10 * DAY, to: now - DAY / 2 }), ...badSalesRows(now - 2 * DAY)];
    domo.addDataSet({ id: SALES_DATASET, name: 'Web-shop order lines', columns: SALES_COLUMNS, rows: sales });
    const contactColumns = [{ name: 'email_address', type: 'STRING' }, { name: 'first_name', type: 'STRING' }, { name: 'tier', type: 'STRING' }];
    domo.addDataSet({ id: CONTACTS_DATASET, name: 'Loyalty members', columns: contactColumns, rows: loyaltyMembers(2000) });

    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...DEMO_SECRETS,
      DOMO_API_URL: domo.url,
      EMARSYS_SALES_API_URL: emarsys.url,
      DOTDIGITAL_API_URL: dotdigital.url,
      WRITEBACK_RETRY_BASE_MS: '50',
    };
    delete env.GITHUB_ACTIONS; // the demo never talks to GitHub
    const run = async (title: string): Promise<Record<string, RunReport>> => {
      io.out(`\n== ${title}`);
      const result = await reconcile({ root, env, only: [], force: true, dryRun: false, log: (line) => io.out(`   ${line}`) });
      await publish(root, env, result.reports, io.out);
      for (const report of result.reports) io.out(`-> ${report.name}: ${report.status}: ${report.message}`);
      return Object.fromEntries(result.reports.map((r) => [r.name, r]));
    };

    io.out(`Writeback demo: emulated Domo at ${domo.url}, Emarsys at ${emarsys.url}, Dotdigital at ${dotdigital.url}`);
    io.out(`Working in ${root} with connectors/webshop-sales.yaml (${n(sales.length)} order lines, 4 invalid) and connectors/loyalty-contacts.yaml (2,002 contacts, 2 invalid).`);
    io.out('\n== writeback plan (what run 1 would do)');
    const { plans } = await planJobs(root, env, []);
    for (const line of renderPlanText(plans).split('\n')) io.out(`   ${line}`);

    const first = await run('Run 1: first delivery');
    for (const report of Object.values(first)) for (const r of report.rejects ?? []) io.out(`   ${report.name}: rejected row ${r.row}: ${r.field} (${r.column}) ${r.reason}`);
    const second = await run('Run 2: same data again (must send nothing)');
    const late = salesRows({ lines: 25, firstOrder: 900000, from: now - DAY, to: now - DAY / 4, seed: 7 });
    domo.appendRows(SALES_DATASET, late);
    domo.datasets.get(CONTACTS_DATASET)!.rows = loyaltyMembers(2000, 50);
    const third = await run(`Run 3: ${late.length} late order lines inside the 3-day lookback, 40 contacts promoted to platinum`);

    const duplicates = emarsys.duplicates();
    io.out('\n== Summary');
    io.out(`Emarsys received ${n(emarsys.accepted.length)} order lines in ${emarsys.uploads} upload(s); duplicates: ${duplicates.length}.`);
    io.out(`Dotdigital holds ${n(dotdigital.contacts.size)} contacts after ${dotdigital.imports.size} import(s); data fields: ${[...dotdigital.dataFields.keys()].join(', ')}.`);
    const sent = (name: string) => [first, second, third].map((r) => n(r[name]?.rows.sent ?? 0)).join(', then ');
    io.out(`webshop-sales sent ${sent('webshop-sales')} lines; loyalty-contacts sent ${sent('loyalty-contacts')} contacts.`);
    io.out('\n== writeback status');
    statusCommand({ ...io, root }, { json: false });
    io.out(`\nState: ${join(root, 'state')}; reports and dashboard: ${join(root, 'reports', 'README.md')}.`);
    io.out(`Done in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
    const ok =
      first['webshop-sales']?.status === 'succeeded' &&
      second['webshop-sales']?.rows.sent === 0 &&
      third['webshop-sales']?.rows.sent === late.length &&
      duplicates.length === 0 &&
      first['loyalty-contacts']?.rows.sent === 2000 &&
      second['loyalty-contacts']?.rows.sent === 0 &&
      third['loyalty-contacts']?.rows.sent === 40;
    return ok ? 0 : 1;
  } finally {
    await Promise.all([domo.stop(), emarsys.stop(), dotdigital.stop()]);
  }
}
