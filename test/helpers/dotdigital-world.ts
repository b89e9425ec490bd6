/** A test world for Dotdigital jobs: emulated Domo and Dotdigital, a scratch repo with one contacts job. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { DomoEmulator } from '../../src/emulators/domo.ts';
import { DotdigitalEmulator } from '../../src/emulators/dotdigital.ts';
import { reconcile } from '../../src/reconcile/reconciler.ts';
import type { RunReport } from '../../src/reports/run-report.ts';
import { scratchRepo } from './repo.ts';

export const CONTACTS_DATASET = 'ds-contacts';
export const DD_SECRETS = {
  DOMO_CLIENT_ID: 'canary-domo-client-7f3a',
  DOMO_CLIENT_SECRET: 'canary-domo-secret-91bd',
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

export interface DotdigitalWorld {
  domo: DomoEmulator;
  dd: DotdigitalEmulator;
  root: string;
  env: NodeJS.ProcessEnv;
  run(env?: NodeJS.ProcessEnv): Promise<RunReport>;
  setDefinition(text: string): void;
}

export function useDotdigitalWorld(definition = contactsJob()): DotdigitalWorld {
  const world = {} as DotdigitalWorld;
  beforeEach(async () => {
    world.domo = new DomoEmulator({ [DD_SECRETS.DOMO_CLIENT_ID]: DD_SECRETS.DOMO_CLIENT_SECRET });
    world.dd = new DotdigitalEmulator(DD_SECRETS.DOTDIGITAL_API_USER, DD_SECRETS.DOTDIGITAL_API_PASSWORD, 'r2');
    await Promise.all([world.domo.start(), world.dd.start()]);
    world.dd.dataFields.set('FIRSTNAME', { name: 'FIRSTNAME', type: 'String', visibility: 'Private', defaultValue: null });
    world.root = scratchRepo({ 'connectors/loyalty.yaml': definition });
    world.setDefinition = (text) => writeFileSync(join(world.root, 'connectors', 'loyalty.yaml'), text);
    world.env = {
      ...DD_SECRETS,
      DOMO_API_URL: world.domo.url,
      // Region r2 is served under /r2 by the emulator; discovery goes to the emulator's root (its "r1").
      DOTDIGITAL_API_URL: `${world.dd.url}/r2`,
      WRITEBACK_RETRY_BASE_MS: '10',
      WRITEBACK_HTTP_TIMEOUT_MS: '3000',
    };
    world.run = async (env = {}) => {
      const result = await reconcile({ root: world.root, env: { ...world.env, ...env }, only: [], force: true, dryRun: false, log: () => {} });
      return result.reports[0]!;
    };
  });
  afterEach(async () => {
    await Promise.all([world.domo.stop(), world.dd.stop()]);
  });
  return world;
}


export const readState = (root: string) => JSON.parse(readFileSync(join(root, 'state', 'loyalty.json'), 'utf8'));
