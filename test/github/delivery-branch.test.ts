/**
 * Deliveries come from one branch: a reconcile started on another branch (workflow_dispatch can start on
 * any) would read that branch's older state and send lines again, so inside Actions it runs as a dry run.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { deliveryBranchRefusal } from '../../src/github/delivery-branch.ts';
import { actionsEnv } from '../helpers/fixtures.ts';
import { runCli } from '../helpers/repo.ts';
import { COLUMNS, DATASET_ID, lines, useWorld } from '../helpers/world.ts';

describe('deliveries come from one branch', () => {
  const world = useWorld();

  const onBranch = (branch: string, extra: NodeJS.ProcessEnv = {}) => {
    const event = join(world.root, 'event.json');
    writeFileSync(event, JSON.stringify({ repository: { default_branch: 'main' } }));
    // No GITHUB_TOKEN: a run that tried to commit or journal would fail saying so.
    return actionsEnv(world.env, { GITHUB_REF_NAME: branch, GITHUB_EVENT_PATH: event, ...extra });
  };

  it('a run on another branch than the default one sends nothing, changes no state and says why', async () => {
    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS, rows: lines(20) });
    const run = await runCli(['reconcile', '--force'], { root: world.root, env: onBranch('release-2026-10') });
    expect(run.stdout).toContain('this run is on branch release-2026-10, and deliveries come only from main (the repository\'s default branch)');
    expect(run.stdout).toContain('Running as a dry run: nothing is sent and no state changes.');
    expect(run.stdout).toContain('sales: succeeded (dry run)');
    expect(run.code).toBe(0);
    expect(world.emarsys.accepted).toHaveLength(0);
    expect(existsSync(join(world.root, 'state', 'sales.json'))).toBe(false);
  });

  it('WRITEBACK_DELIVERY_BRANCH names another branch to deliver from', async () => {
    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS, rows: lines(20) });
    const elsewhere = await runCli(['reconcile', '--force'], { root: world.root, env: onBranch('main', { WRITEBACK_DELIVERY_BRANCH: 'production' }) });
    expect(elsewhere.stdout).toContain('deliveries come only from production (WRITEBACK_DELIVERY_BRANCH)');
    expect(world.emarsys.accepted).toHaveLength(0);
  });

  it('the refusal is a warning on the run page too, and the dashboard is not committed there either', async () => {
    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS, rows: lines(5) });
    const run = await runCli(['reconcile', '--force'], { root: world.root, env: onBranch('old') });
    expect(run.stdout).toMatch(/^::warning title=writeback reconcile%3A dry run::this run is on branch old/m);
    const dashboard = await runCli(['dashboard'], { root: world.root, env: onBranch('old') });
    expect(dashboard).toMatchObject({ code: 0 });
    expect(dashboard.stdout).toContain('reports/README.md is not rewritten or committed here');
    expect(existsSync(join(world.root, 'reports', 'README.md'))).toBe(false);
  });

  it('WRITEBACK_DELIVERY_BRANCH may be written as a ref; outside Actions nothing is gated', () => {
    const env = { GITHUB_ACTIONS: 'true', GITHUB_REF_NAME: 'main' };
    expect(deliveryBranchRefusal({ ...env, WRITEBACK_DELIVERY_BRANCH: 'refs/heads/main' })).toBeUndefined();
    expect(deliveryBranchRefusal({ ...env, WRITEBACK_DELIVERY_BRANCH: 'production' })).toContain('deliveries come only from production');
    expect(deliveryBranchRefusal({ GITHUB_REF_NAME: 'main', WRITEBACK_DELIVERY_BRANCH: 'production' })).toBeUndefined();
  });
});

