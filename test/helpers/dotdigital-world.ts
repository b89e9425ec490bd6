/** A test world for Dotdigital jobs: emulated Domo and Dotdigital, a scratch repo with one contacts job. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { DomoEmulator } from '../../src/emulators/domo.ts';
import { DotdigitalEmulator } from '../../src/emulators/dotdigital.ts';
import { reconcile } from '../../src/reconcile/reconciler.ts';
import type { ContactsReport } from '../../src/destinations/dotdigital/report.ts';
import { CONTACT_COLUMNS, CONTACTS_DATASET, contacts, contactsJob, DD_SECRETS } from './fixtures.ts';
import { scratchRepo } from './repo.ts';

export { CONTACT_COLUMNS, CONTACTS_DATASET, contacts, contactsJob, DD_SECRETS };

export interface DotdigitalWorld {
  domo: DomoEmulator;
  dd: DotdigitalEmulator;
  root: string;
  env: NodeJS.ProcessEnv;
  run(env?: NodeJS.ProcessEnv): Promise<ContactsReport>;
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
      return result.reports[0]! as ContactsReport;
    };
  });
  afterEach(async () => {
    await Promise.all([world.domo.stop(), world.dd.stop()]);
  });
  return world;
}


export const readState = (root: string) => JSON.parse(readFileSync(join(root, 'state', 'loyalty.json'), 'utf8'));
