/**
 * A test world: emulated Domo and Emarsys on 127.0.0.1, a scratch repository with one Emarsys job,
 * and helpers to reconcile it and read what happened.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { DomoEmulator } from '../../src/emulators/domo.ts';
import { EmarsysEmulator } from '../../src/emulators/emarsys.ts';
import { reconcile } from '../../src/reconcile/reconciler.ts';
import type { SalesReport } from '../../src/destinations/emarsys/report.ts';
import type { SalesState } from '../../src/destinations/emarsys/state.ts';
import { COLUMNS, DATASET_ID, lines, salesJob, SECRETS } from './fixtures.ts';
import { scratchRepo } from './repo.ts';

export { COLUMNS, DATASET_ID, lines, salesJob, SECRETS };

export interface World {
  domo: DomoEmulator;
  emarsys: EmarsysEmulator;
  root: string;
  env: NodeJS.ProcessEnv;
  run(options?: { force?: boolean; dryRun?: boolean; env?: NodeJS.ProcessEnv }): Promise<SalesReport>;
  state(): SalesState;
  reportFiles(): string[];
}

/** Starts fresh emulators and a scratch repo for every test of the file. */
export function useWorld(definition = salesJob('  delivery:\n    cursor: ordered_at\n    lookback: 3d\n  rejects:\n    maxRatio: 0.5\n')): World {
  const world = {} as World;
  beforeEach(async () => {
    world.domo = new DomoEmulator({ [SECRETS.DOMO_CLIENT_ID]: SECRETS.DOMO_CLIENT_SECRET });
    world.emarsys = new EmarsysEmulator({ [SECRETS.EMARSYS_MERCHANT_ID]: SECRETS.EMARSYS_SALES_TOKEN });
    await Promise.all([world.domo.start(), world.emarsys.start()]);
    world.root = scratchRepo({ 'connectors/sales.yaml': definition });
    world.env = {
      ...SECRETS,
      DOMO_API_URL: world.domo.url,
      EMARSYS_SALES_API_URL: world.emarsys.url,
      WRITEBACK_RETRY_BASE_MS: '10',
      WRITEBACK_HTTP_TIMEOUT_MS: '1500',
    };
    world.run = async (options = {}) => {
      const result = await reconcile({
        root: world.root,
        env: { ...world.env, ...options.env },
        only: [],
        force: options.force ?? true,
        dryRun: options.dryRun ?? false,
        log: () => {},
      });
      return result.reports[0]! as SalesReport;
    };
    world.state = () => JSON.parse(readFileSync(join(world.root, 'state', 'sales.json'), 'utf8')) as SalesState;
    world.reportFiles = () => readdirSync(join(world.root, 'reports', 'sales')).sort();
  });
  afterEach(async () => {
    await Promise.all([world.domo.stop(), world.emarsys.stop()]);
  });
  return world;
}


/** Order ids Emarsys holds, each as many times as it arrived. */
export const acceptedOrders = (world: World) => world.emarsys.accepted.map((l) => l.record.order).sort();
