/**
 * The command line's grammar, parsed by commander: each command with its own options, so an option that does
 * not apply or a stray word is an error (exit 2), and `writeback help COMMAND` / `COMMAND --help` show them.
 * Parsing only chooses a command; src/cli.ts runs it.
 */
import { Command, Option } from 'commander';

/** What a command receives from the command line. */
export interface Invocation {
  command: string;
  /** Job names given as words (`reconcile NAME`) or with --only, in order, each once. */
  names: string[];
  /** The other words, as declared (validate FILE..., release NAME, rename OLD NEW). */
  args: string[];
  options: Record<string, unknown>;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

const onlyOption = () => new Option('--only <name>', 'only this job (its metadata.name); repeat for more').argParser(collect);
const jsonOption = (what: string) => new Option('--json', `machine-readable output: ${what}`);

interface CommandSpec {
  name: string;
  args?: string;
  summary: string;
  /** Exit codes and other facts shown under the command's help. */
  details?: string;
  options?: (Option | [flags: string, description: string])[];
}

const NAMES = '[name...]';

export const COMMAND_SPECS: CommandSpec[] = [
  {
    name: 'init',
    summary: 'set this repository up for Writeback: example connectors, workflows, editor settings',
    details: 'Writes only files that do not exist yet (--force overwrites them) and lists what it wrote.',
    options: [['--force', 'overwrite files that already exist']],
  },
  {
    name: 'validate',
    args: '[file...]',
    summary: 'check definitions (schema and meaning)',
    details: 'Checks every connectors/*.yaml, or the files given. Exit 0 valid, 1 invalid.',
    options: [jsonOption('{ valid, errors, notes }')],
  },
  {
    name: 'plan',
    args: NAMES,
    summary: 'show what a reconcile would send now, changing nothing',
    details:
      'Exit 0 when the plan was made, 1 on an error. With --detailed-exitcode (Terraform\'s convention): 0 nothing to send, 1 error, 2 changes pending (usage errors then exit 1).',
    options: [
      onlyOption(),
      jsonOption('{ problems, plans }'),
      new Option('--markdown', 'Markdown output (the pull-request comment)').conflicts('json'),
      ['--comment', 'post or update the plan as a pull-request comment (inside Actions, on a pull_request event)'],
      ['--detailed-exitcode', 'exit 2 when there are changes to send'],
    ],
  },
  {
    name: 'reconcile',
    args: NAMES,
    summary: 'run every due job (or the named ones): export, deliver once, record state and reports',
    details: 'Exit 0 when every job succeeded, was skipped or is suspended; 1 otherwise.',
    options: [onlyOption(), ['--force', 'run even if not due by its schedule'], ['--dry-run', 'write the files that would be sent to .writeback/dry-run/, change nothing']],
  },
  {
    name: 'status',
    summary: 'one line per job: result of the last run, rows, next due',
    details: 'Exit 0; with --check, 1 when a definition is invalid or a job failed, is held or has an unreadable state (for monitoring).',
    options: [jsonOption('an array of rows'), ['--check', 'exit 1 when a job needs attention']],
  },
  {
    name: 'due',
    args: NAMES,
    summary: 'the jobs a reconcile would run now (with --json: an array for a workflow matrix)',
    details: 'Exit 0; 1 when a definition could not be loaded (the others are still listed).',
    options: [onlyOption(), ['--force', 'list jobs even if not due by their schedule'], jsonOption('a JSON array of names')],
  },
  { name: 'dashboard', summary: 'rewrite reports/README.md from the reports (inside Actions: and commit it)' },
  {
    name: 'release',
    args: '<name>',
    summary: 'resolve a held job after checking the destination by hand',
    details: 'Say what you found: --delivered (the held upload arrived; it is recorded as delivered) or --not-delivered (it did not; it is sent again).',
    options: [
      new Option('--delivered', 'the destination received the held upload').conflicts('notDelivered'),
      ['--not-delivered', 'the destination did not receive it'],
    ],
  },
  { name: 'rename', args: '<old> <new>', summary: "move a job's state and reports after renaming its definition" },
  {
    name: 'baseline',
    args: '<name>',
    summary: 'record what the DataSet holds now (up to --until) as delivered, without sending it',
    details: 'Shows what it would record; records only with --yes.',
    options: [['--until <cursor>', 'only rows up to this cursor value'], ['--yes', 'record it']],
  },
  {
    name: 'emulate',
    summary: 'serve emulated Domo, Emarsys and Dotdigital on 127.0.0.1 with your sample data',
    details: 'Prints the variables to export (stdout) so plan and reconcile in another shell use the emulators; runs until Ctrl-C.',
    options: [
      new Option('--dataset <id=file.csv>', 'a Domo DataSet id and the CSV file it serves; repeat for more').argParser(collect),
      ['--port <n>', 'serve Domo on port N, Emarsys on N+1, Dotdigital on N+2 (default: free ports), so saved exports keep working'],
    ],
  },
  { name: 'demo', summary: 'the whole flow on local emulators with sample data (no account needed)' },
];

/** The program: parsing it with `{ from: 'user' }` fills `chosen` (or throws a CommanderError). */
export function buildProgram(version: string, write: { out(text: string): void; err(text: string): void }) {
  let chosen: Invocation | undefined;
  const program = new Command('writeback')
    .description('GitOps runner for reverse-ETL writeback jobs: Domo DataSets to Emarsys and Dotdigital, exactly once.')
    .version(version, '-v, --version', 'print the version')
    .option('--root <dir>', 'the repository to work on (default: the current directory)')
    .helpOption('-h, --help', 'show help (writeback COMMAND --help: that command\'s options)')
    .configureOutput({ writeOut: write.out, writeErr: write.err })
    .exitOverride()
    .showHelpAfterError('(writeback --help lists the commands; writeback COMMAND --help their options)')
    .helpCommand('help [command]', 'show help for a command');

  for (const spec of COMMAND_SPECS) {
    const command = program.command(`${spec.name}${spec.args ? ` ${spec.args}` : ''}`).description(spec.summary);
    if (spec.details) command.addHelpText('after', `\n${spec.details}`);
    for (const option of spec.options ?? []) {
      if (option instanceof Option) command.addOption(option);
      else command.option(option[0], option[1]);
    }
    command.action((...params: unknown[]) => {
      // commander passes the declared arguments, then the options, then the command itself.
      const positionals = params.slice(0, -2) as (string | string[] | undefined)[];
      const options = params.at(-2) as Record<string, unknown>;
      const words = positionals.flatMap((p) => (p === undefined ? [] : p));
      const takesNames = spec.args === NAMES;
      const names = takesNames ? [...new Set([...words, ...((options.only as string[] | undefined) ?? [])])] : [];
      chosen = { command: spec.name, names, args: takesNames ? [] : words, options: { ...program.opts(), ...options } };
    });
  }
  return { program, chosen: () => chosen };
}
