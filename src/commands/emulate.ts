/**
 * `writeback emulate --dataset ID=FILE.csv [--dataset ...] [--port N]`: the embedded emulators of Domo,
 * Emarsys and Dotdigital on 127.0.0.1, serving the team's own CSV files as Domo DataSets and accepting
 * the accounts the connectors in connectors/ name (src/demo/emulated-world.ts). Standard output carries
 * only `export NAME=value` lines (the endpoints and an emulator-only value for every secret the
 * definitions refer to), so it can be saved and sourced in another terminal, where `writeback plan` and
 * `writeback reconcile` then talk to the emulators; everything for a person goes to standard error. It
 * runs until the signal aborts (SIGINT or SIGTERM), then stops the emulators and returns 0.
 */
import { cpSync, existsSync, lstatSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CONNECTORS_DIR } from '../definitions/files.ts';
import { UsageError } from '../errors/index.ts';
import { validateRepository } from '../definitions/validator.ts';
import { startEmulatedWorld, type DataSetFile, type ExportedVariable } from '../demo/emulated-world.ts';
import type { CommandIO } from './io.ts';
import { untilSignal } from './signals.ts';

export interface EmulateOptions {
  /** `ID=FILE.csv`, as given (FILE relative to the working directory). */
  datasets: string[];
  /** Domo listens on this port, Emarsys on the next and Dotdigital on the one after (default: free ports). */
  port?: number | string;
  /** Aborted on SIGINT/SIGTERM: the emulators stop and the command returns 0. Without one it listens for the signals itself. */
  signal?: AbortSignal;
}

/**
 * Runs against the emulators keep their state and reports in a scratch copy, never in the repository's own
 * state/: sample contacts recorded there as sent would never reach the real Dotdigital (changedOnly), and
 * an emulated merchant would make the Emarsys job refuse its real account. The copy is made at start (and
 * .writeback/ is ignored by git); WRITEBACK_ROOT points the commands of the other terminal at it.
 */
export function emulationWorkspace(root: string): string {
  const scratch = join(root, '.writeback', 'emulate');
  for (const dir of [join(root, '.writeback'), scratch]) {
    if (lstatSync(dir, { throwIfNoEntry: false })?.isSymbolicLink()) throw new UsageError(`${dir} is a symbolic link: emulate keeps its scratch copy in .writeback/emulate/ and replaces it at each start, so it must be a real directory`);
  }
  rmSync(scratch, { recursive: true, force: true });
  if (existsSync(join(root, CONNECTORS_DIR))) cpSync(join(root, CONNECTORS_DIR), join(scratch, CONNECTORS_DIR), { recursive: true, dereference: true });
  return scratch;
}

/** How often what the emulators received is printed. */
const ACTIVITY_MS = 200;

/** The --dataset arguments as DataSet ids and files; a UsageError names the argument that is wrong. */
export function parseDataSetArgs(args: readonly string[], cwd = process.cwd()): DataSetFile[] {
  const seen = new Map<string, string>();
  return args.map((arg) => {
    const at = arg.indexOf('=');
    const shape = 'write it as ID=FILE.csv: the DataSet id a connector reads (spec.source.domo.datasetId), =, then the CSV file';
    if (at < 0) throw new UsageError(`--dataset "${arg}" has no "="; ${shape}`);
    const id = arg.slice(0, at).trim();
    const file = arg.slice(at + 1).trim();
    if (!id) throw new UsageError(`--dataset "${arg}" has no DataSet id before "="; ${shape}`);
    if (!file) throw new UsageError(`--dataset "${arg}" names no file after "="; ${shape}`);
    if (/\.csv$/i.test(id) && !/\.csv$/i.test(file)) throw new UsageError(`--dataset "${arg}": the file comes after "=", the DataSet id before it (--dataset ${file}=${id})`);
    if (/[\s\x00-\x1f\x7f]/.test(id)) throw new UsageError(`--dataset "${arg}": the DataSet id "${id}" holds a space or a control character; Domo ids do not (they look like 8f1c2b3a-1111-2222-3333-444455556666)`);
    const other = seen.get(id);
    if (other !== undefined) throw new UsageError(`--dataset ${id} is given twice (${other} and ${file}); give one CSV file per DataSet`);
    seen.set(id, file);
    return { id, file, path: resolve(cwd, file) };
  });
}

function parsePort(port: number | string | undefined): number | undefined {
  if (port === undefined || port === '') return undefined;
  const value = Number(port);
  if (!Number.isInteger(value) || value < 1 || value > 65533) throw new UsageError(`--port ${port}: give a port from 1 to 65533 (the emulators take it and the two after it)`);
  return value;
}

/** NAME=value as a POSIX shell reads it: quoted when the value holds anything but plain characters. */
export function exportLine({ name, value }: ExportedVariable): string {
  const plain = /^[A-Za-z0-9_@%+=:,./-]+$/.test(value);
  return `export ${name}=${plain ? value : `'${value.replace(/'/g, `'\\''`)}'`}`;
}

/** Resolves when the signal aborts. */
const aborted = (signal: AbortSignal) => new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));

export async function emulateCommand(io: CommandIO, options: EmulateOptions): Promise<number> {
  const datasets = parseDataSetArgs(options.datasets);
  const port = parsePort(options.port);
  if (!datasets.length) {
    const ids = [...new Set(validateRepository(io.root, undefined, io.env).definitions.map((d) => d.definition.spec.source.domo.datasetId))];
    const hint = ids.length ? ` (the connectors in connectors/ read ${ids.join(', ')})` : '';
    throw new UsageError(`give at least one --dataset ID=FILE.csv: the DataSet id a connector reads and a CSV file whose first line names the columns${hint}`);
  }
  // The CLI passes a signal tied to SIGINT/SIGTERM; called without one, the command listens for them itself.
  const own = options.signal ? undefined : untilSignal();
  const signal = options.signal ?? own!.signal;
  if (signal.aborted) return 0;
  const world = await startEmulatedWorld({ root: io.root, env: io.env, datasets, port });
  let timer: NodeJS.Timeout | undefined;
  try {
    io.err('Emulated APIs on 127.0.0.1 (nothing leaves this machine; the credentials printed work only here):');
    for (const line of world.description) io.err(`  ${line}`);
    for (const note of world.notes) io.err(`note: ${note}`);
    const scratch = emulationWorkspace(io.root);
    for (const variable of [...world.exports, { name: 'WRITEBACK_ROOT', value: scratch }]) io.out(exportLine(variable));

    io.err('');
    io.err('Standard output holds the export lines that point the runner at these emulators. In another terminal:');
    io.err('  source emulate.env          # having started this as: npx writeback emulate ... > emulate.env');
    io.err('  npx writeback plan');
    io.err('  npx writeback reconcile --force');
    io.err(`WRITEBACK_ROOT makes them work on ${scratch}: a copy of connectors/ made now (restart emulate after editing them), where their state/ and reports/ go; the repository's own state/ is not touched.`);
    io.err('Emulating until Ctrl-C (SIGINT or SIGTERM). What the emulators receive is shown here.');

    timer = setInterval(() => {
      for (const line of world.activity()) io.err(`  ${line}`);
    }, ACTIVITY_MS);
    await aborted(signal);
    clearInterval(timer);
    timer = undefined;
    for (const line of world.activity()) io.err(`  ${line}`);
    io.err(`Stopping the emulators. ${world.summary()}.`);
    return 0;
  } finally {
    if (timer) clearInterval(timer);
    own?.dispose();
    await world.stop();
  }
}
