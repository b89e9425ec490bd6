/** Command-line entry: `writeback <command> [options]` (README, "Commands"). */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { describeError, WritebackError } from './errors/index.ts';
import { processIO, type CommandIO } from './commands/io.ts';
import { validateCommand } from './commands/validate.ts';
import { stopOnSignals } from './commands/signals.ts';

const STOPPABLE = new Set(['reconcile', 'release', 'rename', 'baseline']);

const USAGE = `Usage: writeback <command> [options]

Commands:
  validate [FILE...]     check definitions (schema and meaning); exit 0 valid, 1 invalid
  plan [--only NAME...]  show what a reconcile would do now; exit 0 nothing to do, 2 changes, 1 error
  reconcile [--only NAME...] [--force] [--dry-run]
                         run every due job; exit 0 when all succeeded or were skipped, 1 otherwise
  status                 one line per job: last run, result, rows, next due
  due [--only NAME...] [--force] [--json]
                         the jobs a reconcile would run now (a JSON array for a workflow matrix)
  dashboard              rewrite reports/README.md (inside Actions: and commit it)
  release NAME --delivered | --not-delivered
                         resolve a held job after checking the destination by hand
  rename OLD NEW         move a job's state and reports after renaming its definition
  baseline NAME [--until CURSOR] [--yes]
                         record what the DataSet holds now (up to CURSOR) as delivered, without sending
  demo                   the whole flow on local emulators with sample data (no account needed)

Options:
  --root DIR             the repository to work on (default: the current directory)
  --json                 machine-readable output (validate, plan, status)
  --markdown             Markdown output (plan)
  --comment              post or update the plan as a pull-request comment (plan, inside Actions)
  -h, --help             show this help`;

type Handler = (io: CommandIO, args: ParsedArgs) => Promise<number> | number;

interface ParsedArgs {
  positionals: string[];
  only: string[];
  json: boolean;
  markdown: boolean;
  force: boolean;
  dryRun: boolean;
  delivered: boolean;
  notDelivered: boolean;
  comment: boolean;
  until?: string;
  yes: boolean;
  signal?: AbortSignal;
}

const COMMANDS: Record<string, () => Promise<Handler>> = {
  validate: async () => (io, a) => validateCommand(io, { files: a.positionals, json: a.json }),
  plan: async () => {
    const { planCommand } = await import('./commands/plan.ts');
    return (io, a) => planCommand(io, { only: a.only, json: a.json, markdown: a.markdown, comment: a.comment });
  },
  due: async () => {
    const { dueCommand } = await import('./commands/due.ts');
    return (io, a) => dueCommand(io, { only: a.only, force: a.force, json: a.json });
  },
  dashboard: async () => {
    const { dashboardCommand } = await import('./commands/dashboard.ts');
    return (io) => dashboardCommand(io);
  },
  status: async () => {
    const { statusCommand } = await import('./commands/status.ts');
    return (io, a) => statusCommand(io, { json: a.json });
  },
  reconcile: async () => {
    const { reconcileCommand } = await import('./commands/reconcile.ts');
    return (io, a) => reconcileCommand(io, { only: a.only, force: a.force, dryRun: a.dryRun, signal: a.signal });
  },
  release: async () => {
    const { releaseCommand } = await import('./commands/release.ts');
    return (io, a) => releaseCommand(io, { name: a.positionals[0], delivered: a.delivered, notDelivered: a.notDelivered });
  },
  rename: async () => {
    const { renameCommand } = await import('./commands/rename.ts');
    return (io, a) => renameCommand(io, { from: a.positionals[0], to: a.positionals[1] });
  },
  baseline: async () => {
    const { baselineCommand } = await import('./commands/baseline.ts');
    return (io, a) => baselineCommand(io, { name: a.positionals[0], until: a.until, yes: a.yes });
  },
  demo: async () => {
    const { demoCommand } = await import('./commands/demo.ts');
    return (io) => demoCommand(io);
  },
};

export async function main(argv: string[], io?: Partial<CommandIO>): Promise<number> {
  const base = processIO(process.cwd());
  const err = io?.err ?? base.err;
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        root: { type: 'string' },
        only: { type: 'string', multiple: true },
        json: { type: 'boolean' },
        markdown: { type: 'boolean' },
        force: { type: 'boolean' },
        'dry-run': { type: 'boolean' },
        delivered: { type: 'boolean' },
        'not-delivered': { type: 'boolean' },
        comment: { type: 'boolean' },
        until: { type: 'string' },
        yes: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    err(`writeback: ${describeError(error)}\n\n${USAGE}`);
    return 1;
  }
  const { values, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (values.help || !command) {
    (io?.out ?? base.out)(USAGE);
    return command || values.help ? 0 : 1;
  }
  const load = COMMANDS[command];
  if (!load) {
    err(`writeback: unknown command "${command}"\n\n${USAGE}`);
    return 1;
  }
  const commandIO: CommandIO = { ...base, ...io, root: resolve(values.root ?? io?.root ?? base.root) };
  // Commands that change state stop cleanly on SIGINT/SIGTERM (in the real process only, not in tests).
  const stop = !io && STOPPABLE.has(command) ? stopOnSignals(commandIO.env, err) : undefined;
  try {
    const handler = await load();
    const code = await handler(commandIO, {
      positionals: rest,
      only: values.only ?? [],
      json: values.json ?? false,
      markdown: values.markdown ?? false,
      force: values.force ?? false,
      dryRun: values['dry-run'] ?? false,
      delivered: values.delivered ?? false,
      notDelivered: values['not-delivered'] ?? false,
      comment: values.comment ?? false,
      until: values.until,
      yes: values.yes ?? false,
      signal: stop?.signal,
    });
    return stop?.exitCode() ?? code;
  } catch (error) {
    // Expected failures read as one sentence; anything else is a bug, still without a stack by default.
    const prefix = error instanceof WritebackError ? '' : 'unexpected error (please report it): ';
    err(`writeback ${command}: ${prefix}${describeError(error)}`);
    if (commandIO.env.WRITEBACK_DEBUG && error instanceof Error) err(error.stack ?? '');
    return stop?.exitCode() ?? 1;
  } finally {
    stop?.dispose();
  }
}
