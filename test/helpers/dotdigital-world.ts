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
  /** Reconciles the job (forced), with `env` over the world's and, when given, the signal that stops the run. */
  run(env?: NodeJS.ProcessEnv, signal?: AbortSignal): Promise<ContactsReport>;
  /** Imports of other runs, active at Dotdigital until finishAll: `count` of the account's 25. */
  occupyImports(count: number): void;
  /** The contact-import POSTs Dotdigital received, refused ones included. */
  importPosts(): { method: string; path: string }[];
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
    world.run = async (env = {}, signal) => {
      const result = await reconcile({ root: world.root, env: { ...world.env, ...env }, only: [], force: true, dryRun: false, log: () => {}, signal });
      return result.reports[0]! as ContactsReport;
    };
    world.occupyImports = (count) => {
      for (let i = 0; i < count; i++) world.dd.imports.set(`busy-${i}`, { id: `busy-${i}`, status: 'NotFinished', mergeOption: 'Overwrite', pollsLeft: 99, rows: [], faults: [], report: {}, finalStatus: 'Finished' });
    };
    world.importPosts = () => world.dd.received.filter((r) => r.method === 'POST' && r.path.includes('/contacts/import'));
  });
  afterEach(async () => {
    await Promise.all([world.domo.stop(), world.dd.stop()]);
  });
  return world;
}


/** Import files of about 50 contacts each (WRITEBACK_DOTDIGITAL_MAX_FILE_BYTES), so a few hundred contacts take several. */
export const SMALL_FILES = { WRITEBACK_DOTDIGITAL_MAX_FILE_BYTES: '4000' };

export const readState = (root: string) => JSON.parse(readFileSync(join(root, 'state', 'loyalty.json'), 'utf8'));
