/** Test data and definitions, free of vitest so scripts (npm run faults) can use them too. */
import { SALES_COLUMNS } from '../../src/demo/sample-data.ts';

export const DATASET_ID = 'ds-sales-1';
export const SECRETS = {
  DOMO_CLIENT_ID: 'canary-domo-client-7f3a',
  DOMO_CLIENT_SECRET: 'canary-domo-secret-91bd',
  EMARSYS_MERCHANT_ID: '19CAA097101B372A',
  EMARSYS_SALES_TOKEN: 'canary-emarsys-token-5c2e',
};

/** The demo's columns without discount_amount. */
export const COLUMNS = SALES_COLUMNS.filter((c) => c.name !== 'discount_amount');

export function salesJob(extra = ''): string {
  return `apiVersion: writeback/v1
kind: EmarsysSalesWriteback
metadata:
  name: sales
spec:
  source:
    domo:
      datasetId: ${DATASET_ID}
      clientId: { secret: DOMO_CLIENT_ID }
      clientSecret: { secret: DOMO_CLIENT_SECRET }
  destination:
    emarsysSales:
      merchantId: { secret: EMARSYS_MERCHANT_ID }
      token: { secret: EMARSYS_SALES_TOKEN }
  mapping:
    order: order_id
    timestamp: ordered_at
    customer: customer_id
    item: sku
    price: line_total
    quantity: qty
    custom:
      s_channel: channel
${extra}`;
}

/** `count` valid order lines, one a minute from `start`. */
export function lines(count: number, start = Date.parse('2026-11-20T08:00:00Z'), firstOrder = 1): string[][] {
  return Array.from({ length: count }, (_, i) => [
    `O-${firstOrder + i}`,
    new Date(start + i * 60_000).toISOString().slice(0, 19),
    `C-${(i % 7) + 1}`,
    `SKU-${i % 3}`,
    `${(10 + i).toFixed(2)}`,
    String(1 + (i % 2)),
    i % 2 ? 'web' : 'store',
  ]);
}

export const CONTACTS_DATASET = 'ds-contacts';
export const DD_SECRETS = {
  DOMO_CLIENT_ID: SECRETS.DOMO_CLIENT_ID,
  DOMO_CLIENT_SECRET: SECRETS.DOMO_CLIENT_SECRET,
  DOTDIGITAL_API_USER: 'apiuser-canary@apiconnector.com',
  DOTDIGITAL_API_PASSWORD: 'canary-dd-password-3e8c',
};
export const CONTACT_COLUMNS = [
  { name: 'email_address', type: 'STRING' },
  { name: 'first_name', type: 'STRING' },
  { name: 'tier', type: 'STRING' },
  { name: 'points', type: 'LONG' },
  { name: 'joined', type: 'DATE' },
  { name: 'vip', type: 'STRING' },
];

export function contactsJob(destination = '      region: r2\n', fields = '      FIRSTNAME: first_name\n      LOYALTYTIER: { column: tier, type: String, create: true }\n      POINTS: { column: points, type: Numeric, create: true }\n      JOINED: { column: joined, type: Date, create: true }\n      VIP: { column: vip, type: Boolean, create: true }\n', extra = '  delivery:\n    changedOnly: true\n  rejects:\n    maxRatio: 0.5\n'): string {
  return `apiVersion: writeback/v1
kind: DotdigitalContactsWriteback
metadata:
  name: loyalty
spec:
  source:
    domo:
      datasetId: ${CONTACTS_DATASET}
      clientId: { secret: DOMO_CLIENT_ID }
      clientSecret: { secret: DOMO_CLIENT_SECRET }
  destination:
    dotdigital:
      username: { secret: DOTDIGITAL_API_USER }
      password: { secret: DOTDIGITAL_API_PASSWORD }
      addressBookId: 4242
      mergeOption: Overwrite
${destination}  mapping:
    email: email_address
    dataFields:
${fields}${extra}`;
}

export function contacts(count: number, from = 1): string[][] {
  return Array.from({ length: count }, (_, i) => [`Member${from + i}@Example.com`, `Name${from + i}`, ['gold', 'silver', 'bronze'][i % 3]!, String(100 * (from + i)), '2024-02-29', i % 2 ? 'yes' : 'no']);
}

/**
 * The environment as a workflow gives it: inside Actions secrets reach the runner only through
 * WRITEBACK_SECRETS (toJSON(secrets)), so the known secret variables move there.
 */
export function actionsEnv(env: NodeJS.ProcessEnv, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const names = new Set([...Object.keys(SECRETS), ...Object.keys(DD_SECRETS)]);
  const secrets = Object.fromEntries(Object.entries(env).filter(([k]) => names.has(k)));
  const rest = Object.fromEntries(Object.entries(env).filter(([k]) => !names.has(k)));
  return { ...rest, WRITEBACK_SECRETS: JSON.stringify(secrets), GITHUB_ACTIONS: 'true', ...extra };
}
