/**
 * What the emulators of `writeback emulate` received, as lines for the person watching: Domo exports and
 * queries answered, Emarsys loads (a file Emarsys took but failed to load says why: the runner cannot see that), Dotdigital
 * imports and data fields created. Read from the emulators' records each time it is polled.
 */
import { count as n } from '../reports/count.ts';
import type { RunningEmulators } from '../emulators/start.ts';

export interface ActivityWatcher {
  /** Lines for what happened since the last poll. */
  poll(): string[];
  /** One sentence for everything received. */
  summary(): string;
}

const EXPORT = /^\/v1\/datasets\/([^/?]+)\/data(\?|$)/;

export function watchActivity({ domo, emarsys, dotdigital }: RunningEmulators): ActivityWatcher {
  let requests = 0;
  let loads = 0;
  const reported = new Set<string>();
  const fields = new Set(dotdigital.dataFields.keys());
  let exports = 0;
  let queries = 0;

  const poll = (): string[] => {
    const lines: string[] = [];
    for (; requests < domo.server.requests.length; requests++) {
      const match = EXPORT.exec(domo.server.requests[requests]!.path);
      if (!match) continue;
      const id = decodeURIComponent(match[1]!);
      const ds = domo.datasets.get(id);
      exports++;
      lines.push(ds ? `Domo: export of DataSet ${id} ("${ds.name}", ${n(ds.rows?.length ?? 0)} rows)` : `Domo: export of DataSet ${id} asked for, which is not served (404)`);
    }
    for (; queries < domo.queries.length; queries++) lines.push(`Domo: query answered: ${domo.queries[queries]}`);
    for (; loads < emarsys.loads.length; loads++) {
      const load = emarsys.loads[loads]!;
      lines.push(
        load.status === 'loaded'
          ? `Emarsys: upload ${load.upload} for merchant ${load.merchantId}: ${n(load.lines)} lines loaded${load.gzip ? ' (gzip)' : ''}`
          : `Emarsys: upload ${load.upload} for merchant ${load.merchantId} was accepted (200) but its load FAILED: ${load.reason}`,
      );
    }
    for (const name of dotdigital.dataFields.keys()) {
      if (fields.has(name)) continue;
      fields.add(name);
      lines.push(`Dotdigital: data field ${name} (${dotdigital.dataFields.get(name)!.type}) created`);
    }
    for (const imp of dotdigital.imports.values()) {
      if (imp.status === 'NotFinished' || reported.has(imp.id)) continue;
      reported.add(imp.id);
      const report = imp.report;
      const counts = imp.status === 'Finished' ? `: ${n(report.newContacts ?? 0)} new, ${n(report.updatedContacts ?? 0)} updated, ${n(imp.faults.length)} refused` : '';
      lines.push(`Dotdigital: import of ${n(imp.rows.length)} contacts${imp.addressBookId ? ` into address book ${imp.addressBookId}` : ''}: ${imp.status}${counts}`);
    }
    return lines;
  };

  const summary = (): string => {
    poll();
    const failed = emarsys.loads.filter((l) => l.status === 'failed').length;
    return (
      `Domo served ${n(exports)} export(s) and answered ${n(queries)} query(ies); Emarsys loaded ${n(emarsys.acceptedCount)} lines in ${n(emarsys.loads.length - failed)} upload(s)` +
      `${failed ? ` (${failed} more failed to load)` : ''}; Dotdigital holds ${n(dotdigital.contacts.size)} contacts after ${n(dotdigital.imports.size)} import(s)`
    );
  };

  return { poll, summary };
}
