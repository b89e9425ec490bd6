/**
 * plan runs the job skeleton in plan mode: for both kinds, a plan's counts are what the reconcile right
 * after it does, run after run (first delivery, nothing new, late or changed rows).
 */
import { describe, expect, it } from 'vitest';
import type { RunReport } from '../src/reports/run-report.ts';
import { CONTACT_COLUMNS, CONTACTS_DATASET, contacts, useDotdigitalWorld } from './helpers/dotdigital-world.ts';
import { runCli } from './helpers/repo.ts';
import { COLUMNS, DATASET_ID, lines, useWorld } from './helpers/world.ts';

interface PlanCounts {
  checked: boolean;
  rows: { read: number; toSend: number; rejected: number; skipped: number };
  uploads: number;
}

async function planThenRun(world: { root: string; env: NodeJS.ProcessEnv; run(): Promise<RunReport> }, parts: (report: RunReport) => number) {
  const { stdout } = await runCli(['plan', '--json'], { root: world.root, env: world.env });
  const plan = JSON.parse(stdout).plans[0] as PlanCounts;
  expect(plan.checked).toBe(true); // with every secret: checked against Domo and the destination
  const report = await world.run();
  expect(report.status, report.message).toBe('succeeded');
  return {
    planned: { ...plan.rows, files: plan.uploads },
    done: { read: report.rows.read, toSend: report.rows.sent, rejected: report.rows.rejected, skipped: report.rows.skipped, files: parts(report) },
  };
}

describe('an Emarsys plan', () => {
  const world = useWorld();
  const uploads = (report: RunReport) => (report as { uploads?: unknown[] }).uploads?.length ?? 0;

  it('counts what the reconcile sends, rejects and skips', async () => {
    const rows = lines(12);
    rows.push(['O-bad', '2026-11-20T09:00:00', 'C-1', 'SKU-1', 'twelve', '1', 'web'], rows[3]!);
    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS, rows });
    const first = await planThenRun(world, uploads);
    expect(first.planned).toEqual(first.done);
    expect(first.done).toMatchObject({ read: 14, toSend: 12, rejected: 1, skipped: 1, files: 1 });

    const again = await planThenRun(world, uploads);
    expect(again.planned).toEqual(again.done);
    expect(again.done).toMatchObject({ toSend: 0, files: 0 });

    world.domo.appendRows(DATASET_ID, lines(4, Date.parse('2026-11-20T10:00:00Z'), 100));
    const late = await planThenRun(world, uploads);
    expect(late.planned).toEqual(late.done);
    expect(late.done).toMatchObject({ toSend: 4, files: 1 });
  });
});

describe('a Dotdigital plan', () => {
  const world = useDotdigitalWorld();
  const imports = (report: RunReport) => (report as { imports?: unknown[] }).imports?.length ?? 0;
  const run = () => world.run();

  it('counts what the reconcile imports, rejects and leaves out as unchanged', async () => {
    const rows = contacts(20);
    rows.push(['not-an-email', 'X', 'gold', '1', '2024-01-01', 'no'], rows[0]!);
    world.domo.addDataSet({ id: CONTACTS_DATASET, name: 'Loyalty members', columns: CONTACT_COLUMNS, rows });
    const first = await planThenRun({ ...world, run }, imports);
    expect(first.planned).toEqual(first.done);
    expect(first.done).toMatchObject({ read: 22, toSend: 20, rejected: 1, skipped: 1, files: 1 });

    const changed = contacts(20);
    changed[5]![2] = 'platinum';
    world.domo.datasets.get(CONTACTS_DATASET)!.rows = changed;
    const second = await planThenRun({ ...world, run }, imports);
    expect(second.planned).toEqual(second.done);
    expect(second.done).toMatchObject({ toSend: 1, skipped: 19, files: 1 });
  });

  it('warns, as the reconcile then fails, when more rows are bad than rejects.maxRatio allows', async () => {
    const rows = contacts(4);
    for (let i = 0; i < 6; i++) rows.push([`broken-${i}`, 'X', 'gold', '1', '2024-01-01', 'no']);
    world.domo.addDataSet({ id: CONTACTS_DATASET, name: 'Loyalty members', columns: CONTACT_COLUMNS, rows });
    const { stdout } = await runCli(['plan', '--json'], { root: world.root, env: world.env });
    const gate = '6 of 10 rows are invalid (60.0%), more than rejects.maxRatio 50.0% allows';
    expect(JSON.parse(stdout).plans[0].warnings).toContain(`${gate}: a reconcile would fail and send nothing.`);
    const report = await world.run();
    expect(report).toMatchObject({ status: 'failed', message: `${gate}; nothing was sent.`, rows: { sent: 0 } });
    expect(report.destination?.endpoint).toBe(`${world.dd.url}/r2`); // known before reading: in every report
    expect(world.dd.imports.size).toBe(0);
  });
});
