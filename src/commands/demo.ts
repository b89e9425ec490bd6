/**
 * `writeback demo` (`npm start`): the whole flow on the demo world (src/demo/world.ts): a plan, a first
 * delivery, a re-run that sends nothing, then late order lines and changed contacts that are sent once.
 */
import { join } from 'node:path';
import { startDemoWorld } from '../demo/world.ts';
import { planJobs } from '../plan/planner.ts';
import { renderPlanText } from '../plan/render.ts';
import { publish } from '../reconcile/publish.ts';
import { reconcile } from '../reconcile/reconciler.ts';
import { count as n } from '../reports/count.ts';
import { rejectedRowLabel, type RunReport } from '../reports/run-report.ts';
import type { CommandIO } from './io.ts';
import { statusCommand } from './status.ts';

export async function demoCommand(io: CommandIO): Promise<number> {
  const started = Date.now();
  const world = await startDemoWorld();
  const { root, env, emarsys, dotdigital } = world;
  try {
    const run = async (title: string): Promise<Record<string, RunReport>> => {
      io.out(`\n== ${title}`);
      const result = await reconcile({ root, env, only: [], force: true, dryRun: false, log: (line) => io.out(`   ${line}`) });
      await publish(root, env, result.reports, io.out);
      for (const report of result.reports) io.out(`-> ${report.name}: ${report.status}: ${report.message}`);
      return Object.fromEntries(result.reports.map((r) => [r.name, r]));
    };

    io.out(`Writeback demo: emulated Domo at ${world.domo.url}, Emarsys at ${emarsys.url}, Dotdigital at ${dotdigital.url}`);
    io.out(`Working in ${root} with connectors/webshop-sales.yaml (${n(world.salesLines)} order lines, 4 invalid) and connectors/loyalty-contacts.yaml (2,002 contacts, 2 invalid).`);
    io.out('\n== writeback plan (what run 1 would do)');
    const { plans } = await planJobs(root, env, []);
    for (const line of renderPlanText(plans).split('\n')) io.out(`   ${line}`);

    const first = await run('Run 1: first delivery');
    for (const report of Object.values(first)) for (const r of report.rejects ?? []) io.out(`   ${report.name}: rejected row ${rejectedRowLabel(r)}: ${r.field} (${r.column}) ${r.reason}`);
    const second = await run('Run 2: same data again (must send nothing)');
    const { lateLines } = world.change();
    const third = await run(`Run 3: ${lateLines} late order lines inside the 3-day lookback, 40 contacts promoted to platinum`);

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
      third['webshop-sales']?.rows.sent === lateLines &&
      duplicates.length === 0 &&
      first['loyalty-contacts']?.rows.sent === 2000 &&
      second['loyalty-contacts']?.rows.sent === 0 &&
      third['loyalty-contacts']?.rows.sent === 40;
    return ok ? 0 : 1;
  } finally {
    await world.stop();
  }
}
