/**
 * Command-line entry: `writeback <command> [options]` (README, "Commands"). Exit codes: 0 done, 1 the work
 * failed, 2 the command line was wrong (unknown option, stray word, unknown job); `plan --detailed-exitcode`
 * keeps 2 for "changes pending" and reports command-line errors as 1, as Terraform does.
 */
import { existsSync, statSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { CommanderError } from 'commander';
import { buildProgram, type Invocation } from './cli/program.ts';
import { version } from './cli/version.ts';
import { CONNECTORS_DIR, listDefinitionFiles } from './definitions/files.ts';
import { describeError, UsageError, WritebackError } from './errors/index.ts';
import { processIO, type CommandIO } from './commands/io.ts';
import { stopOnSignals, untilSignal } from './commands/signals.ts';
import { openRemoteState } from './commands/remote-state.ts';
import type { GitHubSession } from './reconcile/github-session.ts';

type Handler = (io: CommandIO, run: Invocation, signal?: AbortSignal, github?: GitHubSession) => Promise<number> | number;

/** Commands that change state stop cleanly on SIGINT/SIGTERM. */
const STOPPABLE = new Set(['reconcile', 'release', 'rename', 'baseline']);
/** Commands that work on the repository's connectors/ (init creates it; demo and emulate bring their own). */
const NEEDS_CONNECTORS = new Set(['plan', 'reconcile', 'status', 'due', 'dashboard', 'release', 'rename', 'baseline']);
const flag = (run: Invocation, name: string) => run.options[name] === true;

const COMMANDS: Record<string, () => Promise<Handler>> = {
  init: async () => {
    const { initCommand } = await import('./commands/init.ts');
    return (io, run) => initCommand(io, { force: flag(run, 'force') });
  },
  validate: async () => {
    const { validateCommand } = await import('./commands/validate.ts');
    return (io, run) => validateCommand(io, { files: run.args, json: flag(run, 'json') });
  },
  plan: async () => {
    const { planCommand } = await import('./commands/plan.ts');
    return (io, run) =>
      planCommand(io, {
        only: run.names,
        json: flag(run, 'json'),
        markdown: flag(run, 'markdown'),
        comment: flag(run, 'comment'),
        detailedExitcode: flag(run, 'detailedExitcode'),
      });
  },
  due: async () => {
    const { dueCommand } = await import('./commands/due.ts');
    return (io, run) => dueCommand(io, { only: run.names, force: flag(run, 'force'), json: flag(run, 'json') });
  },
  dashboard: async () => {
    const { dashboardCommand } = await import('./commands/dashboard.ts');
    return (io, _run, _signal, github) => dashboardCommand(io, github);
  },
  status: async () => {
    const { statusCommand } = await import('./commands/status.ts');
    return (io, run) => statusCommand(io, { json: flag(run, 'json'), check: flag(run, 'check') });
  },
  reconcile: async () => {
    const { reconcileCommand } = await import('./commands/reconcile.ts');
    return (io, run, signal, github) => reconcileCommand(io, { only: run.names, force: flag(run, 'force'), dryRun: flag(run, 'dryRun'), signal }, github);
  },
  release: async () => {
    const { releaseCommand } = await import('./commands/release.ts');
    return (io, run) => releaseCommand(io, { name: run.args[0], delivered: flag(run, 'delivered'), notDelivered: flag(run, 'notDelivered') });
  },
  rename: async () => {
    const { renameCommand } = await import('./commands/rename.ts');
    return (io, run) => renameCommand(io, { from: run.args[0], to: run.args[1] });
  },
  baseline: async () => {
    const { baselineCommand } = await import('./commands/baseline.ts');
    return (io, run) => baselineCommand(io, { name: run.args[0], until: run.options.until as string | undefined, yes: flag(run, 'yes') });
  },
  emulate: async () => {
    const { emulateCommand } = await import('./commands/emulate.ts');
    return (io, run, signal) => emulateCommand(io, { datasets: (run.options.dataset as string[] | undefined) ?? [], port: run.options.port as string | undefined, signal });
  },
  demo: async () => {
    const { demoCommand } = await import('./commands/demo.ts');
    return (io) => demoCommand(io);
  },
};

/** A missing repository or connectors/ is a mistake to say, never "nothing to do". */
function checkRepository(root: string, run: Invocation): void {
  if (!existsSync(root) || !statSync(root).isDirectory()) throw new UsageError(`${root} is not a directory (--root names the repository to work on)`);
  const needsConnectors = NEEDS_CONNECTORS.has(run.command) || (run.command === 'validate' && run.args.length === 0);
  if (needsConnectors && !existsSync(join(root, CONNECTORS_DIR))) {
    throw new UsageError(`${join(root, CONNECTORS_DIR)} does not exist: run writeback in the repository that holds connectors/ (or pass --root DIR), or create it with: npx writeback init`);
  }
  if (!run.names.length) return;
  const known = new Set(listDefinitionFiles(root).map((file) => basename(file, extname(file))));
  const unknown = run.names.filter((name) => !known.has(name));
  if (unknown.length) {
    const list = known.size ? `the jobs are: ${[...known].join(', ')}` : 'connectors/ holds no definitions';
    throw new UsageError(`no job named ${unknown.join(', ')} in connectors/ (${list})`);
  }
}

export async function main(argv: string[], io?: Partial<CommandIO>): Promise<number> {
  const base = processIO(process.cwd());
  const out = io?.out ?? base.out;
  const err = io?.err ?? base.err;
  // Usage errors exit 2, except where 2 already means "changes pending".
  const usageExit = argv.find((word) => !word.startsWith('-')) === 'plan' && argv.includes('--detailed-exitcode') ? 1 : 2;
  const { program, chosen } = buildProgram(version(), { out: (text) => out(text.trimEnd()), err: (text) => err(text.trimEnd()) });
  // commander shows the whole help for `help NOSUCH`; say what is wrong instead.
  if (argv[0] === 'help' && argv[1] && !program.commands.some((c) => c.name() === argv[1])) {
    err(`error: unknown command '${argv[1]}' (writeback --help lists the commands)`);
    return 2;
  }
  try {
    program.parse(argv, { from: 'user' });
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    // --help and --version end here with 0; `writeback` alone shows the help as an error.
    return error.exitCode === 0 ? 0 : usageExit;
  }
  const run = chosen()!;
  const env = io?.env ?? base.env;
  // WRITEBACK_ROOT (set by `writeback emulate`'s exports) stands in for --root; emulate itself works on the repository.
  const fromEnv = run.command === 'emulate' ? undefined : env.WRITEBACK_ROOT || undefined;
  const root = resolve((run.options.root as string | undefined) ?? fromEnv ?? io?.root ?? base.root);
  const commandIO: CommandIO = { ...base, ...io, root };
  if (fromEnv && run.options.root === undefined) err(`writeback: working on ${root} (WRITEBACK_ROOT, as writeback emulate exported it; unset it to work on the repository)`);
  // Commands that change state stop cleanly on SIGINT/SIGTERM (in the real process only, not in tests).
  const stop = io ? undefined : STOPPABLE.has(run.command) ? stopOnSignals(commandIO.env, err) : run.command === 'emulate' ? untilSignal() : undefined;
  try {
    checkRepository(root, run);
    const handler = await COMMANDS[run.command]!();
    const remote = await openRemoteState(commandIO, run.command, flag(run, 'dryRun'));
    const code = await remote.finish(await handler(commandIO, run, stop?.signal, remote.session));
    return stop?.exitCode() ?? code;
  } catch (error) {
    // Expected failures read as one sentence; anything else is a bug, still without a stack by default.
    const prefix = error instanceof WritebackError ? '' : 'unexpected error (please report it): ';
    err(`writeback ${run.command}: ${prefix}${describeError(error)}`);
    if (commandIO.env.WRITEBACK_DEBUG && error instanceof Error) err(error.stack ?? '');
    return stop?.exitCode() ?? (error instanceof UsageError ? usageExit : 1);
  } finally {
    stop?.dispose();
  }
}
