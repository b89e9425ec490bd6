/**
 * `writeback rename OLD NEW`: moves a job's state (and its reports) to its new name, after its
 * definition was renamed. A renamed job without its state would send every line again.
 */
import { existsSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { UsageError, WritebackError } from '../errors/index.ts';
import { listDefinitionFiles } from '../definitions/files.ts';
import { fsyncDir } from '../state/durable.ts';
import { StateStore } from '../state/store.ts';
import type { JobState } from '../state/job-state.ts';
import { destinationFor, loadState } from '../registry.ts';
import type { CommandIO } from './io.ts';
import { stateBranchName } from '../reconcile/github-session.ts';

const JOB_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

export function renameCommand(io: CommandIO, options: { from?: string; to?: string }): number {
  const { from, to } = options;
  if (!from || !to || !JOB_NAME.test(from) || !JOB_NAME.test(to) || from === to) {
    throw new UsageError('writeback rename OLD NEW takes two different job names: lower-case letters, digits and -');
  }
  const jobs = new Set(listDefinitionFiles(io.root).map((file) => basename(file, extname(file))));
  if (jobs.has(from)) throw new WritebackError(`connectors/${from}.yaml still exists: rename it to connectors/${to}.yaml (and its metadata.name to ${to}) first, then move the state`);
  if (!jobs.has(to)) throw new UsageError(`there is no definition connectors/${to}.yaml: rename connectors/${from}.yaml to ${to}.yaml (and its metadata.name) first`);
  const old = new StateStore(io.root, from);
  const renamed = new StateStore(io.root, to);
  if (!old.exists()) throw new UsageError(`state/${from}.json does not exist: there is no state to move`);
  // Runs refused before the rename leave a state under the new name that sent nothing: that one may be replaced.
  const deliveries = (state: JobState) => destinationFor(state.kind)?.hasDeliveries?.(state) ?? (state.lastRun?.rows.sent ?? 0) > 0;
  if (renamed.exists() && deliveries(loadState(renamed, ''))) {
    throw new WritebackError(`state/${to}.json already records deliveries of its own; move or delete it first (deleting it forgets what ${to} delivered)`);
  }

  const oldLock = old.lock(`rename-${Date.now()}`);
  try {
    const newLock = renamed.lock(`rename-${Date.now()}`);
    try {
      const state = loadState(old, '');
      // Files beside the state first: until the new state file is written, the old one still points at them by name.
      if (existsSync(old.dir)) {
        rmSync(renamed.dir, { recursive: true, force: true }); // what the replaceable state under the new name kept
        renameSync(old.dir, renamed.dir);
      }
      state.name = to;
      renamed.save(state);
      rmSync(old.file);
      const oldReports = join(io.root, 'reports', from);
      const newReports = join(io.root, 'reports', to);
      const movedReports = existsSync(oldReports);
      if (movedReports && !existsSync(newReports)) renameSync(oldReports, newReports);
      else if (movedReports) {
        // Refused runs under the new name wrote reports there already: the old history joins them.
        for (const file of readdirSync(oldReports)) if (!existsSync(join(newReports, file))) renameSync(join(oldReports, file), join(newReports, file));
        rmSync(oldReports, { recursive: true, force: true });
      }
      fsyncDir(join(io.root, 'state'));
      io.out(`${from} -> ${to}: moved state/${from}.json to state/${to}.json${existsSync(renamed.dir) ? `, state/${from}/ to state/${to}/` : ''}${movedReports ? `, reports/${from}/ to reports/${to}/` : ''}.`);
      // With a state branch the state moves there now, and the definition through its pull request: until both
      // are in, the Emarsys job refuses to deliver (the state under the old name is an orphan), never resends.
      io.out(stateBranchName(io.env) ? `Now merge the renamed definition; until it is in, runs refuse to deliver ${to} rather than send its lines again.` : `Commit these changes with the renamed definition, in one commit, so no scheduled run sees one without the other.`);
      return 0;
    } finally {
      newLock.release();
    }
  } finally {
    oldLock.release();
  }
}
