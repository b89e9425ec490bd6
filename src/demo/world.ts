/**
 * The demo's world: embedded emulators of Domo, Emarsys and Dotdigital on 127.0.0.1 with sample
 * DataSets, a scratch repository holding the two example connectors, and the environment that points
 * the runner at them. No account and no network.
 */
import { copyFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DomoEmulator } from '../emulators/domo.ts';
import type { DotdigitalEmulator } from '../emulators/dotdigital.ts';
import type { EmarsysEmulator } from '../emulators/emarsys.ts';
import { startEmulators } from '../emulators/start.ts';
import { badSalesRows, SALES_COLUMNS, salesRows } from './sample-data.ts';

export const SALES_DATASET = '8f1c2b3a-1111-2222-3333-444455556666';
export const CONTACTS_DATASET = '0a1b2c3d-4444-5555-6666-777788889999';
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
export function loyaltyMembers(count: number, changedEvery = 0): (string | null)[][] {
  const rows = Array.from({ length: count }, (_, i) => [
    `member${i + 1}@example.com`,
    i % 97 === 96 ? null : `Member ${i + 1}`,
    TIERS[i % 3]!,
  ]);
  if (changedEvery) for (let i = 0; i < count; i += changedEvery) rows[i]![2] = 'platinum';
  rows.push(['not-an-email', 'Broken', 'gold'], ['', 'No email', 'silver']);
  return rows;
}

export interface DemoWorld {
  domo: DomoEmulator;
  emarsys: EmarsysEmulator;
  dotdigital: DotdigitalEmulator;
  root: string;
  env: NodeJS.ProcessEnv;
  /** The order lines the sales DataSet starts with. */
  salesLines: number;
  /** Adds late order lines inside the lookback and promotes every 50th contact: what run 3 picks up. */
  change(): { lateLines: number };
  stop(): Promise<void>;
}

export async function startDemoWorld(now = Date.now()): Promise<DemoWorld> {
  const { domo, emarsys, dotdigital, endpoints, stop } = await startEmulators({
    domoClients: { [DEMO_SECRETS.DOMO_CLIENT_ID]: DEMO_SECRETS.DOMO_CLIENT_SECRET },
    // The account as Emarsys onboarded it: files must come with the columns in this order (connectors/webshop-sales.yaml's fieldOrder).
    emarsysMerchants: { [DEMO_SECRETS.EMARSYS_MERCHANT_ID]: { token: DEMO_SECRETS.EMARSYS_SALES_TOKEN, agreedOrder: ['item', 'price', 'order', 'timestamp', 'customer', 'quantity', 's_channel', 'f_discount'] } },
    dotdigitalUsers: { [DEMO_SECRETS.DOTDIGITAL_API_USER]: DEMO_SECRETS.DOTDIGITAL_API_PASSWORD },
    dotdigitalRegion: 'r1',
    dataFields: [{ name: 'FIRSTNAME', type: 'String' }],
  });

  const root = mkdtempSync(join(tmpdir(), 'writeback-demo-'));
  mkdirSync(join(root, 'connectors'));
  for (const name of CONNECTORS) copyFileSync(new URL(`../../connectors/${name}.yaml`, import.meta.url), join(root, 'connectors', `${name}.yaml`));

  const sales = [...salesRows({ lines: 6000, from: now - 10 * DAY, to: now - DAY / 2 }), ...badSalesRows(now - 2 * DAY)];
  domo.addDataSet({ id: SALES_DATASET, name: 'Web-shop order lines', columns: SALES_COLUMNS, rows: sales });
  const contactColumns = [{ name: 'email_address', type: 'STRING' }, { name: 'first_name', type: 'STRING' }, { name: 'tier', type: 'STRING' }];
  domo.addDataSet({ id: CONTACTS_DATASET, name: 'Loyalty members', columns: contactColumns, rows: loyaltyMembers(2000) });

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...DEMO_SECRETS,
    ...endpoints,
    WRITEBACK_RETRY_BASE_MS: '50',
  };
  delete env.GITHUB_ACTIONS; // the demo never talks to GitHub

  return {
    domo,
    emarsys,
    dotdigital,
    root,
    env,
    salesLines: sales.length,
    change() {
      const late = salesRows({ lines: 25, firstOrder: 900000, from: now - DAY, to: now - DAY / 4, seed: 7 });
      domo.appendRows(SALES_DATASET, late);
      domo.datasets.get(CONTACTS_DATASET)!.rows = loyaltyMembers(2000, 50);
      return { lateLines: late.length };
    },
    stop,
  };
}
